"""Products in the back office: the list with bulk actions, the product form and its history."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from mallkit.catalog import services, staff_selectors
from mallkit.catalog.models import Product
from mallkit.core.errors import ValidationFailed

from ..access import can, forbidden, staff_required
from ..forms import (
    BulkActionForm,
    ProductFilterForm,
    ProductForm,
    VariantForm,
    VariantFormSet,
    VariantGeneratorForm,
    format_options,
    kept_variant_forms,
    show_service_errors,
)

PER_PAGE = 25
VARIANTS = "variants"
GENERATOR = "generate"
EDIT_PERMISSIONS = ("catalog.change_product", "catalog.change_variant")
VARIANT_FIELDS = ("id", "sku", "options", "price", "compare_at_price", "weight", "stock")
STATUS_ACTIONS = {
    "publish": Product.Status.ACTIVE,
    "unpublish": Product.Status.DRAFT,
    "archive": Product.Status.ARCHIVED,
}


@staff_required("catalog.view_product")
def product_list(request):
    filter_form = ProductFilterForm(request.GET or None)
    products = staff_selectors.staff_products(filter_form.filters())
    page_obj = Paginator(products, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/products/list.html",
        {
            "filter_form": filter_form,
            "page_obj": page_obj,
            "products": page_obj.object_list,
            "bulk_form": BulkActionForm(),
            "can_bulk": can(request.user, "catalog.change_product"),
            "can_change_prices": can(request.user, *EDIT_PERMISSIONS),
            "can_add": can(request.user, "catalog.add_product", "catalog.add_variant"),
        },
    )


def _back_to_list(request):
    url = request.POST.get("next", "")
    if not url.startswith(reverse("backoffice:products")):
        url = reverse("backoffice:products")
    return redirect(url)


@require_POST
@staff_required("catalog.change_product")
def product_bulk(request):
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back_to_list(request)
    data = form.cleaned_data
    action, ids = data["action"], data["products"]
    try:
        if action in STATUS_ACTIONS:
            count = services.set_product_status(product_ids=ids, status=STATUS_ACTIONS[action])
        elif action == "move":
            count = services.move_products_to_category(
                product_ids=ids, category_id=int(data["category"])
            )
        else:
            if not can(request.user, *EDIT_PERMISSIONS):
                return forbidden(request)
            count = services.change_prices_by_percent(
                product_ids=ids,
                percent=data["percent"],
                include_compare_at=data["include_compare_at"],
                user=request.user,
            )
    except ValidationFailed as error:
        messages.error(request, error.message)
        return _back_to_list(request)
    if action == "price":
        message = ngettext(
            "%(count)d variant has a new price.", "%(count)d variants have new prices.", count
        )
    else:
        message = ngettext("%(count)d product updated.", "%(count)d products updated.", count)
    messages.success(request, message % {"count": count})
    return _back_to_list(request)


def _posted_rows(data) -> list[dict]:
    """The variant rows of a posted form, without blank ones and those ticked for removal."""
    try:
        total = min(int(data.get(f"{VARIANTS}-TOTAL_FORMS", 0)), 200)
    except ValueError:
        total = 0
    rows = []
    for index in range(total):
        prefix = f"{VARIANTS}-{index}-"
        row = {name: data.get(prefix + name, "") for name in VARIANT_FIELDS}
        row["low_stock_threshold"] = data.get(prefix + "low_stock_threshold", "5")
        if data.get(prefix + "DELETE") or not (row["id"] or row["sku"] or row["price"]):
            continue
        rows.append(row)
    return rows


def _form_from_post(data) -> ProductForm:
    """The product form refilled from a post without checking it (for helper actions)."""
    initial = {name: data.get(name, "") for name in ProductForm.base_fields}
    initial["categories"] = data.getlist("categories")
    initial["is_featured"] = bool(data.get("is_featured"))
    return ProductForm(initial=initial)


def _product_form(request, product: Product | None, *, can_save: bool):
    generator = VariantGeneratorForm(prefix=GENERATOR)
    errors, failed = [], False
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    if action in {"generate", "add_row"}:
        # Helper buttons rebuild the variant grid; nothing is saved and nothing is checked yet.
        form = _form_from_post(request.POST)
        rows = _posted_rows(request.POST)
        if action == "add_row":
            rows.append({"stock": 0, "low_stock_threshold": 5})
        else:
            generator = VariantGeneratorForm(request.POST, prefix=GENERATOR)
            if generator.is_valid():
                data = generator.cleaned_data
                prefix = data["sku_prefix"] or staff_selectors.suggest_sku_prefix(
                    name=request.POST.get("name", "")
                )
                try:
                    grid = staff_selectors.variant_combinations(
                        options=data["options"], sku_prefix=prefix
                    )
                except ValidationFailed as error:
                    generator.add_error("options", error.message)
                    grid = []
                present = {row["sku"] for row in rows}
                rows += [
                    {
                        "sku": combination["sku"],
                        "options": format_options(combination["options"]),
                        "price": data["price"] if data["price"] is not None else "",
                        "stock": 0,
                        "low_stock_threshold": 5,
                    }
                    for combination in grid
                    if combination["sku"] not in present
                ]
        formset = VariantFormSet(initial=rows, prefix=VARIANTS)
    elif action == "save":
        form = ProductForm(request.POST)
        formset = VariantFormSet(request.POST, prefix=VARIANTS)
        if form.is_valid() & formset.is_valid():
            kept = kept_variant_forms(formset)
            try:
                product = services.save_product(
                    product=product,
                    **form.service_arguments(),
                    variants=[row.service_row() for row in kept],
                    user=request.user,
                )
            except ValidationFailed as error:
                failed = True
                errors = show_service_errors(form, error.errors, formset=formset, rows=kept)
            else:
                messages.success(request, _("“%(name)s” was saved.") % {"name": product.name})
                return redirect("backoffice:product_edit", pk=product.pk)
        else:
            failed = True
            errors = list(formset.non_form_errors())
    elif product is not None:
        form = ProductForm(initial=ProductForm.initial_for(product))
        formset = VariantFormSet(
            initial=[VariantForm.initial_for(variant) for variant in product.variants.all()],
            prefix=VARIANTS,
        )
    else:
        form = ProductForm(initial={"status": Product.Status.DRAFT})
        formset = VariantFormSet(initial=[{}], prefix=VARIANTS)
    if not can_save:
        for each in [form, *formset.forms]:
            for field in each.fields.values():
                field.disabled = True
    context = {
        "product": product,
        "form": form,
        "formset": formset,
        "generator": generator,
        "errors": errors,
        "can_save": can_save,
        "active_tab": "details",
    }
    if product is not None:
        levels = {
            str(variant.pk): getattr(variant, "stock", None) for variant in product.variants.all()
        }
        for row in formset.forms:
            row.stock_level = levels.get(str(row["id"].value() or ""))
        context["history"] = staff_selectors.product_history(product_id=product.pk, per_page=10)
    return render(request, "backoffice/products/form.html", context, status=400 if failed else 200)


@staff_required("catalog.add_product", "catalog.add_variant")
def product_create(request):
    return _product_form(request, None, can_save=True)


@staff_required(
    "catalog.view_product",
    post=[*EDIT_PERMISSIONS, "catalog.add_variant", "catalog.delete_variant"],
)
def product_edit(request, pk):
    product = staff_selectors.staff_product(product_id=pk)
    if product is None:
        raise Http404
    can_save = can(request.user, *EDIT_PERMISSIONS, "catalog.add_variant", "catalog.delete_variant")
    return _product_form(request, product, can_save=can_save)


@staff_required("catalog.view_product")
def product_history(request, pk):
    product = staff_selectors.staff_product(product_id=pk)
    if product is None:
        raise Http404
    try:
        page = int(request.GET.get("page", 1))
    except ValueError:
        page = 1
    history = staff_selectors.product_history(product_id=pk, page=page, per_page=25)
    return render(
        request,
        "backoffice/products/history.html",
        {"product": product, "history": history, "active_tab": "history"},
    )
