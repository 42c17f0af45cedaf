"""Sales figures for the back office's dashboard: sales today and this month, the last days'
sales by day and the best-selling products. Each is one query.

A sale is an order the shop accepted (confirmed or completed), counted on the day it was placed,
in the shop's currency and time zone.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from mallkit.core.money import default_currency

from .models import Order, OrderLine

SOLD = Q(status__in=[Order.Status.CONFIRMED, Order.Status.COMPLETED])
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))


@dataclass(frozen=True)
class SalesSummary:
    today_sales: Decimal
    today_orders: int
    month_sales: Decimal
    month_orders: int
    currency: str


@dataclass(frozen=True)
class DaySales:
    day: date
    sales: Decimal
    orders: int


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sales_summary(*, today: date | None = None) -> SalesSummary:
    today = today or timezone.localdate()
    day_start, month_start = _start_of(today), _start_of(today.replace(day=1))
    sold = Order.objects.filter(SOLD, currency=default_currency(), created_at__gte=month_start)
    today_only = Q(created_at__gte=day_start)
    figures = sold.aggregate(
        today_sales=Coalesce(Sum("total", filter=today_only), ZERO),
        today_orders=Count("pk", filter=today_only),
        month_sales=Coalesce(Sum("total"), ZERO),
        month_orders=Count("pk"),
    )
    return SalesSummary(currency=default_currency(), **figures)


def daily_sales(*, days: int = 30, today: date | None = None) -> list[DaySales]:
    """Sales of each of the last `days` days, oldest first; days without sales show zero."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = (
        Order.objects.filter(SOLD, currency=default_currency(), created_at__gte=_start_of(first))
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(sales=Coalesce(Sum("total"), ZERO), orders=Count("pk"))
    )
    by_day = {row["day"]: row for row in rows}
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = by_day.get(day, {"sales": Decimal("0"), "orders": 0})
        result.append(DaySales(day, Decimal(row["sales"]), row["orders"]))
    return result


@dataclass(frozen=True)
class TopProduct:
    product_name: str
    units: int
    sales: Decimal


def top_products(*, days: int = 30, limit: int = 5, today: date | None = None) -> list[TopProduct]:
    """The products sold most (by units) over the last `days` days."""
    today = today or timezone.localdate()
    since = _start_of(today - timedelta(days=days - 1))
    rows = (
        OrderLine.objects.filter(
            order__status__in=[Order.Status.CONFIRMED, Order.Status.COMPLETED],
            order__currency=default_currency(),
            order__created_at__gte=since,
        )
        .values("product_name")
        .annotate(units=Sum("quantity"), sales=Coalesce(Sum("total"), ZERO))
        .order_by("-units", "-sales", "product_name")[:limit]
    )
    return [TopProduct(row["product_name"], row["units"], Decimal(row["sales"])) for row in rows]
