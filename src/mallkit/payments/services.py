"""Payment services: the only code that stores what gateways answer.

Every answer becomes an append-only PaymentTransaction. Gateways are called outside database
transactions (they may be slow or remote), after the order they pay for is committed.
"""

import secrets
from decimal import Decimal

from django.db import transaction

from mallkit.core.errors import Conflict
from mallkit.orders import services as orders
from mallkit.orders import transitions

from . import gateways
from .gateways.base import GatewayError, GatewayResult, PaymentRequest
from .models import Payment, PaymentTransaction


def new_reference() -> str:
    return "pay_" + secrets.token_hex(12)


def create_payment(*, order, gateway_code: str) -> Payment:
    """Open a pending payment for the whole order (call inside the order's transaction)."""
    gateways.get(gateway_code)
    return Payment.objects.create(
        order=order,
        gateway=gateway_code,
        reference=new_reference(),
        amount=order.total,
        currency=order.currency,
    )


def start_payment(*, payment: Payment, return_url: str = "", cancel_url: str = "") -> Payment:
    """Ask the gateway to start collecting the money and store its answer.

    Call after the order is committed. A payment already started is returned unchanged, so a
    retried request does not start a second collection.
    """
    if payment.transactions.filter(kind=PaymentTransaction.Kind.START).exists():
        return payment
    gateway = gateways.get(payment.gateway)
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
        result = gateway.start(payment=request)
    except GatewayError as error:
        result = GatewayResult(status="failed", message=str(error)[:500])
    with transaction.atomic():
        PaymentTransaction.objects.create(
            payment=payment,
            kind=PaymentTransaction.Kind.START,
            success=result.status != "failed",
            amount=payment.amount,
            currency=payment.currency,
            provider_reference=result.provider_reference,
            message=result.message[:500],
            raw=result.raw,
        )
        Payment.objects.filter(pk=payment.pk).update(
            provider_reference=result.provider_reference or payment.provider_reference,
            redirect_url=result.redirect_url,
            instructions=result.instructions,
        )
        if result.status == "succeeded":
            record_success(
                payment=payment,
                amount=payment.amount,
                currency=payment.currency,
                provider_reference=result.provider_reference,
            )
    payment.refresh_from_db()
    return payment


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
            orders.mark_paid(order=order, amount=amount, actor=actor)
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
    """Record a failed attempt; the order stays unpaid so the shopper may try again."""
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
        if payment.status == Payment.Status.PENDING:
            Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED)
        orders.record_event(
            order=payment.order,
            type="payment_failed",
            message=message or "The payment was declined.",
            visible_to_customer=True,
        )
        payment.refresh_from_db()
        return payment
