"""The WSGI layer in front of Django (mallkit.wsgi.application): anonymous pages from the cache
with the same headers Django gives, each visitor's own CSRF token, and the catalogue version
followed like every other cached page. Requests are made the way gunicorn makes them: a WSGI
environ handed to the application."""

import io
import logging
import re
import sys
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mallkit.catalog.services import update_variant
from mallkit.core import cache as page_cache
from mallkit.core.csrf import masked_token, valid_secret
from mallkit.core.shared_pages import SharedPageApp
from mallkit.wsgi import application
from tests.storefront.factories import CategoryFactory, make_product

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SECRET = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
OTHER_SECRET = "zyxwvutsrqponmlkjihgfedcba987654"


@pytest.fixture(autouse=True)
def _shop(settings):
    settings.MALLKIT_MODE = "shop"
    settings.MALLKIT_CURRENCY = "USD"
    settings.MALLKIT_PAGE_CACHE_SECONDS = 300
    settings.LANGUAGE_CODE = "en"
    settings.ALLOWED_HOSTS = ["shop.example", "other.example"]


@pytest.fixture
def teapot():
    shelf = CategoryFactory(name="Teaware", slug="teaware")
    return make_product("Stoneware Teapot", "10.00", stock=10, categories=[shelf])


@pytest.fixture
def django_runs():
    """How many requests reached Django (the layer itself never sends request_started)."""
    seen = []

    def count(**kwargs):
        seen.append(1)

    request_started.connect(count)
    yield seen
    request_started.disconnect(count)


class Answer:
    def __init__(self, status: str, headers: list, body: bytes):
        self.status, self.body = status, body
        self.headers = headers
        self.code = int(status.split()[0])

    def header(self, name: str) -> str | None:
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found[0] if found else None

    def cookies(self) -> list[str]:
        return [value for key, value in self.headers if key.lower() == "set-cookie"]

    @property
    def text(self) -> str:
        return self.body.decode()


def wsgi_get(path: str, *, secret: str | None = SECRET, method="GET", cookies=None, **headers):
    """One request through mallkit.wsgi.application, as gunicorn would make it."""
    path_info, _, query = path.partition("?")
    jar = dict(cookies or {})
    if secret is not None:
        jar["csrftoken"] = secret
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "HTTP_HOST": "shop.example",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        **({"HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}),
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    setup_testing_defaults(environ)
    answered = {}

    def start_response(status, response_headers, exc_info=None):
        answered.update(status=status, headers=response_headers)

    # As Django's test client does: the test's database connection stays open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return Answer(answered["status"], answered["headers"], body)


# Served before Django, like Django ---------------------------------------------------------------


def test_the_second_visit_is_answered_without_django_and_without_sql(teapot, django_runs):
    first = wsgi_get(teapot.get_absolute_url())
    assert first.code == 200 and len(django_runs) == 1

    with CaptureQueriesContext(connection) as queries:
        second = wsgi_get(teapot.get_absolute_url())

    assert second.code == 200
    assert len(django_runs) == 1
    assert len(queries) == 0
    assert "Stoneware Teapot" in second.text


def test_the_shared_answer_carries_the_headers_django_gave(teapot):
    first = wsgi_get("/categories/teaware/")
    second = wsgi_get("/categories/teaware/")

    for name in (
        "Content-Type",
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Vary",
        "Content-Language",
    ):
        assert second.header(name) == first.header(name), name
        assert second.header(name), name
    assert int(second.header("Content-Length")) == len(second.body)
    assert second.header("X-Request-ID") and second.header("X-Request-ID") != first.header(
        "X-Request-ID"
    )
    # The same page apart from the token in its forms.
    assert TOKEN.sub("", second.text) == TOKEN.sub("", first.text)
    assert not second.cookies()


def test_each_answer_has_a_new_token_for_the_visitors_own_secret(teapot):
    wsgi_get(teapot.get_absolute_url())
    pages = [wsgi_get(teapot.get_absolute_url()).text for _ in range(3)]
    other = wsgi_get(teapot.get_absolute_url(), secret=OTHER_SECRET).text

    tokens = [TOKEN.findall(page) for page in pages]
    assert all(tokens)
    assert len({found[0] for found in tokens}) == 3
    assert {_unmask_cipher_token(token) for found in tokens for token in found} == {SECRET}
    assert {_unmask_cipher_token(token) for token in TOKEN.findall(other)} == {OTHER_SECRET}
    assert page_cache.CSRF_PLACEHOLDER not in "".join(pages) + other


def test_a_form_on_a_shared_page_posts_with_its_token(teapot):
    wsgi_get(teapot.get_absolute_url())
    token = TOKEN.findall(wsgi_get(teapot.get_absolute_url()).text)[-1]
    browser = Client(enforce_csrf_checks=True, HTTP_HOST="shop.example")
    browser.cookies["csrftoken"] = SECRET

    added = browser.post(
        "/cart/add/",
        {"sku": teapot.variants.get().sku, "quantity": "1", "csrfmiddlewaretoken": token},
    )
    refused = Client(enforce_csrf_checks=True, HTTP_HOST="shop.example").post(
        "/cart/add/",
        {"sku": teapot.variants.get().sku, "quantity": "1", "csrfmiddlewaretoken": token},
    )

    assert added.status_code == 302
    assert refused.status_code == 403


def test_a_price_change_through_the_service_shows_on_the_next_view(
    teapot, django_capture_on_commit_callbacks
):
    page = teapot.get_absolute_url()
    for _ in range(2):
        assert "$10.00" in wsgi_get(page).text
        assert "$10.00" in wsgi_get("/categories/teaware/").text

    with django_capture_on_commit_callbacks(execute=True):
        update_variant(variant=teapot.variants.get(), changes={"price": "12.50"})

    for url in (page, "/categories/teaware/"):
        text = wsgi_get(url).text
        assert "$12.50" in text and "$10.00" not in text


def test_the_language_django_would_choose_is_part_of_the_key(teapot, django_runs):
    english = wsgi_get("/")
    chinese = wsgi_get("/", accept_language="zh-Hans,zh;q=0.9")
    by_cookie = wsgi_get("/", cookies={"django_language": "zh-hans"})
    again = wsgi_get("/", accept_language="zh-CN,zh;q=0.9")

    assert 'lang="en"' in english.text
    assert 'lang="zh-hans"' in chinese.text and chinese.header("Content-Language") == "zh-hans"
    assert 'lang="zh-hans"' in by_cookie.text and 'lang="zh-hans"' in again.text
    # The two ways of asking for Chinese share one stored page.
    assert len(django_runs) == 2


def test_the_host_and_the_scheme_are_part_of_the_key(teapot, settings, django_runs):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    wsgi_get("/")
    wsgi_get("/", host="other.example")
    wsgi_get("/", x_forwarded_proto="https")
    assert len(django_runs) == 3

    wsgi_get("/", host="other.example")
    wsgi_get("/", x_forwarded_proto="https")
    assert len(django_runs) == 3
    assert wsgi_get("/", host="evil.example").code == 400


def test_a_visitor_without_a_csrf_cookie_gets_one_from_django(teapot, django_runs):
    wsgi_get(teapot.get_absolute_url())

    first_visit = wsgi_get(teapot.get_absolute_url(), secret=None)

    assert len(django_runs) == 2
    (cookie,) = first_visit.cookies()
    secret = cookie.strip().split(";")[0].split("=", 1)[1]
    assert valid_secret(secret)
    assert {_unmask_cipher_token(token) for token in TOKEN.findall(first_visit.text)} == {secret}


def test_an_answer_without_a_form_is_shared_with_cookieless_clients(teapot, django_runs):
    assert wsgi_get("/api/v1/products", secret=None).code == 200
    with CaptureQueriesContext(connection) as queries:
        answer = wsgi_get("/api/v1/products", secret=None)

    assert len(django_runs) == 1 and len(queries) == 0
    assert answer.header("Content-Type") == "application/json; charset=utf-8"
    assert answer.body.startswith(b"{") and b"Stoneware Teapot" in answer.body


# Everything else goes to Django ------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"cookies": {"sessionid": "abc"}},
        {"cookies": {"messages": "waiting"}},
        {"authorization": "Bearer mk_unknown"},
        {"hx_request": "true"},
        {"secret": "not-a-valid-secret"},
        {"method": "HEAD"},
    ],
    ids=["session", "messages", "credentials", "htmx", "bad-csrf-cookie", "head"],
)
def test_requests_that_may_be_personal_go_to_django(teapot, django_runs, extra):
    wsgi_get(teapot.get_absolute_url())
    wsgi_get(teapot.get_absolute_url())
    assert len(django_runs) == 1

    wsgi_get(teapot.get_absolute_url(), **extra)

    assert len(django_runs) == 2


