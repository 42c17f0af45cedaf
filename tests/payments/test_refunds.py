"""Refunds never exceed what was paid, and each is counted once however it is reported."""

from decimal import Decimal

import pytest

from mallkit.core.errors import ValidationFailed
from mallkit.orders.models import Order, OrderEvent
from mallkit.orders.transitions import TransitionNotAllowed
from mallkit.payments import services
from mallkit.payments.gateways.base import GatewayError, GatewayResult
from mallkit.payments.gateways.sandbox import SandboxGateway
from mallkit.payments.models import Payment, PaymentTransaction, WebhookEvent
from mallkit.payments.sandbox import services as provider
from mallkit.payments.sandbox.models import SandboxCharge, SandboxRefund
from tests.concurrency import run_concurrently

from .helpers import deliver, event_body, place_order

pytestmark = pytest.mark.django_db


def paid_order(*, price="95.00", payment_method="sandbox"):
    """An order of 100.00 USD, paid through the sandbox's own page flow (charge and webhook)."""
    order, payment = place_order(price=price, payment_method=payment_method)
    if payment_method == "sandbox":
        charge = provider.open_charge(reference=payment.reference)
        provider.pay(charge=charge, card_number="4242424242424242")
        deliver(event_body(payment, charge=charge.charge_id))
    else:
        services.record_success(payment=payment, amount=payment.amount, currency="USD")
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.payment_status, payment.amount) == ("paid", Decimal("100.00"))
    return order, payment


def refunded(order, payment):
    order.refresh_from_db()
    payment.refresh_from_db()
    return order.amount_refunded, payment.amount_refunded, order.payment_status


def test_a_partial_then_a_full_refund_through_the_sandbox():
    order, payment = paid_order()

    first = services.refund_payment(payment=payment, amount="30.10", reason="Damaged box")
    assert (first.kind, first.success, first.amount) == ("refund", True, Decimal("30.10"))
    assert first.provider_reference.startswith("re_sbx_")
    assert refunded(order, payment) == (
        Decimal("30.10"),
        Decimal("30.10"),
        Order.PaymentStatus.PARTIALLY_REFUNDED,
    )
    services.refund_payment(payment=payment, amount="69.90")
    assert refunded(order, payment) == (
        Decimal("100.00"),
        Decimal("100.00"),
        Order.PaymentStatus.REFUNDED,
    )
    events = order.events.filter(type=OrderEvent.Type.REFUNDED)
    assert [e.message for e in events] == [
        "Damaged box",
        f"Refunded 69.90 USD of payment {payment.reference}.",
    ]
    charge = SandboxCharge.objects.get(reference=payment.reference)
    assert charge.amount_refunded == Decimal("100.00")
    assert SandboxRefund.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_refund_webhook_is_not_counted_twice():
    order, payment = paid_order()
    # Outside a transaction the provider's webhook is delivered while the refund call is still
    # running (the shop's reservation already counts it), then again as a provider would retry.
    record = services.refund_payment(payment=payment, amount="40.00")
    notice = WebhookEvent.objects.get(type="refund.succeeded")
    assert notice.outcome == "Refund already counted."
    assert notice.payload["data"]["refund"] == record.provider_reference

    replay = deliver(
        event_body(
            payment,
            type="refund.succeeded",
            amount="40.00",
            refund=record.provider_reference,
            amount_refunded="40.00",
        )
    )
    assert replay.outcome == "Refund already recorded."
    assert refunded(order, payment) == (
        Decimal("40.00"),
        Decimal("40.00"),
        Order.PaymentStatus.PARTIALLY_REFUNDED,
    )
    assert payment.transactions.filter(kind="refund", success=True).count() == 1


def test_a_refund_made_at_the_provider_is_added_once(django_capture_on_commit_callbacks):
    order, payment = paid_order()
    charge = SandboxCharge.objects.get(reference=payment.reference)

    # Someone refunds 25.00 in the provider's dashboard; its webhook is the shop's only news.
    with django_capture_on_commit_callbacks(execute=True):
        provider.refund_charge(reference=charge.charge_id, amount=Decimal("25.00"))
    notice = WebhookEvent.objects.get(type="refund.succeeded")
    assert notice.outcome == "Refund of 25.00 USD recorded."
    assert refunded(order, payment) == (
        Decimal("25.00"),
        Decimal("25.00"),
        Order.PaymentStatus.PARTIALLY_REFUNDED,
    )
    # The same news again under another event id (a provider's resend) adds nothing.
    again = deliver(
        event_body(
            payment,
            type="refund.succeeded",
            amount="25.00",
            refund=notice.payload["data"]["refund"],
            amount_refunded="25.00",
        )
    )
    assert again.outcome == "Refund already recorded."
    assert refunded(order, payment)[:2] == (Decimal("25.00"), Decimal("25.00"))


def test_a_refund_notice_without_a_running_total_is_flagged_not_counted():
    order, payment = paid_order()
    outcome = deliver(event_body(payment, type="refund.succeeded", amount="10.00"))
    assert outcome.outcome == "Refund could not be reconciled; flagged for staff."
    order.refresh_from_db()
    assert order.is_flagged and order.amount_refunded == 0


@pytest.mark.parametrize(
    ("amount", "code"),
    [("0", "invalid_amount"), ("-5", "invalid_amount"), ("1.005", "invalid_amount")],
)
def test_bad_amounts_are_refused(amount, code):
    order, payment = paid_order()
    with pytest.raises(ValidationFailed) as error:
        services.refund_payment(payment=payment, amount=amount)
    assert error.value.code == code
    assert refunded(order, payment)[:2] == (Decimal("0.00"), Decimal("0.00"))


