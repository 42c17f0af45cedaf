"""Categories in the back office: the tree, the form, ordering among siblings, deletion."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mallkit.catalog import services, staff_selectors
from mallkit.core.errors import DomainError, ValidationFailed

from ..access import can, staff_required
from ..forms import CategoryForm, show_service_errors


def _category_or_404(pk):
    category = staff_selectors.staff_category(category_id=pk)
    if category is None:
        raise Http404
    return category


@staff_required("catalog.view_category")
def category_list(request):
    return render(
        request,
        "backoffice/categories/list.html",
        {
            "categories": staff_selectors.staff_category_tree(),
            "can_add": can(request.user, "catalog.add_category"),
            "can_change": can(request.user, "catalog.change_category"),
            "can_delete": can(request.user, "catalog.delete_category"),
        },
    )


def _category_form(request, category, *, can_save: bool):
    errors, status = [], 200
    if request.method == "POST":
        form = CategoryForm(request.POST, request.FILES, category=category)
        if form.is_valid():
            try:
                category = services.save_category(category=category, **form.service_arguments())
            except ValidationFailed as error:
                errors = show_service_errors(form, error.errors)
            else:
                messages.success(request, _("“%(name)s” was saved.") % {"name": category.name})
                return redirect("backoffice:categories")
        status = 400
    elif category is not None:
        form = CategoryForm(initial=CategoryForm.initial_for(category), category=category)
    else:
        form = CategoryForm(category=None)
    if not can_save:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "backoffice/categories/form.html",
        {"form": form, "category": category, "errors": errors, "can_save": can_save},
        status=status,
    )


@staff_required("catalog.add_category")
def category_create(request):
    return _category_form(request, None, can_save=True)


@staff_required("catalog.view_category", post=["catalog.change_category"])
def category_edit(request, pk):
    category = _category_or_404(pk)
    return _category_form(request, category, can_save=can(request.user, "catalog.change_category"))


@require_POST
@staff_required("catalog.change_category")
def category_move(request, pk):
    category = _category_or_404(pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.move_category(category=category, offset=offset)
    return redirect("backoffice:categories")


@staff_required("catalog.delete_category")
def category_delete(request, pk):
    category = _category_or_404(pk)
    if request.method == "POST":
        try:
            services.delete_category(category=category)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("“%(name)s” was deleted.") % {"name": category.name})
        return redirect("backoffice:categories")
    return render(request, "backoffice/categories/delete.html", {"category": category})
