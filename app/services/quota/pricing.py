"""What an OpenAI-side request costs: exact integer micro-dollars, one rounding, and the admission estimate.

Prices are micro-dollars per million tokens, so `tokens * price` is an exact integer in
millionths of a micro-dollar. A request's cost sums those exact products for its three kinds
of tokens and rounds up to a whole micro-dollar once, at the end: never a float, never a
per-part rounding.
"""
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

PER_MTOK = 1_000_000
# Reservation estimate (see estimate_cost): a rough byte-per-token figure for the prompt,
# the completion budget assumed when the client sets none, and a ceiling on any budget.
BYTES_PER_TOKEN_ESTIMATE = 4
DEFAULT_COMPLETION_ESTIMATE = 4096
MAX_COMPLETION_ESTIMATE = 131_072
MAX_CHOICES_ESTIMATE = 16


@dataclass(frozen=True)
class Prices:
    """A model's prices in micro-dollars per million tokens; cached falls back to input."""

    input: int
    cached_input: int | None
    output: int

    @property
    def cached(self):
        return self.input if self.cached_input is None else self.cached_input


@dataclass(frozen=True)
class Usage:
    """Tokens of one request; `cached_tokens` is a subset of `prompt_tokens` (PROTOCOLS §4.4)."""

    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0


def _ceil_div(numerator, denominator):
    return -(-numerator // denominator)


def cost_micro_usd(prices, usage):
    """The cost in micro-dollars: uncached prompt at input, cached at cached-input, completion
    at output price, summed exactly and rounded up once."""
    cached = min(max(usage.cached_tokens, 0), max(usage.prompt_tokens, 0))
    uncached = max(usage.prompt_tokens, 0) - cached
    exact = (uncached * prices.input + cached * prices.cached
             + max(usage.completion_tokens, 0) * prices.output)
    return _ceil_div(exact, PER_MTOK)


def estimate_prompt_tokens(body_bytes):
    """A prompt-size estimate from the request body: one token per 4 bytes, rounded up."""
    return _ceil_div(max(body_bytes, 0), BYTES_PER_TOKEN_ESTIMATE)


def _positive_int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def completion_budget(body):
    """The completion tokens a request may produce: max_completion_tokens (or max_tokens),
    else DEFAULT_COMPLETION_ESTIMATE, capped at MAX_COMPLETION_ESTIMATE, times `n` choices."""
    limit = _positive_int(body.get("max_completion_tokens")) or _positive_int(body.get("max_tokens"))
    per_choice = min(limit or DEFAULT_COMPLETION_ESTIMATE, MAX_COMPLETION_ESTIMATE)
    choices = min(_positive_int(body.get("n")) or 1, MAX_CHOICES_ESTIMATE)
    return per_choice * choices


def estimate_cost(prices, body, body_bytes):
    """What admission reserves: the prompt estimate at the input price plus the completion
    budget at the output price, rounded up once."""
    usage = Usage(prompt_tokens=estimate_prompt_tokens(body_bytes), completion_tokens=completion_budget(body))
    return cost_micro_usd(prices, usage)


def hep_tokens_micro(overage_micro_usd, tokens_per_usd):
    """Hep tokens (in millionths) that pay for an overage amount, rounded up."""
    if overage_micro_usd <= 0:
        return 0
    exact = Decimal(overage_micro_usd) * Decimal(tokens_per_usd)
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


def hep_balance_value_micro_usd(balance_micro, tokens_per_usd):
    """How many micro-dollars of overage a hep-token balance pays for (None: unlimited)."""
    rate = Decimal(tokens_per_usd)
    if rate == 0:
        return None
    return int(Decimal(balance_micro) / rate)
