"""Refunds: never more than was paid, each counted once however the provider reports it.

A refund reserves its amount first, with one conditional UPDATE on the payment and on the order
it paid, committed before the gateway is called; a refund that does not happen gives the
reservation back. Racing refunds therefore never add up to more than was paid. Providers also
report refunds by webhook, with their running total refunded: since the shop's own refunds are
counted before the provider hears of them, a notice covered by that count changes nothing, in
whatever order it and the gateway's answer arrive; only money refunded elsewhere (a provider's
dashboard) is added. Locks are taken payment first, then order, everywhere.
"""

import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from mallkit.core import money
from mallkit.core.errors import Conflict, DomainError, ValidationFailed
from mallkit.orders import services as orders
from mallkit.orders.models import OrderEvent

from . import gateways
from .gateways.base import GatewayError, GatewayEvent, GatewayResult
from .models import Payment, PaymentTransaction


class RefundNotAllowed(Conflict):
    """Only a captured payment can be refunded."""

    code = "refund_not_allowed"


class RefundExceedsPaid(Conflict):
    """A refund cannot be more than was paid and not yet refunded."""

    code = "refund_exceeds_paid"


class RefundFailed(DomainError):
    """The payment provider did not make the refund."""

    code = "refund_failed"
    status = 502


def refund_payment(*, payment: Payment, amount, actor=None, reason: str = "") -> PaymentTransaction:
    """Give money back on a captured payment: through its gateway when it supports refunds,
    otherwise recorded as refunded by hand. Returns the refund's transaction.

    Never more than was paid and not yet refunded, even for refunds racing each other: the amount
    is reserved (one conditional UPDATE on the payment and on the order) and committed before
    the gateway is called, and given back if the gateway does not refund. Call it outside a
    transaction, as the gateway may be slow or remote.
    """
    try:
        amount = money.parse_amount(amount, payment.currency)
    except ValueError as error:
        raise ValidationFailed(
            str(error), code="invalid_amount", errors={"amount": [str(error)]}
        ) from None
    if amount <= 0:
        message = "A refund must be more than zero."
        raise ValidationFailed(message, code="invalid_amount", errors={"amount": [message]})
    gateway = gateways.get(payment.gateway)
    key = f"refund-{payment.reference}-{secrets.token_hex(8)}"
    with transaction.atomic():
        payment = _reserve_refund(payment=payment, amount=amount)
    try:
        if gateway.supports_refunds:
            try:
                result = gateway.refund(
                    reference=_captured_reference(payment),
                    amount=amount,
                    currency=payment.currency,
                    idempotency_key=key,
                )
            except GatewayError as error:
                result = GatewayResult(status="failed", message=str(error)[:500])
        else:
            result = GatewayResult(status="succeeded", message="Refunded by hand.")
    except Exception:
        _give_back_refund(payment=payment, amount=amount, message="The refund call broke.", key=key)
        raise
    if result.status != "succeeded":
        _give_back_refund(
            payment=payment,
            amount=amount,
            message=result.message or "The gateway refused the refund.",
            key=key,
            raw=result.raw,
        )
        raise RefundFailed(result.message or "The payment provider did not make the refund.")
    with transaction.atomic():
        return _settle_refund(
            payment=payment,
            amount=amount,
            provider_reference=result.provider_reference,
            message=result.message or f"Refunded through {payment.gateway}.",
            raw={**result.raw, "idempotency_key": key, "manual": not gateway.supports_refunds},
            actor=actor,
            reason=reason,
        )


def _reserve_refund(*, payment: Payment, amount: Decimal) -> Payment:
    """Count the amount as refunded on the payment and, if it paid the order, on the order."""
    payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
    if payment.status != Payment.Status.SUCCEEDED:
        raise RefundNotAllowed(f"Payment {payment.reference} was not captured; nothing to refund.")
    after = money.added("amount_refunded", amount, payment.currency)
    reserved = Payment.objects.filter(pk=payment.pk, amount__gte=after).update(
        amount_refunded=after, updated_at=timezone.now()
    )
    left = payment.amount - payment.amount_refunded
    too_much = RefundExceedsPaid(
        f"At most {left} {payment.currency} of payment {payment.reference} can be refunded.",
        extra={"refundable": str(left)},
    )
    if not reserved:
        raise too_much
    if payment.applied_to_order and not orders.reserve_refund(order=payment.order, amount=amount):
        raise too_much  # the payment's reservation is rolled back with the transaction
    payment.refresh_from_db()
    return payment


