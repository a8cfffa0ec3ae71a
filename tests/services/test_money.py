"""Decimal text to integer millionths and back."""
import pytest

from app.services.money import format_micro, parse_micro


@pytest.mark.parametrize("text,micro", [("0", 0), ("1", 1_000_000), ("12.5", 12_500_000),
                                        ("0.000001", 1), (" 3.25 ", 3_250_000), ("1e2", 100_000_000)])
def test_parse(text, micro):
    assert parse_micro(text) == micro


@pytest.mark.parametrize("text", ["-1", "abc", "", "nan", "inf", "0.0000001", "1,5"])
def test_parse_refuses_what_is_not_an_exact_non_negative_amount(text):
    with pytest.raises(ValueError):
        parse_micro(text)


@pytest.mark.parametrize("micro,text", [(0, "0"), (1, "0.000001"), (12_500_000, "12.5"), (3_000_000, "3")])
def test_format(micro, text):
    assert format_micro(micro) == text
