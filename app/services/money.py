"""Money and hep tokens as integers: micro-dollars and micro-tokens, parsed from decimal text."""
from decimal import Decimal, InvalidOperation

MICRO = 1_000_000


def parse_micro(value, *, what="amount"):
    """Parse a non-negative decimal with at most 6 places into millionths ('1.5' -> 1_500_000)."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    if amount < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    micro = amount * MICRO
    if micro != micro.to_integral_value():
        raise ValueError(f"{what} has more than 6 decimal places: {value!r}")
    return int(micro)


def format_micro(micro):
    """Render millionths as a plain decimal string without trailing zeros ('1.5', '0', '0.000001')."""
    text = format(Decimal(micro) / MICRO, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def micro_to_decimal(micro):
    """Millionths as an exact Decimal, for JSON responses that want a number."""
    return Decimal(micro) / MICRO
