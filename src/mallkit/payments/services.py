"""Payment services: the only code that stores what gateways answer.

Every answer becomes an append-only PaymentTransaction. Gateways are called outside database
transactions (they may be slow or remote), after the order they pay for is committed.

Webhooks are verified by their gateway, stored once by the provider's event id and applied
idempotently (handle_webhook). Refunds live in payments.refunds; refund_payment and its errors
are importable from here too, as every other payment service is.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q

from mallkit.core.db import insert
from mallkit.core.errors import Conflict, DomainError
from mallkit.notifications import services as notifications
from mallkit.orders import services as orders
from mallkit.orders import transitions
from mallkit.orders.models import Order

from . import gateways, refunds
from .gateways.base import GatewayError, GatewayEvent, GatewayResult, InvalidWebhook, PaymentRequest
from .models import Payment, PaymentTransaction, WebhookEvent
from .refunds import RefundExceedsPaid, RefundFailed, RefundNotAllowed, refund_payment

__all__ = [
    "RefundExceedsPaid",
    "RefundFailed",
    "RefundNotAllowed",
    "WebhookOutcome",
    "create_payment",
    "handle_webhook",
    "new_reference",
    "record_failure",
    "record_success",
    "refund_payment",
    "start_payment",
]

PAYMENT_SUCCEEDED = "payment.succeeded"
PAYMENT_FAILED = "payment.failed"
REFUND_SUCCEEDED = "refund.succeeded"


def new_reference() -> str:
    return "pay_" + secrets.token_hex(12)


def create_payment(
    *, order, gateway_code: str, return_url: str = "", cancel_url: str = ""
) -> Payment:
    """Open a pending payment for the whole order (call inside the order's transaction).

    A gateway that starts locally (it only computes its answer, such as cash on delivery's
    instructions) is started here too, in the same transaction; `payment.started` is then
    True and start_payment returns it unchanged. Any other is started by start_payment once
    the order is committed.
    """
    gateway = gateways.get(gateway_code)
    payment = Payment(
        order=order,
        gateway=gateway_code,
        reference=new_reference(),
        amount=order.total,
        currency=order.currency,
    )
    if not getattr(gateway, "starts_locally", False):
        insert([payment])
        return payment
    result = _ask_gateway(gateway, payment, return_url=return_url, cancel_url=cancel_url)
    payment.provider_reference = result.provider_reference
    payment.redirect_url = result.redirect_url
    payment.instructions = result.instructions
    insert([payment])
    return _store_start(payment, result)


def _ask_gateway(gateway, payment: Payment, *, return_url: str, cancel_url: str) -> GatewayResult:
    order = payment.order
    request = PaymentRequest(
        reference=payment.reference,
        order_number=order.number,
        amount=payment.amount,
        currency=payment.currency,
        email=order.email,
        description=f"Order {order.number}",
        return_url=return_url,
        cancel_url=cancel_url,
        idempotency_key=f"start-{payment.reference}",
    )
    try:
        return gateway.start(payment=request)
    except GatewayError as error:
        return GatewayResult(status="failed", message=str(error)[:500])


def _store_start(payment: Payment, result: GatewayResult) -> Payment:
    """Record a gateway's answer to starting the payment (the payment row holds it already)."""
    # Inside the order's transaction (a local start) no savepoint: any error undoes the order.
    with transaction.atomic(savepoint=False):
        insert(
            [
                PaymentTransaction(
                    payment=payment,
                    kind=PaymentTransaction.Kind.START,
                    success=result.status != "failed",
                    amount=payment.amount,
                    currency=payment.currency,
                    provider_reference=result.provider_reference,
                    message=result.message[:500],
                    raw=result.raw,
                )
            ]
        )
        if result.status == "succeeded":
            record_success(
                payment=payment,
                amount=payment.amount,
                currency=payment.currency,
                provider_reference=result.provider_reference,
            )
    if result.status == "succeeded":
        payment.refresh_from_db()
    payment.started = True
    return payment


def start_payment(*, payment: Payment, return_url: str = "", cancel_url: str = "") -> Payment:
    """Ask the gateway to start collecting the money and store its answer.

    Call after the order is committed. A payment already started is returned unchanged, so a
    retried request does not start a second collection.
    """
    if getattr(payment, "started", False) or (
        payment.transactions.filter(kind=PaymentTransaction.Kind.START).exists()
    ):
        return payment
    gateway = gateways.get(payment.gateway)
    result = _ask_gateway(gateway, payment, return_url=return_url, cancel_url=cancel_url)
    payment.provider_reference = result.provider_reference or payment.provider_reference
    payment.redirect_url = result.redirect_url
    payment.instructions = result.instructions
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(
            provider_reference=payment.provider_reference,
            redirect_url=payment.redirect_url,
            instructions=payment.instructions,
        )
        return _store_start(payment, result)


def record_success(
    *,
    payment: Payment,
    amount: Decimal,
    currency: str,
    provider_reference: str = "",
    raw=None,
    actor=None,
) -> Payment:
    """Record money received for a payment; the order is marked paid exactly once.

    An amount or currency that does not match the payment is recorded and the order flagged
    for staff instead.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
        if amount != payment.amount or currency.upper() != payment.currency.upper():
            PaymentTransaction.objects.create(
                payment=payment,
                kind=PaymentTransaction.Kind.MISMATCH,
                success=False,
                amount=amount,
                currency=currency.upper()[:3],
                provider_reference=provider_reference,
                message=f"Expected {payment.amount} {payment.currency}.",
                raw=raw or {},
            )
            orders.flag(
                order=payment.order,
                actor=actor,
                reason=(
                    f"Payment {payment.reference} reported {amount} {currency}, "
                    f"expected {payment.amount} {payment.currency}."
                ),
            )
            return payment
        if payment.status == Payment.Status.SUCCEEDED:
            return payment
        if payment.status not in {Payment.Status.PENDING, Payment.Status.FAILED}:
            raise Conflict(f"Payment {payment.reference} is {payment.status}.")
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.SUCCEEDED)
        PaymentTransaction.objects.create(
            payment=payment,
            kind=PaymentTransaction.Kind.CAPTURE,
            amount=amount,
            currency=payment.currency,
            provider_reference=provider_reference,
            raw=raw or {},
        )
        order = payment.order
        if transitions.allowed(order, "confirm_payment"):
            order = orders.mark_paid(order=order, amount=amount, actor=actor)
            Payment.objects.filter(pk=payment.pk).update(applied_to_order=True)
            # Reached once per payment: the status check above makes replays return early.
            notifications.send_payment_received(order=order)
        else:
            # Money for an order that can no longer take it (expired or cancelled): keep the
            # record and ask staff to refund or reinstate.
            orders.flag(
                order=order,
                actor=actor,
                reason=f"Payment {payment.reference} arrived for a {order.status} order.",
            )
        payment.refresh_from_db()
        return payment


def record_failure(
    *, payment: Payment, message: str = "", provider_reference: str = "", raw=None
) -> Payment:
    """Record a failed attempt; the order stays unpaid so the shopper may try again.

    A failure reported after the payment succeeded is kept as a record only: it neither tells
    the shopper nor the order's timeline that the (successful) payment failed.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
        PaymentTransaction.objects.create(
            payment=payment,
            kind=PaymentTransaction.Kind.FAILURE,
            success=False,
            amount=payment.amount,
            currency=payment.currency,
            provider_reference=provider_reference,
            message=message[:500],
            raw=raw or {},
        )
        if payment.status == Payment.Status.SUCCEEDED:
            return payment
        if payment.status == Payment.Status.PENDING:
            Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED)
        order = payment.order
        orders.record_event(
            order=order,
            type="payment_failed",
            message=message or "The payment was declined.",
            visible_to_customer=True,
        )
        if (
            order.status == Order.Status.PENDING
            and order.payment_status == Order.PaymentStatus.UNPAID
        ):
            # Only an order still waiting for its money can be paid again, so only then is the
            # shopper told to try again.
            notifications.send_payment_failed(order=order)
        payment.refresh_from_db()
        return payment


