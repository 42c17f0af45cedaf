"""The sandbox provider's webhook delivery (django-tasks).

Events are signed when they are sent, not when they are queued, so a delivery that waited in the
queue still carries a fresh timestamp. With MALLKIT_SANDBOX_WEBHOOK_URL set (the demo server and
its worker) the event goes over real HTTP to the shop's webhook endpoint; otherwise it is handed to
payments.services.handle_webhook, the function behind that endpoint, so signature checks, storing
once and applying idempotently run either way.
"""

import logging
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_tasks import task

from mallkit.payments import services as payments
from mallkit.payments.gateways.sandbox import SIGNATURE_HEADER, sign

logger = logging.getLogger(__name__)

# Like a real provider, a failed delivery is tried again later, a few times, further apart.
RETRY_DELAYS = (10, 60, 300, 1800)
TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The shop did not accept the webhook."""


def webhook_url() -> str:
    url = getattr(settings, "MALLKIT_SANDBOX_WEBHOOK_URL", "") or ""
    if url and not url.startswith(("http://", "https://")):
        raise ImproperlyConfigured("MALLKIT_SANDBOX_WEBHOOK_URL must be an http(s) URL.")
    return url


def post(url: str, body: bytes, headers: dict) -> int:
    """POST the body and return the HTTP status (0 when the shop could not be reached)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - webhook_url() allows only http(s)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:
        logger.warning("Sandbox webhook to %s failed: %s", url, error)
        return 0


@task()
def deliver_event(body: str, attempt: int = 1) -> int:
    """Sign an event and hand it to the shop; returns the HTTP status the shop answered."""
    raw = body.encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(raw, secret=settings.MALLKIT_SANDBOX_SECRET),
    }
    url = webhook_url()
    if not url:
        payments.handle_webhook(gateway_code="sandbox", headers=headers, body=raw)
        return 200
    status = post(url, raw, headers)
    if 200 <= status < 300:
        return status
    if attempt <= len(RETRY_DELAYS) and deliver_event.get_backend().supports_defer:
        delay = timedelta(seconds=RETRY_DELAYS[attempt - 1])
        deliver_event.using(run_after=timezone.now() + delay).enqueue(body, attempt + 1)
    raise DeliveryFailed(f"The shop answered {status or 'nothing'} (attempt {attempt}).")
