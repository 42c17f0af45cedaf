"""Hardening: the Content-Security-Policy and the other security headers and cookie flags, in
the test settings and in production settings (DEBUG=0, read by a separate process)."""

import pytest

from .helpers import environment, manage, run_python

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "production-like-secret-key-for-tests-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "shop.example.com",
}


def directives(header: str) -> dict[str, list[str]]:
    found = {}
    for part in header.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


def test_pages_carry_the_policy_and_the_other_headers(client):
    response = client.get("/")

    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_from_the_shared_cache_carry_the_policy_too(client, settings):
    settings.MALLKIT_PAGE_CACHE_SECONDS = 60
    client.get("/")  # stored

    response = client.get("/")

    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_api_and_its_errors_carry_the_policy(client):
    response = client.post("/api/v1/checkout", {}, content_type="application/json")

    assert response.status_code in {401, 403}
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=environment(**PRODUCTION))

    assert "no issues" in result.stdout + result.stderr


def test_production_headers_and_cookies(tmp_path):
    env = environment(**PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    result = run_python(
        "from django.conf import settings as s\n"
        "from django.test import Client\n"
        "response = Client().get('/healthz', secure=True, HTTP_HOST='shop.example.com')\n"
        "plain = Client().get('/', HTTP_HOST='shop.example.com')\n"
        "print(json.dumps({\n"
        "  'status': response.status_code,\n"
        "  'hsts': response.get('Strict-Transport-Security'),\n"
        "  'nosniff': response.get('X-Content-Type-Options'),\n"
        "  'csp': response.get('Content-Security-Policy'),\n"
        "  'redirect': [plain.status_code, plain.get('Location')],\n"
        "  'cookies': [s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,\n"
        "              s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_SAMESITE],\n"
        "}))\n",
        env=env,
    )

    assert result["status"] == 200
    assert result["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert result["nosniff"] == "nosniff"
    assert "object-src 'none'" in result["csp"]
    assert result["redirect"] == [301, "https://shop.example.com/"]
    assert result["cookies"] == [True, True, "Lax", True, "Lax"]


def policy_with(**variables) -> dict[str, list[str]]:
    result = run_python(
        "from django.conf import settings\n"
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']))\n",
        env=environment(**PRODUCTION, **variables),
    )
    return result


def test_media_on_s3_are_allowed_as_images():
    path_style = policy_with(
        AWS_STORAGE_BUCKET_NAME="shop-media",
        AWS_S3_ENDPOINT_URL="https://s3.eu.example.net:9000",
        AWS_S3_ADDRESSING_STYLE="path",
    )
    aws = policy_with(AWS_STORAGE_BUCKET_NAME="shop-media", AWS_S3_REGION_NAME="eu-west-1")
    cdn = policy_with(AWS_STORAGE_BUCKET_NAME="shop-media", AWS_S3_CUSTOM_DOMAIN="img.example.com")

    assert path_style["img-src"] == ["'self'", "data:", "https://s3.eu.example.net:9000"]
    assert aws["img-src"] == [
        "'self'",
        "data:",
        "https://shop-media.s3.amazonaws.com",
        "https://shop-media.s3.eu-west-1.amazonaws.com",
    ]
    assert cdn["img-src"] == ["'self'", "data:", "https://img.example.com"]


def test_stripe_hosted_checkout_is_an_allowed_form_target():
    # Chromium checks form-action on the redirect that follows the payment form's submission.
    policy = policy_with(MALLKIT_PAYMENT_GATEWAYS="mallkit.payments.gateways.stripe.StripeGateway")

    assert policy["form-action"] == ["'self'", "https://checkout.stripe.com"]
