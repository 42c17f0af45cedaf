"""Caching of anonymous pages and of shared fragments, invalidated by a catalogue version.

Every cached entry is keyed by the catalogue version, a random token that the write services
replace through `catalog_changed()` whenever a product, a price, a picture, a category or a
stock level changes (an order counts only when it leaves a variant low or out of stock, since
only then do the pages change); entries of older versions are never read again and expire on
their own.

The version lives where every process of the shop can read it: in the cache when the cache is
shared (Redis with REDIS_URL), and in a small file otherwise, because local memory belongs to
one process and a gunicorn worker would never hear of a change made in another one.

Only anonymous shoppers get cached pages: a request whose session holds anything (a cart, a
login, messages) or that carries credentials is always rendered afresh, so nothing personal is
ever stored or shown to someone else. Forms on cached pages still work: pages are stored with a
placeholder where the CSRF token goes, and each response gets the token of its own visitor.
"""

import functools
import hashlib
import os
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.http import HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils.translation import get_language

from .csrf import token_for

VERSION_KEY = "mallkit:catalog-version"
# Stands in for the CSRF token in stored pages; only characters that HTML leaves alone.
CSRF_PLACEHOLDER = "mallkit-csrf-placeholder-5b0f1c"
CACHEABLE_STATUSES = {200}


def _shared_cache() -> bool:
    """Whether the default cache is seen by every process (Redis, Memcached, a database)."""
    return not isinstance(caches["default"], LocMemCache | DummyCache)


def _version_file() -> Path:
    """Where the version lives without a shared cache: one file per database on this host."""
    database = connection.settings_dict
    return _version_path(
        "|".join(str(database.get(key) or "") for key in ("ENGINE", "NAME", "HOST", "PORT"))
    )


@functools.lru_cache(maxsize=8)
def _version_path(identity: str) -> Path:
    # Read on every request, so the hashing is done once per database.
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "mallkit-cache" / f"catalog-{digest}.version"


def catalog_version() -> str:
    """The current catalogue version (made on first use)."""
    if _shared_cache():
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
            version = cache.get(VERSION_KEY)
        return version
    try:
        return _read_version_file(_version_file()) or bump_catalog_version()
    except FileNotFoundError:
        return bump_catalog_version()


# The last token read from each version file, with the file's identity when it was read.
_file_versions: dict[Path, tuple[tuple[int, int, int], str]] = {}


def _read_version_file(path: Path) -> str:
    """The file's token; read again only when the file was replaced since the last read.

    Every bump renames a new file into place, so a new inode and modification time; a stat is
    several times cheaper than opening and reading the file on every request.
    """
    status = os.stat(path)
    identity = (status.st_ino, status.st_mtime_ns, status.st_size)
    known = _file_versions.get(path)
    if known is not None and known[0] == identity:
        return known[1]
    version = path.read_text()
    _file_versions[path] = (identity, version)
    return version


def bump_catalog_version() -> str:
    """Start a new catalogue version, so no page or fragment cached before is used again.

    A new random token rather than a counter: two processes bumping at once can never bring
    back a version that pages were already cached under.
    """
    version = secrets.token_hex(8)
    if _shared_cache():
        cache.set(VERSION_KEY, version, timeout=None)
        return version
    path = _version_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: a reader sees the old token or the new one, never half a file.
    temporary = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    temporary.write_text(version)
    os.replace(temporary, path)
    return version


def catalog_changed() -> None:
    """Call from every service that changes what shoppers see of the catalogue or its stock.

    The version moves now, for later reads in this transaction, and again once the transaction
    commits: a page that another process renders from the old rows in between is cached under
    the intermediate version and never served after the commit.
    """
    bump_catalog_version()
    transaction.on_commit(bump_catalog_version)


def versioned_key(*parts) -> str:
    """A cache key that changes with the catalogue version; long parts, and parts with spaces
    or characters a cache such as memcached refuses, are hashed."""
    text = ":".join(str(part) for part in parts)
    if len(text) > 120 or not text.isascii() or not text.isprintable() or " " in text:
        text = hashlib.sha256(text.encode()).hexdigest()
    return f"mallkit:{catalog_version()}:{text}"


