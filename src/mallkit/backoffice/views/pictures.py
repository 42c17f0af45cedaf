"""A product's pictures: upload (a form, or one request per dropped file), order, alt text."""

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from mallkit.catalog import images, staff_selectors
from mallkit.catalog.models import ProductImage
from mallkit.core.errors import ValidationFailed

from ..access import can, staff_required
from ..forms import PictureAltForm, PictureUploadForm


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _product_or_404(pk):
    product = staff_selectors.staff_product(product_id=pk)
    if product is None:
        raise Http404
    return product


def _image_or_404(pk) -> ProductImage:
    image = staff_selectors.staff_picture(picture_id=pk)
    if image is None:
        raise Http404
    return image


@staff_required("catalog.view_product", post=["catalog.add_productimage"])
def product_pictures(request, pk):
    product = _product_or_404(pk)
    form = PictureUploadForm()
    status = 200
    if request.method == "POST":
        form = PictureUploadForm(request.POST, request.FILES)
        problems = []
        if form.is_valid():
            try:
                added = images.add_product_images(
                    product=product, files=form.cleaned_data["images"], user=request.user
                )
            except ValidationFailed as error:
                problems = error.errors.get("images") or [error.message]
                for problem in problems:
                    form.add_error("images", problem)
        else:
            problems = form.errors.get("images", [_("Choose at least one picture.")])
        if _wants_json(request):
            if problems:
                return JsonResponse({"errors": list(problems)}, status=400)
            return JsonResponse({"added": [image.pk for image in added]}, status=201)
        if not problems:
            message = ngettext(
                "%(count)d picture added.", "%(count)d pictures added.", len(added)
            ) % {"count": len(added)}
            messages.success(request, message)
            return redirect("backoffice:product_pictures", pk=product.pk)
        status = 400
    return render(
        request,
        "backoffice/products/pictures.html",
        {
            "product": product,
            "form": form,
            "pictures": product.images.all(),
            "active_tab": "pictures",
            "can_add": can(request.user, "catalog.add_productimage"),
            "can_change": can(request.user, "catalog.change_productimage"),
            "can_delete": can(request.user, "catalog.delete_productimage"),
        },
        status=status,
    )


@require_POST
@staff_required("catalog.change_productimage")
def picture_update(request, pk):
    image = _image_or_404(pk)
    form = PictureAltForm(request.POST)
    if form.is_valid():
        images.update_product_image(image=image, alt=form.cleaned_data["alt"])
        if not request.htmx:
            messages.success(request, _("The alternative text was saved."))
    elif not request.htmx:
        messages.error(request, _("The alternative text has at most 200 characters."))
    if request.htmx:
        return render(
            request,
            "backoffice/products/_alt_form.html",
            {"picture": image, "form": form, "saved": form.is_valid(), "can_change": True},
            status=200 if form.is_valid() else 400,
        )
    return redirect("backoffice:product_pictures", pk=image.product_id)


@require_POST
@staff_required("catalog.change_productimage")
def picture_move(request, pk):
    image = _image_or_404(pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    images.move_product_image(image=image, offset=offset)
    return redirect("backoffice:product_pictures", pk=image.product_id)


@require_POST
@staff_required("catalog.change_productimage")
def picture_order(request, pk):
    product = _product_or_404(pk)
    try:
        images.reorder_product_images(product=product, image_ids=request.POST.getlist("order"))
    except ValidationFailed as error:
        if _wants_json(request):
            return JsonResponse({"errors": [error.message]}, status=400)
        messages.error(request, error.message)
    if _wants_json(request):
        return HttpResponse(status=204)
    return redirect("backoffice:product_pictures", pk=product.pk)


@require_POST
@staff_required("catalog.delete_productimage")
def picture_delete(request, pk):
    image = _image_or_404(pk)
    images.delete_product_image(image=image)
    messages.success(request, _("The picture was deleted."))
    return redirect("backoffice:product_pictures", pk=image.product_id)
