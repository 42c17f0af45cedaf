from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallkit.core.money import format_amount, parse_amount, percent_of, quantize


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1.005", "USD", "1.01"),
        ("1.004", "USD", "1.00"),
        ("2.5", "JPY", "3"),
        ("0.0005", "KWD", "0.001"),
        ("-1.005", "USD", "-1.01"),
    ],
)
def test_quantize_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    assert quantize(Decimal(amount), currency) == Decimal(expected)


@pytest.mark.parametrize("value", ["abc", "-1", "1.234", "NaN", "Infinity", "", 1.5])
def test_parse_amount_refuses_bad_input(value):
    with pytest.raises(ValueError):
        parse_amount(value, "USD")


def test_parse_amount_accepts_decimal_strings():
    assert parse_amount(" 129.5 ", "USD") == Decimal("129.50")
    assert format_amount(Decimal("129.5"), "USD") == "129.50"


def test_percent_of_changes_a_price_and_rounds_once():
    assert percent_of(Decimal("19.99"), -15, "USD") == Decimal("16.99")
    assert percent_of(Decimal("10.00"), 10, "USD") == Decimal("11.00")


@given(st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False))
def test_quantize_is_idempotent_and_within_half_a_cent(amount):
    rounded = quantize(amount, "USD")
    assert quantize(rounded, "USD") == rounded
    assert abs(rounded - amount) <= Decimal("0.005")
