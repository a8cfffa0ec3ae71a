"""Jinja filters for the dashboard pages: money, hep tokens, counts and times."""
from decimal import Decimal

from app.services.money import MICRO, format_micro


def usd(micro):
    """Micro-dollars for people: "$1,234.50", with more places only when they are not zero."""
    if micro is None:
        return "—"
    amount = Decimal(micro) / MICRO
    places = max(2, len(format_micro(micro).partition(".")[2]))
    return f"${amount:,.{places}f}"


def hep(micro):
    """Hep tokens (stored in millionths) as a plain decimal with thousands separators."""
    whole, _, fraction = format_micro(micro or 0).partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def count(value):
    """An integer with thousands separators."""
    return f"{int(value or 0):,}"


def when(moment):
    """A naive-UTC datetime as "2026-11-25 14:03 UTC" ("never" when missing)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def decimal_text(micro):
    """Millionths as a plain decimal string for form inputs ("" when missing)."""
    return "" if micro is None else format_micro(micro)


def init_app(app):
    """Register the filters on the app's Jinja environment."""
    for name, func in (("usd", usd), ("hep", hep), ("count", count), ("when", when),
                       ("decimal_text", decimal_text)):
        app.add_template_filter(func, name)
