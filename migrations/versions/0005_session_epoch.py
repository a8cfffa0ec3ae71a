"""users carry a session epoch, bumped at sign-out, so a sign-out revokes every earlier session cookie

Revision ID: 0005_session_epoch
Revises: 0004_ledger_worker_ids
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_session_epoch"
down_revision = "0004_ledger_worker_ids"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default=sa.text("0"), nullable=False))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
