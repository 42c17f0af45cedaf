import pytest
from django.core import mail

from mallkit.accounts.models import Address, ApiToken, User, WishlistItem
from mallkit.catalog.models import Product
from tests.factories import (
    AddressFactory,
    UserFactory,
    WishlistItemFactory,
    sellable_variant,
)

pytestmark = pytest.mark.django_db

NOT_AUTHENTICATED = {
    "detail": "Authentication is required: send a valid token as “Authorization: Bearer …”.",
    "code": "not_authenticated",
    "errors": {},
}
ADDRESS = {
    "full_name": "Grace Hopper",
    "phone": "+1 212 555 0100",
    "line1": "1 Main Street",
    "city": "New York",
    "region": "NY",
    "postal_code": "10001",
    "country": "US",
}


def token_for(user) -> dict:
    secret = f"mk_test_{user.pk}"
    ApiToken.objects.create(user=user, digest=ApiToken.digest_for(secret))
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def send(client, method, url, data=None, **extra):
    if data is None:
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(url, data, content_type="application/json", **extra)


@pytest.fixture
def member():
    return UserFactory(email="ada@example.com", full_name="Ada")


@pytest.fixture
def auth(member):
    return token_for(member)


# Registration ---------------------------------------------------------------------------------


def test_register_creates_an_account(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            client,
            "post",
            "/api/v1/auth/register",
            {"email": "New@Example.com", "password": "a long unusual phrase"},
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["full_name"]) == ("new@example.com", "")
    user = User.objects.get(email="new@example.com")
    assert user.check_password("a long unusual phrase")
    # A verification e-mail goes out (ACCOUNT_EMAIL_VERIFICATION is "optional").
    assert [message.to for message in mail.outbox] == [["new@example.com"]]


@pytest.mark.parametrize(
    "payload, errors",
    [
        ({}, {"email": ["This field is required."], "password": ["This field is required."]}),
        ({"email": "a@example.com"}, {"password": ["This field is required."]}),
        (
            {"email": 5, "password": 12345678901},
            {
                "email": ["Enter a valid e-mail address."],
                "password": ["Enter the password as text."],
            },
        ),
        (
            {"email": "not-an-address", "password": "a long unusual phrase"},
            {"email": ["Enter a valid e-mail address."]},
        ),
        (
            {"email": "a@example.com", "password": "Xq7-vt"},
            {"password": ["This password is too short. It must contain at least 10 characters."]},
        ),
        (
            {"email": "a@example.com", "password": "password123"},
            {"password": ["This password is too common."]},
        ),
        (
            {"email": "a@example.com", "password": "83749261057"},
            {"password": ["This password is entirely numeric."]},
        ),
    ],
)
def test_register_refuses_with_400_and_field_errors(client, payload, errors):
    response = send(client, "post", "/api/v1/auth/register", payload)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The account could not be created.",
        "code": "invalid",
        "errors": errors,
    }
    assert not User.objects.exists()


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"'])
def test_register_refuses_a_body_that_is_not_a_json_object(client, body):
    response = client.post("/api/v1/auth/register", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_register_with_a_taken_address_is_refused_generically_and_the_owner_told(
    client, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            client,
            "post",
            "/api/v1/auth/register",
            {"email": "ADA@example.com", "password": "a long unusual phrase"},
        )

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["This e-mail address cannot be used."]}
    assert User.objects.count() == 1
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]


# Profile --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/me"),
        ("patch", "/api/v1/me"),
        ("get", "/api/v1/me/addresses"),
        ("post", "/api/v1/me/addresses"),
        ("get", "/api/v1/me/addresses/1"),
        ("patch", "/api/v1/me/addresses/1"),
        ("delete", "/api/v1/me/addresses/1"),
        ("get", "/api/v1/me/wishlist"),
        ("post", "/api/v1/me/wishlist"),
        ("delete", "/api/v1/me/wishlist/SKU-1"),
    ],
)
def test_me_needs_a_token(client, method, url):
    response = send(client, method, url, {} if method in {"post", "patch"} else None)
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_get_and_change_my_profile(client, member, auth):
    response = send(client, "get", "/api/v1/me", **auth)
    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"

    response = send(
        client,
        "patch",
        "/api/v1/me",
        {"full_name": "Ada Lovelace", "preferred_language": "zh-hans"},
        **auth,
    )
    assert response.status_code == 200
    assert (response.json()["full_name"], response.json()["preferred_language"]) == (
        "Ada Lovelace",
        "zh-hans",
    )
    member.refresh_from_db()
    assert member.full_name == "Ada Lovelace"


def test_change_profile_refuses_invalid_values(client, member, auth):
    response = send(client, "patch", "/api/v1/me", {"phone": "call me", "full_name": "X"}, **auth)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phone"]
    member.refresh_from_db()
    assert member.full_name == "Ada"


def test_the_sites_session_works_too(client, member):
    client.force_login(member)
    assert send(client, "get", "/api/v1/me").json()["email"] == "ada@example.com"


# Address book ---------------------------------------------------------------------------------


