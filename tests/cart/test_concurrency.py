"""Parallel requests on one cart: no lost units, no crash on the unique (cart, variant) line."""

import pytest

from mallkit.cart import services
from mallkit.cart.models import CartLine
from tests.concurrency import run_concurrently
from tests.factories import CartFactory, CartLineFactory, sellable_variant

pytestmark = pytest.mark.django_db(transaction=True)


def add_one(cart, sku):
    return services.add_to_cart(cart=cart, sku=sku, quantity=1)


def test_simultaneous_first_adds_of_a_product_make_one_line_with_every_unit():
    variant = sellable_variant(stock=50)
    cart = CartFactory()

    outcomes = run_concurrently(add_one, [(cart, variant.sku)] * 4)

    assert [error for _, error in outcomes] == [None] * 4
    assert list(CartLine.objects.values_list("quantity", flat=True)) == [4]


def test_simultaneous_adds_to_an_existing_line_lose_nothing():
    variant = sellable_variant(stock=50)
    line = CartLineFactory(variant=variant, quantity=2)

    outcomes = run_concurrently(add_one, [(line.cart, variant.sku)] * 4)

    assert [error for _, error in outcomes] == [None] * 4
    line.refresh_from_db()
    assert line.quantity == 6


def test_simultaneous_adds_never_pass_the_stock():
    variant = sellable_variant(stock=3)
    cart = CartFactory()

    outcomes = run_concurrently(add_one, [(cart, variant.sku)] * 5)

    errors = [error for _, error in outcomes if error is not None]
    assert len(errors) == 2
    assert all(isinstance(error, services.NotEnoughStock) for error in errors)
    assert CartLine.objects.get().quantity == 3
