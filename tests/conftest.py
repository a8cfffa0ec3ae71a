"""Shared fixtures: the app on a migrated test database, a clean database per test, clients,
row factories, and real servers (in-process werkzeug, or gunicorn as the Procfile runs it).

The database is TEST_DATABASE_URL when set (CI sets a fresh PostgreSQL database), else a
SQLite file in a temporary directory. The schema is built by the Alembic migrations.
"""
import os

import pytest
from sqlalchemy import text

import config as config_module
from app import create_app
from app.extensions import db
from app.caches import reset_caches
from tests.factories import Factories
from tests.servers import LiveServer, start_gunicorn


def _test_config(tmp_dir):
    url = os.environ.get("TEST_DATABASE_URL")

    class SuiteConfig(config_module.TestConfig):
        SQLALCHEMY_DATABASE_URI = (config_module.normalize_database_url(url) if url
                                   else f"sqlite:///{tmp_dir}/test.sqlite3")

    return SuiteConfig


def _drop_everything():
    """Drop every table (ours and alembic's) so migrations run from empty."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application, its database migrated from empty once per test session."""
    from flask_migrate import upgrade

    application = create_app(_test_config(tmp_path_factory.mktemp("db")))
    with application.app_context():
        _drop_everything()
        upgrade()
    return application


def _table_names():
    return [t.name for t in reversed(db.metadata.sorted_tables)]


def clean_database():
    """Empty every table and restore the seed row, leaving the schema in place."""
    db.session.remove()
    engine = db.engine
    with engine.begin() as conn:
        # DELETE beats TRUNCATE on tables this small; tests never depend on id values.
        for name in _table_names():
            conn.execute(text(f"DELETE FROM {name}"))
        conn.execute(text("INSERT INTO pool_state (id, usage_version, updated_at) "
                          "VALUES (1, 1, CURRENT_TIMESTAMP)"))


@pytest.fixture(scope="session", autouse=True)
def minted_secrets():
    """Every secret minted in this test process, in plaintext, for the leak scans (tests/access)."""
    from tests.access.secret_scan import record_minted_secrets
    with record_minted_secrets() as minted:
        yield minted


@pytest.fixture(autouse=True)
def app_context(app):
    """Every test runs inside an app context on an empty database (and empty in-process caches)."""
    with app.app_context():
        clean_database()
        reset_caches()
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli_runner(app):
    return app.test_cli_runner()


@pytest.fixture
def factories(app):
    """Row factories: factories.user(), factories.machine(user), factories.llm_key(user, ...)."""
    return Factories()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP by a threaded werkzeug server on 127.0.0.1."""
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gunicorn_server(app):
    """A factory starting the app exactly as the Procfile does (gunicorn + gevent) on the
    test database; extra environment variables are passed through. Stopped after the test."""
    started = []

    def start(**env):
        server = start_gunicorn(app, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
