"""Readable text output: aligned tables, percentages, money and times."""
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def format_table(headers, rows):
    """Left-aligned columns separated by two spaces; no trailing spaces."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def parse_time(text):
    """An ISO 8601 timestamp (as the server writes it, with Z) as an aware UTC datetime, or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def format_time(text):
    """'2025-11-25 22:00 UTC', or '-' for none."""
    value = parse_time(text)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def format_until(text, now=None):
    """How long until a reset: 'in 45m', 'in 3h 05m', 'in 2d 04h'; 'passed' or '-'."""
    value = parse_time(text)
    if value is None:
        return "-"
    seconds = int((value - (now or datetime.now(timezone.utc))).total_seconds())
    if seconds <= 0:
        return "passed"
    minutes = (seconds + 59) // 60
    if minutes < 60:
        return f"in {minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"in {hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"in {days}d {hours:02d}h"


def format_percent(value):
    """42 -> '42%', 42.25 -> '42.3%', None -> '-'."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "-"
    return f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%"


def format_usd(text):
    """'1.234567' -> '$1.23'; a non-zero amount under a cent is '<$0.01'."""
    try:
        amount = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return "-"
    if 0 < amount < Decimal("0.01"):
        return "<$0.01"
    return "$" + str(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def format_count(value):
    """12345 -> '12,345'."""
    return f"{value:,}" if isinstance(value, int) else "-"
