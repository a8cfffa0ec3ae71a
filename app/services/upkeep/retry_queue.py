"""Ledger writes that failed while the database was away, retried by the worker's heartbeat.

A request that ends while the database is unreachable cannot finalise its row (or, on the
OpenAI side, swap its reservation for its cost). Its worker is alive, so the sweeper would
never touch the row; instead the write is kept here, in order, and the heartbeat
(app.services.upkeep.worker) retries it until the database answers. Each retry must be safe
to run after a first attempt whose outcome is unknown (the connection died around its
COMMIT): a Claude row is finalised by one idempotent UPDATE, and an OpenAI-side settlement is
only re-run while its row is still unsettled (app.services.quota.settlement.settle_later). At
most MAX_PENDING writes are kept; past that the row is left for the sweeper's age limit.
"""
import logging
import threading
from collections import deque

from app.services.db.outage import is_database_unavailable

logger = logging.getLogger("hepgg.ledger_retry")
MAX_PENDING = 10_000
_pending = deque()
_lock = threading.Lock()
_runner = threading.Lock()


def retry_later(label, write, app=None):
    """Keep `write` (no arguments; run inside `app`'s context when one is given) for the heartbeat."""
    with _lock:
        if len(_pending) >= MAX_PENDING:
            logger.error("ledger write %s dropped: %d writes are already waiting for the database",
                         label, len(_pending))
            return
        _pending.append((label, write, app))
    logger.warning("ledger write %s failed; it is retried when the database answers again", label)


def clear_pending():
    """Forget every waiting write (tests; a fresh process starts empty)."""
    with _lock:
        _pending.clear()


def pending_count():
    """How many ledger writes are waiting."""
    return len(_pending)


def retry_pending():
    """Run the waiting writes in order; raise at the first that finds the database still unavailable."""
    with _runner:  # one runner at a time, so no write is run twice at once
        return _run_pending()


def _run_pending():
    done = 0
    while True:
        with _lock:
            if not _pending:
                break
            label, write, app = _pending[0]
        try:
            if app is None:
                write()
            else:
                with app.app_context():
                    write()
        except Exception as exc:
            if is_database_unavailable(exc):
                raise  # still away: keep it (and the ones behind it) for the next heartbeat
            # Anything else would fail forever and hold up the writes behind it.
            logger.exception("ledger write %s failed again and is dropped", label)
        with _lock:
            if _pending and _pending[0][1] is write:
                _pending.popleft()
        done += 1
    if done:
        logger.info("%d delayed ledger writes done", done)
    return done

