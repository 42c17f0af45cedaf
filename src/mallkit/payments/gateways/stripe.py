"""Stripe: card payments on Stripe Checkout through the official `stripe` package.

Enable it by adding "mallkit.payments.gateways.stripe.StripeGateway" to MALLKIT_PAYMENT_GATEWAYS
and setting STRIPE_SECRET_KEY (sk_…) and STRIPE_WEBHOOK_SECRET (whsec_…); point a Stripe webhook
endpoint at /api/v1/payments/stripe/webhook with the events checkout.session.completed,
checkout.session.async_payment_succeeded, checkout.session.async_payment_failed,
checkout.session.expired and charge.refunded. Settings are read at each call, never at import.
STRIPE_API_BASE sends the SDK elsewhere (the tests' local fake server); STRIPE_SITE_URL makes a
relative return address absolute, as Stripe requires.

Every call carries an idempotency key, so a retried start or refund is done once by Stripe.
"""

import json
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import urljoin

import stripe
from django.conf import settings
from django.utils.translation import gettext_lazy

from mallkit.core.money import minor_unit

from .base import GatewayError, GatewayEvent, GatewayResult, InvalidWebhook, PaymentRequest

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300
SUCCEEDED_TYPES = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
FAILED_TYPES = {"checkout.session.async_payment_failed", "checkout.session.expired"}
REFUNDED_TYPES = {"charge.refunded"}


def to_minor(amount: Decimal, currency: str) -> int:
    """An amount in the currency's smallest unit, as Stripe counts (129.00 USD is 12900)."""
    return int((Decimal(amount) / minor_unit(currency)).to_integral_value())


def from_minor(value, currency: str) -> Decimal:
    return (Decimal(int(value)) * minor_unit(currency)).quantize(minor_unit(currency))


def _setting(name: str) -> str:
    return getattr(settings, name, "") or ""


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = {name.lower(), "http_" + name.lower().replace("-", "_")}
    for key, value in headers.items():
        if key.lower() in wanted:
            return value
    return ""


