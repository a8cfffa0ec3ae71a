"""The one reader of what Anthropic says about a pooled account's usage.

Two sources: the rate-limit headers on proxied responses, and the body of the OAuth usage
endpoint (PROTOCOLS §1.8, §1.9, §2.4). parse_rate_limit_headers() and parse_usage_payload()
turn them into updates for app.services.pool.usage_snapshot; exhausted_window() reads a 429's
unified headers for failover (app.services.pool.failover).

Utilisation is always a percentage (0-100, can exceed 100): header fractions are scaled by
100, endpoint percentages are kept. Times are ISO 8601 UTC with a Z. Windows are keyed
`five_hour`, `seven_day`, and `seven_day_<scope>` for per-model weekly windows.
"""
import math
import re
from datetime import datetime, timedelta, timezone

from app.models.base import utcnow
from app.services.timestamps import epoch_to_iso, iso, iso_from_any

RATE_LIMIT_PREFIXES = ("anthropic-ratelimit-", "anthropic-priority-")
UNIFIED_PREFIX = "anthropic-ratelimit-unified-"
# When a rejected window names no reset time, try the account again after this long.
DEFAULT_COOLDOWN = timedelta(minutes=5)
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
        if not name.startswith(RATE_LIMIT_PREFIXES):
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
                    window["resets_at"] = epoch_to_iso(value)
                elif field == "status":
                    window["status"] = value.strip()
                else:
                    window["surpassed_threshold"] = _number(value)
            elif rest in _UNIFIED_SCALARS:
                key = _UNIFIED_SCALARS[rest]
                if key in ("resets_at", "overage_resets_at"):
                    unified[key] = epoch_to_iso(value)
                elif key == "overage_utilization_percent":
                    unified[key] = _number(value, 100.0)
                elif key in ("fallback_percentage", "remaining"):
                    unified[key] = _number(value)
                else:
                    unified[key] = value.strip()
            continue
        match = _API_LIMIT_RE.match(name)
        if match:
            group = (("priority_" if name.startswith("anthropic-priority-") else "")
                     + match["group"].replace("-", "_"))
            entry = limits.setdefault(group, {})
            if match["field"] == "reset":
                entry["resets_at"] = iso_from_any(value)
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
    window = {"utilization_percent": _number(utilization), "resets_at": iso_from_any(resets_at)}
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


def rate_limit_headers(headers):
    """The rate-limit headers among a response's (name, value) pairs, names lower-cased."""
    return {name.lower(): value for name, value in headers if name.lower().startswith(RATE_LIMIT_PREFIXES)}


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _epoch(value):
    seconds = _float(value)
    if seconds is None or seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def _claim_window(claim):
    """Header window name of a representative claim: five_hour -> 5h, seven_day_opus -> 7d_opus."""
    if claim == "five_hour":
        return "5h"
    if claim == "seven_day_overage_included":
        return "7d_oi"
    if claim == "seven_day" or claim.startswith("seven_day_"):
        return "7d" + claim[len("seven_day"):]
    return None


def exhausted_window(headers, *, now=None):
    """(reason, until) when a 429's unified headers say the window is used up, else None."""
    now = now or utcnow()
    status = (headers.get(UNIFIED_PREFIX + "status") or "").strip().lower()
    claim = (headers.get(UNIFIED_PREFIX + "representative-claim") or "").strip()
    window = _claim_window(claim)
    utilization = _float(headers.get(f"{UNIFIED_PREFIX}{window}-utilization")) if window else None
    window_status = (headers.get(f"{UNIFIED_PREFIX}{window}-status") or "").strip().lower() if window else ""
    if not (status == "rejected" or window_status == "rejected" or (utilization is not None and utilization >= 1)):
        return None
    until = ((_epoch(headers.get(f"{UNIFIED_PREFIX}{window}-reset")) if window else None)
             or _epoch(headers.get(UNIFIED_PREFIX + "reset")))
    if until is None:
        retry_after = _float(headers.get("retry-after"))
        until = now + (timedelta(seconds=retry_after) if retry_after and retry_after > 0 else DEFAULT_COOLDOWN)
    used = f" at {utilization * 100:.0f}%" if utilization is not None else ""
    reason = f"upstream 429: {claim or 'unified'} window exhausted{used}, resets {iso(until)}"
    return reason, until

