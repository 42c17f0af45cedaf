"""The back office's first page: sales, what waits in each queue, low stock, for the sections
the role may use. Everything is drawn on the server; the chart is SVG."""

from django.shortcuts import render

from mallkit.catalog import staff_selectors
from mallkit.core.money import default_currency
from mallkit.inventory import selectors as inventory
from mallkit.orders import report_selectors as reports
from mallkit.orders import staff_selectors as orders

from ..access import can, staff_required
from ..charts import sales_bars

LOW_STOCK_SHOWN = 8


@staff_required()
def dashboard(request):
    user = request.user
    context = {}
    if can(user, "orders.view_order"):
        counts = orders.queue_counts()
        days = reports.daily_sales(days=30)
        context.update(
            sales=reports.sales_summary(),
            queues=[
                {"key": q.key, "label": q.label, "count": counts.get(q.key, 0)}
                for q in orders.QUEUES
                if q.oldest_first  # the queues with work in them, not the archives
            ],
            chart=sales_bars(days, currency=default_currency()),
            top_products=reports.top_products(days=30),
        )
    if can(user, "catalog.view_product"):
        context["status_counts"] = staff_selectors.product_status_counts()
    if can(user, "inventory.view_stocklevel"):
        context["low_stock_count"] = inventory.low_stock_count()
        if can(user, "catalog.view_product"):
            context["low_stock"] = list(inventory.low_stock_levels()[:LOW_STOCK_SHOWN])
    return render(request, "backoffice/dashboard.html", context)
