"""Order management services: cancelling gives back exactly what was taken, shipping in parts,
refunds within what was paid, and invoice numbers without gaps, even under races."""

from decimal import Decimal

import pytest
from django.core import mail

from mallkit.core.errors import Conflict, ValidationFailed
from mallkit.inventory.models import StockLevel, StockMovement
from mallkit.notifications import services as notifications
from mallkit.orders import fulfilment, processing, returns, services, transitions
from mallkit.orders.invoicing import services as invoicing
from mallkit.orders.models import (
    CreditNote,
    Fulfilment,
    Invoice,
    Order,
    OrderEvent,
    RefundRequest,
)
from mallkit.payments.models import Payment
from mallkit.payments.services import RefundExceedsPaid
from mallkit.promotions.models import Voucher
from tests.concurrency import run_concurrently
from tests.factories import VoucherFactory, buyable_variant

from .helpers import owner, pay_online, place, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("order_shop")]


def stock(variant):
    level = StockLevel.objects.get(variant=variant)
    return level.on_hand, level.allocated


def lines_of(order):
    return {line.sku: line for line in Order.objects.get(pk=order.pk).lines.all()}


# Cancelling -----------------------------------------------------------------------------------


def test_cancel_gives_back_exactly_the_stock_and_the_voucher():
    teapot, mug = buyable_variant(stock=10), buyable_variant(stock=4)
    VoucherFactory(code="TEN", kind="percentage", value=Decimal("10"))
    order = place(variants=[teapot, mug], quantities=(3, 4), voucher_code="TEN")
    assert (stock(teapot), stock(mug)) == ((10, 3), (4, 4))
    assert Voucher.objects.get(code="TEN").times_used == 1

    order = processing.cancel(order=order, actor=owner(), reason="Customer changed their mind")

    assert (order.status, order.fulfilment_status) == ("cancelled", "unfulfilled")
    assert (stock(teapot), stock(mug)) == ((10, 0), (4, 0))
    assert {sku: line.quantity_cancelled for sku, line in lines_of(order).items()} == {
        teapot.sku: 3,
        mug.sku: 4,
    }
    released = StockMovement.objects.filter(reference=order.number, reason="released")
    assert sorted(released.values_list("variant_id", "allocated_change")) == sorted(
        [(teapot.pk, -3), (mug.pk, -4)]
    )
    assert Voucher.objects.get(code="TEN").times_used == 0
    event = order.events.get(type="cancelled")
    assert (event.message, event.visible_to_customer) == ("Customer changed their mind", True)


def test_cancelling_a_packed_order_is_allowed_but_a_shipped_one_is_refused():
    boss = owner()
    packed = fulfilment.pack(order=processing.confirm_payment(order=place(), actor=boss))
    assert processing.cancel(order=packed, actor=boss).status == "cancelled"

    shipped = processing.confirm_payment(order=place(quantities=(2,)), actor=boss)
    fulfilment.ship(order=shipped, carrier="dhl", quantities=None)
    before = snapshot(shipped)
    with pytest.raises(transitions.TransitionNotAllowed):
        processing.cancel(order=shipped, actor=boss)
    assert snapshot(shipped) == before


def test_cancelling_a_card_payment_refunds_it_through_the_gateway():
    order = pay_online(place(payment_method="sandbox", quantities=(2,)))
    assert order.payment_status == "paid"

    order = processing.cancel(order=order, actor=owner())

    assert (order.status, order.payment_status) == ("cancelled", "refunded")
    assert order.amount_refunded == order.amount_paid == Decimal("25.00")
    assert not order.is_flagged
    [note] = CreditNote.objects.filter(order=order)
    assert (note.amount, note.invoice, note.number) == (Decimal("25.00"), order.invoice, 1)


def test_cancelling_a_bank_transfer_already_paid_flags_it_for_a_refund_by_hand():
    boss = owner()
    order = processing.confirm_payment(order=place(), actor=boss)

    order = processing.cancel(order=order, actor=boss)

    assert (order.status, order.payment_status, order.amount_refunded) == (
        "cancelled",
        "paid",
        Decimal("0.00"),
    )
    assert order.is_flagged
    assert "give the money back by hand" in order.flag_reason
    # Staff give the money back and record it: a manual refund and a credit note.
    order = processing.refund(order=order, amount="25.00", actor=boss, reason="Sent back")
    assert (order.payment_status, order.amount_refunded) == ("refunded", Decimal("25.00"))
    assert Payment.objects.get(order=order).transactions.filter(kind="refund").get().raw["manual"]
    services.clear_flag(order=order, actor=boss)
    assert not Order.objects.get(pk=order.pk).is_flagged


# Shipping -------------------------------------------------------------------------------------


