from decimal import Decimal

import pytest
from django.contrib.sessions.backends.db import SessionStore

from mallkit.cart import selectors, services
from mallkit.catalog.models import Product
from tests.factories import (
    CartFactory,
    CartLineFactory,
    OptionValueFactory,
    ProductImageFactory,
    UserFactory,
    sellable_variant,
)

pytestmark = pytest.mark.django_db


def test_summary_of_no_cart_is_empty_without_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        summary = selectors.cart_summary(cart=None)
    assert summary.is_empty
    assert (summary.subtotal, summary.item_count, summary.currency) == (Decimal("0"), 0, "USD")


def test_summary_totals_and_warnings():
    cart = CartFactory()
    fine = CartLineFactory(cart=cart, variant=sellable_variant(price="19.99", stock=10), quantity=3)
    short = CartLineFactory(cart=cart, variant=sellable_variant(price="5.00", stock=2), quantity=5)
    gone = CartLineFactory(
        cart=cart,
        variant=sellable_variant(price="1.00", status=Product.Status.ARCHIVED),
        quantity=1,
    )
    soon = CartLineFactory(
        cart=cart,
        variant=sellable_variant(price="2.00", status=Product.Status.COMING_SOON),
        quantity=1,
    )
    empty = CartLineFactory(cart=cart, variant=sellable_variant(price="3.00", stock=0), quantity=1)

    summary = selectors.cart_summary(cart=cart)

    by_line = {line.id: line for line in summary.lines}
    assert [line.id for line in summary.lines] == [fine.pk, short.pk, gone.pk, soon.pk, empty.pk]
    assert by_line[fine.pk].line_total == Decimal("59.97")
    assert by_line[fine.pk].warnings == []
    assert [(w.code, w.message) for w in by_line[short.pk].warnings] == [
        ("short_stock", "Only 2 are available.")
    ]
    assert [w.code for w in by_line[gone.pk].warnings] == ["not_sold"]
    assert [w.code for w in by_line[soon.pk].warnings] == ["coming_soon"]
    assert [w.code for w in by_line[empty.pk].warnings] == ["out_of_stock"]
    assert summary.subtotal == Decimal("59.97") + Decimal("25.00") + Decimal("6.00")
    assert summary.item_count == 11
    assert not summary.can_check_out


def test_summary_uses_a_fixed_number_of_queries(django_assert_num_queries):
    cart = CartFactory()
    red = OptionValueFactory(value="Red")
    for _ in range(3):
        variant = sellable_variant()
        variant.option_values.add(red)
        ProductImageFactory(product=variant.product)
        CartLineFactory(cart=cart, variant=variant)

    with django_assert_num_queries(3):
        summary = selectors.cart_summary(cart=cart)
        labels = [(line.variant.label, line.image.alt, line.product.name) for line in summary.lines]

    assert [label for label, _, _ in labels] == ["Red"] * 3
    for _ in range(5):
        CartLineFactory(cart=cart, variant=sellable_variant())
    with django_assert_num_queries(3):
        assert len(selectors.cart_summary(cart=cart).lines) == 8


def test_summary_with_snapshots_reads_only_prices_and_stock_when_they_are_cached(
    settings, django_assert_num_queries
):
    cart = CartFactory()
    red = OptionValueFactory(value="Red")
    for index in range(3):
        variant = sellable_variant(name=f"Lamp {index}", price="4.00", stock=index)
        variant.option_values.add(red)
        ProductImageFactory(product=variant.product)
        CartLineFactory(cart=cart, variant=variant, quantity=2)

    # Lines with prices and stock; then, uncached, variants, option values and pictures.
    with django_assert_num_queries(4):
        summary = selectors.cart_summary(cart=cart, snapshots=True)
    settings.MALLKIT_PAGE_CACHE_SECONDS = 300
    selectors.cart_summary(cart=cart, snapshots=True)
    with django_assert_num_queries(1):
        cached = selectors.cart_summary(cart=cart, snapshots=True)
        described = [
            (line.sku, line.snapshot.product_name, line.snapshot.label, line.max_quantity)
            for line in cached.lines
        ]

    pages = selectors.cart_summary(cart=cart)
    assert described == [
        (line.sku, line.product.name, line.variant.label, line.max_quantity) for line in pages.lines
    ]
    assert [line.snapshot.image for line in cached.lines] == [
        line.image.image.name for line in pages.lines
    ]
    for other in (summary, cached):
        assert [line.id for line in other.lines] == [line.id for line in pages.lines]
        assert [line.warnings for line in other.lines] == [line.warnings for line in pages.lines]
        assert (other.subtotal, other.item_count) == (pages.subtotal, pages.item_count)
    assert [w.code for line in pages.lines for w in line.warnings] == [
        "out_of_stock",
        "short_stock",
    ]


def test_current_cart_and_item_count_for_members_and_anonymous_shoppers():
    user = UserFactory()
    member_cart = CartFactory(user=user)
    CartLineFactory(cart=member_cart, variant=sellable_variant(), quantity=2)
    CartLineFactory(cart=member_cart, variant=sellable_variant(), quantity=3)
    session = SessionStore()
    anonymous = services.get_or_create_cart(session=session)
    CartLineFactory(cart=anonymous, variant=sellable_variant(), quantity=4)

    assert selectors.current_cart(user=user, session=session) == member_cart
    assert selectors.cart_for_user(user=user) == member_cart
    assert selectors.current_cart(session=session) == anonymous
    assert selectors.current_cart(session=SessionStore()) is None
    assert selectors.cart_item_count(user=user) == 5
    assert selectors.cart_item_count(session=session) == 4
    assert selectors.cart_item_count(session=SessionStore()) == 0


def test_a_members_cart_items_come_in_one_query(django_assert_num_queries):
    member, other = UserFactory(), UserFactory()
    cart = CartFactory(user=member)
    first = CartLineFactory(cart=cart, variant=sellable_variant(), quantity=2)
    second = CartLineFactory(cart=cart, variant=sellable_variant(), quantity=5)
    CartLineFactory(cart=CartFactory(user=other), variant=sellable_variant(), quantity=9)

    with django_assert_num_queries(1):
        found, items = selectors.member_cart_items(user=member)
    assert found.pk == cart.pk
    assert items == {first.variant_id: 2, second.variant_id: 5}
    # No lines (an empty cart, or none at all): nothing to order.
    assert selectors.member_cart_items(user=UserFactory()) == (None, {})
    CartFactory(user=(empty := UserFactory()))
    assert selectors.member_cart_items(user=empty) == (None, {})


def test_cart_items_is_the_basket_checkout_prices():
    cart = CartFactory()
    first = CartLineFactory(cart=cart, variant=sellable_variant(), quantity=2)
    second = CartLineFactory(cart=cart, variant=sellable_variant(), quantity=5)
    CartLineFactory(variant=sellable_variant(), quantity=9)  # another cart

    assert selectors.cart_items(cart=cart) == {first.variant_id: 2, second.variant_id: 5}
    assert selectors.cart_items(cart=None) == {}
