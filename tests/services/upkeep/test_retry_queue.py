"""Ledger writes kept while the database is away: retried in order by the heartbeat, kept while the
database is still unavailable, dropped when they fail for another reason."""
import sqlite3

import pytest

from app.services.upkeep import retry_queue


@pytest.fixture(autouse=True)
def empty_queue():
    retry_queue.clear_pending()
    yield
    retry_queue.clear_pending()


def test_writes_wait_while_the_database_is_away_and_run_in_order_once_it_is_back(app):
    done, away = [], [True]

    def write(name):
        def run():
            if away[0]:
                raise sqlite3.OperationalError("database is locked")
            done.append(name)
        return run

    retry_queue.retry_later("first", write("first"))
    retry_queue.retry_later("second", write("second"), app)
    with pytest.raises(sqlite3.OperationalError):
        retry_queue.retry_pending()
    assert done == [] and retry_queue.pending_count() == 2

    away[0] = False
    retry_queue.retry_pending()
    assert done == ["first", "second"] and retry_queue.pending_count() == 0


def test_a_write_that_fails_for_another_reason_is_dropped_and_does_not_hold_up_the_rest(app):
    done = []

    def broken():
        raise ValueError("a bug, not an outage")

    retry_queue.retry_later("broken", broken)
    retry_queue.retry_later("fine", lambda: done.append("fine"))
    retry_queue.retry_pending()
    assert done == ["fine"] and retry_queue.pending_count() == 0
