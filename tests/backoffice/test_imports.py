"""The back office's product import and export pages."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from mallkit.catalog import importing
from mallkit.catalog.models import ImportJob, PriceChange, Product, Variant
from mallkit.inventory.models import StockMovement
from tests.backoffice.roles import PEOPLE, make_person
from tests.factories import CategoryFactory, ProductFactory, StockLevelFactory, VariantFactory

pytestmark = pytest.mark.django_db

CATALOGUE = {"owner", "catalogue"}
VIEWERS = {"owner", "catalogue", "service", "warehouse"}  # every role may see products

# (method, URL name, takes a job id, the roles allowed in)
PAGES = [
    ("get", "backoffice:imports", False, CATALOGUE),
    ("post", "backoffice:imports", False, CATALOGUE),
    ("get", "backoffice:import_job", True, CATALOGUE),
    ("post", "backoffice:import_run", True, CATALOGUE),
    ("get", "backoffice:import_template_csv", False, CATALOGUE),
    ("get", "backoffice:import_template_xlsx", False, CATALOGUE),
    ("get", "backoffice:export_csv", False, VIEWERS),
    ("get", "backoffice:export_xlsx", False, VIEWERS),
]


def csv_upload(text: str, name: str = "products.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def url_of(name, takes_job, job):
    return reverse(name, args=[job.pk] if takes_job else [])


@pytest.fixture
def job():
    return ImportJob.objects.create(
        file="imports/x.csv", original_name="x.csv", status=ImportJob.Status.RUNNING
    )


@pytest.mark.parametrize("kind", PEOPLE)
@pytest.mark.parametrize(("method", "name", "takes_job", "allowed"), PAGES)
def test_each_role_gets_exactly_its_pages(client, job, kind, method, name, takes_job, allowed):
    client.force_login(make_person(kind))

    response = getattr(client, method)(url_of(name, takes_job, job))

    if kind in allowed:
        assert response.status_code in {200, 302}, response.status_code
        if response.status_code == 302:
            assert "/login/" not in response["Location"]
    else:
        assert response.status_code == 403
        assert b"No access" in response.content


@pytest.mark.parametrize(("method", "name", "takes_job", "allowed"), PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, job, method, name, takes_job, allowed):
    response = getattr(client, method)(url_of(name, takes_job, job))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:login"))


def test_import_page_documents_the_format(manager_client):
    response = manager_client.get(reverse("backoffice:imports"))

    content = response.content.decode()
    assert response.status_code == 200
    for column in importing.COLUMNS:
        assert f"<dt>{column}</dt>" in content
    assert reverse("backoffice:import_template_csv") in content
    assert reverse("backoffice:export_xlsx") in content
    assert 'type="file"' in content


def test_dry_run_report_then_import_for_real(
    manager_client, manager, django_capture_on_commit_callbacks
):
    CategoryFactory(slug="mugs", name="Mugs")
    text = (
        "sku,product_slug,product_name,categories,price,stock\n"
        "MUG-1,mug,Mug,mugs,8.00,4\n"
        "MUG-2,mug,,,9.00,\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("backoffice:imports"), {"file": csv_upload(text), "dry_run": "on"}
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:import_job", args=[job.pk])
    assert (job.dry_run, job.created_by, job.original_name) == (True, manager, "products.csv")
    assert Variant.objects.count() == 0
    page = manager_client.get(response["Location"]).content.decode()
    assert "The file has no errors. Nothing was saved yet." in page
    assert "Would create" in page
    assert "Import for real" in page
    assert "hx-trigger" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(reverse("backoffice:import_run", args=[job.pk]))

    real = ImportJob.objects.get(dry_run=False)
    assert response["Location"] == reverse("backoffice:import_job", args=[real.pk])
    assert list(Variant.objects.order_by("sku").values_list("sku", "price")) == [
        ("MUG-1", Decimal("8.00")),
        ("MUG-2", Decimal("9.00")),
    ]
    assert StockMovement.objects.get().created_by == manager
    page = manager_client.get(response["Location"]).content.decode()
    assert "The import is saved." in page
    assert "Import for real" not in page


def test_import_at_once_without_a_dry_run(manager_client, django_capture_on_commit_callbacks):
    product = ProductFactory(slug="lamp")
    VariantFactory(product=product, sku="LAMP-1", price=Decimal("30.00"))

    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            reverse("backoffice:imports"), {"file": csv_upload("sku,price\nLAMP-1,27.50\n")}
        )

    assert ImportJob.objects.get().dry_run is False
    assert Variant.objects.get().price == Decimal("27.50")
    assert PriceChange.objects.get().old_value == Decimal("30.00")


def test_report_lists_errors_by_row_and_column(manager_client, django_capture_on_commit_callbacks):
    text = "sku,product_slug,product_name,price,stock\nA-1,a,A,abc,1\nA-2,a,A,1.00,-2\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("backoffice:imports"), {"file": csv_upload(text), "dry_run": "on"}
        )

    page = manager_client.get(response["Location"]).content.decode()
    assert "The file has 2 errors. Nothing was saved." in page
    assert '<td class="num">2</td><td class="mono">price</td>' in page
    assert '<td class="num">3</td><td class="mono">stock</td>' in page
    assert "Import for real" not in page
    assert Product.objects.count() == 0


def test_real_run_of_a_dry_run_with_errors_is_refused(manager_client):
    job = ImportJob.objects.create(
        file="imports/x.csv",
        original_name="x.csv",
        status=ImportJob.Status.DONE,
        errors=[{"row": 2, "column": "price", "message": "Bad."}],
    )

    response = manager_client.post(reverse("backoffice:import_run", args=[job.pk]), follow=True)

    assert "Only a dry run that found no errors can be imported for real." in (
        response.content.decode()
    )
    assert ImportJob.objects.count() == 1


def test_progress_page_shows_the_percent_and_polls(manager_client, job):
    ImportJob.objects.filter(pk=job.pk).update(total_rows=200, processed_rows=50)

    page = manager_client.get(reverse("backoffice:import_job", args=[job.pk])).content.decode()

    assert 'value="25"' in page
    assert "25%" in page
    assert "50 of 200 rows checked" in page
    assert 'hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page


def test_progress_poll_answers_with_the_fragment_only(manager_client, job):
    ImportJob.objects.filter(pk=job.pk).update(total_rows=10, processed_rows=10, dry_run=False)

    response = manager_client.get(
        reverse("backoffice:import_job", args=[job.pk]), HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="import-job"')
    assert "<html" not in page
    assert "All rows checked; saving the changes…" in page


def test_upload_without_a_file_shows_the_form_again(manager_client):
    response = manager_client.post(reverse("backoffice:imports"), {"dry_run": "on"})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_upload_too_large_is_refused(manager_client, monkeypatch):
    monkeypatch.setattr(importing.jobs, "MAX_FILE_BYTES", 10)

    response = manager_client.post(
        reverse("backoffice:imports"), {"file": csv_upload("sku\n" + "A\n" * 10)}
    )

    assert "The file is larger than 0 MB." in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.fixture
def products():
    lamp = ProductFactory(slug="lamp", name="Lamp", status=Product.Status.ACTIVE)
    StockLevelFactory(variant=VariantFactory(product=lamp, sku="LAMP-1", price=Decimal("30")))
    draft = ProductFactory(slug="vase", name="Vase", status=Product.Status.DRAFT)
    VariantFactory(product=draft, sku="=VASE", price=Decimal("12.5"))
    return lamp, draft


def test_export_csv_streams_every_variant(manager_client, products):
    response = manager_client.get(reverse("backoffice:export_csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="products-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(importing.COLUMNS)
    assert [(row[0], row[1], row[6]) for row in rows[1:]] == [
        ("LAMP-1", "lamp", "30.00"),
        ("'=VASE", "vase", "12.50"),
    ]


def test_export_takes_the_product_list_filters(manager_client, products):
    response = manager_client.get(reverse("backoffice:export_csv"), {"status": "draft"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(text))][1:] == ["'=VASE"]

    response = manager_client.get(reverse("backoffice:export_csv"), {"q": "lamp"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(text))][1:] == ["LAMP-1"]


def test_export_costs_the_same_queries_for_more_products(manager_client, products):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            b"".join(manager_client.get(reverse("backoffice:export_csv")).streaming_content)
        return len(captured)

    few = queries()
    for n in range(20):
        VariantFactory(product=ProductFactory(), sku=f"MORE-{n}")
    assert queries() == few


def test_export_xlsx_is_a_workbook_of_text_cells(manager_client, products):
    response = manager_client.get(reverse("backoffice:export_xlsx"))

    assert response["Content-Disposition"].startswith('attachment; filename="products-')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == list(importing.COLUMNS)
    assert [(row[0], row[6]) for row in rows[1:]] == [("LAMP-1", "30.00"), ("'=VASE", "12.50")]


@pytest.mark.parametrize("name", ["import_template_csv", "import_template_xlsx"])
def test_template_downloads(manager_client, name):
    response = manager_client.get(reverse(f"backoffice:{name}"))

    assert response.status_code == 200
    assert "products-template." in response["Content-Disposition"]
