import pytest
from django.test import Client

from mallkit.accounts.models import ApiToken

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
INVALID_CREDENTIALS = {
    "detail": "The e-mail address or password is not correct.",
    "code": "invalid_credentials",
    "errors": {},
}
NOT_AUTHENTICATED = {
    "detail": "Authentication is required: send a valid token as “Authorization: Bearer …”.",
    "code": "not_authenticated",
    "errors": {},
}


def post_json(client, url, data, **extra):
    return client.post(url, data, content_type="application/json", **extra)


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def user():
    return UserFactory(email="ada@example.com")


def issue(client, email="ada@example.com", password=PASSWORD) -> str:
    response = post_json(client, TOKEN_URL, {"email": email, "password": password})
    assert response.status_code == 201, response.content
    return response.json()["token"]


def test_token_for_good_credentials(client, user):
    response = post_json(
        client, TOKEN_URL, {"email": " Ada@Example.com ", "password": PASSWORD, "name": "Till"}
    )

    assert response.status_code == 201
    secret = response.json()["token"]
    assert list(response.json()) == ["token"]
    token = ApiToken.objects.get(user=user)
    assert token.name == "Till"
    assert token.digest == ApiToken.digest_for(secret)
    assert secret not in token.digest


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@example.com", "wrong-password"),
        ("nobody@example.com", PASSWORD),
        ("nobody@example.com", "wrong-password"),
        ("not an address", PASSWORD),
        ("", PASSWORD),
        ("ada@example.com", ""),
    ],
)
def test_wrong_credentials_get_the_same_401(client, user, email, password):
    response = post_json(client, TOKEN_URL, {"email": email, "password": password})

    assert response.status_code == 401
    assert response.json() == INVALID_CREDENTIALS
    assert not ApiToken.objects.exists()


def test_an_inactive_account_gets_no_token(client, user):
    user.is_active = False
    user.save()

    response = post_json(client, TOKEN_URL, {"email": user.email, "password": PASSWORD})

    assert response.status_code == 401
    assert response.json() == INVALID_CREDENTIALS


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"email": ["This field is required."], "password": ["This field is required."]}),
        ({"email": "ada@example.com"}, {"password": ["This field is required."]}),
        (
            {"email": "a\x00@example.com", "password": "x"},
            {"email": ["Null characters are not allowed."]},
        ),
        (
            {"email": "a" * 255, "password": "x"},
            {"email": ["String should have at most 254 characters."]},
        ),
        (
            {"email": ["ada@example.com"], "password": "x"},
            {"email": ["Input should be a valid string."]},
        ),
        (
            {"email": "ada@example.com", "password": 12},
            {"password": ["Input should be a valid string."]},
        ),
    ],
)
def test_malformed_token_requests_answer_422(client, user, body, errors):
    response = post_json(client, TOKEN_URL, body)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == errors


@pytest.mark.parametrize("body", ["{not json", "[1, 2", "\x00"])
def test_a_body_that_is_not_json_answers_400(client, body):
    response = client.post(TOKEN_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is not valid JSON.",
        "code": "bad_request",
        "errors": {},
    }


def test_repeated_failures_lock_the_login_out_with_a_json_429(client, user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    statuses = [
        post_json(client, TOKEN_URL, {"email": user.email, "password": "wrong"}).status_code
        for _ in range(3)
    ]

    locked = post_json(client, TOKEN_URL, {"email": user.email, "password": PASSWORD})

    assert statuses == [401, 401, 429]
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json; charset=utf-8"
    assert locked.json() == {
        "detail": "Too many failed login attempts; try again later.",
        "code": "too_many_attempts",
        "errors": {},
    }
    assert not ApiToken.objects.exists()


def test_revoking_the_token_of_the_request(client, user):
    secret = issue(client)
    other = issue(client)

    response = client.delete(TOKEN_URL, **bearer(secret))

    assert response.status_code == 204
    assert response.content == b""
    assert ApiToken.objects.get(digest=ApiToken.digest_for(secret)).revoked_at is not None
    assert ApiToken.objects.get(digest=ApiToken.digest_for(other)).revoked_at is None
    again = client.delete(TOKEN_URL, **bearer(secret))
    assert again.status_code == 401
    assert again.json() == NOT_AUTHENTICATED
    assert client.delete(TOKEN_URL, **bearer(other)).status_code == 204


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer mk_not-a-real-token",
        "Bearer " + "x" * 10_000,
        "Basic YWRhQGV4YW1wbGUuY29tOnNlY3JldA==",
        "Token mk_abc",
    ],
)
def test_requests_without_valid_credentials_get_401(client, user, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}

    response = client.delete(TOKEN_URL, **extra)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_of_a_deactivated_account_stops_working(client, user):
    secret = issue(client)
    user.is_active = False
    user.save()

    assert client.delete(TOKEN_URL, **bearer(secret)).status_code == 401


# The shared auth classes, used the way later routers use them (tests/api/probe_urls.py).


@pytest.mark.urls("tests.api.probe_urls")
def test_user_auth_accepts_a_bearer_token(client, user):
    secret = issue(client)

    response = client.get("/probe/whoami", **bearer(secret))

    assert response.status_code == 200
    assert response.json() == {"email": user.email, "user": user.email}


@pytest.mark.urls("tests.api.probe_urls")
def test_user_auth_accepts_the_session_and_checks_csrf_on_unsafe_methods(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    read = client.get("/probe/whoami")
    unprotected_write = client.post("/probe/whoami")
    client.get("/api/v1/docs")  # any page that renders a CSRF token sets the cookie
    csrf_token = client.cookies["csrftoken"].value
    protected_write = client.post("/probe/whoami", HTTP_X_CSRFTOKEN=csrf_token)

    assert (read.status_code, read.json()["email"]) == (200, user.email)
    assert unprotected_write.status_code == 403
    assert unprotected_write.json() == {
        "detail": "The CSRF token is missing or wrong; reload the page and try again.",
        "code": "csrf_failed",
        "errors": {},
    }
    assert protected_write.status_code == 200


@pytest.mark.urls("tests.api.probe_urls")
def test_a_bearer_token_needs_no_csrf_token_even_with_a_session(user):
    client = Client(enforce_csrf_checks=True)
    secret = issue(client)
    client.force_login(UserFactory(email="other@example.com"))

    response = client.post("/probe/whoami", **bearer(secret))

    assert (response.status_code, response.json()) == (200, {"email": user.email})


@pytest.mark.urls("tests.api.probe_urls")
def test_anonymous_requests_get_401_not_a_csrf_error():
    client = Client(enforce_csrf_checks=True)

    for response in (client.get("/probe/whoami"), client.post("/probe/whoami")):
        assert response.status_code == 401
        assert response.json() == NOT_AUTHENTICATED


@pytest.mark.urls("tests.api.probe_urls")
def test_token_auth_ignores_the_session(client, user):
    client.force_login(user)

    response = client.get("/probe/token-only")

    assert response.status_code == 401
