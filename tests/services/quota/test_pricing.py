"""Cost in integer micro-dollars with one rounding, the admission estimate, hep-token conversion."""
from decimal import Decimal

from app.services.quota.pricing import (DEFAULT_COMPLETION_ESTIMATE, MAX_COMPLETION_ESTIMATE, Prices, Usage,
    completion_budget, cost_micro_usd, estimate_cost, estimate_prompt_tokens, hep_balance_value_micro_usd,
    hep_tokens_micro)

PRICES = Prices(input=100_000, cached_input=25_000, output=400_000)  # $0.10 / $0.025 / $0.40 per Mtok


def test_cost_sums_exact_products_and_rounds_up_once():
    assert cost_micro_usd(PRICES, Usage()) == 0
    assert cost_micro_usd(PRICES, Usage(prompt_tokens=10)) == 1            # exactly 1
    assert cost_micro_usd(PRICES, Usage(prompt_tokens=1)) == 1             # 0.1 rounds up
    # 0.1 + 0.4 = 0.5 -> 1 (rounding each part first would give 2)
    assert cost_micro_usd(PRICES, Usage(prompt_tokens=1, completion_tokens=1)) == 1
    # 400 uncached + 600 cached + 10 completion = 40 + 15 + 4
    assert cost_micro_usd(PRICES, Usage(prompt_tokens=1000, cached_tokens=600, completion_tokens=10)) == 59


def test_cached_tokens_fall_back_to_the_input_price_and_never_exceed_the_prompt():
    no_cached_price = Prices(input=100_000, cached_input=None, output=400_000)
    assert cost_micro_usd(no_cached_price, Usage(prompt_tokens=1000, cached_tokens=600)) == 100
    assert cost_micro_usd(PRICES, Usage(prompt_tokens=10, cached_tokens=50)) == cost_micro_usd(
        PRICES, Usage(prompt_tokens=10, cached_tokens=10))


def test_large_requests_stay_exact():
    big = Prices(input=15_000_000, cached_input=None, output=75_000_000)  # $15 / $75 per Mtok
    assert cost_micro_usd(big, Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000)) == 90_000_000


def test_the_completion_budget_comes_from_the_request_with_a_bounded_default():
    assert completion_budget({}) == DEFAULT_COMPLETION_ESTIMATE
    assert completion_budget({"max_tokens": 100}) == 100
    assert completion_budget({"max_tokens": 100, "max_completion_tokens": 50}) == 50
    assert completion_budget({"max_tokens": 100, "n": 3}) == 300
    assert completion_budget({"max_tokens": 10**9}) == MAX_COMPLETION_ESTIMATE
    assert completion_budget({"max_tokens": True, "n": "2"}) == DEFAULT_COMPLETION_ESTIMATE
    assert completion_budget({"max_tokens": -5}) == DEFAULT_COMPLETION_ESTIMATE


def test_the_estimate_prices_the_prompt_size_and_the_budget():
    assert estimate_prompt_tokens(0) == 0
    assert estimate_prompt_tokens(9) == 3
    # 400 bytes -> 100 tokens at $0.10 (10) + 50 tokens at $0.40 (20)
    assert estimate_cost(PRICES, {"max_tokens": 50}, 400) == 30


def test_hep_tokens_pay_overage_at_the_configured_rate_rounded_up():
    assert hep_tokens_micro(0, Decimal("100")) == 0
    assert hep_tokens_micro(1, Decimal("100")) == 100
    assert hep_tokens_micro(3, Decimal("0.5")) == 2  # 1.5 rounds up
    assert hep_balance_value_micro_usd(1_000_000, Decimal("100")) == 10_000
    assert hep_balance_value_micro_usd(5, Decimal("0")) is None