# Webhooks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookOutcome:
    """What became of a webhook: "processed", "duplicate" (seen before) or "ignored"."""

    status: str
    event_id: str
    outcome: str


def handle_webhook(*, gateway_code: str, headers: Mapping[str, str], body: bytes) -> WebhookOutcome:
    """Verify a gateway's webhook, store it once by its event id and apply it.

    Raises NotFound for an unknown gateway and InvalidWebhook for a bad or missing signature, a
    stale timestamp or a malformed body; then nothing is written. An event already stored
    answers "duplicate" and changes nothing, however many copies arrive at once.
    """
    gateway = gateways.get(gateway_code)
    event = gateway.parse_webhook(headers=headers, body=body)
    if not event.event_id or len(event.event_id) > 255 or len(event.type) > 100:
        raise InvalidWebhook("The webhook's event id or type is not valid.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    gateway=gateway.code,
                    event_id=event.event_id,
                    type=event.type,
                    payload=event.raw,
                )
        except IntegrityError:
            seen = (
                WebhookEvent.objects.filter(gateway=gateway.code, event_id=event.event_id)
                .values_list("outcome", flat=True)
                .first()
            )
            return WebhookOutcome("duplicate", event.event_id, seen or "")
        try:
            with transaction.atomic():
                status, outcome = _apply_event(gateway_code=gateway.code, event=event)
        except DomainError as error:
            # A refusal by the domain (e.g. a cancelled payment) will not change on a retry, so
            # the event is kept with the reason instead of being asked for again.
            status, outcome = "ignored", f"Not applied: {error.message}"
        WebhookEvent.objects.filter(pk=record.pk).update(outcome=outcome[:255])
    return WebhookOutcome(status, event.event_id, outcome)