def test_a_partial_shipment_then_the_rest(django_capture_on_commit_callbacks):
    boss = owner()
    kettle, cups = buyable_variant(stock=5, name="Kettle"), buyable_variant(stock=12, name="Cup")
    order = processing.confirm_payment(
        order=place(variants=[kettle, cups], quantities=(1, 6)), actor=boss
    )
    line = lines_of(order)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = fulfilment.ship(
            order=order,
            carrier="dhl",
            tracking_number="JD 0142",
            quantities={line[cups.sku].pk: 4},
            actor=boss,
        )

    order.refresh_from_db()
    assert order.fulfilment_status == "partially_shipped"
    assert (stock(kettle), stock(cups)) == ((5, 1), (8, 2))
    assert {sku: item.quantity_to_ship for sku, item in lines_of(order).items()} == {
        kettle.sku: 1,
        cups.sku: 2,
    }
    assert first.tracking_url == (
        "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
        "?submit=1&tracking-id=JD%200142"
    )
    assert (first.carrier, first.shipped_by) == ("DHL", boss)
    [message] = mail.outbox
    assert message.subject == f"Your order {order.number} is on its way"
    assert "JD 0142" in message.body and first.tracking_url in message.body
    assert "4 × Cup" in message.body and "3 more items will follow in other parcels." in (
        message.body
    )
    html = message.alternatives[0][0]
    assert 'href="https://www.dhl.com/global-en/home/tracking/tracking-express.html' in html
    assert transitions.allowed(order, "ship") and not transitions.allowed(order, "deliver")

    with django_capture_on_commit_callbacks(execute=True):
        rest = fulfilment.ship(
            order=order,
            carrier="Local courier",
            tracking_url="https://courier.example/track/77",
            actor=boss,
        )

    order.refresh_from_db()
    assert order.fulfilment_status == "shipped"
    assert (stock(kettle), stock(cups)) == ((4, 0), (6, 0))
    assert sorted(rest.lines.values_list("order_line__sku", "quantity")) == sorted(
        [(kettle.sku, 1), (cups.sku, 2)]
    )
    assert len(mail.outbox) == 2 and "https://courier.example/track/77" in mail.outbox[1].body
    shipped_events = order.events.filter(type="shipped")
    assert [e.data["carrier"] for e in shipped_events] == ["DHL", "Local courier"]
    assert all(e.visible_to_customer and e.actor == boss for e in shipped_events)
    assert order.events.filter(type="email_sent").count() == 2

    order = fulfilment.deliver(order=order, actor=boss)
    assert (order.status, order.fulfilment_status) == ("completed", "delivered")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantities": {"line": 3}}, "lines"),
        ({"quantities": {"line": -1}}, "lines"),
        ({"quantities": {"line": 0}}, "lines"),
        ({"quantities": {987654: 1}}, "lines"),
        ({"carrier": ""}, "carrier"),
        ({"carrier": "other"}, "carrier"),
        ({"tracking_url": "javascript:alert(1)"}, "tracking_url"),
        ({"tracking_number": "x" * 101}, "tracking_number"),
    ],
)
def test_bad_shipping_details_are_refused_and_change_nothing(changes, field):
    order = processing.confirm_payment(order=place(quantities=(2,)), actor=owner())
    line = order.lines.get()
    arguments = {"carrier": "ups", "tracking_number": "1Z", **changes}
    if "quantities" in changes:
        arguments["quantities"] = {
            (line.pk if key == "line" else key): value
            for key, value in changes["quantities"].items()
        }
    before = snapshot(order)
    with pytest.raises(ValidationFailed) as refused:
        fulfilment.ship(order=order, **arguments)
    assert field in refused.value.errors
    assert snapshot(order) == before


def test_a_cash_on_delivery_order_ships_unpaid_and_completes_once_paid():
    boss = owner()
    order = place(payment_method="cod")
    assert (order.status, order.payment_status) == ("confirmed", "unpaid")
    fulfilment.ship(order=order, carrier="usps", tracking_number="94001", actor=boss)
    order.refresh_from_db()
    with pytest.raises(transitions.TransitionNotAllowed):
        fulfilment.deliver(order=order, actor=boss)

    order = processing.confirm_payment(order=order, actor=boss, note="Courier paid in cash")
    assert (order.payment_status, order.amount_paid) == ("paid", Decimal("25.00"))
    assert order.events.filter(type="note", message="Courier paid in cash").exists()
    assert fulfilment.deliver(order=order, actor=boss).status == "completed"


# Refunds and restock --------------------------------------------------------------------------


