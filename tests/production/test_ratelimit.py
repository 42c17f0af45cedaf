"""Rate limits of logins and checkouts per client address, answered with 429."""

import pytest

import mallkit.core.ratelimit as ratelimit
from mallkit.orders.models import Order
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def now(monkeypatch):
    """The limiter's clock held in the middle of a window, so no test straddles two windows.

    Change `now[0]` to move it."""
    held = [1_000_050.0]
    monkeypatch.setattr(ratelimit, "clock", lambda: held[0])
    return held


@pytest.fixture
def limits(settings):
    """Three attempts a minute per address, for logins and checkouts alike."""
    settings.MALLKIT_RATE_LIMITS = {
        "login": {
            "rate": "3/60",
            "methods": ["POST"],
            "paths": ["/account/login/", "/backoffice/login/", "/api/v1/auth/token"],
        },
        "checkout": {
            "rate": "3/60",
            "methods": ["POST"],
            "paths": ["/checkout/", "/api/v1/checkout"],
        },
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def test_login_page_answers_429_after_the_limit(client, limits):
    credentials = {"login": "nobody@example.com", "password": "wrong password"}
    statuses = [client.post("/account/login/", credentials).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.post("/account/login/", credentials)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Content-Type"].startswith("text/html")


def test_even_a_correct_password_waits_once_limited(client, limits):
    UserFactory(email="ada@example.com")
    for _ in range(3):
        client.post("/account/login/", {"login": "ada@example.com", "password": "wrong"})

    response = client.post(
        "/account/login/", {"login": "ada@example.com", "password": "correct-horse-battery"}
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_showing_the_login_page_is_not_limited(client, limits):
    assert {client.get("/account/login/").status_code for _ in range(6)} == {200}


def test_api_token_endpoint_answers_json(client, limits):
    body = {"email": "nobody@example.com", "password": "wrong password"}
    statuses = [
        client.post("/api/v1/auth/token", body, content_type="application/json").status_code
        for _ in range(4)
    ]

    assert statuses == [401, 401, 401, 429]
    response = client.post("/api/v1/auth/token", body, content_type="application/json")
    assert response.json() == {
        "detail": "Too many attempts from your address; wait a moment and try again.",
        "code": "rate_limited",
        "errors": {},
    }
    assert int(response["Retry-After"]) >= 1


def test_login_attempts_on_the_page_and_the_api_count_together(client, limits):
    client.post("/account/login/", {"login": "a@example.com", "password": "x"})
    client.post("/backoffice/login/", {"login": "a@example.com", "password": "x"})
    client.post(
        "/api/v1/auth/token",
        {"email": "a@example.com", "password": "x"},
        content_type="application/json",
    )

    assert client.post("/account/login/", {"login": "a", "password": "x"}).status_code == 429


def test_checkout_posts_are_limited_and_a_limited_one_places_nothing(client, limits):
    statuses = [
        client.post("/api/v1/checkout", {}, content_type="application/json").status_code
        for _ in range(2)
    ]
    statuses.append(client.post("/checkout/", {}).status_code)
    limited = client.post("/checkout/place/", {})
    limited_api = client.post("/api/v1/checkout", {}, content_type="application/json")

    assert 429 not in statuses
    assert limited.status_code == 429
    assert limited_api.status_code == 429
    assert limited_api.json()["code"] == "rate_limited"
    assert Order.objects.count() == 0
    # Reading the checkout pages is not limited.
    assert client.get("/checkout/").status_code != 429


def test_each_address_has_its_own_count(client, limits):
    credentials = {"login": "nobody@example.com", "password": "wrong"}
    for _ in range(3):
        client.post("/account/login/", credentials, REMOTE_ADDR="198.51.100.1")

    assert (
        client.post("/account/login/", credentials, REMOTE_ADDR="198.51.100.1").status_code == 429
    )
    assert (
        client.post("/account/login/", credentials, REMOTE_ADDR="198.51.100.2").status_code == 200
    )


def test_behind_a_proxy_clients_are_told_apart_by_the_forwarded_address(client, limits):
    limits.MALLKIT_TRUSTED_PROXY_COUNT = 1
    credentials = {"login": "nobody@example.com", "password": "wrong"}

    def attempt(address):
        return client.post(
            "/account/login/", credentials, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=address
        ).status_code

    assert [attempt("198.51.100.1") for _ in range(4)] == [200, 200, 200, 429]
    assert attempt("198.51.100.2") == 200
    # A forged entry in front of the proxy's own changes nothing.
    assert attempt("203.0.113.99, 198.51.100.1") == 429


def test_a_new_window_starts_a_new_count(client, limits, now):
    credentials = {"login": "nobody@example.com", "password": "wrong"}
    for _ in range(3):
        client.post("/account/login/", credentials)
    assert client.post("/account/login/", credentials).status_code == 429

    now[0] += 60
    assert client.post("/account/login/", credentials).status_code == 200
