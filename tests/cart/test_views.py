import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mallkit.cart.models import CartLine
from tests.factories import CartFactory, CartLineFactory, UserFactory, sellable_variant

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def member(client):
    user = UserFactory()
    client.force_login(user)
    return user


def lines(user):
    return dict(CartLine.objects.filter(cart__user=user).values_list("variant__sku", "quantity"))


def test_empty_cart_page(client):
    response = client.get(reverse("cart:detail"))
    assert response.status_code == 200
    assert "Your cart is empty." in response.content.decode()


def test_add_without_javascript_redirects_back_with_a_message(client, member):
    variant = sellable_variant(name="Teapot")
    page = variant.product.get_absolute_url()

    response = client.post(
        reverse("cart:add"), {"sku": variant.sku, "quantity": "2", "next": page}, follow=True
    )

    assert response.redirect_chain == [(page, 302)]
    assert "“Teapot” is in your cart." in response.content.decode()
    assert lines(member) == {variant.sku: 2}


def test_add_with_htmx_answers_a_status_and_the_new_count(client, member):
    variant = sellable_variant()
    response = client.post(reverse("cart:add"), {"sku": variant.sku, "quantity": "3"}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert 'role="status"' in content
    assert 'id="cart-count"' in content and 'hx-swap-oob="true"' in content
    assert "</span>3</span>" in content


@pytest.mark.parametrize("quantity", ["0", "-1", "1000000000", "1.5", "x", ""])
def test_bad_quantities_are_refused_with_a_message(client, member, quantity):
    variant = sellable_variant()
    response = client.post(reverse("cart:add"), {"sku": variant.sku, "quantity": quantity}, **HTMX)
    assert "Enter a whole number from 1 to 99." in response.content.decode()
    assert lines(member) == {}


def test_more_than_the_stock_says_how_many_are_available(client, member):
    variant = sellable_variant(stock=2)
    response = client.post(reverse("cart:add"), {"sku": variant.sku, "quantity": "5"}, follow=True)
    assert "Only 2 are available." in response.content.decode()
    assert lines(member) == {}


def test_cart_page_shows_lines_prices_warnings_and_subtotal(client, member):
    cart = CartFactory(user=member)
    CartLineFactory(cart=cart, variant=sellable_variant(price="12.50", name="Lamp"), quantity=2)
    CartLineFactory(
        cart=cart, variant=sellable_variant(price="3.00", stock=1, name="Cup"), quantity=4
    )

    content = client.get(reverse("cart:detail")).content.decode()

    assert "Lamp" in content and "Cup" in content
    assert "$25.00" in content and "$12.00" in content and "$37.00" in content
    assert "Only 1 is available." in content


def test_change_and_remove_a_line_with_htmx(client, member):
    variant = sellable_variant(price="5.00")
    line = CartLineFactory(cart=CartFactory(user=member), variant=variant, quantity=1)

    response = client.post(reverse("cart:line_update", args=[line.pk]), {"quantity": "4"}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.startswith('<div id="cart" class="cart">')
    assert "$20.00" in content
    assert 'hx-swap-oob="true"' in content
    assert lines(member) == {variant.sku: 4}

    response = client.post(reverse("cart:line_update", args=[line.pk]), {"quantity": "0"}, **HTMX)
    assert "Enter a whole number from 1 to 99." in response.content.decode()
    assert lines(member) == {variant.sku: 4}

    response = client.post(reverse("cart:line_remove", args=[line.pk]), **HTMX)
    assert "Your cart is empty." in response.content.decode()
    assert lines(member) == {}


def test_change_and_remove_without_javascript(client, member):
    variant = sellable_variant()
    line = CartLineFactory(cart=CartFactory(user=member), variant=variant, quantity=1)
    response = client.post(reverse("cart:line_update", args=[line.pk]), {"quantity": "2"})
    assert (response.status_code, response["Location"]) == (302, "/cart/")
    response = client.post(reverse("cart:line_remove", args=[line.pk]))
    assert (response.status_code, response["Location"]) == (302, "/cart/")
    assert lines(member) == {}


def test_another_shoppers_line_answers_404(client, member):
    CartLineFactory(cart=CartFactory(user=member), variant=sellable_variant())
    theirs = CartLineFactory(cart=CartFactory(), variant=sellable_variant(), quantity=2)

    responses = [
        client.post(reverse("cart:line_update", args=[theirs.pk]), {"quantity": "1"}),
        client.post(reverse("cart:line_remove", args=[theirs.pk])),
        client.post(reverse("cart:line_update", args=[theirs.pk]), {"quantity": "1"}, **HTMX),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    theirs.refresh_from_db()
    assert theirs.quantity == 2


def test_an_anonymous_shopper_cannot_touch_a_members_line(client):
    theirs = CartLineFactory(cart=CartFactory(), variant=sellable_variant())
    client.post(reverse("cart:add"), {"sku": sellable_variant().sku, "quantity": "1"})
    assert client.post(reverse("cart:line_remove", args=[theirs.pk])).status_code == 404
    assert CartLine.objects.filter(pk=theirs.pk).exists()


def test_anonymous_cart_lives_in_the_session(client):
    variant = sellable_variant()
    client.post(reverse("cart:add"), {"sku": variant.sku, "quantity": "2"})
    content = client.get(reverse("cart:detail")).content.decode()
    assert variant.product.name in content


def test_cart_pages_are_off_in_showcase_mode(client, member, settings):
    settings.MALLKIT_MODE = "showcase"
    line = CartLineFactory(cart=CartFactory(user=member), variant=sellable_variant())
    responses = [
        client.get(reverse("cart:detail")),
        client.post(reverse("cart:add"), {"sku": line.variant.sku, "quantity": "1"}),
        client.post(reverse("cart:line_update", args=[line.pk]), {"quantity": "2"}),
        client.post(reverse("cart:line_remove", args=[line.pk])),
    ]
    assert [r.status_code for r in responses] == [404] * 4
    assert lines(member) == {line.variant.sku: 1}


def test_cart_page_uses_a_fixed_number_of_queries(client, member):
    cart = CartFactory(user=member)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cart:detail")).status_code == 200
        return len(queries)

    CartLineFactory(cart=cart, variant=sellable_variant())
    few = count()
    for _ in range(6):
        CartLineFactory(cart=cart, variant=sellable_variant())
    assert count() == few


def test_the_header_shows_the_item_count(client, member):
    CartLineFactory(cart=CartFactory(user=member), variant=sellable_variant(), quantity=3)
    content = client.get("/").content.decode()
    assert 'id="cart-count"' in content
    assert "Items in cart: </span>3</span>" in content


def test_product_pages_and_cards_offer_add_to_cart_and_favourite(client, member):
    variant = sellable_variant(is_featured=True)
    page = client.get(variant.product.get_absolute_url()).content.decode()
    assert f'name="sku" value="{variant.sku}"' in page
    assert 'action="/cart/add/"' in page and 'action="/account/favourites/toggle/"' in page
    home = client.get("/").content.decode()
    assert 'class="card-actions"' in home