def _give_back_refund(
    *, payment: Payment, amount: Decimal, message: str, key: str, raw=None
) -> None:
    with transaction.atomic():
        Payment.objects.select_for_update().filter(pk=payment.pk).first()
        Payment.objects.filter(pk=payment.pk, amount_refunded__gte=amount).update(
            amount_refunded=money.added("amount_refunded", -amount, payment.currency),
            updated_at=timezone.now(),
        )
        if payment.applied_to_order:
            orders.release_refund(order=payment.order, amount=amount)
        PaymentTransaction.objects.create(
            payment=payment,
            kind=PaymentTransaction.Kind.REFUND,
            success=False,
            amount=amount,
            currency=payment.currency,
            message=message[:500],
            raw={**(raw or {}), "idempotency_key": key},
        )


def _settle_refund(
    *,
    payment: Payment,
    amount: Decimal,
    provider_reference: str,
    message: str,
    raw: dict,
    actor=None,
    reason: str = "",
) -> PaymentTransaction:
    """Record a reserved refund as made: its transaction, the order's status and timeline."""
    # Payment before order, as everywhere: inserting the transaction would otherwise take a
    # weaker lock on the payment first and deadlock with a refund reserving on PostgreSQL.
    Payment.objects.select_for_update().filter(pk=payment.pk).first()
    record = PaymentTransaction.objects.create(
        payment=payment,
        kind=PaymentTransaction.Kind.REFUND,
        amount=amount,
        currency=payment.currency,
        provider_reference=provider_reference,
        message=message[:500],
        raw=raw,
    )
    note = reason or f"Refunded {amount} {payment.currency} of payment {payment.reference}."
    if payment.applied_to_order:
        orders.record_refund(order=payment.order, amount=amount, actor=actor, note=note)
    else:
        orders.record_event(
            order=payment.order,
            type=OrderEvent.Type.REFUNDED,
            message=note,
            actor=actor,
            data={"amount": str(amount), "payment": payment.reference},
        )
    return record


def _captured_reference(payment: Payment) -> str:
    """The provider's id of the captured money, which its refund call needs."""
    capture = (
        payment.transactions.filter(kind=PaymentTransaction.Kind.CAPTURE, success=True)
        .exclude(provider_reference="")
        .order_by("-created_at", "-id")
        .first()
    )
    if capture is not None:
        return capture.provider_reference
    return payment.provider_reference or payment.reference


def apply_refund_notice(*, payment: Payment, event: GatewayEvent) -> str:
    """Reconcile a provider's refund notice with the refunds the shop knows of.

    The shop counts its own refunds before calling the provider, so a notice whose running total
    is covered by what is counted changes nothing, whether it arrives before or after the
    gateway's answer; only money refunded elsewhere (the provider's dashboard) is added.
    """
    payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
    order = payment.order
    if (
        event.refund_reference
        and payment.transactions.filter(
            kind=PaymentTransaction.Kind.REFUND,
            success=True,
            provider_reference=event.refund_reference,
        ).exists()
    ):
        return "Refund already recorded."
    if event.currency.upper() != payment.currency.upper():
        orders.flag(
            order=order,
            reason=(
                f"A refund in {event.currency} was reported for payment {payment.reference} "
                f"in {payment.currency}."
            ),
        )
        return "Refund currency did not match; flagged for staff."
    if event.amount_refunded is None:
        orders.flag(
            order=order,
            reason=(
                f"The provider reported a refund of {event.amount} {event.currency} on payment "
                f"{payment.reference}; check it against the shop's refunds."
            ),
        )
        return "Refund could not be reconciled; flagged for staff."
    missing = event.amount_refunded - payment.amount_refunded
    if missing <= 0:
        return "Refund already counted."
    left = payment.amount - payment.amount_refunded
    if missing > left:
        orders.flag(
            order=order,
            reason=(
                f"The provider reports {event.amount_refunded} {payment.currency} refunded on "
                f"payment {payment.reference}, more than its {payment.amount}."
            ),
        )
        missing = left
        if missing <= 0:
            return "Refund larger than the payment; flagged for staff."
    try:
        payment = _reserve_refund(payment=payment, amount=missing)
    except DomainError as error:
        orders.flag(
            order=order,
            reason=f"A refund of {missing} on payment {payment.reference} could not be "
            f"counted: {error.message}",
        )
        return "Refund could not be counted; flagged for staff."
    _settle_refund(
        payment=payment,
        amount=missing,
        provider_reference=event.refund_reference,
        message="Refunded at the provider.",
        raw=event.raw,
    )
    return f"Refund of {missing} {payment.currency} recorded."