def test_refunds_never_exceed_what_was_paid_and_each_has_a_credit_note():
    boss = owner()
    order = pay_online(place(payment_method="sandbox", quantities=(3,)))  # 35.00

    order = processing.refund(order=order, amount="10.50", reason="Scratched", actor=boss)
    assert (order.payment_status, order.amount_refunded) == ("partially_refunded", Decimal("10.50"))
    before = snapshot(order)
    for amount in ["24.51", "100", "0", "-1", "1.234", "ten"]:
        with pytest.raises((RefundExceedsPaid, ValidationFailed)):
            processing.refund(order=order, amount=amount, actor=boss)
        assert snapshot(order) == before
    order = processing.refund(order=order, amount="24.50", actor=boss)
    assert (order.payment_status, order.amount_refunded) == ("refunded", Decimal("35.00"))
    with pytest.raises(transitions.TransitionNotAllowed):
        processing.refund(order=order, amount="0.01", actor=boss)

    notes = list(CreditNote.objects.filter(order=order))
    assert [(n.number, n.amount, n.reason.split(" of payment")[0]) for n in notes] == [
        (1, Decimal("10.50"), "Scratched"),
        (2, Decimal("24.50"), "Refunded 24.50 USD"),
    ]
    assert all(n.invoice == order.invoice and n.event.type == "refunded" for n in notes)


def test_refund_with_restock_returns_shipped_units_and_cancels_unshipped_ones():
    boss = owner()
    lamp, bulb = buyable_variant(stock=5), buyable_variant(stock=20)
    order = processing.confirm_payment(
        order=place(variants=[lamp, bulb], quantities=(2, 4)), actor=boss
    )  # 2 × 10 + 4 × 10 + 5 = 65.00
    line = lines_of(order)
    fulfilment.ship(order=order, carrier="ups", quantities={line[lamp.sku].pk: 2}, actor=boss)

    # One lamp came back broken; the bulbs, never sent, are no longer wanted.
    order = processing.refund(
        order=order,
        amount="50.00",
        actor=boss,
        reason="Lamp returned, bulbs cancelled",
        restock={line[lamp.sku].pk: 1, line[bulb.sku].pk: 4},
    )

    assert (stock(lamp), stock(bulb)) == ((4, 0), (20, 0))
    assert (
        lines_of(order)[lamp.sku].quantity_returned,
        lines_of(order)[bulb.sku].quantity_cancelled,
    ) == (1, 4)
    # Nothing is left to ship: the parcel sent was the whole order.
    assert (order.fulfilment_status, order.payment_status) == ("shipped", "partially_refunded")
    returned = StockMovement.objects.get(reference=order.number, reason="returned")
    assert (returned.variant_id, returned.on_hand_change) == (lamp.pk, 1)
    restocked = StockMovement.objects.get(reference=order.number, reason="restocked")
    assert (restocked.variant_id, restocked.allocated_change) == (bulb.pk, -4)
    assert order.events.filter(type="restocked").count() == 1


def test_restock_that_would_leave_nothing_to_ship_asks_to_cancel_instead():
    boss = owner()
    order = processing.confirm_payment(order=place(quantities=(2,)), actor=boss)
    line = order.lines.get()
    before = snapshot(order)
    with pytest.raises(ValidationFailed) as refused:
        processing.refund(order=order, amount="5.00", actor=boss, restock={line.pk: 2})
    assert refused.value.code == "cancel_instead"
    assert snapshot(order) == before


def test_more_back_to_stock_than_was_sold_is_refused_before_any_money_moves():
    boss = owner()
    order = processing.confirm_payment(order=place(quantities=(2,)), actor=boss)
    fulfilment.ship(order=order, carrier="ups", actor=boss)
    order.refresh_from_db()
    line = order.lines.get()
    before = snapshot(order)
    with pytest.raises(ValidationFailed):
        processing.refund(order=order, amount="5.00", actor=boss, restock={line.pk: 3})
    assert snapshot(order) == before
    returns.restock(order=order, quantities={line.pk: 2}, actor=boss)
    with pytest.raises(ValidationFailed):
        returns.restock(order=order, quantities={line.pk: 1}, actor=boss)


@pytest.mark.django_db(transaction=True)
def test_racing_refunds_of_an_order_never_exceed_what_was_paid():
    boss = owner()
    order = processing.confirm_payment(order=place(quantities=(4,)), actor=boss)  # 45.00

    outcomes = run_concurrently(
        lambda: processing.refund(order=Order.objects.get(pk=order.pk), amount="20.00", actor=boss),
        [()] * 6,
    )

    done = [result for result, error in outcomes if error is None]
    errors = [error for _, error in outcomes if error is not None]
    assert len(done) == 2, errors
    assert all(isinstance(error, RefundExceedsPaid) for error in errors), errors
    order.refresh_from_db()
    assert (order.amount_refunded, order.payment_status) == (
        Decimal("40.00"),
        "partially_refunded",
    )
    assert sorted(CreditNote.objects.values_list("number", flat=True)) == [1, 2]


# Invoices -------------------------------------------------------------------------------------


