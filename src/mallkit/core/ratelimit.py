"""Rate limits on logins and checkouts per client address, counted in the shared cache.

The counters live in the default cache, so with REDIS_URL every app server counts the same
attempts; with the local-memory cache each process counts its own (one small box).

Rules are settings, not code, so the views they protect need not know about them:

    MALLKIT_RATE_LIMITS = {
        "login": {"rate": "20/300", "methods": ["POST"], "paths": ["/account/login/"]},
    }

`rate` is "requests/seconds"; a request counts when its method is listed and its path starts
with one of `paths`. A client over the limit gets 429 with Retry-After: JSON under /api/, a
page everywhere else.
"""

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render

from .client_ip import client_ip

API_PREFIX = "/api/"


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    seconds: int
    methods: frozenset[str]
    paths: tuple[str, ...]

    def applies_to(self, request) -> bool:
        return request.method in self.methods and request.path_info.startswith(self.paths)


def parse_rate(rate: str) -> tuple[int, int]:
    """("20/300") -> (20, 300): at most 20 requests in 300 seconds."""
    count, _, seconds = str(rate).partition("/")
    limit, window = int(count), int(seconds or 60)
    if limit < 0 or window <= 0:
        raise ValueError(f"Invalid rate {rate!r}: use 'requests/seconds', such as '20/300'.")
    return limit, window


def rules() -> list[Rule]:
    """The configured rules, read afresh so settings overridden in tests take effect."""
    found = []
    for name, rule in settings.MALLKIT_RATE_LIMITS.items():
        limit, seconds = parse_rate(rule["rate"])
        found.append(
            Rule(
                name=name,
                limit=limit,
                seconds=seconds,
                methods=frozenset(method.upper() for method in rule.get("methods", ["POST"])),
                paths=tuple(rule["paths"]),
            )
        )
    return found


def clock() -> float:
    """Seconds since the epoch; one seam so tests can hold time still inside a window."""
    return time.time()


def hit(*, rule: Rule, key: str, now: float | None = None) -> int:
    """Count one request of `key` under `rule`; returns 0 if allowed, else seconds to wait.

    A fixed window per rule and client: the first request of a window creates its counter with
    the window's lifetime, later ones increment it atomically (Redis INCR), so two app servers
    can never both let the last allowed request through twice.
    """
    now = clock() if now is None else now
    window = int(now // rule.seconds)
    counter = f"mallkit:ratelimit:{rule.name}:{key}:{window}"
    cache.add(counter, 0, timeout=rule.seconds + 1)
    try:
        count = cache.incr(counter)
    except ValueError:  # the counter expired between add() and incr()
        cache.set(counter, 1, timeout=rule.seconds + 1)
        count = 1
    if count <= rule.limit:
        return 0
    return max(1, math.ceil((window + 1) * rule.seconds - now))


def too_many_requests(request, *, retry_after: int):
    """The 429 answer: the API's error body under /api/, a friendly page elsewhere."""
    message = "Too many attempts from your address; wait a moment and try again."
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse(
            {"detail": message, "code": "rate_limited", "errors": {}}, status=429
        )
    else:
        response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    """Answer 429 to a client that sent too many requests matching a rule."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for rule in rules():
            if rule.applies_to(request):
                retry_after = hit(rule=rule, key=client_ip(request) or "unknown")
                if retry_after:
                    return too_many_requests(request, retry_after=retry_after)
        return self.get_response(request)
