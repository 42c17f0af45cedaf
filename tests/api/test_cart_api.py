import pytest

from mallkit.cart.models import Cart, CartLine
from mallkit.catalog.models import Product
from mallkit.catalog.services import update_product
from mallkit.catalog.snapshots import variant_snapshots
from tests.factories import (
    CartFactory,
    CartLineFactory,
    OptionFactory,
    OptionValueFactory,
    ProductImageFactory,
    UserFactory,
    sellable_variant,
)

from .test_accounts_api import NOT_AUTHENTICATED, send, token_for

pytestmark = pytest.mark.django_db

INVALID_QUANTITY = {
    "detail": "Enter a whole number from 1 to 99.",
    "code": "invalid_quantity",
    "errors": {"quantity": ["Enter a whole number from 1 to 99."]},
}


@pytest.fixture
def member():
    return UserFactory()


@pytest.fixture
def auth(member):
    return token_for(member)


def lines(user):
    return dict(CartLine.objects.filter(cart__user=user).values_list("variant__sku", "quantity"))


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/cart"),
        ("post", "/api/v1/cart/lines"),
        ("patch", "/api/v1/cart/lines/1"),
        ("delete", "/api/v1/cart/lines/1"),
    ],
)
def test_the_cart_needs_credentials(client, method, url):
    response = send(client, method, url, {} if method in {"post", "patch"} else None)
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_a_new_member_has_an_empty_cart_without_one_being_made(client, auth):
    response = send(client, "get", "/api/v1/cart", **auth)

    assert response.status_code == 200
    assert response.json() == {
        "lines": [],
        "item_count": 0,
        "subtotal": "0.00",
        "currency": "USD",
        "can_check_out": False,
    }
    assert not Cart.objects.exists()


def test_add_change_and_remove_lines(client, member, auth):
    lamp = sellable_variant(price="12.50", stock=10, name="Brass lamp")
    # A price sent by the client is ignored: the variant's price is used.
    added = send(
        client,
        "post",
        "/api/v1/cart/lines",
        {"sku": lamp.sku, "quantity": 2, "unit_price": "0.01"},
        **auth,
    )
    assert added.status_code == 201, added.content
    cart = added.json()
    assert cart["subtotal"] == "25.00"
    line = cart["lines"][0]
    assert {key: line[key] for key in ["sku", "product_name", "quantity", "unit_price"]} == {
        "sku": lamp.sku,
        "product_name": "Brass lamp",
        "quantity": 2,
        "unit_price": "12.50",
    }
    assert (line["line_total"], line["available"], line["warnings"]) == ("25.00", 10, [])

    added_again = send(
        client, "post", "/api/v1/cart/lines", {"sku": lamp.sku, "quantity": 1}, **auth
    )
    assert added_again.json()["lines"][0]["quantity"] == 3

    changed = send(client, "patch", f"/api/v1/cart/lines/{line['id']}", {"quantity": 5}, **auth)
    assert changed.status_code == 200
    assert (changed.json()["item_count"], changed.json()["subtotal"]) == (5, "62.50")

    assert send(client, "delete", f"/api/v1/cart/lines/{line['id']}", **auth).status_code == 204
    assert send(client, "get", "/api/v1/cart", **auth).json()["lines"] == []


@pytest.mark.parametrize("quantity", [0, -1, 10**9, 1.5, "x", True, None, "2.5", 100])
def test_bad_quantities_are_refused_with_a_clear_message(client, member, auth, quantity):
    variant = sellable_variant()
    line = CartLineFactory(cart=CartFactory(user=member), variant=variant, quantity=2)

    added = send(
        client, "post", "/api/v1/cart/lines", {"sku": variant.sku, "quantity": quantity}, **auth
    )
    changed = send(client, "patch", f"/api/v1/cart/lines/{line.pk}", {"quantity": quantity}, **auth)

    for response in [added, changed]:
        assert response.status_code == 400
        assert response.json() == INVALID_QUANTITY
    assert lines(member) == {variant.sku: 2}


