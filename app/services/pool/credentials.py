"""The active pooled account's credentials as the proxy uses them, cached in-process.

The decrypted credential is kept for at most CACHE_SECONDS, so a switch of the active
account reaches every instance within about a second without a database read per request.
OAuth access tokens are refreshed shortly before they expire and once after upstream
refuses them (app.services.oauth serialises refreshes across processes with a lease; a
lock here keeps the greenlets of one process from queueing on that lease).
"""
import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Optional

from app.caches import register_cache
from app.models.base import utcnow
from app.models.pool import KIND_OAUTH
from app.services.pool.accounts import active_pooled_account, pooled_credentials
from app.services.pool.oauth import REFRESH_MARGIN, OAuthRefreshError, refresh_access_token

logger = logging.getLogger("hepgg.proxy")
CACHE_SECONDS = 1.0
# After a refresh failed for a reason other than a dead refresh token, wait before retrying.
REFRESH_RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class ActiveCredentials:
    """The active account's credential; `secret` is an API key or an OAuth access token."""

    account_id: int
    kind: str
    secret: str
    expires_at: Optional[datetime]
    can_refresh: bool
    needs_relogin: bool

    def __repr__(self):  # keep the secret out of logs and tracebacks
        return f"ActiveCredentials(account_id={self.account_id}, kind={self.kind!r})"


_cached = {"entry": None, "until": 0.0}
_refresh_lock = threading.Lock()
_refresh_not_before = {}  # account id -> monotonic time


def forget_cached_credentials():
    """Drop the cached credential (after a switch made here, or in tests)."""
    _cached["entry"] = None
    _cached["until"] = 0.0
    _refresh_not_before.clear()


register_cache("active pooled credentials", forget_cached_credentials)


def _remember(entry):
    _cached["entry"] = entry
    _cached["until"] = time.monotonic() + CACHE_SECONDS
    return entry


def _load_active():
    account = active_pooled_account()
    if account is None:
        return None
    creds = pooled_credentials(account)
    return ActiveCredentials(account.id, account.kind, creds.secret, creds.expires_at,
                             bool(account.oauth_refresh_token_encrypted), bool(account.needs_relogin))


def _refresh_due(entry, now=None):
    if entry.kind != KIND_OAUTH or not entry.can_refresh or entry.needs_relogin or entry.expires_at is None:
        return False
    if time.monotonic() < _refresh_not_before.get(entry.account_id, 0.0):
        return False
    return entry.expires_at - (now or utcnow()) <= REFRESH_MARGIN


def active_credentials():
    """The active account's credential (None when the pool is empty), refreshed before expiry."""
    entry = _cached["entry"]
    if entry is None or time.monotonic() >= _cached["until"]:
        entry = _load_active()
        if entry is None:
            _cached["entry"] = None
            return None
        _remember(entry)
    if _refresh_due(entry):
        entry = _refresh(entry, rejected=False)
    return entry


def _refresh(entry, *, rejected):
    with _refresh_lock:
        current = _cached["entry"]
        if current is not None and current.account_id == entry.account_id:
            # Another greenlet of this process may have refreshed while we waited for the lock.
            if current.secret != entry.secret or (not rejected and not _refresh_due(current)):
                return current
        try:
            creds = refresh_access_token(entry.account_id,
                                         rejected_access_token=entry.secret if rejected else None)
        except OAuthRefreshError as exc:
            logger.warning("OAuth refresh of pooled account %s failed: %s", entry.account_id, exc.message)
            _refresh_not_before[entry.account_id] = time.monotonic() + REFRESH_RETRY_SECONDS
            stale = replace(entry, needs_relogin=entry.needs_relogin or exc.relogin_required)
            if current is not None and current.account_id == entry.account_id:
                _remember(stale)
            return stale
        _refresh_not_before.pop(entry.account_id, None)
        return _remember(replace(entry, secret=creds.secret, expires_at=creds.expires_at))


def credentials_after_rejection(entry):
    """New credentials after upstream refused `entry`'s OAuth token (None when none can be had)."""
    if entry.kind != KIND_OAUTH or not entry.can_refresh or entry.needs_relogin:
        return None
    if time.monotonic() < _refresh_not_before.get(entry.account_id, 0.0):
        return None
    fresh = _refresh(entry, rejected=True)
    return fresh if fresh.secret != entry.secret else None
