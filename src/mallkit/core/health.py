"""GET /healthz: whether this app server can reach its database, cache and media storage.

A load balancer or monitor calls it every few seconds, so each check is one small round trip
and nothing is written to the database or the storage. The answer names each part "ok" or
"down" and nothing else: the reason (host names, driver messages) goes to the log, never to
whoever asked.

HealthCheckMiddleware answers it near the top of the stack, before anything that needs the
parts being checked (the page cache and sessions read Redis) and before the host name is
validated: a balancer often asks by the server's address rather than the shop's name.
"""

import logging
import os
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

OK, DOWN = "ok", "down"
HEALTH_PATH = "/healthz"


def check_database(alias: str = "default") -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"mallkit:healthz:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return what was just stored")
    finally:
        cache.delete(key)


def check_storage() -> None:
    if isinstance(default_storage, FileSystemStorage):
        location = default_storage.location
        # An upload makes the folder when it is missing, so only an existing one must be writable.
        if os.path.exists(location) and not (
            os.path.isdir(location) and os.access(location, os.W_OK | os.X_OK)
        ):
            raise PermissionError(f"{location} is not a writable folder")
        return
    bucket = getattr(default_storage, "bucket_name", None)
    if bucket and hasattr(default_storage, "connection"):
        # S3-compatible storage: one metadata request proves address, credentials and bucket
        # (a missing object would be a plain False; a missing bucket must be an error).
        default_storage.connection.meta.client.head_bucket(Bucket=bucket)
        return
    default_storage.exists("healthz-probe")


def checks() -> dict:
    """Each part's name and its check; a configured replica is checked too."""
    found = {
        "database": check_database,
        "cache": check_cache,
        "storage": check_storage,
    }
    replica = getattr(settings, "MALLKIT_REPLICA_DATABASE", None)
    if replica and replica in settings.DATABASES:
        found["replica"] = lambda: check_database(replica)
    return found


def run_checks() -> dict[str, str]:
    results = {}
    for name, check in checks().items():
        try:
            check()
        except Exception:  # any failure means "down"; the log keeps the reason
            logger.exception("Health check of the %s failed.", name)
            results[name] = DOWN
        else:
            results[name] = OK
    return results


@never_cache
@require_safe
def healthz(request):
    """200 when every part is reachable, else 503; the body names each part ok or down."""
    results = run_checks()
    status = 200 if all(value == OK for value in results.values()) else 503
    return JsonResponse(results, status=status)


class HealthCheckMiddleware:
    """Answer /healthz before the middleware that would fail with the parts it reports on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_PATH:
            return healthz(request)
        return self.get_response(request)
