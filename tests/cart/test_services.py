from decimal import Decimal

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mallkit.cart import services
from mallkit.cart.models import Cart, CartLine
from mallkit.catalog.models import Product
from mallkit.core.errors import DomainError, NotFound
from tests.factories import (
    CartFactory,
    CartLineFactory,
    UserFactory,
    VariantFactory,
    sellable_variant,
)

pytestmark = pytest.mark.django_db


def quantities(cart):
    return dict(CartLine.objects.filter(cart=cart).values_list("variant__sku", "quantity"))


# Quantities -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [(1, 1), (99, 99), ("3", 3), (" 7 ", 7)])
def test_parse_quantity_accepts_whole_numbers_in_range(value, expected):
    assert services.parse_quantity(value) == expected


@pytest.mark.parametrize(
    "value", [0, -1, 10**9, 1.5, "x", True, False, 2.0, "1.5", "-1", "", None, 100, "١", [1]]
)
def test_parse_quantity_refuses_everything_else(value):
    with pytest.raises(services.InvalidQuantity) as error:
        services.parse_quantity(value)
    assert error.value.code == "invalid_quantity"
    assert error.value.errors == {"quantity": ["Enter a whole number from 1 to 99."]}


def test_parse_quantity_follows_the_setting(settings):
    settings.MALLKIT_MAX_LINE_QUANTITY = 5
    assert services.parse_quantity(5) == 5
    with pytest.raises(services.InvalidQuantity, match="from 1 to 5"):
        services.parse_quantity(6)


@pytest.mark.parametrize("value", [0, -1, 10**9, 1.5, "x", True])
def test_add_to_cart_refuses_bad_quantities_and_changes_nothing(value):
    variant = sellable_variant()
    cart = CartFactory()
    with pytest.raises(services.InvalidQuantity):
        services.add_to_cart(cart=cart, sku=variant.sku, quantity=value)
    assert not CartLine.objects.exists()


# Adding ---------------------------------------------------------------------------------------


def test_add_to_cart_creates_a_line_then_adds_to_it():
    variant = sellable_variant(stock=10)
    cart = CartFactory()

    first = services.add_to_cart(cart=cart, sku=variant.sku, quantity=2)
    second = services.add_to_cart(cart=cart, sku=variant.sku, quantity="3")

    assert first.pk == second.pk
    assert quantities(cart) == {variant.sku: 5}


def test_add_to_cart_refuses_more_than_the_stock_and_says_how_many():
    variant = sellable_variant(stock=4)
    cart = CartFactory()
    services.add_to_cart(cart=cart, sku=variant.sku, quantity=3)

    with pytest.raises(services.NotEnoughStock) as error:
        services.add_to_cart(cart=cart, sku=variant.sku, quantity=2)

    assert error.value.code == "insufficient_stock"
    assert error.value.available == 4
    assert error.value.message == "Only 4 are available. Your cart already holds 3."
    assert quantities(cart) == {variant.sku: 3}


def test_add_to_cart_refuses_an_out_of_stock_variant():
    variant = sellable_variant(stock=0)
    cart = CartFactory()
    with pytest.raises(services.NotEnoughStock, match="out of stock"):
        services.add_to_cart(cart=cart, sku=variant.sku, quantity=1)
    assert not CartLine.objects.exists()


def test_add_to_cart_caps_a_line_at_the_per_line_maximum(settings):
    settings.MALLKIT_MAX_LINE_QUANTITY = 5
    variant = sellable_variant(stock=50)
    cart = CartFactory()
    services.add_to_cart(cart=cart, sku=variant.sku, quantity=4)

    with pytest.raises(services.InvalidQuantity, match="at most 5 of one item"):
        services.add_to_cart(cart=cart, sku=variant.sku, quantity=2)

    assert quantities(cart) == {variant.sku: 4}


@pytest.mark.parametrize(
    "status, code, message",
    [
        (Product.Status.COMING_SOON, "not_available", "coming soon"),
        (Product.Status.ARCHIVED, "not_available", "no longer sold"),
        (Product.Status.DRAFT, "unknown_sku", "No product has this SKU"),
    ],
)
def test_add_to_cart_refuses_products_not_on_sale(status, code, message):
    variant = sellable_variant(status=status)
    cart = CartFactory()
    with pytest.raises(DomainError) as error:
        services.add_to_cart(cart=cart, sku=variant.sku, quantity=1)
    assert error.value.code == code
    assert message in error.value.message
    assert not CartLine.objects.exists()


