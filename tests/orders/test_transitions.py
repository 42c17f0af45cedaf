"""The transition table, exhaustively: every (status, payment, fulfilment) × action is allowed or
refused exactly as the table says, and a refused action changes nothing."""

import itertools
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from mallkit.accounts import roles
from mallkit.core.errors import DomainError, ValidationFailed
from mallkit.inventory.models import StockLevel
from mallkit.orders import processing, services, transitions
from mallkit.orders.models import CreditNote, Invoice, Order, OrderLine
from mallkit.payments.models import Payment
from mallkit.payments.services import RefundExceedsPaid
from tests.factories import buyable_variant

from .helpers import owner, pay_online, place, snapshot, staff

S, P, F = Order.Status, Order.PaymentStatus, Order.FulfilmentStatus
ANY = None
# The table as the issue states it, written out again independently of orders.transitions.
EXPECTED = {
    "confirm_payment": ({"pending", "confirmed"}, {"unpaid"}, ANY),
    "confirm": ({"pending"}, ANY, ANY),
    "pack": ({"confirmed"}, ANY, {"unfulfilled"}),
    "ship": ({"confirmed"}, ANY, {"unfulfilled", "packed", "partially_shipped"}),
    "deliver": ({"confirmed"}, {"paid", "partially_refunded", "refunded"}, {"shipped"}),
    "cancel": ({"pending", "confirmed"}, ANY, {"unfulfilled", "packed"}),
    "expire": ({"pending"}, {"unpaid"}, ANY),
    "refund": ({"confirmed", "completed", "cancelled"}, {"paid", "partially_refunded"}, ANY),
    "restock": ({"confirmed", "completed", "cancelled"}, ANY, ANY),
}
STATES = list(itertools.product(S.values, P.values, F.values))


def expected(action, status, payment, fulfilment) -> bool:
    statuses, payments, fulfilments = EXPECTED[action]
    return (
        status in statuses
        and (payments is ANY or payment in payments)
        and (fulfilments is ANY or fulfilment in fulfilments)
    )


def test_the_table_has_exactly_the_issues_actions():
    assert set(transitions.TRANSITIONS) == set(EXPECTED)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_state_is_allowed_or_refused_as_the_table_says(action):
    for status, payment, fulfilment in STATES:
        order = Order(
            number="MK-TEST", status=status, payment_status=payment, fulfilment_status=fulfilment
        )
        want = expected(action, status, payment, fulfilment)
        assert transitions.allowed(order, action) is want, (action, status, payment, fulfilment)
        if want:
            assert transitions.check(order, action) is transitions.TRANSITIONS[action]
        else:
            with pytest.raises(transitions.TransitionNotAllowed) as refused:
                transitions.check(order, action)
            assert refused.value.status == 409
            assert refused.value.message.startswith(f"Cannot {action.replace('_', ' ')} order")


def test_an_unknown_action_is_a_bad_request():
    order = Order(number="MK-TEST")
    for action in ["launch", "", None, "note"]:
        with pytest.raises(transitions.UnknownAction) as unknown:
            transitions.check(order, action)
        assert (unknown.value.status, unknown.value.code) == (400, "unknown_action")


def params_for(order, action) -> dict:
    line = order.lines.first()
    return {
        "ship": {"carrier": "dhl", "tracking_number": "JD0001"},
        "refund": {"amount": "1.00"},
        "restock": {"restock": [{"line_id": line.pk, "quantity": 1}]},
        "confirm_payment": {"note": "Seen on the statement."},
    }.get(action, {"note": "Tried anyway."})


@pytest.mark.django_db
@pytest.mark.usefixtures("order_shop")
@pytest.mark.parametrize(("status", "payment", "fulfilment"), STATES)
def test_a_refused_action_changes_nothing(status, payment, fulfilment):
    boss = owner()
    order = place(payment_method="bank_transfer", quantities=(2, 1))
    Order.objects.filter(pk=order.pk).update(
        status=status, payment_status=payment, fulfilment_status=fulfilment
    )
    order = Order.objects.get(pk=order.pk)
    before = snapshot(order)
    for action in EXPECTED:
        if expected(action, status, payment, fulfilment):
            continue
        with transaction.atomic():
            if action == "expire":
                assert services.expire_order(order=order) is False
            else:
                with pytest.raises(transitions.TransitionNotAllowed):
                    processing.perform(
                        order=order, action=action, actor=boss, params=params_for(order, action)
                    )
        assert snapshot(order) == before, action


