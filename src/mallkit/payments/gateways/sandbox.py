"""The sandbox: a built-in imitation of an external card-payment provider.

It lets the whole online flow run with no outside account. The "provider" side (a hosted
payment page under /sandbox/ and the webhooks it sends) lives in mallkit.payments.sandbox; this
module is the shop's side of it, the same as for any real provider.

Webhooks carry `Mallkit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
with the secret MALLKIT_SANDBOX_SECRET; a timestamp more than five minutes away is refused.
"""

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy

from .base import GatewayEvent, GatewayResult, InvalidWebhook, PaymentRequest

SIGNATURE_HEADER = "Mallkit-Signature"
TOLERANCE_SECONDS = 300
EVENT_TYPES = {"payment.succeeded", "payment.failed", "refund.succeeded"}


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """The signature header value for a body (used by the sandbox provider and tests)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(headers: Mapping[str, str], body: bytes, *, secret: str, now: float | None = None):
    """Raise InvalidWebhook unless the signature header is valid and fresh."""
    header = ""
    for name, value in headers.items():
        if name.lower().replace("_", "-") in {"mallkit-signature", "http-mallkit-signature"}:
            header = value
            break
    if not header:
        raise InvalidWebhook("The Mallkit-Signature header is missing.")
    parts = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError, IndexError):
        raise InvalidWebhook("The signature has no valid timestamp.") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise InvalidWebhook("The signature's timestamp is too old.")
    expected = sign(body, secret=secret, timestamp=timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise InvalidWebhook("The signature does not match.")


class SandboxGateway:
    code = "sandbox"
    name = gettext_lazy("Card (sandbox)")
    is_online = True
    confirms_order = False
    supports_refunds = True

    def start(self, *, payment: PaymentRequest) -> GatewayResult:
        return GatewayResult(
            status="redirect",
            provider_reference="sbx_" + secrets.token_hex(8),
            redirect_url=reverse("sandbox:pay", kwargs={"reference": payment.reference}),
        )

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> GatewayEvent:
        verify(headers, body, secret=settings.MALLKIT_SANDBOX_SECRET)
        try:
            event = json.loads(body)
            data = event["data"]
            event_id, event_type = str(event["id"]), str(event["type"])
            reference = str(data["reference"])
            amount = Decimal(str(data["amount"]))
            currency = str(data["currency"]).upper()
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise InvalidWebhook("The webhook body is not a valid event.") from None
        if not amount.is_finite() or not event_id or event_type not in EVENT_TYPES:
            raise InvalidWebhook("The webhook body is not a valid event.")
        return GatewayEvent(
            event_id=event_id,
            type=event_type,
            reference=reference,
            amount=amount,
            currency=currency,
            raw=event,
        )

    def refund(self, *, reference: str, amount: Decimal) -> GatewayResult:
        return GatewayResult(
            status="succeeded",
            provider_reference="sbx_re_" + secrets.token_hex(8),
            message=f"Sandbox refunded {amount}.",
        )
