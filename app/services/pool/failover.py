"""What proxied responses tell the pool: rate-limit headers for the usage cache, and failover.

Every pooled response's rate-limit headers go to app.services.pool.usage_snapshot. API-key
headers such as `-remaining` change on every response, so per process and account they
are written at most once per RECORD_SECONDS: the newest headers wait for a timer and
are written when it fires. A 429 is written at once.

With POOL_AUTO_FAILOVER, a 429 whose unified headers say the window is exhausted (status
`rejected`, or the representative window at or above 100 %; app.services.pool.usage_signals)
marks the account rate-limited until the window resets and makes the next healthy account
active, once: only the request that marks the account performs the switch. 529 (overloaded)
never does.
"""
import logging
import threading
import time

from app.caches import register_cache
from app.extensions import db
from app.models import PooledAccount
from app.models.base import utcnow
from app.services.db.transactions import write_transaction
from app.services.pool.accounts import bump_usage_version, lock_pool, next_healthy_account
from app.services.pool.active import activate_pooled_account
from app.services.pool.credentials import forget_cached_credentials
from app.services.pool.usage_signals import exhausted_window
from app.services.pool.usage_snapshot import record_rate_limit_headers

logger = logging.getLogger("hepgg.proxy")
RECORD_SECONDS = 1.0
_lock = threading.Lock()
_recorded_at = {}  # account id -> monotonic time of the last write
_pending = {}  # account id -> newest unwritten headers
_timers = {}  # account id -> Timer


def note_rate_limit_headers(app, account_id, headers, *, urgent=False):
    """Feed a response's rate-limit headers to the usage cache, throttled per account."""
    if not headers:
        return
    now = time.monotonic()
    with _lock:
        due = urgent or now - _recorded_at.get(account_id, float("-inf")) >= RECORD_SECONDS
        if due:
            _recorded_at[account_id] = now
            _pending.pop(account_id, None)
        else:
            _pending[account_id] = headers
            if account_id not in _timers:
                delay = RECORD_SECONDS - (now - _recorded_at[account_id])
                timer = threading.Timer(max(delay, 0.0), _flush, args=(app, account_id))
                timer.daemon = True
                _timers[account_id] = timer
                timer.start()
    if due:
        record_rate_limit_headers(account_id, headers)


def _flush(app, account_id):
    with _lock:
        _timers.pop(account_id, None)
        headers = _pending.pop(account_id, None)
        if headers is None:
            return
        _recorded_at[account_id] = time.monotonic()
    try:
        with app.app_context():
            record_rate_limit_headers(account_id, headers)
    except Exception:  # a timer has nobody to report to but the log
        logger.exception("recording rate-limit headers of pooled account %s failed", account_id)


def forget_rate_limit_state():
    """Cancel pending writes and forget the throttle (tests; a fresh process starts empty)."""
    with _lock:
        for timer in _timers.values():
            timer.cancel()
        _timers.clear()
        _pending.clear()
        _recorded_at.clear()


register_cache("rate-limit header throttle", forget_rate_limit_state)


def _mark_rate_limited(account_id, until, reason, now):
    with write_transaction():
        lock_pool()
        account = db.session.get(PooledAccount, account_id, populate_existing=True)
        if account is None or not account.is_active:
            return False  # someone already switched away from it
        if account.rate_limited_until is not None and account.rate_limited_until > now:
            return False  # another request already handled this exhaustion
        account.rate_limited_until = until
        account.status_reason = reason[:255]
        bump_usage_version()
    return True


def fail_over_if_exhausted(account_id, status, headers):
    """On an exhausted-window 429, mark the account and activate the next healthy one.

    Returns the newly active account's id, or None when nothing was switched.
    """
    if status != 429:
        return None
    verdict = exhausted_window(headers)
    if verdict is None:
        return None
    reason, until = verdict
    now = utcnow()
    if not _mark_rate_limited(account_id, until, reason, now):
        return None
    successor = next_healthy_account(exclude_ids={account_id})
    forget_cached_credentials()
    if successor is None:
        logger.warning("pooled account %s is exhausted and no healthy account can take over", account_id)
        return None
    activate_pooled_account(successor.id, via="failover", reason=reason[:255])
    logger.info("failed over from pooled account %s to %s: %s", account_id, successor.id, reason)
    return successor.id