def test_add_to_cart_refuses_a_product_not_yet_published():
    variant = sellable_variant(published_at=timezone.now() + timezone.timedelta(days=2))
    with pytest.raises(services.UnknownSku):
        services.add_to_cart(cart=CartFactory(), sku=variant.sku, quantity=1)


@pytest.mark.parametrize("sku", ["NOPE", "", None, 12])
def test_add_to_cart_refuses_unknown_skus(sku):
    with pytest.raises(services.UnknownSku) as error:
        services.add_to_cart(cart=CartFactory(), sku=sku, quantity=1)
    assert error.value.errors == {"sku": ["No product has this SKU."]}


def test_cart_is_disabled_in_showcase_mode(settings):
    settings.MALLKIT_MODE = "showcase"
    variant = sellable_variant()
    cart = CartFactory()
    line = CartLineFactory(cart=cart, variant=variant)
    with pytest.raises(services.CartDisabled) as error:
        services.add_to_cart(cart=cart, sku=variant.sku, quantity=1)
    assert error.value.status == 404
    with pytest.raises(services.CartDisabled):
        services.set_line_quantity(cart=cart, line_id=line.pk, quantity=2)
    with pytest.raises(services.CartDisabled):
        services.remove_line(cart=cart, line_id=line.pk)
    assert quantities(cart) == {variant.sku: 1}


def test_add_to_cart_refuses_a_variant_without_a_stock_level():
    variant = VariantFactory()
    with pytest.raises(services.NotEnoughStock, match="out of stock") as error:
        services.add_to_cart(cart=CartFactory(), sku=variant.sku, quantity=1)
    assert error.value.available == 0
    assert not CartLine.objects.exists()


def test_add_to_cart_returns_the_line_with_its_product_at_no_cost(django_assert_num_queries):
    variant = sellable_variant(name="Brass lamp")
    cart = CartFactory()
    for _ in range(2):
        line = services.add_to_cart(cart=cart, sku=variant.sku, quantity=1)
        with django_assert_num_queries(0):
            assert line.variant.product.name == "Brass lamp"
    assert line.quantity == 2


@pytest.mark.django_db(transaction=True)
def test_add_to_cart_in_autocommit_mode_uses_no_transaction():
    variant = sellable_variant()
    cart = CartFactory()

    with CaptureQueriesContext(connection) as queries:
        services.add_to_cart(cart=cart, sku=variant.sku, quantity=2)

    # The variant with its product and stock, the line's upsert, and the cart's timestamp (a
    # prepared statement, logged as "1 times: UPDATE ..."): no BEGIN, SAVEPOINT or COMMIT.
    assert [query["sql"].split(" times: ")[-1].split()[0] for query in queries] == [
        "SELECT",
        "INSERT",
        "UPDATE",
    ]
    assert quantities(cart) == {variant.sku: 2}


def test_adding_to_a_line_writes_it_in_one_statement():
    line = CartLineFactory(variant=sellable_variant(stock=10), quantity=2)

    with CaptureQueriesContext(connection) as queries:
        added = services.add_to_cart(cart=line.cart, sku=line.variant.sku, quantity=3)

    line_writes = [
        query["sql"]
        for query in queries.captured_queries
        if "cart_cartline" in query["sql"] and not query["sql"].startswith("SELECT")
    ]
    # An upsert on the unique (cart, variant): a parallel request's new line is added to, not
    # a failed INSERT.
    assert len(line_writes) == 1
    assert "ON CONFLICT" in line_writes[0]
    assert (added.pk, added.quantity) == (line.pk, 5)
    assert CartLine.objects.get().quantity == 5