def _find_payment(*, gateway_code: str, event: GatewayEvent) -> Payment | None:
    candidates = Payment.objects.filter(gateway=gateway_code).select_related("order")
    if event.reference:
        found = candidates.filter(reference=event.reference).first()
        if found is not None:
            return found
    if event.provider_reference:
        # Some notices (a refund made in the provider's dashboard) name only the provider's id.
        return (
            candidates.filter(
                Q(provider_reference=event.provider_reference)
                | Q(
                    transactions__kind=PaymentTransaction.Kind.CAPTURE,
                    transactions__provider_reference=event.provider_reference,
                )
            )
            .distinct()
            .first()
        )
    return None


def _apply_event(*, gateway_code: str, event: GatewayEvent) -> tuple[str, str]:
    if event.type not in {PAYMENT_SUCCEEDED, PAYMENT_FAILED, REFUND_SUCCEEDED}:
        return "ignored", f"Ignored a {event.type} event."
    payment = _find_payment(gateway_code=gateway_code, event=event)
    if payment is None:
        return "ignored", "unknown payment"
    if event.type == PAYMENT_FAILED:
        record_failure(
            payment=payment,
            message=event.message or "The payment failed.",
            provider_reference=event.provider_reference,
            raw=event.raw,
        )
        return "processed", "Payment failure recorded."
    # Lock first, so what follows reads the payment as it is, not as it was before a racing
    # event for the same payment committed.
    payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
    if event.amount is None:
        orders.flag(
            order=payment.order,
            reason=f"A {event.type} notice for payment {payment.reference} had no amount.",
        )
        return "processed", "No amount given; flagged for staff."
    if event.type == REFUND_SUCCEEDED:
        return "processed", refunds.apply_refund_notice(payment=payment, event=event)
    was_succeeded = payment.status == Payment.Status.SUCCEEDED
    payment = record_success(
        payment=payment,
        amount=event.amount,
        currency=event.currency,
        provider_reference=event.provider_reference,
        raw=event.raw,
    )
    if payment.status != Payment.Status.SUCCEEDED:
        return "processed", "Amount or currency did not match the order; flagged for staff."
    if was_succeeded:
        return "processed", "Payment was already recorded."
    if payment.applied_to_order:
        return "processed", "Payment captured; order marked paid."
    return "processed", "Payment captured for an order that cannot take it; flagged for staff."
