"""The pool's cached usage: one normalised snapshot per account, fed from two sources.

Sources: the rate-limit headers on proxied responses ("headers") and Anthropic's OAuth
usage endpoint ("usage_endpoint"). Whatever the source, a window is stored as

    {"utilization_percent": 42.0, "resets_at": "2025-11-25T22:00:00Z",
     "status": "allowed" | None, "source": "headers", "observed_at": "...Z"}

Utilisation is always a percentage (0-100, can exceed 100): header fractions are scaled
by 100, endpoint percentages are kept. Times are ISO 8601 UTC with a Z. Windows are keyed
`five_hour`, `seven_day`, and `seven_day_<scope>` for per-model weekly windows. A `poll`
section records the refresher's last attempt at the usage endpoint (app.services.usage_refresher).

Every write that changes what account_snapshot() shows bumps the pool's usage version in the
same transaction, and a write that would change nothing visible is skipped, so the usage
API's `version` changes exactly when its payload does.
"""
import math
import re
import time
from datetime import datetime, timezone

from app.extensions import db
from app.models import PooledAccount
from app.models.base import utcnow
from app.services.db import write_transaction
from app.services.pool import account_status, bump_usage_version, current_usage_version, lock_pool

SOURCE_HEADERS = "headers"
SOURCE_USAGE_ENDPOINT = "usage_endpoint"

# A header-fed observation whose values did not change is rewritten at most this often,
# so proxied traffic costs no database write per request yet freshness stays known.
HEADER_REFRESH_SECONDS = 60

UNIFIED_PREFIX = "anthropic-ratelimit-unified-"
_UNIFIED_WINDOW_RE = re.compile(
    r"^(?P<window>\d+[hd](?:_[a-z0-9_]+)?)-(?P<field>status|utilization|reset|surpassed-threshold)$")
_API_LIMIT_RE = re.compile(
    r"^anthropic-(?:ratelimit|priority)-(?P<group>requests|tokens|input-tokens|output-tokens)"
    r"-(?P<field>limit|remaining|reset)$")
_UNIFIED_SCALARS = {
    "status": "status", "reset": "resets_at", "remaining": "remaining",
    "representative-claim": "representative_claim", "fallback-percentage": "fallback_percentage",
    "overage-status": "overage_status", "overage-disabled-reason": "overage_disabled_reason",
    "overage-in-use": "overage_in_use", "overage-utilization": "overage_utilization_percent",
    "overage-reset": "overage_resets_at",
}
_WINDOW_NAMES = {"5h": "five_hour", "7d": "seven_day"}
_LIMIT_KINDS = {"session": "five_hour", "weekly_all": "seven_day"}


def iso(value):
    """A naive-UTC datetime as ISO 8601 with a Z (None stays None)."""
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + "Z"


def _epoch_to_iso(raw):
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return iso(datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None))


def parse_timestamp(raw):
    """An ISO 8601 / RFC 3339 string or epoch seconds as naive UTC; None when unreadable."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, (int, float)) or re.fullmatch(r"\d+(\.\d+)?", str(raw)):
        text = _epoch_to_iso(raw)
        return datetime.fromisoformat(text[:-1]) if text else None
    try:
        parsed = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _iso_from_any(raw):
    return iso(parse_timestamp(raw))


def _number(raw, scale=1.0):
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value):
        return None
    return round(value * scale, 4)


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def _window_key(header_window):
    if header_window in _WINDOW_NAMES:
        return _WINDOW_NAMES[header_window]
    base, _, scope = header_window.partition("_")
    name = _WINDOW_NAMES.get(base, f"window_{base}")
    return f"{name}_{scope}" if scope else name


def parse_rate_limit_headers(headers):
    """Read the unified (subscription) and API-key rate-limit headers of one response.

    Returns an update for merge_snapshot(), or None when the response carried none.
    """
    windows, unified, limits = {}, {}, {}
    for name, value in headers.items():
        name = name.lower()
        if not name.startswith(("anthropic-ratelimit-", "anthropic-priority-")):
            continue
        if name.startswith(UNIFIED_PREFIX):
            rest = name[len(UNIFIED_PREFIX):]
            match = _UNIFIED_WINDOW_RE.match(rest)
            if match:
                window = windows.setdefault(_window_key(match["window"]), {})
                field = match["field"]
                if field == "utilization":
                    window["utilization_percent"] = _number(value, 100.0)
                elif field == "reset":
                    window["resets_at"] = _epoch_to_iso(value)
                elif field == "status":
                    window["status"] = value.strip()
                else:
                    window["surpassed_threshold"] = _number(value)
            elif rest in _UNIFIED_SCALARS:
                key = _UNIFIED_SCALARS[rest]
                if key in ("resets_at", "overage_resets_at"):
                    unified[key] = _epoch_to_iso(value)
                elif key == "overage_utilization_percent":
                    unified[key] = _number(value, 100.0)
                elif key in ("fallback_percentage", "remaining"):
                    unified[key] = _number(value)
                else:
                    unified[key] = value.strip()
            continue
        match = _API_LIMIT_RE.match(name)
        if match:
            group = ("priority_" if name.startswith("anthropic-priority-") else "") + \
                match["group"].replace("-", "_")
            entry = limits.setdefault(group, {})
            if match["field"] == "reset":
                entry["resets_at"] = _iso_from_any(value)
            else:
                number = _number(value)
                entry[match["field"]] = int(number) if number is not None else None
    update = {}
    if windows:
        update["windows"] = windows
    if unified:
        update["unified"] = unified
    if limits:
        update["rate_limits"] = limits
    return update or None


def _endpoint_window(utilization, resets_at, **extra):
    window = {"utilization_percent": _number(utilization), "resets_at": _iso_from_any(resets_at)}
    window.update({k: v for k, v in extra.items() if v is not None})
    return window


def parse_usage_payload(payload):
    """Read the OAuth usage endpoint's body: the flat window shape and the newer `limits[]`."""
    if not isinstance(payload, dict):
        raise ValueError("usage payload is not a JSON object")
    windows = {}
    for key, value in payload.items():
        if isinstance(value, dict) and "utilization" in value and key != "extra_usage":
            windows[_slug(key)] = _endpoint_window(value.get("utilization"), value.get("resets_at"))
    for limit in payload.get("limits") or []:
        if not isinstance(limit, dict):
            continue
        kind = str(limit.get("kind") or "")
        if kind in _LIMIT_KINDS:
            key = _LIMIT_KINDS[kind]
        else:
            scope = limit.get("scope") if isinstance(limit.get("scope"), dict) else {}
            model = scope.get("model") if isinstance(scope.get("model"), dict) else {}
            label = model.get("display_name") or model.get("id") or limit.get("group") or kind
            prefix = "seven_day" if kind.startswith("weekly") else _slug(kind) or "limit"
            key = f"{prefix}_{_slug(label)}" if label and label != kind else prefix
        windows[key] = _endpoint_window(
            limit.get("percent"), limit.get("resets_at"),
            severity=limit.get("severity"), active=limit.get("is_active"))
    update = {"windows": windows}
    extra = payload.get("extra_usage")
    if isinstance(extra, dict):
        update["extra_usage"] = {k: v for k, v in extra.items()
                                 if isinstance(v, (str, int, float, bool)) or v is None}
    return update


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