def test_a_full_line_leaves_the_callers_transaction_usable():
    line = CartLineFactory(variant=sellable_variant(stock=10), quantity=8)

    with transaction.atomic():
        with pytest.raises(services.NotEnoughStock):
            services.add_to_cart(cart=line.cart, sku=line.variant.sku, quantity=3)
        # On PostgreSQL a failed statement would abort the transaction here.
        added = services.add_to_cart(cart=line.cart, sku=line.variant.sku, quantity=2)

    assert (added.pk, added.quantity) == (line.pk, 10)
    assert quantities(line.cart) == {line.variant.sku: 10}


# Changing and removing ------------------------------------------------------------------------


def test_set_line_quantity_changes_the_line():
    variant = sellable_variant(stock=10)
    line = CartLineFactory(variant=variant, quantity=2)

    services.set_line_quantity(cart=line.cart, line_id=line.pk, quantity=7)

    assert quantities(line.cart) == {variant.sku: 7}


def test_set_line_quantity_refuses_more_than_the_stock():
    variant = sellable_variant(stock=3)
    line = CartLineFactory(variant=variant, quantity=2)
    with pytest.raises(services.NotEnoughStock, match="Only 3 are available"):
        services.set_line_quantity(cart=line.cart, line_id=line.pk, quantity=4)
    assert quantities(line.cart) == {variant.sku: 2}


def test_set_line_quantity_lets_a_short_line_come_down_even_if_still_short():
    variant = sellable_variant(stock=2)
    line = CartLineFactory(variant=variant, quantity=8)

    services.set_line_quantity(cart=line.cart, line_id=line.pk, quantity=5)

    assert quantities(line.cart) == {variant.sku: 5}


def test_set_line_quantity_refuses_raising_a_product_no_longer_sold():
    variant = sellable_variant(status=Product.Status.ARCHIVED)
    line = CartLineFactory(variant=variant, quantity=1)
    with pytest.raises(services.ProductNotAvailable):
        services.set_line_quantity(cart=line.cart, line_id=line.pk, quantity=2)
    assert quantities(line.cart) == {variant.sku: 1}


@pytest.mark.parametrize("value", [0, -1, 10**9, 1.5, "x", True])
def test_set_line_quantity_refuses_bad_quantities(value):
    line = CartLineFactory(variant=sellable_variant(), quantity=2)
    with pytest.raises(services.InvalidQuantity):
        services.set_line_quantity(cart=line.cart, line_id=line.pk, quantity=value)
    assert CartLine.objects.get().quantity == 2


def test_another_carts_line_is_not_found_and_stays_untouched():
    line = CartLineFactory(variant=sellable_variant(), quantity=2)
    other_cart = CartFactory()

    with pytest.raises(NotFound):
        services.set_line_quantity(cart=other_cart, line_id=line.pk, quantity=1)
    with pytest.raises(NotFound):
        services.remove_line(cart=other_cart, line_id=line.pk)

    assert CartLine.objects.get().quantity == 2


def test_remove_line_and_clear_cart():
    cart = CartFactory()
    first = CartLineFactory(cart=cart, variant=sellable_variant())
    CartLineFactory(cart=cart, variant=sellable_variant())

    services.remove_line(cart=cart, line_id=first.pk)
    assert CartLine.objects.filter(cart=cart).count() == 1
    with pytest.raises(NotFound):
        services.remove_line(cart=cart, line_id=first.pk)

    services.clear_cart(cart=cart)
    assert not CartLine.objects.filter(cart=cart).exists()


def test_clear_cart_inside_a_transaction_needs_no_savepoint():
    cart = CartFactory()
    CartLineFactory(cart=cart, variant=sellable_variant())
    stamp = cart.updated_at

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        services.clear_cart(cart=cart)

    # The timestamp goes through a prepared statement, logged as "1 times: UPDATE ...".
    assert [query["sql"].split(" times: ")[-1].split()[0] for query in queries] == [
        "DELETE",
        "UPDATE",
    ]
    assert not CartLine.objects.filter(cart=cart).exists()
    cart.refresh_from_db()
    assert cart.updated_at > stamp


# Carts of members and anonymous shoppers -----------------------------------------------------


def test_get_or_create_cart_keeps_an_anonymous_cart_in_the_session():
    session = SessionStore()

    cart = services.get_or_create_cart(session=session)

    assert cart.user is None and cart.token
    assert session[services.CART_SESSION_KEY] == cart.token
    assert services.get_or_create_cart(session=session) == cart


