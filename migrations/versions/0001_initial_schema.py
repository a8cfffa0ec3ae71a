"""initial schema

Revision ID: 0001_initial
Revises: 
Create Date: 2026-11-25 00:41:12.859804

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('leases',
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    op.create_table('llm_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('upstream_base_url', sa.String(length=512), nullable=False),
    sa.Column('upstream_model', sa.String(length=256), nullable=False),
    sa.Column('upstream_api_key_encrypted', sa.Text(), nullable=True),
    sa.Column('input_micro_usd_per_mtok', sa.BigInteger(), nullable=False),
    sa.Column('cached_input_micro_usd_per_mtok', sa.BigInteger(), nullable=True),
    sa.Column('output_micro_usd_per_mtok', sa.BigInteger(), nullable=False),
    sa.Column('user_allowed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('cached_input_micro_usd_per_mtok IS NULL OR cached_input_micro_usd_per_mtok >= 0', name=op.f('ck_llm_models_cached_price_non_negative')),
    sa.CheckConstraint('input_micro_usd_per_mtok >= 0', name=op.f('ck_llm_models_input_price_non_negative')),
    sa.CheckConstraint('output_micro_usd_per_mtok >= 0', name=op.f('ck_llm_models_output_price_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_models')),
    sa.UniqueConstraint('name', name=op.f('uq_llm_models_name')),
    sqlite_autoincrement=True
    )
    op.create_table('pool_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('usage_version', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_pool_state_singleton')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_state'))
    )
    # The usage API's version counter lives in this single row.
    pool_state = sa.table('pool_state', sa.column('id', sa.Integer), sa.column('usage_version', sa.BigInteger),
                          sa.column('updated_at', sa.DateTime))
    op.bulk_insert(pool_state, [{'id': 1, 'usage_version': 1,
                                 'updated_at': datetime.now(timezone.utc).replace(tzinfo=None)}])
    op.create_table('pooled_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('api_key_encrypted', sa.Text(), nullable=True),
    sa.Column('oauth_access_token_encrypted', sa.Text(), nullable=True),
    sa.Column('oauth_refresh_token_encrypted', sa.Text(), nullable=True),
    sa.Column('oauth_expires_at', sa.DateTime(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('needs_relogin', sa.Boolean(), nullable=False),
    sa.Column('rate_limited_until', sa.DateTime(), nullable=True),
    sa.Column('status_reason', sa.String(length=255), nullable=True),
    sa.Column('usage_snapshot', sa.JSON(), nullable=True),
    sa.Column('usage_updated_at', sa.DateTime(), nullable=True),
    sa.Column('usage_polled_at', sa.DateTime(), nullable=True),
    sa.Column('usage_poll_not_before', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('api_key', 'oauth')", name=op.f('ck_pooled_accounts_kind_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pooled_accounts')),
    sa.UniqueConstraint('label', name=op.f('uq_pooled_accounts_label')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('pooled_accounts', schema=None) as batch_op:
        batch_op.create_index('uq_pooled_accounts_one_active', ['is_active'], unique=True, sqlite_where=sa.text('is_active = 1'), postgresql_where=sa.text('is_active'))

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('cap_micro_usd', sa.BigInteger(), nullable=False),
    sa.Column('overage_enabled', sa.Boolean(), nullable=False),
    sa.Column('overage_cap_micro_usd', sa.BigInteger(), nullable=False),
    sa.Column('hep_token_balance_micro', sa.BigInteger(), nullable=False),
    sa.Column('reserved_micro_usd', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('cap_micro_usd >= 0', name=op.f('ck_users_cap_non_negative')),
    sa.CheckConstraint('hep_token_balance_micro >= 0', name=op.f('ck_users_hep_balance_non_negative')),
    sa.CheckConstraint('overage_cap_micro_usd >= 0', name=op.f('ck_users_overage_cap_non_negative')),
    sa.CheckConstraint('reserved_micro_usd >= 0', name=op.f('ck_users_reserved_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('ai_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('key_prefix', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('rotated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ai_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_accounts')),
    sa.UniqueConstraint('key_digest', name=op.f('uq_ai_accounts_key_digest')),
    sa.UniqueConstraint('user_id', name=op.f('uq_ai_accounts_user_id'))
    )
    op.create_table('llm_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=True),
    sa.Column('key_prefix', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('rotated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_llm_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_keys')),
    sa.UniqueConstraint('key_digest', name=op.f('uq_llm_keys_key_digest'))
    )
    with op.batch_alter_table('llm_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_llm_keys_user_id'), ['user_id'], unique=False)

    op.create_table('machines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('passthrough', sa.Boolean(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=True),
    sa.Column('token_prefix', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('token_rotated_at', sa.DateTime(), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_machines_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machines')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_machines_token_digest'))
    )
    with op.batch_alter_table('machines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_machines_user_id'), ['user_id'], unique=False)

    op.create_table('pool_switches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_account_id', sa.Integer(), nullable=True),
    sa.Column('to_account_id', sa.Integer(), nullable=True),
    sa.Column('from_label', sa.String(length=120), nullable=True),
    sa.Column('to_label', sa.String(length=120), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_pool_switches_actor_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_account_id'], ['pooled_accounts.id'], name=op.f('fk_pool_switches_from_account_id_pooled_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_account_id'], ['pooled_accounts.id'], name=op.f('fk_pool_switches_to_account_id_pooled_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_switches'))
    )
    with op.batch_alter_table('pool_switches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_switches_created_at'), ['created_at'], unique=False)

    op.create_table('spend_buckets',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('bucket_start', sa.DateTime(), nullable=False),
    sa.Column('spend_micro_usd', sa.BigInteger(), nullable=False),
    sa.Column('overage_micro_usd', sa.BigInteger(), nullable=False),
    sa.Column('request_count', sa.Integer(), nullable=False),
    sa.CheckConstraint('overage_micro_usd >= 0', name=op.f('ck_spend_buckets_overage_non_negative')),
    sa.CheckConstraint('spend_micro_usd >= 0', name=op.f('ck_spend_buckets_spend_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_spend_buckets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'bucket_start', name=op.f('pk_spend_buckets'))
    )
    op.create_table('usage_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('token_prefix', sa.String(length=32), nullable=False),
    sa.Column('token_encrypted', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('rotated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_usage_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_tokens')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_usage_tokens_token_digest')),
    sa.UniqueConstraint('user_id', name=op.f('uq_usage_tokens_user_id'))
    )
    op.create_table('claude_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('pooled_account_id', sa.Integer(), nullable=True),
    sa.Column('passthrough', sa.Boolean(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=True),
    sa.Column('stream', sa.Boolean(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('error_type', sa.String(length=64), nullable=True),
    sa.Column('input_tokens', sa.BigInteger(), nullable=False),
    sa.Column('output_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cache_creation_input_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cache_creation_5m_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cache_creation_1h_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cache_read_input_tokens', sa.BigInteger(), nullable=False),
    sa.Column('upstream_request_id', sa.String(length=128), nullable=True),
    sa.Column('ttfb_ms', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('cost_micro_usd', sa.BigInteger(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_claude_requests_machine_id_machines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pooled_account_id'], ['pooled_accounts.id'], name=op.f('fk_claude_requests_pooled_account_id_pooled_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_claude_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claude_requests')),
    sa.UniqueConstraint('request_id', name=op.f('uq_claude_requests_request_id'))
    )
    with op.batch_alter_table('claude_requests', schema=None) as batch_op:
        batch_op.create_index('ix_claude_requests_machine_started', ['machine_id', 'started_at'], unique=False)
        batch_op.create_index('ix_claude_requests_outcome_started', ['outcome', 'started_at'], unique=False)
        batch_op.create_index('ix_claude_requests_user_started', ['user_id', 'started_at'], unique=False)

    op.create_table('llm_key_models',
    sa.Column('llm_key_id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['llm_key_id'], ['llm_keys.id'], name=op.f('fk_llm_key_models_llm_key_id_llm_keys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['model_id'], ['llm_models.id'], name=op.f('fk_llm_key_models_model_id_llm_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('llm_key_id', 'model_id', name=op.f('pk_llm_key_models'))
    )
    op.create_table('llm_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('llm_key_id', sa.Integer(), nullable=True),
    sa.Column('model_id', sa.Integer(), nullable=True),
    sa.Column('model_name', sa.String(length=128), nullable=False),
    sa.Column('stream', sa.Boolean(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('prompt_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cached_tokens', sa.BigInteger(), nullable=False),
    sa.Column('completion_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cost_micro_usd', sa.BigInteger(), nullable=False),
    sa.Column('overage_micro_usd', sa.BigInteger(), nullable=False),
    sa.Column('hep_tokens_debited_micro', sa.BigInteger(), nullable=False),
    sa.Column('reserved_micro_usd', sa.BigInteger(), nullable=False),
    sa.Column('upstream_request_id', sa.String(length=128), nullable=True),
    sa.Column('ttfb_ms', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('cost_micro_usd >= 0', name=op.f('ck_llm_requests_cost_non_negative')),
    sa.CheckConstraint('overage_micro_usd >= 0', name=op.f('ck_llm_requests_overage_non_negative')),
    sa.ForeignKeyConstraint(['llm_key_id'], ['llm_keys.id'], name=op.f('fk_llm_requests_llm_key_id_llm_keys'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['model_id'], ['llm_models.id'], name=op.f('fk_llm_requests_model_id_llm_models'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_llm_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_requests')),
    sa.UniqueConstraint('request_id', name=op.f('uq_llm_requests_request_id'))
    )
    with op.batch_alter_table('llm_requests', schema=None) as batch_op:
        batch_op.create_index('ix_llm_requests_key_started', ['llm_key_id', 'started_at'], unique=False)
        batch_op.create_index('ix_llm_requests_outcome_started', ['outcome', 'started_at'], unique=False)
        batch_op.create_index('ix_llm_requests_user_started', ['user_id', 'started_at'], unique=False)



def downgrade():
    with op.batch_alter_table('llm_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_llm_requests_user_started')
        batch_op.drop_index('ix_llm_requests_outcome_started')
        batch_op.drop_index('ix_llm_requests_key_started')

    op.drop_table('llm_requests')
    op.drop_table('llm_key_models')
    with op.batch_alter_table('claude_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_claude_requests_user_started')
        batch_op.drop_index('ix_claude_requests_outcome_started')
        batch_op.drop_index('ix_claude_requests_machine_started')

    op.drop_table('claude_requests')
    op.drop_table('usage_tokens')
    op.drop_table('spend_buckets')
    with op.batch_alter_table('pool_switches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pool_switches_created_at'))

    op.drop_table('pool_switches')
    with op.batch_alter_table('machines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_machines_user_id'))

    op.drop_table('machines')
    with op.batch_alter_table('llm_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_llm_keys_user_id'))

    op.drop_table('llm_keys')
    op.drop_table('ai_accounts')
    op.drop_table('users')
    with op.batch_alter_table('pooled_accounts', schema=None) as batch_op:
        batch_op.drop_index('uq_pooled_accounts_one_active', sqlite_where=sa.text('is_active = 1'), postgresql_where=sa.text('is_active'))

    op.drop_table('pooled_accounts')
    op.drop_table('pool_state')
    op.drop_table('llm_models')
    op.drop_table('leases')