def test_address_book_round_trip(client, member, auth):
    created = send(client, "post", "/api/v1/me/addresses", ADDRESS, **auth)
    assert created.status_code == 201, created.content
    first = created.json()
    assert first["country_name"] == "United States"
    assert (first["is_default_shipping"], first["is_default_billing"]) == (True, True)

    second = send(
        client,
        "post",
        "/api/v1/me/addresses",
        {**ADDRESS, "line1": "2 Main Street", "is_default_billing": True},
        **auth,
    ).json()
    assert (second["is_default_shipping"], second["is_default_billing"]) == (False, True)

    listed = send(client, "get", "/api/v1/me/addresses", **auth).json()
    assert listed["count"] == 2
    assert [item["id"] for item in listed["items"]] == [first["id"], second["id"]]

    url = f"/api/v1/me/addresses/{second['id']}"
    changed = send(client, "patch", url, {"city": "Boston", "is_default_shipping": True}, **auth)
    assert changed.status_code == 200
    assert (changed.json()["city"], changed.json()["is_default_shipping"]) == ("Boston", True)
    assert not Address.objects.get(pk=first["id"]).is_default_shipping

    assert send(client, "get", url, **auth).json()["city"] == "Boston"
    assert send(client, "delete", url, **auth).status_code == 204
    assert send(client, "get", url, **auth).status_code == 404


def test_address_validation_answers_400_with_field_errors(client, auth):
    response = send(
        client,
        "post",
        "/api/v1/me/addresses",
        {**ADDRESS, "country": "XX", "city": ""},
        **auth,
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"country", "city"}
    assert not Address.objects.exists()


def test_address_list_uses_a_fixed_number_of_queries(
    client, member, auth, django_assert_num_queries
):
    AddressFactory.create_batch(3, user=member)
    send(client, "get", "/api/v1/me", **auth)  # the token's first use records it (one query)
    # The token lookup, the count and the page.
    with django_assert_num_queries(3):
        assert send(client, "get", "/api/v1/me/addresses", **auth).json()["count"] == 3
    AddressFactory.create_batch(5, user=member)
    with django_assert_num_queries(3):
        assert send(client, "get", "/api/v1/me/addresses", **auth).json()["count"] == 8


# Wishlist -------------------------------------------------------------------------------------


def test_wishlist_round_trip(client, member, auth):
    variant = sellable_variant(price="29.90", stock=2)

    added = send(client, "post", "/api/v1/me/wishlist", {"sku": variant.sku}, **auth)
    assert added.status_code == 201
    assert added.json()["stock_status"] == "low"
    assert added.json()["price"] == "29.90"
    again = send(client, "post", "/api/v1/me/wishlist", {"sku": variant.sku}, **auth)
    assert again.status_code == 200

    listed = send(client, "get", "/api/v1/me/wishlist", **auth).json()
    assert listed["count"] == 1
    assert listed["items"][0]["sku"] == variant.sku

    assert send(client, "delete", f"/api/v1/me/wishlist/{variant.sku}", **auth).status_code == 204
    assert not WishlistItem.objects.exists()


def test_wishlist_refuses_unknown_and_hidden_skus(client, auth):
    draft = sellable_variant(status=Product.Status.DRAFT)
    for sku in ["NOPE", draft.sku]:
        response = send(client, "post", "/api/v1/me/wishlist", {"sku": sku}, **auth)
        assert response.status_code == 400
        assert response.json()["code"] == "unknown_sku"


def test_wishlist_list_uses_a_fixed_number_of_queries(
    client, member, auth, django_assert_num_queries
):
    for _ in range(2):
        WishlistItemFactory(user=member, variant=sellable_variant())
    send(client, "get", "/api/v1/me", **auth)  # the token's first use records it (one query)
    # Token, count, page, option values, pictures.
    with django_assert_num_queries(5):
        send(client, "get", "/api/v1/me/wishlist", **auth)
    for _ in range(4):
        WishlistItemFactory(user=member, variant=sellable_variant())
    with django_assert_num_queries(5):
        assert send(client, "get", "/api/v1/me/wishlist", **auth).json()["count"] == 6


# Another member's data ------------------------------------------------------------------------


def test_another_members_address_and_wishlist_answer_404_like_missing_ones(client, auth):
    other = UserFactory()
    address = AddressFactory(user=other)
    favourite = WishlistItemFactory(user=other, variant=sellable_variant())
    missing_id = address.pk + 1000

    answers = []
    for address_id in [address.pk, missing_id]:
        url = f"/api/v1/me/addresses/{address_id}"
        answers.append(
            [
                send(client, "get", url, **auth),
                send(client, "patch", url, {"city": "Paris"}, **auth),
                send(client, "delete", url, **auth),
            ]
        )
    for sku in [favourite.variant.sku, "NO-SUCH-SKU"]:
        answers.append([send(client, "delete", f"/api/v1/me/wishlist/{sku}", **auth)])

    for group in answers:
        for response in group:
            assert response.status_code == 404
    assert [r.json() for r in answers[0]] == [r.json() for r in answers[1]]
    assert answers[2][0].json() == answers[3][0].json()
    address.refresh_from_db()
    assert address.city == "London"
    assert WishlistItem.objects.filter(pk=favourite.pk).exists()