def test_get_or_create_cart_of_a_member_is_stored_once():
    user = UserFactory()
    cart = services.get_or_create_cart(user=user, session=SessionStore())
    assert cart.user == user and cart.token is None
    assert services.get_or_create_cart(user=user) == cart
    assert Cart.objects.count() == 1


# Merging --------------------------------------------------------------------------------------


def test_merge_adds_quantities_up_and_moves_new_lines():
    shared, only_source, only_target = sellable_variant(), sellable_variant(), sellable_variant()
    source, target = CartFactory(user=None, token="t1"), CartFactory()
    CartLineFactory(cart=source, variant=shared, quantity=2)
    CartLineFactory(cart=source, variant=only_source, quantity=1)
    CartLineFactory(cart=target, variant=shared, quantity=3)
    CartLineFactory(cart=target, variant=only_target, quantity=4)

    adjustments = services.merge_carts(source=source, target=target)

    assert adjustments == []
    assert quantities(target) == {shared.sku: 5, only_source.sku: 1, only_target.sku: 4}
    assert not Cart.objects.filter(pk=source.pk).exists()


def test_merge_caps_the_sum_by_the_stock():
    variant = sellable_variant(stock=4)
    source, target = CartFactory(user=None, token="t1"), CartFactory()
    CartLineFactory(cart=source, variant=variant, quantity=3)
    CartLineFactory(cart=target, variant=variant, quantity=2)

    adjustments = services.merge_carts(source=source, target=target)

    assert quantities(target) == {variant.sku: 4}
    assert adjustments == [services.MergeAdjustment(variant.sku, requested=5, quantity=4)]


def test_merge_caps_the_sum_by_the_per_line_maximum(settings):
    settings.MALLKIT_MAX_LINE_QUANTITY = 10
    variant = sellable_variant(stock=500)
    source, target = CartFactory(user=None, token="t1"), CartFactory()
    CartLineFactory(cart=source, variant=variant, quantity=7)
    CartLineFactory(cart=target, variant=variant, quantity=6)

    services.merge_carts(source=source, target=target)

    assert quantities(target) == {variant.sku: 10}


def test_merge_keeps_an_out_of_stock_line_at_one():
    variant = sellable_variant(stock=0)
    source, target = CartFactory(user=None, token="t1"), CartFactory()
    CartLineFactory(cart=source, variant=variant, quantity=3)

    services.merge_carts(source=source, target=target)

    assert quantities(target) == {variant.sku: 1}


def test_merge_keeps_lines_of_products_no_longer_sold():
    archived = sellable_variant(stock=1, status=Product.Status.ARCHIVED)
    source, target = CartFactory(user=None, token="t1"), CartFactory()
    CartLineFactory(cart=source, variant=archived, quantity=2)
    CartLineFactory(cart=target, variant=archived, quantity=1)

    services.merge_carts(source=source, target=target)

    assert quantities(target) == {archived.sku: 3}


def test_merge_session_cart_moves_the_anonymous_cart_to_the_member():
    variant = sellable_variant()
    session = SessionStore()
    anonymous = services.get_or_create_cart(session=session)
    services.add_to_cart(cart=anonymous, sku=variant.sku, quantity=2)
    user = UserFactory()

    services.merge_session_cart(user=user, session=session)

    assert quantities(Cart.objects.get(user=user)) == {variant.sku: 2}
    assert services.CART_SESSION_KEY not in session
    assert not Cart.objects.filter(pk=anonymous.pk).exists()


def test_merge_session_cart_without_a_cart_does_nothing():
    user = UserFactory()
    assert services.merge_session_cart(user=user, session=SessionStore()) == []
    assert not Cart.objects.exists()


def test_summary_prices_are_read_from_the_variant():
    variant = sellable_variant(price="12.50")
    line = CartLineFactory(variant=variant, quantity=3)
    variant.price = Decimal("13.00")
    variant.save()

    from mallkit.cart.selectors import cart_summary

    summary = cart_summary(cart=line.cart)
    assert summary.lines[0].unit_price == Decimal("13.00")
    assert summary.subtotal == Decimal("39.00")