def cached_fragment(name: str, compute, *, vary=(), timeout: int | None = None):
    """The value of `compute()`, shared by every visitor until the catalogue changes.

    For what a page shows the same to everyone (menus, shelves, counts); never for anything
    read from the request's user, session or cart. `vary` lists what else the value depends on,
    such as the language.
    """
    if timeout is None:
        timeout = settings.MALLKIT_PAGE_CACHE_SECONDS
    if timeout <= 0:
        return compute()
    key = versioned_key("fragment", name, *vary)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def anonymous_request(request) -> bool:
    """Whether a request may get, and fill, the shared page cache.

    Only a plain GET or HEAD of a visitor with nothing personal: no credentials, no messages
    waiting, and no session or an empty one. Django keeps a login in the session and the shop
    keeps an anonymous cart there, so a visitor with either never shares a page.
    """
    if request.method not in {"GET", "HEAD"} or "HTTP_AUTHORIZATION" in request.META:
        return False
    if request.headers.get("HX-Request"):
        # htmx asks for parts of pages; those answers are not whole pages to share.
        return False
    if "messages" in request.COOKIES:
        return False
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True
    session = getattr(request, "session", None)
    if session is None or list(session.keys()):
        return False
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def page_key(request) -> str:
    """The key of a page: the catalogue version, the language, the address and the query."""
    return versioned_key(
        "page", get_language(), request.scheme, request.get_host(), request.get_full_path()
    )


def _with_csrf_token(request, content: bytes) -> bytes:
    placeholder = CSRF_PLACEHOLDER.encode()
    if placeholder not in content:
        return content
    # The visitor's own token; it also has the CSRF middleware send them its cookie.
    return content.replace(placeholder, token_for(request).encode())


def _entry(response) -> dict:
    # The length changes once the token is in; CommonMiddleware sets it for each answer.
    headers = [
        (name, value) for name, value in response.items() if name.lower() != "content-length"
    ]
    return {"status": response.status_code, "headers": headers, "content": response.content}


def _answer(request, entry: dict) -> HttpResponse:
    response = HttpResponse(_with_csrf_token(request, entry["content"]), status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    # The page as stored, for the WSGI layer in front of Django (core/shared_pages.py).
    response.shared_page_content = entry["content"]
    return response


def _storable(request, response) -> bool:
    if response.status_code not in CACHEABLE_STATUSES or response.streaming:
        return False
    if response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        # The page holds the visitor's real CSRF token instead of the placeholder.
        return False
    cache_control = response.get("Cache-Control", "")
    if "private" in cache_control or "no-store" in cache_control:
        return False
    session = getattr(request, "session", None)
    # A view that wrote to the session made the visitor someone; their page is theirs.
    return session is None or not session.modified


def cache_anonymous_page(view):
    """Let PageCacheMiddleware share this GET view's answers among anonymous visitors.

    The view must depend only on the address, the query string and the language, and return a
    TemplateResponse (rendered with a placeholder for the CSRF token) or JSON. Answers that set
    cookies, that are not 200 or that are marked private are never stored.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if getattr(request, "page_cache_key", None) is None:
            return response
        if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
            response.context_data = {
                **(response.context_data or {}),
                "csrf_token": CSRF_PLACEHOLDER,
            }
        response.page_cache = True
        return response

    return wrapper


class PageCacheMiddleware:
    """Answer anonymous visitors from the page cache before the rest of the stack runs.

    It sits right after CsrfViewMiddleware: the session, the language and the CSRF cookie are
    known there, and a cache hit skips what follows (authentication, messages, URL resolution
    and the view). Only views marked with cache_anonymous_page are stored; the headers the
    inner middleware added (X-Frame-Options, ...) are stored with the page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.MALLKIT_PAGE_CACHE_SECONDS
        if seconds <= 0 or not anonymous_request(request):
            return self.get_response(request)
        key = page_key(request)
        entry = cache.get(key)
        if entry is not None:
            return _answer(request, entry)
        request.page_cache_key = key
        response = self.get_response(request)
        if not getattr(response, "page_cache", False):
            return response
        if _storable(request, response):
            entry = _entry(response)
            cache.set(key, entry, seconds)
            return _answer(request, entry)
        if not response.streaming:
            response.content = _with_csrf_token(request, response.content)
        return response
