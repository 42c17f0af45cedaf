"""Stock in the back office: per-variant adjustments and stock-takes, thresholds, low stock."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mallkit.catalog import staff_selectors
from mallkit.core.errors import DomainError
from mallkit.inventory import selectors as inventory
from mallkit.inventory import services

from ..access import can, staff_required
from ..forms import StockAdjustForm, StockSetForm, ThresholdForm

PER_PAGE = 50


def _stock_page(request, product, *, bound=None, status=200):
    """The stock page of a product; `bound` puts a submitted form (with its errors) back."""
    bound_variant, bound_name, bound_form = bound or (None, None, None)
    rows = []
    for variant in product.variants.all():
        level = getattr(variant, "stock", None)
        forms = {
            "adjust": StockAdjustForm(prefix=f"adjust-{variant.pk}"),
            "set": StockSetForm(
                prefix=f"set-{variant.pk}", initial={"on_hand": level.on_hand if level else 0}
            ),
            "threshold": ThresholdForm(
                prefix=f"threshold-{variant.pk}",
                initial={"low_stock_threshold": level.low_stock_threshold if level else 5},
            ),
        }
        if variant.pk == bound_variant:
            forms[bound_name] = bound_form
        rows.append({"variant": variant, "level": level, "forms": forms})
    return render(
        request,
        "backoffice/stock/product.html",
        {
            "product": product,
            "rows": rows,
            "movements": inventory.movements_for_product(product_id=product.pk, limit=20),
            "can_change": can(request.user, "inventory.change_stocklevel"),
            "active_tab": "stock",
        },
        status=status,
    )


@staff_required("inventory.view_stocklevel", "catalog.view_product")
def product_stock(request, pk):
    product = staff_selectors.staff_product(product_id=pk)
    if product is None:
        raise Http404
    return _stock_page(request, product)


def _change_stock(request, variant_pk, name, form_class, change):
    """Check a stock form of one variant and apply it; errors go back next to the fields."""
    variant = staff_selectors.staff_variant(variant_id=variant_pk)
    if variant is None:
        raise Http404
    form = form_class(request.POST, prefix=f"{name}-{variant.pk}")
    if form.is_valid():
        try:
            message = change(variant, form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, message)
            url = reverse("backoffice:product_stock", args=[variant.product_id])
            return redirect(f"{url}#v{variant.pk}")
    product = staff_selectors.staff_product(product_id=variant.product_id)
    return _stock_page(request, product, bound=(variant.pk, name, form), status=400)


@require_POST
@staff_required("inventory.change_stocklevel")
def stock_adjust(request, variant_pk):
    def change(variant, data):
        movement = services.adjust_stock(
            variant_id=variant.pk,
            change=data["change"],
            reason=data["reason"],
            note=data["note"],
            user=request.user,
        )
        return _("%(sku)s: %(change)+d, now %(after)d on hand.") % {
            "sku": variant.sku,
            "change": movement.on_hand_change,
            "after": movement.on_hand_after,
        }

    return _change_stock(request, variant_pk, "adjust", StockAdjustForm, change)


@require_POST
@staff_required("inventory.change_stocklevel")
def stock_set(request, variant_pk):
    def change(variant, data):
        movement = services.set_stock(
            variant_id=variant.pk,
            on_hand=data["on_hand"],
            reason=services.Reason.CORRECTION,
            note=data["note"],
            user=request.user,
        )
        if movement is None:
            return _("%(sku)s: the count matches the stock; nothing changed.") % {
                "sku": variant.sku
            }
        return _("%(sku)s: counted %(after)d on hand (%(change)+d).") % {
            "sku": variant.sku,
            "change": movement.on_hand_change,
            "after": movement.on_hand_after,
        }

    return _change_stock(request, variant_pk, "set", StockSetForm, change)


@require_POST
@staff_required("inventory.change_stocklevel")
def stock_threshold(request, variant_pk):
    def change(variant, data):
        services.set_low_stock_threshold(
            variant_id=variant.pk, threshold=data["low_stock_threshold"]
        )
        return _("%(sku)s is now low at %(threshold)d units or fewer.") % {
            "sku": variant.sku,
            "threshold": data["low_stock_threshold"],
        }

    return _change_stock(request, variant_pk, "threshold", ThresholdForm, change)


@staff_required("inventory.view_stocklevel", "catalog.view_product")
def low_stock(request):
    page_obj = Paginator(inventory.low_stock_levels(), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/stock/low.html",
        {"page_obj": page_obj, "levels": page_obj.object_list},
    )
