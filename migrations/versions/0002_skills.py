"""skills registry: skills and skill_access_keys

Revision ID: 0002_skills
Revises: 0001_initial
Create Date: 2026-11-25 00:59:47.910328

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_skills'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('skill_access_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('key_prefix', sa.String(length=32), nullable=False),
    sa.Column('key_encrypted', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('rotated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_skill_access_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_access_keys')),
    sa.UniqueConstraint('key_digest', name=op.f('uq_skill_access_keys_key_digest')),
    sa.UniqueConstraint('user_id', name=op.f('uq_skill_access_keys_user_id'))
    )
    op.create_table('skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_skills_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skills')),
    sa.UniqueConstraint('user_id', 'name', name='uq_skills_user_id_name')
    )
    # Public names are unique among public skills only: /skills/<name> is one document.
    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.create_index('uq_skills_public_name', ['name'], unique=True, sqlite_where=sa.text('is_public = 1'), postgresql_where=sa.text('is_public'))



def downgrade():
    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.drop_index('uq_skills_public_name', sqlite_where=sa.text('is_public = 1'), postgresql_where=sa.text('is_public'))

    op.drop_table('skills')
    op.drop_table('skill_access_keys')
