"""Helpers for the proxy tests: reading the ledger, bounded polling, URLs."""
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ClaudeRequest


def ledger_rows():
    """Every ledger row, oldest first, read in a fresh transaction."""
    db.session.rollback()
    return list(db.session.scalars(select(ClaudeRequest).order_by(ClaudeRequest.id)))


def wait_for(predicate, timeout=5.0, interval=0.02, what="condition"):
    """Poll until predicate() is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not met within {timeout}s")
        time.sleep(interval)


def finished_rows(count=1, timeout=5.0):
    """Wait until `count` ledger rows are finalised (a live server finalises after the body is sent)."""
    def ready():
        rows = ledger_rows()
        return rows if len(rows) >= count and all(r.finished_at is not None for r in rows) else None
    return wait_for(ready, timeout)


def proxy_url(base, token, path="/v1/messages"):
    return f"{base}/anthropic/{token}{path}"
