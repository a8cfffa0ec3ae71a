"""ledger rows carry the worker process that admitted them, so a sweeper can finish a dead worker's rows

Revision ID: 0004_ledger_worker_ids
Revises: 0003_login_throttle
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_ledger_worker_ids"
down_revision = "0003_login_throttle"
branch_labels = None
depends_on = None

_TABLES = ("claude_requests", "llm_requests")


def upgrade():
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("worker_id", sa.String(length=64), nullable=True))


def downgrade():
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("worker_id")