def test_a_refund_larger_than_what_is_left_is_refused_and_changes_nothing():
    order, payment = paid_order()
    services.refund_payment(payment=payment, amount="60.00")

    with pytest.raises(services.RefundExceedsPaid) as error:
        services.refund_payment(payment=payment, amount="40.01")

    assert error.value.code == "refund_exceeds_paid"
    assert error.value.extra == {"refundable": "40.00"}
    assert refunded(order, payment)[:2] == (Decimal("60.00"), Decimal("60.00"))
    assert SandboxCharge.objects.get().amount_refunded == Decimal("60.00")


def test_an_unpaid_payment_cannot_be_refunded():
    order, payment = place_order()
    with pytest.raises(services.RefundNotAllowed):
        services.refund_payment(payment=payment, amount="1.00")


def test_bank_transfers_are_refunded_by_hand():
    order, payment = paid_order(payment_method="bank_transfer")
    record = services.refund_payment(payment=payment, amount="100.00")
    assert (record.success, record.message, record.raw["manual"]) == (
        True,
        "Refunded by hand.",
        True,
    )
    assert refunded(order, payment)[2] == Order.PaymentStatus.REFUNDED


def test_a_refused_refund_gives_the_amount_back(monkeypatch):
    order, payment = paid_order()
    monkeypatch.setattr(
        SandboxGateway,
        "refund",
        lambda self, **kw: GatewayResult(status="failed", message="Insufficient balance."),
    )
    with pytest.raises(services.RefundFailed) as error:
        services.refund_payment(payment=payment, amount="10.00")
    assert (error.value.code, error.value.status) == ("refund_failed", 502)
    assert refunded(order, payment) == (Decimal("0.00"), Decimal("0.00"), "paid")
    failed = payment.transactions.get(kind="refund")
    assert (failed.success, failed.message) == (False, "Insufficient balance.")


def test_an_unreachable_provider_gives_the_amount_back(monkeypatch):
    order, payment = paid_order()

    def broken(self, **kwargs):
        raise GatewayError("timed out")

    monkeypatch.setattr(SandboxGateway, "refund", broken)
    with pytest.raises(services.RefundFailed):
        services.refund_payment(payment=payment, amount="10.00")
    assert refunded(order, payment) == (Decimal("0.00"), Decimal("0.00"), "paid")


def test_a_late_payment_for_an_expired_order_is_refunded_without_touching_the_order():
    from mallkit.orders import services as orders

    order, payment = place_order(price="95.00")
    charge = provider.open_charge(reference=payment.reference)
    orders.expire_unpaid_orders(now=order.expires_at)
    # The shopper paid on a page opened before the order expired.
    provider.pay(charge=charge, card_number="4242424242424242")
    deliver(event_body(payment, charge=charge.charge_id))
    payment.refresh_from_db()
    assert payment.applied_to_order is False

    services.refund_payment(payment=payment, amount="100.00", reason="Paid after expiry")

    assert refunded(order, payment) == (Decimal("0.00"), Decimal("100.00"), "unpaid")
    assert order.events.filter(type="refunded", message="Paid after expiry").count() == 1


def test_a_cancelled_order_is_refused_by_the_transition_table():
    order, payment = paid_order()
    Order.objects.filter(pk=order.pk).update(status=Order.Status.EXPIRED)
    with pytest.raises(TransitionNotAllowed):
        services.refund_payment(payment=payment, amount="1.00")
    assert refunded(order, payment)[:2] == (Decimal("0.00"), Decimal("0.00"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["sandbox", "bank_transfer"])
def test_racing_refunds_never_exceed_what_was_paid(method):
    order, payment = paid_order(payment_method=method)

    outcomes = run_concurrently(
        lambda: services.refund_payment(payment=Payment.objects.get(pk=payment.pk), amount="30.00"),
        [()] * 8,
    )

    done = [result for result, error in outcomes if error is None]
    errors = [error for _, error in outcomes if error is not None]
    assert len(done) == 3
    assert all(isinstance(error, services.RefundExceedsPaid) for error in errors), errors[:2]
    assert refunded(order, payment) == (
        Decimal("90.00"),
        Decimal("90.00"),
        Order.PaymentStatus.PARTIALLY_REFUNDED,
    )
    assert PaymentTransaction.objects.filter(payment=payment, kind="refund").count() == 3
    assert OrderEvent.objects.filter(order=order, type="refunded").count() == 3
    if method == "sandbox":
        assert SandboxCharge.objects.get().amount_refunded == Decimal("90.00")


@pytest.mark.django_db(transaction=True)
def test_racing_refunds_of_odd_amounts_add_up_exactly():
    order, payment = paid_order()
    amounts = [("33.33",), ("33.33",), ("33.34",), ("0.01",)]

    outcomes = run_concurrently(
        lambda amount: services.refund_payment(
            payment=Payment.objects.get(pk=payment.pk), amount=amount
        ),
        amounts,
    )

    # Together they ask for 100.01, so exactly one, whichever comes last, does not fit.
    refused = [
        (args[0], error) for args, (_, error) in zip(amounts, outcomes, strict=True) if error
    ]
    assert len(refused) == 1 and isinstance(refused[0][1], services.RefundExceedsPaid), refused
    total = sum((result.amount for result, error in outcomes if error is None), Decimal(0))
    assert total + Decimal(refused[0][0]) == Decimal("100.01")
    assert refunded(order, payment)[:2] == (total, total)
    assert SandboxCharge.objects.get().amount_refunded == total
    recorded = PaymentTransaction.objects.filter(payment=payment, kind="refund", success=True)
    assert sum(r.amount for r in recorded) == total
