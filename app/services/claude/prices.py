"""What a Claude request would cost at Anthropic's API list prices, from the table in app/data.

Rule (documented in the README): every component is priced exactly with Decimal arithmetic
(input, output, 5-minute cache writes at 1.25x the input price, 1-hour cache writes at 2x,
cache reads at 0.1x, unless the table gives a model its own multipliers), the components
are summed, and the sum is rounded once, half up, to whole micro-dollars. Cache writes
without a 5m/1h split count as 5-minute writes. A model the table does not know costs 0.
"""
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

PRICE_TABLE_PATH = Path(__file__).resolve().parents[2] / "data" / "claude_prices.json"
# A table key also matches the same id with a snapshot date or -latest after it.
_SUFFIX_RE = re.compile(r"^-(?:\d{8}|latest)$")
# Claude Code labels some models with a context marker such as [1m]; the price is the model's.
_MARKER_RE = re.compile(r"\[[^\]]*\]$")


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens and cache multipliers; long-context rates apply above a total input."""

    input: Decimal
    output: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal
    long_context_above: int = 0
    long_input: Decimal = Decimal(0)
    long_output: Decimal = Decimal(0)


def load_price_table(path=PRICE_TABLE_PATH):
    """Read a price table file (prices as decimal strings, never floats) into {model key: ModelPrice}."""
    raw = json.loads(Path(path).read_text())
    defaults = raw["multipliers"]
    models = {}
    for name, entry in raw["models"].items():
        multipliers = {**defaults, **(entry.get("multipliers") or {})}
        long = entry.get("long_context") or {}
        models[name.lower()] = ModelPrice(
            Decimal(entry["input"]), Decimal(entry["output"]), Decimal(multipliers["cache_write_5m"]),
            Decimal(multipliers["cache_write_1h"]), Decimal(multipliers["cache_read"]),
            int(long.get("above_input_tokens", 0)), Decimal(long.get("input", "0")), Decimal(long.get("output", "0")))
    return models


_TABLE = load_price_table()


def lookup_price(table, model):
    """The ModelPrice of a model id in `table`: exact, or a key plus a date/-latest suffix; else None."""
    if not model:
        return None
    name = _MARKER_RE.sub("", model.strip().lower())
    price = table.get(name)
    if price is not None:
        return price
    for key in sorted(table, key=len, reverse=True):
        if name.startswith(key) and _SUFFIX_RE.match(name[len(key):]):
            return table[key]
    return None


@lru_cache(maxsize=256)
def price_for_model(model):
    """The ModelPrice of a model id in the shipped table, or None."""
    return lookup_price(_TABLE, model)


def cost_micro_usd(model, usage, *, table=None):
    """The list-price cost in integer micro-dollars of one request's usage (0 for unknown models)."""
    price = price_for_model(model) if table is None else lookup_price(table, model)
    if price is None:
        return 0
    total_input = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    input_price, output_price = price.input, price.output
    if price.long_context_above and total_input > price.long_context_above:
        input_price, output_price = price.long_input, price.long_output
    one_hour = min(usage.cache_creation_1h_tokens, usage.cache_creation_input_tokens)
    five_minute = usage.cache_creation_input_tokens - one_hour
    # USD per million tokens is exactly micro-dollars per token.
    exact = (usage.input_tokens * input_price
             + usage.output_tokens * output_price
             + five_minute * input_price * price.cache_write_5m
             + one_hour * input_price * price.cache_write_1h
             + usage.cache_read_input_tokens * input_price * price.cache_read)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
