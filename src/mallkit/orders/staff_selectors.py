"""Order reads for the back office and the staff API: work queues, search, one order in full,
customers. Every list reads in a fixed number of queries, whatever the number of rows.

(orders.selectors holds the shopper's reads.)
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mallkit.accounts import roles
from mallkit.payments import gateways

from .models import (
    CustomerNote,
    Fulfilment,
    Order,
    OrderEvent,
    OrderLine,
    RefundRequest,
)

S, P, F_ = Order.Status, Order.PaymentStatus, Order.FulfilmentStatus


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    oldest_first: bool  # work queues are served in order of arrival; archives newest first


QUEUES = [
    Queue("awaiting_payment", _("Payment check"), True),
    Queue("to_pack", _("To pack"), True),
    Queue("to_ship", _("To ship"), True),
    Queue("shipped", _("Shipped"), False),
    Queue("completed", _("Completed"), False),
    Queue("cancelled", _("Cancelled"), False),
    Queue("refund_requested", _("Refund requested"), True),
    Queue("flagged", _("Flagged"), True),
    Queue("all", _("All orders"), False),
]
QUEUE_KEYS = [queue.key for queue in QUEUES]


def offline_payment_methods() -> list[str]:
    """Codes of the payment methods whose money staff check by hand (bank transfer, cash)."""
    return [code for code, gateway in gateways.enabled().items() if not gateway.is_online]


def payment_method_names() -> dict[str, str]:
    return {code: str(gateway.name) for code, gateway in gateways.enabled().items()}


def _open_refund_request():
    return Exists(
        RefundRequest.objects.filter(order=OuterRef("pk"), status=RefundRequest.Status.OPEN)
    )


def queue_filter(key: str) -> Q:
    """The orders waiting in a queue (unknown keys mean every order)."""
    if key == "awaiting_payment":
        return Q(
            status__in=[S.PENDING, S.CONFIRMED],
            payment_status=P.UNPAID,
            payment_method__in=offline_payment_methods(),
        )
    if key == "to_pack":
        return Q(status=S.CONFIRMED, fulfilment_status=F_.UNFULFILLED)
    if key == "to_ship":
        return Q(status=S.CONFIRMED, fulfilment_status__in=[F_.PACKED, F_.PARTIALLY_SHIPPED])
    if key == "shipped":
        return Q(status=S.CONFIRMED, fulfilment_status=F_.SHIPPED)
    if key == "completed":
        return Q(status=S.COMPLETED)
    if key == "cancelled":
        return Q(status__in=[S.CANCELLED, S.EXPIRED])
    if key == "refund_requested":
        return Q(_open_refund_request())
    if key == "flagged":
        return Q(is_flagged=True)
    return Q()


def queue_counts() -> dict[str, int]:
    """How many orders wait in each queue, in one query."""
    return Order.objects.aggregate(
        **{key: Count("pk", filter=queue_filter(key)) for key in QUEUE_KEYS if key != "all"},
        all=Count("pk"),
    )


def _item_count():
    units = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(units=Sum("quantity"))
        .values("units")
    )
    return Coalesce(Subquery(units, output_field=IntegerField()), Value(0))


def _search(query: str) -> Q:
    """Order number, customer e-mail, name or phone, or a SKU ordered."""
    return (
        Q(number__icontains=query)
        | Q(email__icontains=query)
        | Q(phone__icontains=query)
        | Q(shipping_address__full_name__icontains=query)
        | Q(customer__full_name__icontains=query)
        | Q(customer__phone__icontains=query)
        | Q(Exists(OrderLine.objects.filter(order=OuterRef("pk"), sku__iexact=query)))
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search_orders(
    *,
    queue: str = "all",
    q: str = "",
    status: str = "",
    payment_method: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
):
    """Orders of a queue matching the search and filters, each with `item_count`; one query."""
    orders = Order.objects.filter(queue_filter(queue))
    query = (q or "").strip()
    if query:
        orders = orders.filter(_search(query))
    if status:
        orders = orders.filter(status=status)
    if payment_method:
        orders = orders.filter(payment_method=payment_method)
    if date_from:
        orders = orders.filter(created_at__gte=_day_start(date_from))
    if date_to:
        orders = orders.filter(created_at__lt=_day_start(date_to) + timezone.timedelta(days=1))
    oldest_first = next((item.oldest_first for item in QUEUES if item.key == queue), False)
    ordering = ["created_at", "id"] if oldest_first else ["-created_at", "-id"]
    return orders.annotate(item_count=_item_count()).order_by(*ordering)


def landing_queue(user) -> str:
    """The queue a member of staff starts on: the warehouse packs, customer service answers
    flags and refund requests, everyone else sees every order."""
    groups = {group.name for group in user.groups.all()}
    if roles.WAREHOUSE in groups:
        return "to_pack"
    if roles.CUSTOMER_SERVICE in groups:
        return "flagged"
    return "all"


def staff_order(*, number: str) -> Order | None:
    """One order with everything its back-office page shows, in a fixed number of queries."""
    if not isinstance(number, str):
        return None
    return (
        Order.objects.filter(number=number)
        .annotate(item_count=_item_count())
        .select_related("customer", "invoice")
        .prefetch_related(
            "lines",
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
            Prefetch(
                "fulfilments",
                queryset=Fulfilment.objects.select_related("shipped_by").prefetch_related(
                    "lines__order_line"
                ),
            ),
            "payments__transactions",
            "credit_notes",
            Prefetch(
                "refund_requests", queryset=RefundRequest.objects.select_related("requested_by")
            ),
        )
        .first()
    )


def orders_by_number(*, numbers) -> list[Order]:
    """Orders for printing (pick list, packing slips), in the order asked, with their lines."""
    found = {
        order.number: order
        for order in Order.objects.filter(number__in=list(numbers)[:500]).prefetch_related("lines")
    }
    return [found[number] for number in dict.fromkeys(numbers) if number in found]


@dataclass(frozen=True)
class PickRow:
    sku: str
    product_name: str
    variant_label: str
    quantity: int
    orders: list[str]


def pick_list(orders: list[Order]) -> list[PickRow]:
    """What to take from the shelves for these orders: units still to ship, by SKU."""
    rows: dict[str, dict] = {}
    for order in orders:
        for line in order.lines.all():
            if line.quantity_to_ship <= 0:
                continue
            row = rows.setdefault(
                line.sku,
                {
                    "sku": line.sku,
                    "product_name": line.product_name,
                    "variant_label": line.variant_label,
                    "quantity": 0,
                    "orders": [],
                },
            )
            row["quantity"] += line.quantity_to_ship
            row["orders"].append(order.number)
    return [PickRow(**row) for _, row in sorted(rows.items())]


# Customers -----------------------------------------------------------------------------------


def _spent():
    return Coalesce(
        Sum(F("orders__amount_paid") - F("orders__amount_refunded")),
        Value(0),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def customers(*, q: str = ""):
    """Shoppers with an account, with `order_count`, `total_spent` and `last_order_at`."""
    people = get_user_model().objects.filter(is_staff=False)
    query = (q or "").strip()
    if query:
        people = people.filter(
            Q(email__icontains=query) | Q(full_name__icontains=query) | Q(phone__icontains=query)
        )
    return people.annotate(
        order_count=Count("orders"),
        total_spent=_spent(),
        last_order_at=Max("orders__created_at"),
    ).order_by("-last_order_at", "-date_joined", "-id")


@dataclass(frozen=True)
class CustomerDetail:
    customer: object
    orders: list
    addresses: list
    notes: list
    order_count: int
    total_spent: object


def customer_detail(*, customer_id: int) -> CustomerDetail | None:
    """A shopper's page: orders, addresses, what they spent and staff notes (five queries)."""
    customer = (
        customers().filter(pk=customer_id).prefetch_related("addresses").first()
        if isinstance(customer_id, int)
        else None
    )
    if customer is None:
        return None
    orders = list(
        Order.objects.filter(customer=customer)
        .annotate(item_count=_item_count())
        .order_by("-created_at", "-id")[:100]
    )
    notes = list(CustomerNote.objects.filter(customer=customer).select_related("author"))
    return CustomerDetail(
        customer=customer,
        orders=orders,
        addresses=list(customer.addresses.all()),
        notes=notes,
        order_count=customer.order_count,
        total_spent=customer.total_spent,
    )