def test_paying_issues_one_invoice_with_the_next_number():
    boss = owner()
    first = processing.confirm_payment(order=place(), actor=boss)
    second = pay_online(place(payment_method="sandbox"))
    assert (first.invoice.number, first.invoice.label) == (1, "INV-000001")
    assert (second.invoice.number, second.invoice.total) == (2, second.total)
    assert first.events.filter(type="invoiced", message="Invoice INV-000001 issued.").exists()
    assert invoicing.issue_invoice(order=first) == first.invoice  # never a second one
    assert Invoice.objects.count() == 2


def test_a_rolled_back_payment_gives_its_number_back(monkeypatch):
    boss = owner()
    unlucky, lucky = place(), place()

    def broken(**kwargs):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(notifications, "send_payment_received", broken)
    with pytest.raises(RuntimeError):
        processing.confirm_payment(order=unlucky, actor=boss)
    monkeypatch.undo()
    assert Order.objects.get(pk=unlucky.pk).payment_status == "unpaid"

    assert processing.confirm_payment(order=lucky, actor=boss).invoice.number == 1
    assert processing.confirm_payment(order=unlucky, actor=boss).invoice.number == 2


@pytest.mark.django_db(transaction=True)
def test_invoice_numbers_stay_gapless_under_concurrent_payment_confirmations():
    boss = owner()
    orders = [place() for _ in range(8)]

    outcomes = run_concurrently(
        lambda pk: processing.confirm_payment(order=Order.objects.get(pk=pk), actor=boss),
        [(order.pk,) for order in orders],
    )

    assert [error for _, error in outcomes if error is not None] == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 9))
    assert Order.objects.filter(payment_status="paid").count() == 8


@pytest.mark.django_db(transaction=True)
def test_confirming_the_same_payment_at_once_pays_and_invoices_it_once():
    boss = owner()
    order = place()

    outcomes = run_concurrently(
        lambda: processing.confirm_payment(order=Order.objects.get(pk=order.pk), actor=boss),
        [()] * 5,
    )

    errors = [error for _, error in outcomes if error is not None]
    assert len(errors) == 4, errors
    assert all(isinstance(error, transitions.TransitionNotAllowed) for error in errors), errors
    order.refresh_from_db()
    assert (order.amount_paid, Invoice.objects.get().number) == (Decimal("25.00"), 1)
    assert order.events.filter(type="paid").count() == 1


# Notes, flags, requests, e-mails --------------------------------------------------------------


def test_notes_flags_and_refund_requests_leave_events():
    boss = owner()
    order = processing.confirm_payment(order=place(), actor=boss)
    services.add_note(order=order, text="Customer called: leave at the door.", actor=boss)
    with pytest.raises(ValidationFailed):
        services.add_note(order=order, text="   ", actor=boss)
    with pytest.raises(Conflict):
        services.clear_flag(order=order, actor=boss)

    request = services.request_refund(order=order, reason="Arrived broken", amount="5", actor=boss)
    assert (request.status, request.amount) == ("open", Decimal("5.00"))
    assert processing.decline_refund_request(order=order, actor=boss) == 1
    assert RefundRequest.objects.get().status == "declined"
    with pytest.raises(Conflict):
        processing.decline_refund_request(order=order, actor=boss)

    services.request_refund(order=order, reason="Asked again", actor=boss)
    processing.refund(order=order, amount="5.00", actor=boss)
    assert list(RefundRequest.objects.values_list("status", flat=True)) == [
        "declined",
        "refunded",
    ]
    types = list(order.events.values_list("type", flat=True))
    assert types.count("note") == 2 and types.count("refund_requested") == 2


def test_an_unpaid_order_cannot_ask_for_a_refund():
    with pytest.raises(transitions.TransitionNotAllowed):
        services.request_refund(order=place(), reason="Please", actor=owner())
    assert not RefundRequest.objects.exists()


def test_resending_the_confirmation(django_capture_on_commit_callbacks):
    boss = owner()
    order = place()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        processing.resend_confirmation(order=order, actor=boss)
    [message] = mail.outbox
    assert message.to == [order.email] and order.number in message.subject
    requested = order.events.get(type=OrderEvent.Type.EMAIL_REQUESTED)
    assert requested.actor == boss


def test_services_refuse_staff_whose_role_may_not(django_user_model):
    from mallkit.accounts import roles

    from .helpers import staff

    warehouse = staff(roles.WAREHOUSE)
    order = processing.confirm_payment(order=place(), actor=owner())
    before = snapshot(order)
    for attempt in [
        lambda: processing.refund(order=order, amount="1.00", actor=warehouse),
        lambda: processing.cancel(order=order, actor=warehouse),
        lambda: processing.confirm_payment(order=place(), actor=warehouse),
    ]:
        with pytest.raises(transitions.ActionForbidden):
            attempt()
    assert snapshot(order) == before
    assert Fulfilment.objects.count() == 0