def test_more_than_the_stock_is_refused_with_how_many_are_available(client, member, auth):
    variant = sellable_variant(stock=3)
    response = send(
        client, "post", "/api/v1/cart/lines", {"sku": variant.sku, "quantity": 4}, **auth
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only 3 are available.",
        "code": "insufficient_stock",
        "errors": {"quantity": ["Only 3 are available."]},
    }
    assert lines(member) == {}


@pytest.mark.parametrize(
    "status, answer",
    [
        (Product.Status.COMING_SOON, (409, "not_available")),
        (Product.Status.ARCHIVED, (409, "not_available")),
        (Product.Status.DRAFT, (400, "unknown_sku")),
    ],
)
def test_products_not_on_sale_cannot_be_added(client, member, auth, status, answer):
    variant = sellable_variant(status=status)
    response = send(
        client, "post", "/api/v1/cart/lines", {"sku": variant.sku, "quantity": 1}, **auth
    )
    assert (response.status_code, response.json()["code"]) == answer
    assert lines(member) == {}


def test_the_cart_shows_warnings(client, member, auth):
    cart = CartFactory(user=member)
    CartLineFactory(cart=cart, variant=sellable_variant(stock=1), quantity=3)
    body = send(client, "get", "/api/v1/cart", **auth).json()
    assert body["lines"][0]["warnings"] == [
        {"code": "short_stock", "message": "Only 1 is available."}
    ]
    assert body["can_check_out"] is False


def test_another_members_cart_line_answers_404_like_a_missing_one(client, member, auth):
    own = CartLineFactory(cart=CartFactory(user=member), variant=sellable_variant(), quantity=1)
    theirs = CartLineFactory(cart=CartFactory(), variant=sellable_variant(), quantity=2)
    missing = theirs.pk + 1000

    answers = {}
    for line_id in [theirs.pk, missing]:
        url = f"/api/v1/cart/lines/{line_id}"
        answers[line_id] = [
            send(client, "patch", url, {"quantity": 1}, **auth),
            send(client, "delete", url, **auth),
        ]
    for responses in answers.values():
        assert [r.status_code for r in responses] == [404, 404]
    assert [r.json() for r in answers[theirs.pk]] == [r.json() for r in answers[missing]]
    theirs.refresh_from_db()
    assert theirs.quantity == 2
    own.refresh_from_db()
    assert own.quantity == 1


def test_a_member_without_a_cart_gets_404_for_any_line(client, auth):
    theirs = CartLineFactory(cart=CartFactory(), variant=sellable_variant())
    response = send(client, "delete", f"/api/v1/cart/lines/{theirs.pk}", **auth)
    assert response.status_code == 404
    assert CartLine.objects.filter(pk=theirs.pk).exists()


def test_the_cart_api_is_off_in_showcase_mode(client, member, auth, settings):
    settings.MALLKIT_MODE = "showcase"
    variant = sellable_variant()
    line = CartLineFactory(cart=CartFactory(user=member), variant=variant)

    responses = [
        send(client, "get", "/api/v1/cart", **auth),
        send(client, "post", "/api/v1/cart/lines", {"sku": variant.sku, "quantity": 1}, **auth),
        send(client, "patch", f"/api/v1/cart/lines/{line.pk}", {"quantity": 2}, **auth),
        send(client, "delete", f"/api/v1/cart/lines/{line.pk}", **auth),
    ]

    for response in responses:
        assert response.status_code == 404
        assert response.json()["code"] == "cart_disabled"
    assert lines(member) == {variant.sku: 1}


