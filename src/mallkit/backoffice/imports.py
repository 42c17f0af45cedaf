"""Product import and export in the back office: upload, progress, report, downloads.

Checking and writing live in catalog.importing; these views only carry files and reports
between the browser and those services.
"""

import tempfile

from django import forms
from django.contrib import messages
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mallkit.catalog import importing, sheets, staff_selectors
from mallkit.catalog.models import ImportJob
from mallkit.core.errors import DomainError

from .access import can, staff_required
from .forms import ProductFilterForm

IMPORT_PERMISSIONS = ("catalog.add_product", "catalog.change_product")
EXPORT_PERMISSION = "catalog.view_product"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTERS = ("q", "category", "status", "low_stock")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        help_text=gettext_lazy("One row per variant; at most 100,000 rows and 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv," + XLSX_TYPE}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Only check the file (dry run): nothing is saved"),
        required=False,
        initial=True,
    )


@staff_required(*IMPORT_PERMISSIONS)
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.start_import(
                file=form.cleaned_data["file"],
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
        except DomainError as error:
            for field, field_errors in error.errors.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return redirect("backoffice:import_job", pk=job.pk)
    return render(
        request,
        "backoffice/imports/index.html",
        {
            "form": form,
            "jobs": importing.recent_jobs(),
            "can_export": can(request.user, EXPORT_PERMISSION),
            "export_form": ProductFilterForm(),
            "columns": importing.COLUMNS,
            "max_rows": importing.MAX_ROWS,
        },
    )


@staff_required(*IMPORT_PERMISSIONS)
def import_job(request, pk):
    """The progress of an import, then its report; htmx polls it while it runs."""
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    finished = job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}
    # A real run checks every row first (the progress shown), then saves them all at once.
    saving = not finished and not job.dry_run and 0 < job.total_rows <= job.processed_rows
    context = {
        "job": job,
        "finished": finished,
        "saving": saving,
        "report": importing.job_report(job=job) if finished else None,
    }
    template = "backoffice/imports/_job.html" if request.htmx else "backoffice/imports/job.html"
    return render(request, template, context)


@require_POST
@staff_required(*IMPORT_PERMISSIONS)
def import_run(request, pk):
    """Import for real the file of a dry run that found no errors."""
    job = get_object_or_404(ImportJob, pk=pk)
    try:
        real = importing.start_real_run(job=job, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("backoffice:import_job", pk=job.pk)
    return redirect("backoffice:import_job", pk=real.pk)


def _products(request):
    """The products the product list shows for the same filters, or None for every product."""
    if not any(request.GET.get(name) for name in FILTERS):
        return None
    return staff_selectors.staff_products(ProductFilterForm(request.GET).filters())


def _filename(stem: str, extension: str) -> str:
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.{extension}"


def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode() for line in sheets.csv_lines(rows)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_response(rows, filename: str) -> FileResponse:
    # A workbook is a zip archive, written whole before it is sent; big ones spill to disk.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    sheets.write_xlsx(rows, out, title=_("Products"))
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


@staff_required(EXPORT_PERMISSION)
def export_csv(request):
    rows = importing.export_rows(products=_products(request))
    return _csv_response(rows, _filename("products", "csv"))


@staff_required(EXPORT_PERMISSION)
def export_xlsx(request):
    rows = importing.export_rows(products=_products(request))
    return _xlsx_response(rows, _filename("products", "xlsx"))


@staff_required(*IMPORT_PERMISSIONS)
def template_csv(request):
    return _csv_response(importing.template_rows(), "products-template.csv")


@staff_required(*IMPORT_PERMISSIONS)
def template_xlsx(request):
    return _xlsx_response(importing.template_rows(), "products-template.xlsx")
