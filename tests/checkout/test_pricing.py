from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallkit.checkout.pricing import Discount, Item, compute_totals

D = Decimal
prices = st.decimals(min_value=0, max_value=10000, places=2, allow_nan=False, allow_infinity=False)
rates = st.sampled_from([D("0"), D("5"), D("7.25"), D("13"), D("20")])
items = st.lists(
    st.builds(
        Item,
        key=st.integers(),
        unit_price=prices,
        quantity=st.integers(min_value=1, max_value=99),
        tax_rate=rates,
    ),
    min_size=1,
    max_size=8,
)
discounts = st.one_of(
    st.none(),
    st.builds(
        Discount,
        kind=st.just("percentage"),
        value=st.decimals(min_value=0, max_value=100, places=2),
    ),
    st.builds(
        Discount, kind=st.just("fixed"), value=st.decimals(min_value=0, max_value=5000, places=2)
    ),
)


def cents(value):
    return value == value.quantize(D("0.01"))


@settings(max_examples=300)
@given(
    items=items,
    discount=discounts,
    included=st.booleans(),
    shipping=prices,
    free_above=st.one_of(st.none(), prices),
    shipping_rate=rates,
)
def test_totals_add_up_are_exact_and_never_negative(
    items, discount, included, shipping, free_above, shipping_rate
):
    totals = compute_totals(
        items=items,
        currency="USD",
        prices_include_tax=included,
        discount=discount,
        shipping_price=shipping,
        shipping_free_above=free_above,
        shipping_tax_rate=shipping_rate,
    )

    for value in (totals.subtotal, totals.discount, totals.shipping, totals.tax, totals.total):
        assert value >= 0
        assert cents(value)
    assert totals.discount <= totals.subtotal
    assert sum(line.amount for line in totals.lines) == totals.subtotal
    assert sum(line.discount for line in totals.lines) == totals.discount
    for line in totals.lines:
        assert 0 <= line.discount <= line.amount
        assert line.tax >= 0 and cents(line.tax) and cents(line.total)
    goods = totals.subtotal - totals.discount
    if included:
        assert totals.total == goods + totals.shipping
        assert totals.tax <= totals.total
    else:
        assert totals.total == goods + totals.shipping + totals.tax


def test_worked_example_with_tax_added_voucher_and_free_shipping():
    totals = compute_totals(
        items=[Item("a", D("19.99"), 3, D("20")), Item("b", D("5.00"), 1, D("5"))],
        currency="USD",
        prices_include_tax=False,
        discount=Discount("percentage", D("10")),
        shipping_price=D("4.90"),
        shipping_free_above=D("50.00"),
        shipping_tax_rate=D("20"),
    )
    # goods 59.97 + 5.00 = 64.97; 10 % = 6.50 shared 6.00 / 0.50
    assert totals.subtotal == D("64.97")
    assert totals.discount == D("6.50")
    assert [line.discount for line in totals.lines] == [D("6.00"), D("0.50")]
    # tax per line: (59.97 - 6.00) × 20 % = 10.794 → 10.79; (5.00 - 0.50) × 5 % = 0.225 → 0.23
    assert [line.tax for line in totals.lines] == [D("10.79"), D("0.23")]
    assert totals.shipping == D("0.00")  # 58.47 after discount ≥ 50
    assert totals.tax == D("11.02")
    assert totals.total == D("69.49")


def test_prices_including_tax_extract_the_tax_part():
    totals = compute_totals(
        items=[Item("a", D("12.00"), 1, D("20"))],
        currency="USD",
        prices_include_tax=True,
        shipping_price=D("6.00"),
        shipping_tax_rate=D("20"),
    )
    assert totals.tax == D("3.00")  # 2.00 in the goods, 1.00 in the shipping
    assert totals.total == D("18.00")


@pytest.mark.parametrize(("value", "expected"), [(D("15"), D("10.00")), (D("3.333"), D("3.33"))])
def test_fixed_discount_never_exceeds_goods(value, expected):
    totals = compute_totals(
        items=[Item("a", D("10.00"), 1)],
        currency="USD",
        prices_include_tax=False,
        discount=Discount("fixed", value),
    )
    assert totals.discount == expected
    assert totals.total == D("10.00") - expected


def test_zero_decimal_currency_rounds_to_whole_units():
    totals = compute_totals(
        items=[Item("a", D("1000"), 3, D("8"))],
        currency="JPY",
        prices_include_tax=False,
        discount=Discount("percentage", D("33")),
    )
    assert totals.discount == D("990")
    assert totals.tax == D("161")  # 2010 × 8 % = 160.8
    assert totals.total == D("2171")
