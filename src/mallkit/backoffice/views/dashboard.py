"""The back office's first page: what needs attention, for the sections the role may use."""

from django.shortcuts import render

from mallkit.catalog import selectors as catalog
from mallkit.inventory import selectors as inventory

from ..access import can, staff_required


@staff_required()
def dashboard(request):
    user = request.user
    context = {}
    if can(user, "catalog.view_product"):
        context["status_counts"] = catalog.product_status_counts()
    if can(user, "inventory.view_stocklevel"):
        context["low_stock_count"] = inventory.low_stock_count()
    return render(request, "backoffice/dashboard.html", context)