def test_a_line_names_the_product_its_options_and_picture(client, member, auth):
    shirt = sellable_variant(price="20.00", stock=5, name="Linen shirt", slug="linen-shirt")
    # Added in the opposite order: the label follows the options' positions.
    shirt.option_values.add(
        OptionValueFactory(option=OptionFactory(name="Size", position=2), value="M"),
        OptionValueFactory(option=OptionFactory(name="Colour", position=1), value="Red"),
    )
    second = ProductImageFactory(product=shirt.product, position=2)
    first = ProductImageFactory(product=shirt.product, position=1)
    plain = sellable_variant(name="Plain mug", slug="plain-mug")

    send(client, "post", "/api/v1/cart/lines", {"sku": shirt.sku, "quantity": 1}, **auth)
    response = send(client, "post", "/api/v1/cart/lines", {"sku": plain.sku}, **auth)

    assert response.status_code == 201
    assert first.image.url != second.image.url
    assert response.json()["lines"] == [
        {
            "id": CartLine.objects.get(variant=shirt).pk,
            "sku": shirt.sku,
            "product_name": "Linen shirt",
            "product_slug": "linen-shirt",
            "product_url": "/products/linen-shirt/",
            "variant_label": "Red / M",
            "quantity": 1,
            "unit_price": "20.00",
            "line_total": "20.00",
            "available": 5,
            "image": first.image.url,
            "warnings": [],
        },
        {
            "id": CartLine.objects.get(variant=plain).pk,
            "sku": plain.sku,
            "product_name": "Plain mug",
            "product_slug": "plain-mug",
            "product_url": "/products/plain-mug/",
            "variant_label": "",
            "quantity": 1,
            "unit_price": "10.00",
            "line_total": "10.00",
            "available": 10,
            "image": None,
            "warnings": [],
        },
    ]


def test_a_renamed_product_shows_its_new_name_with_the_page_cache_on(
    client, member, auth, settings
):
    settings.MALLKIT_PAGE_CACHE_SECONDS = 300
    lamp = sellable_variant(name="Brass lamp")
    added = send(client, "post", "/api/v1/cart/lines", {"sku": lamp.sku}, **auth)
    assert added.json()["lines"][0]["product_name"] == "Brass lamp"

    update_product(product=lamp.product, changes={"name": "Copper lamp"})

    line = send(client, "get", "/api/v1/cart", **auth).json()["lines"][0]
    assert (line["product_name"], line["sku"]) == ("Copper lamp", lamp.sku)


def test_the_cart_uses_a_fixed_number_of_queries(
    client, member, auth, settings, django_assert_num_queries
):
    cart = CartFactory(user=member)
    CartLineFactory(cart=cart, variant=sellable_variant())
    send(client, "get", "/api/v1/cart", **auth)  # the token's first use records it
    # Token, cart, lines with prices and stock, then the lines' snapshots: variants with their
    # products, option values, pictures.
    with django_assert_num_queries(6):
        send(client, "get", "/api/v1/cart", **auth)
    for _ in range(4):
        CartLineFactory(cart=cart, variant=sellable_variant())
    with django_assert_num_queries(6):
        assert len(send(client, "get", "/api/v1/cart", **auth).json()["lines"]) == 5

    # With the page cache on, the snapshots are read once and then come from the cache.
    settings.MALLKIT_PAGE_CACHE_SECONDS = 300
    with django_assert_num_queries(6):
        send(client, "get", "/api/v1/cart", **auth)
    with django_assert_num_queries(3):
        assert len(send(client, "get", "/api/v1/cart", **auth).json()["lines"]) == 5


# Outside a test transaction, as in a real request: a failed INSERT then needs no savepoint.
@pytest.mark.django_db(transaction=True)
def test_adding_a_line_uses_a_fixed_number_of_queries(
    client, member, auth, settings, django_assert_num_queries
):
    settings.MALLKIT_PAGE_CACHE_SECONDS = 300
    CartLineFactory(cart=CartFactory(user=member), variant=sellable_variant())
    lamp, vase = sellable_variant(), sellable_variant()
    send(client, "get", "/api/v1/cart", **auth)  # records the token's use, caches a snapshot
    variant_snapshots(variant_ids=[vase.pk])

    # Token, cart, variant with product and stock, the line's upsert, the cart's timestamp,
    # lines; no transaction, no savepoint.
    with django_assert_num_queries(6):
        assert (
            send(client, "post", "/api/v1/cart/lines", {"sku": vase.sku}, **auth).status_code == 201
        )
    # The same with a snapshot not yet cached: its variant, option values and pictures.
    with django_assert_num_queries(9):
        assert (
            send(client, "post", "/api/v1/cart/lines", {"sku": lamp.sku}, **auth).status_code == 201
        )
    # Adding to a line: the same upsert adds to it.
    with django_assert_num_queries(6):
        response = send(client, "post", "/api/v1/cart/lines", {"sku": lamp.sku}, **auth)
    assert [line["quantity"] for line in response.json()["lines"]] == [1, 1, 2]