ROLE_ACTIONS = {
    roles.OWNER: set(processing.ACTIONS),
    roles.CUSTOMER_SERVICE: {"confirm_payment", "confirm", "cancel", "refund", "restock"},
    roles.WAREHOUSE: {"pack", "ship", "deliver"},
    roles.CATALOGUE_MANAGER: set(),
}
ROLE_TASKS = {
    roles.OWNER: set(transitions.STAFF_TASKS),
    roles.CUSTOMER_SERVICE: set(transitions.STAFF_TASKS),
    roles.WAREHOUSE: {"note"},
    roles.CATALOGUE_MANAGER: set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(ROLE_ACTIONS))
def test_each_role_may_do_exactly_its_actions(role):
    user = staff(role)
    for action in [*processing.ACTIONS, *transitions.STAFF_TASKS]:
        allowed = action in ROLE_ACTIONS[role] | ROLE_TASKS[role]
        assert transitions.may(user, action) is allowed, (role, action)
        if allowed:
            transitions.authorize(user, action)
        else:
            with pytest.raises(transitions.ActionForbidden) as refused:
                transitions.authorize(user, action)
            assert refused.value.status == 403


@pytest.mark.django_db
def test_the_warehouse_cannot_refund_and_customer_service_cannot_ship_or_edit_stock():
    warehouse, service = staff(roles.WAREHOUSE), staff(roles.CUSTOMER_SERVICE)
    assert not transitions.may(warehouse, "refund")
    assert not warehouse.has_perm("orders.refund_order")
    assert not transitions.may(service, "ship")
    assert not service.has_perm("inventory.change_stocklevel")


@pytest.mark.django_db
def test_people_who_are_not_active_staff_may_do_nothing():
    shopper = staff(roles.OWNER)
    shopper.is_staff = False
    gone = staff(roles.OWNER, is_active=False)
    for user in [shopper, gone, AnonymousUser()]:
        assert not any(transitions.may(user, action) for action in processing.ACTIONS)
    # None is the shop itself (webhooks, the expiry task): never refused for its role.
    transitions.authorize(None, "refund")


# A state machine over the actions: whatever staff and shoppers do, in any order, stock is never
# negative and matches the orders, refunds never exceed payments, and documents stay gapless.

REFUSALS = (transitions.TransitionNotAllowed, ValidationFailed, RefundExceedsPaid)
STOCK = 6


class OrderMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each run starts from the test's database and leaves nothing behind.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.boss = owner()
        self.variants = [buyable_variant(price="10.00", stock=STOCK) for _ in range(2)]
        self.order_ids = []

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def order(self, index) -> Order:
        return Order.objects.get(pk=self.order_ids[index % len(self.order_ids)])

    def attempt(self, order, action, params=None):
        """Do an action as the owner; a refusal must leave everything as it was."""
        before = snapshot(order)
        try:
            processing.perform(order=order, action=action, actor=self.boss, params=params or {})
        except REFUSALS as refusal:
            event(f"{action} refused ({refusal.code})")
            assert snapshot(order) == before, action
        else:
            event(f"{action} done")

    has_orders = precondition(lambda self: bool(self.order_ids))

    @rule(
        method=st.sampled_from(["sandbox", "bank_transfer", "cod"]),
        first=st.integers(0, 3),
        second=st.integers(0, 3),
    )
    def place_an_order(self, method, first, second):
        chosen = [(v, q) for v, q in zip(self.variants, (first or 1, second), strict=True) if q]
        try:
            order = place(
                payment_method=method,
                variants=[v for v, _ in chosen],
                quantities=[q for _, q in chosen],
            )
        except DomainError:
            return  # not enough stock: nothing was written (checkout's own tests say so)
        self.order_ids.append(order.pk)

    @has_orders
    @rule(index=st.integers(0, 20))
    def pay(self, index):
        order = self.order(index)
        if order.payment_method == "sandbox":
            if order.status == S.PENDING and order.payment_status == P.UNPAID:
                pay_online(order)
        else:
            self.attempt(order, "confirm_payment")

    @has_orders
    @rule(
        index=st.integers(0, 20), action=st.sampled_from(["pack", "deliver", "cancel", "confirm"])
    )
    def simple_action(self, index, action):
        self.attempt(self.order(index), action)

    @has_orders
    @rule(
        index=st.integers(0, 20),
        mode=st.sampled_from(["all", "some", "too many"]),
        parts=st.lists(st.integers(0, 3), min_size=2, max_size=2),
    )
    def ship(self, index, mode, parts):
        order = self.order(index)
        params = {"carrier": "ups", "tracking_number": "1Z999"}
        if mode != "all":
            extra = 1 if mode == "too many" else 0
            params["lines"] = [
                {"line_id": line.pk, "quantity": min(part, line.quantity_to_ship) + extra}
                for line, part in zip(order.lines.all(), parts, strict=False)
            ]
        self.attempt(order, "ship", params)

    @has_orders
    @rule(
        index=st.integers(0, 20),
        cents=st.integers(1, 6000),
        back=st.lists(st.integers(0, 3), min_size=0, max_size=2),
    )
    def refund(self, index, cents, back):
        order = self.order(index)
        restock = [
            {"line_id": line.pk, "quantity": quantity}
            for line, quantity in zip(order.lines.all(), back, strict=False)
        ]
        amount = str(Decimal(cents) / 100)
        self.attempt(order, "refund", {"amount": amount, "restock": restock})

    @has_orders
    @rule(index=st.integers(0, 20), quantity=st.integers(1, 3))
    def restock(self, index, quantity):
        order = self.order(index)
        line = order.lines.first()
        self.attempt(order, "restock", {"restock": [{"line_id": line.pk, "quantity": quantity}]})

    @has_orders
    @rule(index=st.integers(0, 20))
    def expire(self, index):
        order = self.order(index)
        before = snapshot(order)
        if not services.expire_order(order=order):
            assert snapshot(order) == before

    @invariant()
    def stock_is_never_negative_and_matches_the_orders(self):
        lines = OrderLine.objects.filter(order_id__in=self.order_ids)
        for variant in self.variants:
            level = StockLevel.objects.get(variant=variant)
            mine = [line for line in lines if line.variant_id == variant.pk]
            assert 0 <= level.allocated <= level.on_hand
            assert level.allocated == sum(line.quantity_to_ship for line in mine)
            shipped = sum(line.quantity_shipped for line in mine)
            returned = sum(line.quantity_returned for line in mine)
            assert level.on_hand == STOCK - shipped + returned
        for line in lines:
            assert 0 <= line.quantity_returned <= line.quantity_shipped
            assert line.quantity_shipped + line.quantity_cancelled <= line.quantity

    @invariant()
    def refunds_never_exceed_payments(self):
        for order in Order.objects.filter(pk__in=self.order_ids):
            applied = Payment.objects.filter(order=order, applied_to_order=True)
            assert order.amount_paid == sum((p.amount for p in applied), Decimal(0))
            assert order.amount_refunded == sum((p.amount_refunded for p in applied), Decimal(0))
            assert 0 <= order.amount_refunded <= order.amount_paid
            credited = sum((n.amount for n in order.credit_notes.all()), Decimal(0))
            assert credited == order.amount_refunded
        for payment in Payment.objects.filter(order_id__in=self.order_ids):
            assert 0 <= payment.amount_refunded <= payment.amount

    @invariant()
    def statuses_agree_with_the_lines(self):
        for order in Order.objects.filter(pk__in=self.order_ids).prefetch_related("lines"):
            lines = list(order.lines.all())
            to_ship = sum(line.quantity_to_ship for line in lines)
            shipped = sum(line.quantity_shipped for line in lines)
            if order.fulfilment_status in {F.SHIPPED, F.DELIVERED}:
                assert to_ship == 0 and shipped > 0
            if order.fulfilment_status == F.PARTIALLY_SHIPPED:
                assert to_ship > 0 and shipped > 0
            if order.fulfilment_status in {F.UNFULFILLED, F.PACKED}:
                assert shipped == 0
            if order.status in {S.CANCELLED, S.EXPIRED, S.COMPLETED}:
                assert to_ship == 0
            if order.status == S.COMPLETED:
                assert order.payment_status != P.UNPAID

    @invariant()
    def documents_are_numbered_without_gaps(self):
        invoices = sorted(Invoice.objects.values_list("number", flat=True))
        assert invoices == list(range(1, len(invoices) + 1))
        paid = Order.objects.filter(pk__in=self.order_ids, amount_paid__gt=0).count()
        assert len(invoices) == paid
        notes = sorted(CreditNote.objects.values_list("number", flat=True))
        assert notes == list(range(1, len(notes) + 1))
        assert not [n for n, c in Counter(invoices + [0]).items() if c > 1 and n]


@pytest.mark.django_db
@pytest.mark.usefixtures("order_shop")
def test_any_sequence_of_actions_keeps_stock_and_money_right():
    run_state_machine_as_test(
        OrderMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
