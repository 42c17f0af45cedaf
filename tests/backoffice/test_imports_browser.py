"""Product import in Debian's chromium: a dry run with errors, a clean one, then the real run.

Screenshots go to /tmp/shots/imports-*.png for a person to look at.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from mallkit.catalog.models import ImportJob, Variant
from tests.backoffice.roles import make_person
from tests.factories import CategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
PASSWORD = "correct-horse-battery"
HEADER = "sku,product_slug,product_name,categories,price,compare_at_price,stock,option:Colour\n"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"imports-{name}.png"), full_page=True)


def upload(page, path: Path, *, dry_run: bool = True):
    page.set_input_files("input[name=file]", str(path))
    if not dry_run:
        page.uncheck("input[name=dry_run]")
    page.click("button:has-text('Upload')")
    page.wait_for_url("**/backoffice/imports/*/")


def test_catalogue_manager_checks_then_imports_a_file(page, tmp_path):
    make_person("catalogue", email="mia@example.com", full_name="Mia Manager")
    CategoryFactory(name="Mugs", slug="mugs")
    faulty = tmp_path / "faulty.csv"
    faulty.write_text(
        HEADER
        + "MUG-RED,mug,Mug,mugs,8.00,,12,Red\n"
        + "MUG-BLUE,mug,Mug,cups,8.5O,,-2,Blue\n"
        + "MUG-RED,mug,Big mug,mugs,9.00,,1,Red\n"
    )
    clean = tmp_path / "clean.csv"
    clean.write_text(
        HEADER + "MUG-RED,mug,Mug,mugs,8.00,10.00,12,Red\nMUG-BLUE,mug,,,8.50,,3,Blue\n"
    )

    page.goto("/backoffice/imports/")
    assert "/backoffice/login/" in page.url
    page.fill("input[name=login]", "mia@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/backoffice/imports/")
    assert page.is_checked("input[name=dry_run]")
    shot(page, "page")

    # A dry run of a faulty file: every error by row and column, nothing saved.
    upload(page, faulty)
    page.wait_for_selector("text=Nothing was saved.")
    errors = page.locator("table.import-errors tbody tr").all_inner_texts()
    assert [" ".join(text.split()[:2]) for text in errors] == [
        "3 categories",
        "3 price",
        "3 stock",
        "4 sku",
    ]
    assert page.locator("text=Import for real").count() == 0
    assert Variant.objects.count() == 0
    shot(page, "report-errors")

    # A clean file: the dry run counts, then one click imports the same file.
    page.click("text=Import another file")
    upload(page, clean)
    page.wait_for_selector("text=The file has no errors. Nothing was saved yet.")
    shot(page, "report")
    page.click("button:has-text('Import for real')")
    page.wait_for_selector("text=The import is saved.")
    assert list(Variant.objects.order_by("sku").values_list("sku", "price")) == [
        ("MUG-BLUE", Decimal("8.50")),
        ("MUG-RED", Decimal("8.00")),
    ]


def test_progress_page_follows_a_running_job(page):
    make_person("catalogue", email="mia@example.com", full_name="Mia Manager")
    job = ImportJob.objects.create(
        file="imports/big.csv",
        original_name="big.csv",
        dry_run=False,
        status=ImportJob.Status.RUNNING,
        total_rows=10_000,
        processed_rows=4_000,
    )
    page.goto(f"/backoffice/imports/{job.pk}/")
    page.fill("input[name=login]", "mia@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=4,000 of 10,000 rows checked")
    assert page.get_attribute("progress", "value") == "40"
    shot(page, "progress")

    # htmx asks every second; the page turns into the report without a reload.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        processed_rows=10_000,
        created_count=2_500,
        updated_count=7_000,
        finished_at=timezone.now(),
    )
    page.wait_for_selector("text=The import is saved.", timeout=5000)
    assert page.locator(".stat-value").all_inner_texts() == ["10,000", "2,500", "7,000", "500"]
