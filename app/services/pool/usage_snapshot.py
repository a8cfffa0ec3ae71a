"""The pool's cached usage: one normalised snapshot per account, fed from two sources.

Sources: the rate-limit headers on proxied responses ("headers") and Anthropic's OAuth
usage endpoint ("usage_endpoint"), both read by app.services.pool.usage_signals. Whatever
the source, a window is stored as

    {"utilization_percent": 42.0, "resets_at": "2025-11-25T22:00:00Z",
     "status": "allowed" | None, "source": "headers", "observed_at": "...Z"}

A `poll` section records the refresher's last attempt at the usage endpoint
(app.services.pool.usage_refresher).

Every write that changes what account_snapshot() shows bumps the pool's usage version in the
same transaction, and a write that would change nothing visible is skipped, so the usage
API's `version` changes exactly when its payload does.
"""
import time

from app.extensions import db
from app.models import PooledAccount
from app.caches import register_cache
from app.models.base import utcnow
from app.services.db.transactions import write_transaction
from app.services.pool.accounts import account_status, bump_usage_version, current_usage_version, lock_pool
from app.services.pool.usage_signals import parse_rate_limit_headers
from app.services.timestamps import iso, parse_timestamp

SOURCE_HEADERS = "headers"
SOURCE_USAGE_ENDPOINT = "usage_endpoint"

# A header-fed observation whose values did not change is rewritten at most this often,
# so proxied traffic costs no database write per request yet freshness stays known.
HEADER_REFRESH_SECONDS = 60


def _without_observations(section):
    if isinstance(section, dict):
        return {k: _without_observations(v) for k, v in section.items() if k != "observed_at"}
    return section


SECTIONS = ("unified", "rate_limits", "extra_usage", "poll")


def merge_snapshot(old, update, *, source, now):
    """A new snapshot: `old` with the update's windows and sections replaced, stamped with source/time.

    A usage-endpoint update carrying windows is that endpoint's whole report: windows it
    reported before and no longer does (now null or absent) are dropped; header-fed ones stay.
    """
    snapshot = {k: (dict(v) if isinstance(v, dict) else v) for k, v in (old or {}).items()}
    stamp = {"source": source, "observed_at": iso(now)}
    windows = dict(snapshot.get("windows") or {})
    if source == SOURCE_USAGE_ENDPOINT and "windows" in update:
        windows = {k: w for k, w in windows.items()
                   if k in update["windows"] or (w or {}).get("source") != SOURCE_USAGE_ENDPOINT}
    for key, window in (update.get("windows") or {}).items():
        windows[key] = {**window, **stamp}
    if windows or "windows" in snapshot:
        snapshot["windows"] = windows
    for section in SECTIONS:
        if section in update:
            snapshot[section] = {**update[section], **stamp}
    return snapshot


def _oldest_observation(snapshot, update):
    times = []
    for key in (update.get("windows") or {}):
        times.append(((snapshot or {}).get("windows") or {}).get(key, {}).get("observed_at"))
    for section in SECTIONS:
        if section in update:
            times.append(((snapshot or {}).get(section) or {}).get("observed_at"))
    if any(t is None for t in times) or not times:
        return None
    return min(parse_timestamp(t) for t in times)


# account id -> (values of the last header update seen, monotonic time), per process.
_recent_header_updates = {}
register_cache("usage header updates", _recent_header_updates.clear)


def record_usage_update(account_id, update, *, source, now=None):
    """Merge an update into an account's snapshot; True when the stored payload changed.

    Header-fed updates whose values are unchanged are skipped until the stored
    observation is HEADER_REFRESH_SECONDS old, so most proxied responses cost no write.
    """
    if not update:
        return False
    now = now or utcnow()
    if source == SOURCE_HEADERS:
        seen = _recent_header_updates.get(account_id)
        if seen and seen[0] == update and time.monotonic() - seen[1] < HEADER_REFRESH_SECONDS:
            return False
    if source == SOURCE_HEADERS and not _header_update_due(account_id, update, now):
        _recent_header_updates[account_id] = (update, time.monotonic())
        return False
    with write_transaction():
        lock_pool()
        account = db.session.get(PooledAccount, account_id, populate_existing=True)
        if account is None:
            return False
        snapshot = merge_snapshot(account.usage_snapshot, update, source=source, now=now)
        fetched = max(now, account.usage_updated_at) if account.usage_updated_at else now
        changed = snapshot != (account.usage_snapshot or {}) or iso(fetched) != iso(account.usage_updated_at)
        if changed:
            account.usage_snapshot = snapshot
            account.usage_updated_at = fetched
            bump_usage_version()
    if source == SOURCE_HEADERS:
        _recent_header_updates[account_id] = (update, time.monotonic())
    return changed


def _header_update_due(account_id, update, now):
    """Whether a header update changes a value or refreshes an observation gone stale."""
    account = db.session.get(PooledAccount, account_id, populate_existing=True)
    if account is None:
        return False
    old = account.usage_snapshot or {}
    new = merge_snapshot(old, update, source=SOURCE_HEADERS, now=now)
    if _without_observations(new) != _without_observations(old):
        return True
    oldest = _oldest_observation(old, update)
    return oldest is None or (now - oldest).total_seconds() >= HEADER_REFRESH_SECONDS


def record_rate_limit_headers(account_id, headers, *, now=None):
    """Feed one proxied response's rate-limit headers into the account's cache."""
    update = parse_rate_limit_headers(headers)
    return record_usage_update(account_id, update, source=SOURCE_HEADERS, now=now) if update else False


def account_snapshot(account):
    """The usage API's view of one account (no credentials, no time-dependent fields)."""
    snapshot = account.usage_snapshot or {}
    return {
        "id": account.id,
        "label": account.label,
        "kind": account.kind,
        "active": bool(account.is_active),
        "status": account_status(account),
        "status_reason": account.status_reason,
        "rate_limited_until": iso(account.rate_limited_until),
        "fetched_at": iso(account.usage_updated_at),
        "windows": snapshot.get("windows") or {},
        "unified": snapshot.get("unified"),
        "rate_limits": snapshot.get("rate_limits"),
        "extra_usage": snapshot.get("extra_usage"),
        "poll": snapshot.get("poll"),
    }


def pool_snapshot(accounts, version=None):
    """The usage API's payload for the whole pool: version, newest fetch time, accounts.

    Pass the `version` read together with `accounts` (see usage_reports.read_pool_usage);
    without it the current version is read now.
    """
    fetched = [a.usage_updated_at for a in accounts if a.usage_updated_at is not None]
    return {
        "version": current_usage_version() if version is None else version,
        "fetched_at": iso(max(fetched)) if fetched else None,
        "accounts": [account_snapshot(a) for a in accounts],
    }

