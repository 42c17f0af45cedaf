"""Shared pages answered in front of Django, for the most common visitor of a shop.

PageCacheMiddleware (core/cache.py) shares the pages of anonymous visitors, but a cached answer
still went through Django's request handling and a dozen middleware, three quarters of its cost.
This WSGI layer wraps the Django application (mallkit/wsgi.py) and answers the plainest
request, a GET from a visitor with no session, no messages, no credentials and the CSRF cookie
of an earlier page, straight from the cache: one read of the catalogue version, one of the
page, the visitor's own CSRF token put into its forms and one log line. Answers without a form
(the product-list API, say) are also shared with visitors who have no CSRF cookie at all, such
as apps; a page with a form goes to Django for them, which gives them their cookie.

What it serves is what Django answered to the same request, headers included (CSP, security
headers, Vary, Content-Language), stored when PageCacheMiddleware marked the answer as shareable.
The key is made of everything such an answer depends on: the catalogue version (so a change to a
product, a price or stock is seen on the next view, as with every cached page), the language
Django would choose, the scheme, the host headers, the path and the query string. Everything
else (POST, a session, a first visit without a CSRF cookie, htmx, an API token) goes to Django.
"""

import time
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.http.cookie import parse_cookie
from django.utils.translation import get_language_from_request

from .cache import CSRF_PLACEHOLDER, versioned_key
from .csrf import masked_token, valid_secret
from .logging import incoming_request_id, log_request

# Made afresh for each answer, never replayed from the stored one.
PER_ANSWER_HEADERS = {"content-length", "set-cookie", "x-request-id", "date", "server"}
PLACEHOLDER = CSRF_PLACEHOLDER.encode()


class _RequestView:
    """The two things Django's language choice reads from a request."""

    __slots__ = ("COOKIES", "META")

    def __init__(self, cookies: dict, environ: dict):
        self.COOKIES = cookies
        self.META = environ


def _scheme(environ: dict) -> str:
    """request.scheme as Django works it out, the trusted proxy's header included."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return environ.get("wsgi.url_scheme", "http")


def shared_key(environ: dict) -> tuple[str | None, str | None]:
    """The cache key of this request's page and the visitor's CSRF secret (None without a
    CSRF cookie), or (None, None) when the request is not one this layer may answer."""
    if environ.get("REQUEST_METHOD") != "GET" or settings.MALLKIT_PAGE_CACHE_SECONDS <= 0:
        return None, None
    if "HTTP_AUTHORIZATION" in environ or "HTTP_HX_REQUEST" in environ:
        return None, None
    host = environ.get("HTTP_HOST")
    if not host:
        return None, None
    cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return None, None
    secret = cookies.get(settings.CSRF_COOKIE_NAME)
    if settings.CSRF_USE_SESSIONS or (secret is not None and not valid_secret(secret)):
        # A cookie Django would replace: let it.
        return None, None
    language = get_language_from_request(_RequestView(cookies, environ))
    hosts = [host]
    if settings.USE_X_FORWARDED_HOST:
        hosts.append(environ.get("HTTP_X_FORWARDED_HOST", ""))
    if settings.USE_X_FORWARDED_PORT:
        hosts.append(environ.get("HTTP_X_FORWARDED_PORT", ""))
    key = versioned_key(
        "shared-page",
        language,
        _scheme(environ),
        "|".join(hosts),
        environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )
    return key, secret


class SharedPageApp:
    """WSGI middleware: shared pages from the cache, everything else from `application`."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        key, secret = shared_key(environ)
        if key is None:
            return self.application(environ, start_response)
        entry = cache.get(key)
        if entry is not None and (secret is not None or PLACEHOLDER not in entry["content"]):
            return self._answer(environ, start_response, entry, secret, started)
        answered = {}

        def remember(status, headers, exc_info=None):
            answered.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        response = self.application(environ, remember)
        content = getattr(response, "shared_page_content", None)
        if content is not None and self._storable(answered, secret):
            headers = [
                (name, value)
                for name, value in answered["headers"]
                if name.lower() not in PER_ANSWER_HEADERS
            ]
            cache.set(
                key,
                {"status": answered["status"], "headers": headers, "content": content},
                settings.MALLKIT_PAGE_CACHE_SECONDS,
            )
        return response

    @staticmethod
    def _storable(answered: dict, secret: str | None) -> bool:
        """A 200 that sets no cookie but the visitor's own CSRF cookie, sent back."""
        if not answered.get("status", "").startswith(f"{HTTPStatus.OK.value} "):
            return False
        own_cookie = f"{settings.CSRF_COOKIE_NAME}={secret};" if secret else None
        return all(
            own_cookie is not None and value.lstrip().startswith(own_cookie)
            for name, value in answered["headers"]
            if name.lower() == "set-cookie"
        )

    @staticmethod
    def _answer(environ, start_response, entry: dict, secret: str | None, started: float):
        content = entry["content"]
        if PLACEHOLDER in content:
            content = content.replace(PLACEHOLDER, masked_token(secret).encode())
        request_id = incoming_request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response(
            entry["status"],
            [
                *entry["headers"],
                ("Content-Length", str(len(content))),
                ("X-Request-ID", request_id),
            ],
        )
        log_request(
            method="GET",
            # As request.path has it: WSGI hands the path over as Latin-1.
            path=environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace"),
            status=int(entry["status"].split(" ", 1)[0]),
            started=started,
            request_id=request_id,
            cache="shared",
        )
        return [content]
