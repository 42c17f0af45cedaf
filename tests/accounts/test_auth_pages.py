"""Sign-up, sign-in, lockout and password reset through django-allauth's pages."""

import re

import pytest
from django.core import mail

from mallkit.accounts.models import User
from mallkit.cart.models import Cart, CartLine
from tests.factories import CartFactory, CartLineFactory, UserFactory, sellable_variant

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LOGIN_URL = "/account/login/"


@pytest.fixture
def member():
    return UserFactory(email="ada@example.com")


def login(client, email, password=PASSWORD):
    return client.post(LOGIN_URL, {"login": email, "password": password})


def comparable(response, *emails) -> str:
    """The page without what must differ: CSRF tokens and the address typed in."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    for email in emails:
        text = text.replace(email, "EMAIL")
    return text


@pytest.mark.usefixtures("production_password_hashers")
def test_sign_up_signs_in_and_hashes_with_argon2(client):
    response = client.post(
        "/account/signup/",
        {
            "email": "new@example.com",
            "password1": "a long unusual phrase",
            "password2": "a long unusual phrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    user = User.objects.get(email="new@example.com")
    assert user.password.startswith("argon2$")
    assert client.get("/account/").status_code == 200


@pytest.mark.parametrize(
    "password, message",
    [
        ("Xq7-vt", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
    ],
)
def test_sign_up_refuses_weak_passwords(client, password, message):
    response = client.post(
        "/account/signup/",
        {"email": "new@example.com", "password1": password, "password2": password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_sign_in_and_out(client, member):
    response = login(client, "Ada@Example.com")
    assert (response.status_code, response["Location"]) == (302, "/account/")
    response = client.post("/account/logout/")
    assert response.status_code == 302
    assert client.get("/account/").status_code == 302


def test_failed_sign_ins_look_the_same_for_known_and_unknown_addresses(client, member):
    known = login(client, "ada@example.com", "wrong-password-1")
    unknown = login(client, "nobody@example.com", "wrong-password-1")

    assert known.status_code == unknown.status_code == 200
    assert comparable(known, "ada@example.com") == comparable(unknown, "nobody@example.com")
    assert "not correct" in known.content.decode()


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client, member):
    known = client.post("/account/password/reset/", {"email": "ada@example.com"})
    unknown = client.post("/account/password/reset/", {"email": "nobody@example.com"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.status_code == 302
    assert comparable(client.get(known["Location"])) == comparable(client.get(unknown["Location"]))
    # Each address gets one e-mail: a reset link, or a note that it has no account.
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ada@example.com",
        "nobody@example.com",
    ]
    reset = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    assert "/account/password/reset/key/" in reset.body


@pytest.mark.parametrize("email", ["ada@example.com", "nobody@example.com"])
def test_five_failures_lock_the_account_out_with_a_friendly_page(client, member, email):
    for _ in range(4):
        assert login(client, email, "wrong-password-1").status_code == 200

    fifth = login(client, email, "wrong-password-1")
    after = login(client, email, PASSWORD)

    for response in [fifth, after]:
        assert response.status_code == 429
        content = response.content.decode()
        assert "Too many attempts" in content
        assert 'class="site-header"' in content
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_address(client, member):
    for _ in range(5):
        login(client, "someone-else@example.com", "wrong-password-1")
    assert login(client, "ada@example.com").status_code == 302


def test_failed_api_token_requests_count_towards_the_lockout(client, member):
    for _ in range(5):
        client.post(
            "/api/v1/auth/token",
            {"email": "ada@example.com", "password": "wrong-password-1"},
            content_type="application/json",
        )
    assert login(client, "ada@example.com").status_code == 429


def test_signing_in_merges_the_anonymous_cart(client, member):
    kept = sellable_variant(stock=10)
    new = sellable_variant(stock=10)
    CartLineFactory(cart=CartFactory(user=member), variant=kept, quantity=2)
    client.post("/cart/add/", {"sku": kept.sku, "quantity": "3"})
    client.post("/cart/add/", {"sku": new.sku, "quantity": "1"})
    anonymous_key = client.session.session_key

    login(client, "ada@example.com")

    assert client.session.session_key != anonymous_key
    lines = dict(CartLine.objects.filter(cart__user=member).values_list("variant__sku", "quantity"))
    assert lines == {kept.sku: 5, new.sku: 1}
    assert Cart.objects.count() == 1


def test_signing_up_keeps_the_anonymous_cart(client):
    variant = sellable_variant()
    client.post("/cart/add/", {"sku": variant.sku, "quantity": "2"})
    client.post(
        "/account/signup/",
        {
            "email": "new@example.com",
            "password1": "a long unusual phrase",
            "password2": "a long unusual phrase",
        },
    )
    user = User.objects.get(email="new@example.com")
    assert list(CartLine.objects.filter(cart__user=user).values_list("quantity", flat=True)) == [2]


@pytest.mark.parametrize("url", ["/account/login/", "/account/signup/", "/account/password/reset/"])
def test_allauth_pages_wear_the_shop_frame(client, url):
    content = client.get(url).content.decode()
    assert 'class="site-header"' in content
    assert "auth-form" in content
