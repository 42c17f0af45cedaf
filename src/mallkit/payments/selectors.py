"""Payment reads: what a provider is asked to collect, an order's payment and its instructions."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from mallkit.core.errors import NotFound
from mallkit.orders.models import Order

from . import gateways
from .gateways.base import PaymentRequest
from .models import Payment


@dataclass(frozen=True)
class Collection:
    """What a payment page shows and charges: plain values, as a provider's API would get them."""

    reference: str
    amount: Decimal
    currency: str
    description: str
    email: str
    merchant: str
    #: False once the payment succeeded or its order can no longer be paid (expired, cancelled).
    is_open: bool


def payment_to_collect(*, reference: str, gateway: str) -> Collection | None:
    """The amount a gateway's payment page should take for a payment reference, or None."""
    payment = (
        Payment.objects.select_related("order").filter(reference=reference, gateway=gateway).first()
    )
    if payment is None:
        return None
    order = payment.order
    return Collection(
        reference=payment.reference,
        amount=payment.amount,
        currency=payment.currency,
        description=f"Order {order.number}",
        email=order.email,
        merchant=settings.MALLKIT_SHOP_NAME,
        is_open=(
            payment.status in {Payment.Status.PENDING, Payment.Status.FAILED}
            and order.status == Order.Status.PENDING
            and order.payment_status == Order.PaymentStatus.UNPAID
        ),
    )


def order_payment(*, order) -> Payment | None:
    """The order's latest payment (an order normally has one)."""
    return Payment.objects.filter(order=order).order_by("-created_at", "-id").first()


def payment_instructions(*, order, payment: Payment | None = None) -> str:
    """What the shopper must do to pay, in the active language ("" for card payments)."""
    payment = payment or order_payment(order=order)
    if payment is None:
        return ""
    try:
        gateway = gateways.get(payment.gateway)
    except NotFound:
        return payment.instructions
    describe = getattr(gateway, "instructions", None)
    if describe is None:
        return payment.instructions
    return describe(
        payment=PaymentRequest(
            reference=payment.reference,
            order_number=order.number,
            amount=payment.amount,
            currency=payment.currency,
            email=order.email,
            description=f"Order {order.number}",
        )
    )


def payment_to_confirm(*, order) -> Payment | None:
    """The order's latest payment still waiting for its money (what staff confirm received)."""
    return (
        Payment.objects.filter(
            order=order, status__in=[Payment.Status.PENDING, Payment.Status.FAILED]
        )
        .order_by("-created_at", "-id")
        .first()
    )


def refundable_payments(*, order) -> list[Payment]:
    """The order's captured payments counted in what it was paid, with money left to refund."""
    return [
        payment
        for payment in Payment.objects.filter(
            order=order, status=Payment.Status.SUCCEEDED, applied_to_order=True
        ).order_by("created_at", "id")
        if payment.amount > payment.amount_refunded
    ]


def lock_payment(*, payment: Payment) -> Payment:
    """The payment row locked until the transaction ends (payments are locked before orders)."""
    return Payment.objects.select_for_update().get(pk=payment.pk)
