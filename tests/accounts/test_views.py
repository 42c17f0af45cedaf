import pytest
from django.urls import reverse

from mallkit.accounts.models import Address, WishlistItem
from tests.factories import AddressFactory, UserFactory, WishlistItemFactory, sellable_variant

pytestmark = pytest.mark.django_db

ADDRESS_FORM = {
    "full_name": "Grace Hopper",
    "phone": "+1 212 555 0100",
    "line1": "1 Main Street",
    "line2": "",
    "city": "New York",
    "region": "NY",
    "postal_code": "10001",
    "country": "US",
}
PAGES = [
    "accounts:overview",
    "accounts:profile",
    "accounts:addresses",
    "accounts:address_add",
    "accounts:favourites",
    "accounts:orders",
]


@pytest.fixture
def member(client):
    user = UserFactory(email="ada@example.com", full_name="Ada Lovelace")
    client.force_login(user)
    return user


@pytest.mark.parametrize("name", PAGES)
def test_account_pages_need_a_signed_in_member(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=")


@pytest.mark.parametrize("name", PAGES)
def test_account_pages_render(client, member, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert b'class="account-nav"' in response.content


def test_overview_shows_the_empty_order_history_and_defaults(client, member):
    AddressFactory(user=member, is_default_shipping=True, city="Bristol")
    WishlistItemFactory(user=member, variant=sellable_variant())

    content = client.get(reverse("accounts:overview")).content.decode()

    assert "You have no orders yet" in content
    assert "Bristol" in content
    assert "1 product kept" in content


def test_profile_is_saved_and_the_language_follows(client, member):
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "Ada King", "phone": "+44 20 7946 0000", "preferred_language": "zh-hans"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.full_name, member.preferred_language) == ("Ada King", "zh-hans")
    assert response.cookies["django_language"].value == "zh-hans"


def test_profile_refuses_a_bad_phone(client, member):
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "Ada King", "phone": "call me", "preferred_language": "en"},
    )
    assert response.status_code == 200
    assert "Enter a telephone number" in response.content.decode()
    member.refresh_from_db()
    assert member.full_name == "Ada Lovelace"


def test_add_edit_set_default_and_delete_an_address(client, member):
    response = client.post(reverse("accounts:address_add"), ADDRESS_FORM)
    assert response.status_code == 302
    first = Address.objects.get(user=member)
    assert (first.is_default_shipping, first.is_default_billing) == (True, True)

    client.post(reverse("accounts:address_add"), {**ADDRESS_FORM, "line1": "2 Side Street"})
    second = Address.objects.get(user=member, line1="2 Side Street")
    response = client.post(
        reverse("accounts:address_default", args=[second.pk]), {"kind": "billing"}
    )
    assert response.status_code == 302
    assert Address.objects.get(is_default_billing=True).pk == second.pk

    response = client.post(
        reverse("accounts:address_edit", args=[second.pk]),
        {**ADDRESS_FORM, "line1": "2 Side Street", "city": "Boston", "is_default_billing": "on"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.city, second.is_default_billing) == ("Boston", True)

    assert client.get(reverse("accounts:address_delete", args=[second.pk])).status_code == 200
    client.post(reverse("accounts:address_delete", args=[second.pk]))
    assert list(Address.objects.values_list("pk", flat=True)) == [first.pk]


def test_address_form_shows_errors(client, member):
    response = client.post(
        reverse("accounts:address_add"), {**ADDRESS_FORM, "country": "XX", "postal_code": "ABC"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Select a valid choice" in content or "Choose a country" in content
    assert not Address.objects.exists()


def test_another_members_address_pages_answer_404(client, member):
    address = AddressFactory(user=UserFactory())
    pk = address.pk

    responses = [
        client.get(reverse("accounts:address_edit", args=[pk])),
        client.post(reverse("accounts:address_edit", args=[pk]), ADDRESS_FORM),
        client.get(reverse("accounts:address_delete", args=[pk])),
        client.post(reverse("accounts:address_delete", args=[pk])),
        client.post(reverse("accounts:address_default", args=[pk]), {"kind": "shipping"}),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    address.refresh_from_db()
    assert (address.city, address.is_default_shipping) == ("London", False)


def test_favourite_toggle_without_and_with_htmx(client, member):
    variant = sellable_variant()
    page = variant.product.get_absolute_url()

    response = client.post(reverse("accounts:favourite_toggle"), {"sku": variant.sku, "next": page})
    assert (response.status_code, response["Location"]) == (302, page)
    assert WishlistItem.objects.filter(user=member, variant=variant).exists()

    response = client.post(
        reverse("accounts:favourite_toggle"), {"sku": variant.sku}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'aria-pressed="false"' in response.content.decode()
    assert not WishlistItem.objects.exists()


def test_favourite_toggle_sends_visitors_to_sign_in(client):
    variant = sellable_variant()
    response = client.post(reverse("accounts:favourite_toggle"), {"sku": variant.sku})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    response = client.post(
        reverse("accounts:favourite_toggle"), {"sku": variant.sku}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"].startswith("/account/login/?next=")
    assert not WishlistItem.objects.exists()


def test_favourites_page_lists_stock_and_add_to_cart(client, member):
    WishlistItemFactory(user=member, variant=sellable_variant(stock=20, name="Teapot"))
    WishlistItemFactory(user=member, variant=sellable_variant(stock=0, name="Kettle"))

    content = client.get(reverse("accounts:favourites")).content.decode()

    assert "Teapot" in content and "In stock" in content
    assert "Kettle" in content and "Out of stock" in content
    assert content.count('action="/cart/add/"') == 1


def test_favourites_and_addresses_use_a_fixed_number_of_queries(
    client, member, django_assert_max_num_queries
):
    def count(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    WishlistItemFactory(user=member, variant=sellable_variant())
    AddressFactory(user=member)
    few = (count(reverse("accounts:favourites")), count(reverse("accounts:addresses")))
    for _ in range(5):
        WishlistItemFactory(user=member, variant=sellable_variant())
        AddressFactory(user=member)
    many = (count(reverse("accounts:favourites")), count(reverse("accounts:addresses")))

    assert few == many