class StripeGateway:
    code = "stripe"
    name = gettext_lazy("Card (Stripe)")
    is_online = True
    confirms_order = False
    supports_refunds = True

    def client(self) -> stripe.StripeClient:
        key = _setting("STRIPE_SECRET_KEY")
        if not key:
            raise GatewayError("Stripe is not configured: set STRIPE_SECRET_KEY.")
        base = _setting("STRIPE_API_BASE")
        return stripe.StripeClient(
            key,
            base_addresses={"api": base} if base else None,
            max_network_retries=2,
        )

    def _absolute(self, url: str) -> str:
        if not url or url.startswith(("http://", "https://")):
            return url
        site = _setting("STRIPE_SITE_URL")
        if not site:
            raise GatewayError("Stripe needs absolute return addresses: set STRIPE_SITE_URL.")
        return urljoin(site, url)

    def start(self, *, payment: PaymentRequest) -> GatewayResult:
        if not payment.return_url:
            raise GatewayError("Stripe Checkout needs a return address.")
        metadata = {"reference": payment.reference, "order_number": payment.order_number}
        params = {
            "mode": "payment",
            "client_reference_id": payment.reference,
            "customer_email": payment.email,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": payment.currency.lower(),
                        "unit_amount": to_minor(payment.amount, payment.currency),
                        "product_data": {"name": payment.description},
                    },
                }
            ],
            "metadata": metadata,
            # Copied to the PaymentIntent so its charges (and their refunds) name the payment.
            "payment_intent_data": {"metadata": metadata},
            "success_url": self._absolute(payment.return_url),
            "cancel_url": self._absolute(payment.cancel_url or payment.return_url),
        }
        try:
            session = self.client().v1.checkout.sessions.create(
                params=params,
                options={
                    "idempotency_key": payment.idempotency_key or f"start-{payment.reference}"
                },
            )
        except stripe.StripeError as error:
            raise GatewayError(f"Stripe: {error.user_message or error}") from error
        return GatewayResult(
            status="redirect",
            provider_reference=session.id,
            redirect_url=session.url or "",
            raw={"session": session.id},
        )

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> GatewayEvent:
        secret = _setting("STRIPE_WEBHOOK_SECRET")
        if not secret:
            raise InvalidWebhook("Stripe webhooks are not configured: set STRIPE_WEBHOOK_SECRET.")
        try:
            stripe.Webhook.construct_event(
                body, _header(headers, SIGNATURE_HEADER), secret, tolerance=TOLERANCE_SECONDS
            )
            event = json.loads(body)
            event_id, event_type = str(event["id"]), str(event["type"])
            item = event["data"]["object"]
        except stripe.SignatureVerificationError as error:
            raise InvalidWebhook(f"The Stripe signature is not valid: {error}") from None
        except (ValueError, KeyError, TypeError):
            raise InvalidWebhook("The webhook body is not a valid Stripe event.") from None
        try:
            return self._event(event_id, event_type, item, event)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InvalidWebhook("The Stripe event lacks the fields the shop needs.") from None

    def _event(self, event_id: str, event_type: str, item: dict, event: dict) -> GatewayEvent:
        metadata = item.get("metadata") or {}
        currency = str(item.get("currency") or "").upper()
        if event_type in SUCCEEDED_TYPES | FAILED_TYPES:
            mapped = "payment.failed" if event_type in FAILED_TYPES else "payment.succeeded"
            if mapped == "payment.succeeded" and item.get("payment_status") != "paid":
                # A completed session paid by a delayed method (a bank debit) is not money yet;
                # its async_payment_succeeded event will be.
                mapped = "payment.pending"
            return GatewayEvent(
                event_id=event_id,
                type=mapped,
                reference=str(metadata.get("reference") or item.get("client_reference_id") or ""),
                amount=from_minor(item["amount_total"], currency),
                currency=currency,
                provider_reference=str(item.get("payment_intent") or item.get("id") or ""),
                raw=event,
                message=f"Stripe: {event_type}",
            )
        if event_type in REFUNDED_TYPES:
            refunds = (item.get("refunds") or {}).get("data") or []
            return GatewayEvent(
                event_id=event_id,
                type="refund.succeeded",
                reference=str(metadata.get("reference") or ""),
                amount=from_minor(item["amount_refunded"], currency),
                currency=currency,
                provider_reference=str(item.get("payment_intent") or item.get("id") or ""),
                raw=event,
                refund_reference=str(refunds[0].get("id") or "") if len(refunds) == 1 else "",
                amount_refunded=from_minor(item["amount_refunded"], currency),
            )
        return GatewayEvent(
            event_id=event_id, type=event_type, reference="", amount=None, currency="", raw=event
        )

    def refund(
        self, *, reference: str, amount: Decimal, currency: str = "", idempotency_key: str = ""
    ) -> GatewayResult:
        if not currency:
            raise GatewayError("Stripe refunds need the payment's currency.")
        target = "charge" if reference.startswith(("ch_", "py_")) else "payment_intent"
        try:
            refund = self.client().v1.refunds.create(
                params={target: reference, "amount": to_minor(amount, currency)},
                options={"idempotency_key": idempotency_key or f"refund-{reference}-{amount}"},
            )
        except stripe.StripeError as error:
            return GatewayResult(status="failed", message=f"Stripe: {error.user_message or error}")
        status = getattr(refund, "status", "") or ""
        if status in {"failed", "canceled"}:
            return GatewayResult(
                status="failed",
                provider_reference=refund.id,
                message=f"Stripe refund {refund.id} {status}.",
            )
        # "pending" refunds complete later; Stripe reports them with charge.refunded then.
        return GatewayResult(
            status="succeeded",
            provider_reference=refund.id,
            message=f"Stripe refund {refund.id} {status or 'created'}.",
            raw={"refund": refund.id, "status": status},
        )
