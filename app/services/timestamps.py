"""Timestamps as the APIs show them: naive UTC datetimes written as ISO 8601 with a Z, and back."""
import math
import re
from datetime import datetime, timezone


def iso(value):
    """A naive-UTC datetime as ISO 8601 with a Z (None stays None)."""
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + "Z"


def epoch_to_iso(raw):
    """Epoch seconds (a number or its text) as ISO 8601 with a Z; None when unreadable or not positive."""
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
        text = epoch_to_iso(raw)
        return datetime.fromisoformat(text[:-1]) if text else None
    try:
        parsed = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def iso_from_any(raw):
    """Any timestamp parse_timestamp() reads, as ISO 8601 with a Z."""
    return iso(parse_timestamp(raw))

