"""PostgreSQL connections that die in the pool: found by a ping when they sat idle, otherwise
answered with a clear 503 once and replaced, without a restart (no ping on every checkout)."""
import os
import time

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from app.extensions import db
from app.services.db import engine as db_engine
from tests.openai_api.conftest import post_chat

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL connection pool")


@pytest.fixture
def terminate_backends(app):
    """Kill every server process of the test database but the caller's: what a PostgreSQL
    restart or a failover does to the app's pooled connections."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])

    def terminate():
        admin = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 password=url.password, dbname=url.database)
        try:
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                return cursor.fetchone()[0]
        finally:
            admin.close()

    yield terminate
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class _Later:
    """time.monotonic() some seconds ahead: every pooled connection looks idle for that long."""

    def __init__(self, seconds):
        self.seconds = seconds

    def monotonic(self):
        return time.monotonic() + self.seconds


def test_connections_idle_in_the_pool_are_pinged_and_replaced(client, key, upstream, terminate_backends,
                                                              monkeypatch):
    assert post_chat(client, key).status_code == 200
    assert terminate_backends() > 0
    monkeypatch.setattr(db_engine, "time", _Later(60))
    # Every connection sat idle past the threshold: the ping finds it dead and the pool replaces it.
    for _ in range(3):
        response = post_chat(client, key)
        assert response.status_code == 200, response.get_data(as_text=True)


def test_a_connection_that_died_since_its_last_use_costs_one_503_then_the_pool_recovers(
        client, key, upstream, terminate_backends):
    assert post_chat(client, key).status_code == 200
    assert terminate_backends() > 0
    # Used a moment ago, so not pinged: the request that meets the dead connection gets the clear
    # 503 (or, if it met none, succeeds); the dead connection is invalidated, the others are pinged.
    first = post_chat(client, key)
    assert first.status_code in (200, 503), first.get_data(as_text=True)
    if first.status_code == 503:
        assert first.json["error"]["code"] == "database_unavailable"
        assert first.headers["Retry-After"]
    for _ in range(3):
        response = post_chat(client, key)
        assert response.status_code == 200, response.get_data(as_text=True)
