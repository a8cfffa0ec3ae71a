"""Migrations build the schema from empty, tear it down again, and never drift from the models."""
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

import config as config_module
from app import create_app
from app.extensions import db

EXPECTED_TABLES = {
    "users", "ai_accounts", "machines", "usage_tokens", "llm_keys", "llm_key_models", "llm_models",
    "pooled_accounts", "pool_switches", "pool_state", "claude_requests", "llm_requests",
    "spend_buckets", "leases",
}


def test_models_and_migrations_do_not_drift(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def _scratch_database_url(tmp_path):
    """An empty database of the same kind as the suite's: a new SQLite file, or a new PG database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path}/scratch.sqlite3", None
    url = config_module.normalize_database_url(url)
    name = "scratch_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name, (url, name)


def _drop_scratch(created):
    if created is None:
        return
    url, name = created
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def scratch_app(tmp_path):
    url, created = _scratch_database_url(tmp_path)

    class ScratchConfig(config_module.TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    scratch = create_app(ScratchConfig)
    yield scratch
    with scratch.app_context():
        db.engine.dispose()
    _drop_scratch(created)


def test_upgrade_builds_an_empty_database_and_downgrade_removes_it(scratch_app):
    with scratch_app.app_context():
        assert set(sa.inspect(db.engine).get_table_names()) == set()
        upgrade()
        assert EXPECTED_TABLES <= set(sa.inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT usage_version FROM pool_state")).scalar_one() == 1
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_the_schema_refuses_what_the_rules_forbid(app, factories):
    from sqlalchemy.exc import IntegrityError

    from app.models import Machine, PooledAccount, User

    user = factories.user()
    first = factories.pooled_account()
    second = factories.pooled_account()
    assert first.is_active and not second.is_active

    checks = [
        # at most one active pooled account
        lambda: db.session.execute(sa.update(PooledAccount).where(PooledAccount.id == second.id)
                                   .values(is_active=True)),
        # non-negative balances and caps
        lambda: db.session.execute(sa.update(User).values(hep_token_balance_micro=-1)),
        lambda: db.session.execute(sa.update(User).values(cap_micro_usd=-5)),
        # unique token digests
        lambda: db.session.add(Machine(user_id=user.id, name="dup", token_prefix="cct_x",
                                       token_digest=factories.machine(user).token_digest)),
        # owner foreign keys
        lambda: db.session.add(Machine(user_id=999999, name="orphan", token_prefix="cct_y",
                                       token_digest="f" * 64)),
    ]
    for violate in checks:
        with pytest.raises(IntegrityError):
            violate()
            db.session.flush()
        db.session.rollback()