def test_a_post_goes_to_django(teapot, django_runs):
    wsgi_get("/")
    assert wsgi_get("/", method="POST").code == 403  # no CSRF token: Django's answer
    assert len(django_runs) == 2


def test_missing_pages_and_a_zero_cache_time_store_nothing(teapot, settings, django_runs):
    wsgi_get("/products/nothing-here/")
    assert wsgi_get("/products/nothing-here/").code == 404
    assert len(django_runs) == 2

    settings.MALLKIT_PAGE_CACHE_SECONDS = 0
    wsgi_get("/")
    wsgi_get("/")
    assert len(django_runs) == 4


def test_an_answer_that_sets_another_cookie_is_not_stored():
    answered = {"status": "200 OK", "headers": [("Set-Cookie", f" csrftoken={SECRET}; Path=/")]}
    assert SharedPageApp._storable(answered, SECRET)
    answered["headers"].append(("Set-Cookie", " sessionid=xyz; Path=/"))
    assert not SharedPageApp._storable(answered, SECRET)
    assert not SharedPageApp._storable({"status": "200 OK", "headers": answered["headers"]}, None)
    assert not SharedPageApp._storable({"status": "301 Moved Permanently", "headers": []}, SECRET)


def test_each_shared_answer_is_logged_with_its_request_id(teapot, caplog):
    wsgi_get("/")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mallkit.request"):
        answer = wsgi_get("/", x_request_id="proxy-id-123")

    (record,) = [record for record in caplog.records if record.name == "mallkit.request"]
    assert answer.header("X-Request-ID") == "proxy-id-123"
    assert record.fields["request_id"] == "proxy-id-123"
    assert record.fields["status"] == 200 and record.fields["cache"] == "shared"


# The token maker ---------------------------------------------------------------------------------


def test_masked_tokens_have_djangos_format_and_unmask_to_the_secret():
    tokens = {masked_token(SECRET) for _ in range(200)}

    assert len(tokens) == 200
    for token in tokens:
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == SECRET
    # Every mask character turns up: the masks are not drawn from part of the alphabet.
    assert {character for token in tokens for character in token[:32]} == set(CSRF_ALLOWED_CHARS)


def test_only_secrets_in_djangos_format_are_valid():
    assert valid_secret(SECRET)
    for bad in (None, "", SECRET[:-1], SECRET + "a", SECRET[:-1] + "-", masked_token(SECRET)):
        assert not valid_secret(bad)
