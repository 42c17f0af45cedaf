"""The sandbox: a built-in imitation of an external card-payment provider.

It lets the whole online flow run with no outside account. The "provider" side (a hosted
payment page under /sandbox/ and the webhooks it sends) lives in mallkit.payments.sandbox; this
module is the shop's side of it, the same as for any real provider.

The sandbox's events are `{"id": "evt_…", "type": …, "data": {"reference", "amount", "currency"}}`;
`data` also names the provider's `charge`, and refund events the `refund` and the charge's running
`amount_refunded`, which the shop uses to reconcile refunds (see payments.services).

Webhooks carry `Mallkit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
with the secret MALLKIT_SANDBOX_SECRET; a timestamp more than five minutes away is refused.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode, urlsplit, urlunsplit

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


def local_path(url: str) -> str:
    """The path and query of a URL, or "" when it could lead to another site.

    The sandbox only ever sends shoppers back to this site, so a return address cannot be turned
    into an open redirect; an absolute URL given by the checkout keeps only its path.
    """
    if not url or "\\" in url or any(ord(char) < 32 for char in url):
        return ""
    parts = urlsplit(url)
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return ""
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _decimal(value) -> Decimal:
    amount = Decimal(str(value))
    if not amount.is_finite():
        raise InvalidOperation
    return amount


class SandboxGateway:
    code = "sandbox"
    name = gettext_lazy("Card (sandbox)")
    is_online = True
    confirms_order = False
    supports_refunds = True

    def start(self, *, payment: PaymentRequest) -> GatewayResult:
        # Like a provider's hosted checkout: the shopper pays on the provider's page, which reads
        # the amount from the shop, and comes back to the return address afterwards.
        url = reverse("sandbox:pay", kwargs={"reference": payment.reference})
        query = {
            name: path
            for name, path in (
                ("return_url", local_path(payment.return_url)),
                ("cancel_url", local_path(payment.cancel_url)),
            )
            if path
        }
        return GatewayResult(
            status="redirect",
            redirect_url=f"{url}?{urlencode(query)}" if query else url,
        )

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> GatewayEvent:
        verify(headers, body, secret=settings.MALLKIT_SANDBOX_SECRET)
        try:
            event = json.loads(body)
            data = event["data"]
            event_id, event_type = str(event["id"]), str(event["type"])
            reference = str(data["reference"])
            amount = _decimal(data["amount"])
            currency = str(data["currency"]).upper()
            charge = str(data.get("charge") or "")
            refund = str(data.get("refund") or "")
            message = str(data.get("message") or "")[:500]
            total_refunded = data.get("amount_refunded")
            total_refunded = None if total_refunded is None else _decimal(total_refunded)
        except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation):
            raise InvalidWebhook("The webhook body is not a valid event.") from None
        if not event_id or event_type not in EVENT_TYPES:
            raise InvalidWebhook("The webhook body is not a valid event.")
        return GatewayEvent(
            event_id=event_id,
            type=event_type,
            reference=reference,
            amount=amount,
            currency=currency,
            provider_reference=charge,
            raw=event,
            message=message,
            refund_reference=refund,
            amount_refunded=total_refunded,
        )

    def refund(
        self, *, reference: str, amount: Decimal, currency: str = "", idempotency_key: str = ""
    ) -> GatewayResult:
        # The provider's side stands in for its servers: calling it is this gateway's "HTTP API".
        from mallkit.payments.sandbox import services as provider

        try:
            refund = provider.refund_charge(
                reference=reference, amount=amount, idempotency_key=idempotency_key
            )
        except provider.SandboxRefusal as refusal:
            return GatewayResult(status="failed", message=str(refusal))
        return GatewayResult(
            status="succeeded",
            provider_reference=refund.refund_id,
            message=f"Sandbox refunded {refund.amount} {refund.currency}.",
            raw={"refund": refund.refund_id, "charge": refund.charge_id},
        )
