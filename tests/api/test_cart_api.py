import pytest

from mallkit.cart.models import Cart, CartLine
from mallkit.catalog.models import Product
from tests.factories import CartFactory, CartLineFactory, UserFactory, sellable_variant

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


def test_the_cart_uses_a_fixed_number_of_queries(client, member, auth, django_assert_num_queries):
    cart = CartFactory(user=member)
    CartLineFactory(cart=cart, variant=sellable_variant())
    send(client, "get", "/api/v1/cart", **auth)  # the token's first use records it
    # Token, cart, lines, option values, pictures.
    with django_assert_num_queries(5):
        send(client, "get", "/api/v1/cart", **auth)
    for _ in range(4):
        CartLineFactory(cart=cart, variant=sellable_variant())
    with django_assert_num_queries(5):
        assert len(send(client, "get", "/api/v1/cart", **auth).json()["lines"]) == 5
