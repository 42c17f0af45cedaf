"""URLs of product import and export, mounted at /backoffice/imports/ (see imports.py)."""

from django.urls import path

from . import imports

urlpatterns = [
    path("", imports.import_page, name="imports"),
    path("<int:pk>/", imports.import_job, name="import_job"),
    path("<int:pk>/run/", imports.import_run, name="import_run"),
    path("export.csv", imports.export_csv, name="export_csv"),
    path("export.xlsx", imports.export_xlsx, name="export_xlsx"),
    path("template.csv", imports.template_csv, name="import_template_csv"),
    path("template.xlsx", imports.template_xlsx, name="import_template_xlsx"),
]
