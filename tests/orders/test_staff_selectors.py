"""The back office's order reads keep their query budgets, whatever the number of rows."""

import pytest

from mallkit.orders import fulfilment, processing, report_selectors, services
from mallkit.orders import staff_selectors as selectors
from tests.factories import UserFactory

from .helpers import owner, pay_online, place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("order_shop")]


def busy_order(customer=None):
    """A paid order of three lines, shipped in two parcels, with notes and a refund."""
    boss = owner()
    order = processing.confirm_payment(
        order=place(quantities=(1, 2, 3), customer=customer), actor=boss
    )
    first = order.lines.first()
    fulfilment.ship(order=order, carrier="dhl", quantities={first.pk: 1}, actor=boss)
    fulfilment.ship(order=order, carrier="ups", actor=boss)
    services.add_note(order=order, text="Careful, fragile.", actor=boss)
    processing.refund(order=order, amount="2.00", actor=boss)
    return order


def test_queue_counts_are_one_query(django_assert_num_queries):
    place()
    busy_order()
    with django_assert_num_queries(1):
        counts = selectors.queue_counts()
    assert counts["all"] == 2 and counts["awaiting_payment"] == 1 and counts["shipped"] == 1


def test_a_page_of_a_queue_is_one_query(django_assert_num_queries):
    for _ in range(3):
        place(payment_method="sandbox", quantities=(1, 2))
    with django_assert_num_queries(1):
        orders = list(selectors.search_orders(queue="all", q="example")[:50])
    assert [order.item_count for order in orders] == [3, 3, 3]


def read_in_full(number):
    found = selectors.staff_order(number=number)
    list(found.lines.all())
    [event.actor for event in found.events.all()]
    [[line.order_line.sku for line in p.lines.all()] for p in found.fulfilments.all()]
    [list(payment.transactions.all()) for payment in found.payments.all()]
    list(found.credit_notes.all())
    list(found.refund_requests.all())
    return found.invoice


def test_one_order_in_full_in_a_fixed_number_of_queries(django_assert_num_queries):
    small = pay_online(place(payment_method="sandbox"))
    big = busy_order()
    services.add_note(order=big, text="More to read.")
    # The order with its invoice, lines, events with their actors, parcels, their lines and the
    # order lines they name, payments, their transactions, credit notes, refund requests.
    with django_assert_num_queries(10):
        assert read_in_full(big.number).number == 2
    # No parcels: the parcels' own lines are not asked for.
    with django_assert_num_queries(8):
        read_in_full(small.number)


def test_customers_and_a_customers_page(django_assert_num_queries):
    grace = UserFactory(full_name="Grace Hopper")
    busy_order(customer=grace)
    busy_order(customer=grace)
    with django_assert_num_queries(1):
        people = list(selectors.customers(q="Grace"))
    assert [(p.pk, p.order_count) for p in people] == [(grace.pk, 2)]
    with django_assert_num_queries(4):
        detail = selectors.customer_detail(customer_id=grace.pk)
    assert detail.total_spent == 2 * (60 + 5) - 4


def test_dashboard_figures(django_assert_num_queries):
    busy_order()
    place()  # unpaid: not a sale
    with django_assert_num_queries(1):
        summary = report_selectors.sales_summary()
    assert (summary.today_orders, summary.today_sales) == (1, 65)
    with django_assert_num_queries(1):
        days = report_selectors.daily_sales(days=30)
    assert len(days) == 30 and days[-1].sales == 65 and sum(d.orders for d in days) == 1
    with django_assert_num_queries(1):
        top = report_selectors.top_products(days=30)
    assert [product.units for product in top] == [3, 2, 1]
