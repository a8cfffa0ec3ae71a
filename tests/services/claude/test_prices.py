"""The Claude price table and the one rounding rule."""
from decimal import Decimal

from app.services.claude.metering import Usage
from app.services.claude.prices import cost_micro_usd, load_price_table, price_for_model


def usage(**counts):
    result = Usage()
    for name, value in counts.items():
        setattr(result, name, value)
    return result


def test_models_match_exactly_or_with_a_snapshot_suffix():
    assert price_for_model("claude-sonnet-4-5").input == Decimal("3")
    assert price_for_model("claude-sonnet-4-5-20250929").output == Decimal("15")
    assert price_for_model("claude-opus-4-5-20251101").input == Decimal("5")
    assert price_for_model("claude-opus-4-1-20250805").input == Decimal("15")
    assert price_for_model("claude-3-5-haiku-latest").input == Decimal("0.8")
    assert price_for_model("CLAUDE-HAIKU-4-5-20251001").input == Decimal("1")
    assert price_for_model("claude-opus-5-5").input == Decimal("4")
    assert price_for_model("claude-opus-5").input == Decimal("5")
    assert price_for_model("claude-sonnet-5[1m]").output == Decimal("10")


def test_unknown_models_have_no_price_and_cost_nothing():
    # A newer opus must not be billed at an older opus's price just because the prefix matches.
    for model in ("claude-opus-4-9", "claude-opus-5-7", "claude-sonnet-4-5-experimental", "gpt-4o", "", None):
        assert price_for_model(model) is None
        assert cost_micro_usd(model, usage(input_tokens=1000, output_tokens=1000)) == 0


def test_each_component_is_priced_from_the_table():
    model = "claude-sonnet-4-5-20250929"  # $3 in, $15 out per million tokens
    assert cost_micro_usd(model, usage(input_tokens=100_000)) == 300_000
    assert cost_micro_usd(model, usage(output_tokens=100_000)) == 1_500_000
    assert (cost_micro_usd(model, usage(cache_creation_input_tokens=100_000, cache_creation_5m_tokens=100_000))
            == 375_000)
    assert (cost_micro_usd(model, usage(cache_creation_input_tokens=100_000, cache_creation_1h_tokens=100_000))
            == 600_000)
    assert cost_micro_usd(model, usage(cache_read_input_tokens=100_000)) == 30_000


def test_cache_writes_without_a_ttl_split_count_as_five_minute_writes():
    model = "claude-haiku-4-5"
    assert cost_micro_usd(model, usage(cache_creation_input_tokens=800)) == 1000
    assert cost_micro_usd(model, usage(cache_creation_input_tokens=800, cache_creation_1h_tokens=200)) == 750 + 400


def test_long_context_rates_apply_above_the_threshold_of_total_input():
    model = "claude-sonnet-4-5"
    at_threshold = usage(input_tokens=100_000, cache_read_input_tokens=100_000, output_tokens=1000)
    assert cost_micro_usd(model, at_threshold) == 100_000 * 3 + 100_000 * 3 * Decimal("0.1") + 1000 * 15
    above = usage(input_tokens=100_001, cache_read_input_tokens=100_000, output_tokens=1000)
    assert cost_micro_usd(model, above) == 100_001 * 6 + 100_000 * 6 * Decimal("0.1") + 1000 * Decimal("22.5")
    # Models without a long-context rate keep their price.
    assert cost_micro_usd("claude-opus-5", usage(input_tokens=300_000)) == 1_500_000


def test_a_model_may_carry_its_own_cache_multipliers():
    assert cost_micro_usd("claude-fable-5-1", usage(cache_read_input_tokens=1000)) == 250  # 0.025x of $10
    assert cost_micro_usd("claude-fable-5", usage(cache_read_input_tokens=1000)) == 1000  # the default 0.1x
    assert cost_micro_usd("claude-opus-5-5", usage(cache_read_input_tokens=1000, cache_creation_input_tokens=1000,
                                                   cache_creation_1h_tokens=1000)) == 200 + 8000


def test_tiered_models_price_the_whole_request_at_the_higher_tier():
    assert cost_micro_usd("claude-haiku-5-5", usage(input_tokens=100_000, output_tokens=1000)) == 10_000 + 500
    assert cost_micro_usd("claude-haiku-5-5", usage(input_tokens=100_001, output_tokens=1000)) == 50_001 + 2500


def test_the_exact_sum_is_rounded_once_half_up():
    model = "claude-3-haiku-20240307"  # $0.25 in, $1.25 out: fractions of a micro-dollar per token
    assert cost_micro_usd(model, usage(input_tokens=1)) == 0  # 0.25
    assert cost_micro_usd(model, usage(input_tokens=2)) == 1  # 0.5 rounds up
    assert cost_micro_usd(model, usage(input_tokens=1, output_tokens=1)) == 2  # 1.5, not 0 + 1
    assert cost_micro_usd(model, usage(cache_read_input_tokens=20)) == 1  # 0.5
    assert isinstance(cost_micro_usd(model, usage(output_tokens=3)), int)


def test_the_shipped_table_loads_with_decimal_prices(tmp_path):
    table = load_price_table()
    assert all(isinstance(p.input, Decimal) and p.input > 0 and isinstance(p.cache_read, Decimal)
               for p in table.values())
    custom = tmp_path / "prices.json"
    custom.write_text('{"multipliers": {"cache_write_5m": "1.25", "cache_write_1h": "2", "cache_read": "0.1"},'
                      ' "models": {"claude-test": {"input": "2", "output": "4"}}}')
    assert cost_micro_usd("claude-test-20990101", usage(input_tokens=10, output_tokens=10),
                          table=load_price_table(custom)) == 60
