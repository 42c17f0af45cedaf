import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from mallkit.catalog import importing, services, sheets
from mallkit.catalog.importing import writing
from mallkit.catalog.models import (
    Category,
    ImportJob,
    Option,
    OptionValue,
    PriceChange,
    Product,
    Variant,
)
from mallkit.core.errors import Conflict
from mallkit.inventory.models import StockLevel, StockMovement
from tests.factories import (
    CategoryFactory,
    OptionValueFactory,
    ProductFactory,
    StockLevelFactory,
    UserFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db

HEADER = [*importing.COLUMNS, "option:Colour", "option:Size"]


def csv_file(rows, header=HEADER) -> bytes:
    """A CSV file of `rows`, each a dict from column to cell (missing cells are empty)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode()


def xlsx_file(rows, header=HEADER) -> bytes:
    """An XLSX file of `rows`; cell values keep their Python type (numbers stay numbers)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column) for column in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def tee(sku="TEE-RED-M", **cells):
    row = {
        "sku": sku,
        "product_slug": "organic-tee",
        "product_name": "Organic tee",
        "description": "<p>Soft <script>alert(1)</script><em>cotton</em></p>",
        "status": "active",
        "categories": "shirts|new",
        "price": "19.00",
        "compare_at_price": "24.00",
        "weight": "0.18",
        "stock": "12",
        "low_stock_threshold": "3",
        "option:Colour": "Red",
        "option:Size": "M",
    }
    row.update(cells)
    return row


def counts():
    """How many rows each table the import writes holds."""
    return {
        model.__name__: model.objects.count()
        for model in (
            Product,
            Variant,
            Option,
            OptionValue,
            PriceChange,
            StockLevel,
            StockMovement,
            Product.categories.through,
            Variant.option_values.through,
        )
    }


@pytest.fixture
def shelves():
    return CategoryFactory(slug="shirts", name="Shirts"), CategoryFactory(slug="new", name="New in")


@pytest.fixture
def staff():
    return UserFactory(is_staff=True)


def errors_of(report):
    return [(error.row, error.column) for error in report.errors]


# Creating ---------------------------------------------------------------------------------------


def test_import_creates_products_variants_options_categories_and_stock(shelves, staff):
    data = csv_file(
        [
            tee(),
            # A product's further rows may leave the product columns empty.
            tee(
                "TEE-RED-L",
                product_name="",
                description="",
                status="",
                categories="",
                price="21.50",
                compare_at_price="",
                weight="",
                stock="0",
                low_stock_threshold="",
                **{"option:Size": "L"},
            ),
            {
                "sku": "MUG-1",
                "product_slug": "mug",
                "product_name": "Mug",
                "price": "8",
                "stock": "5",
            },
        ]
    )

    report = importing.import_products(data=data, user=staff, dry_run=False)

    assert report.ok
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    tee_product = Product.objects.get(slug="organic-tee")
    assert tee_product.name == "Organic tee"
    assert tee_product.description == "<p>Soft <em>cotton</em></p>"
    assert tee_product.status == Product.Status.ACTIVE
    assert tee_product.published_at is not None
    assert set(tee_product.categories.values_list("slug", flat=True)) == {"shirts", "new"}
    assert tee_product.price_from == Decimal("19.00")
    assert tee_product.search_title == "organic tee tee red m tee red l"
    red_m, red_l = tee_product.variants.order_by("position")
    assert (red_m.sku, red_m.price, red_m.compare_at_price, red_m.weight, red_m.position) == (
        "TEE-RED-M",
        Decimal("19.00"),
        Decimal("24.00"),
        Decimal("0.180"),
        0,
    )
    assert (red_l.sku, red_l.price, red_l.compare_at_price, red_l.weight, red_l.position) == (
        "TEE-RED-L",
        Decimal("21.50"),
        None,
        None,
        1,
    )
    assert (red_m.label, red_l.label) == ("Red / M", "Red / L")
    assert (red_m.stock.on_hand, red_m.stock.low_stock_threshold) == (12, 3)
    assert (red_l.stock.on_hand, red_l.stock.low_stock_threshold) == (0, 5)
    assert list(
        StockMovement.objects.order_by("variant__sku").values_list(
            "variant__sku", "on_hand_change", "reason", "created_by"
        )
    ) == [("MUG-1", 5, "initial", staff.pk), ("TEE-RED-M", 12, "initial", staff.pk)]
    mug = Product.objects.get(slug="mug")
    assert (mug.name, mug.status, mug.description, mug.published_at) == ("Mug", "draft", "", None)
    assert mug.variants.get().price == Decimal("8.00")
    assert {option.name for option in Option.objects.all()} == {"Colour", "Size"}


def test_new_sku_with_a_known_product_slug_joins_that_product(staff):
    product = ProductFactory(slug="lamp", name="Lamp")
    VariantFactory(product=product, sku="LAMP-1", position=0)
    VariantFactory(product=product, sku="LAMP-2", position=4)

    report = importing.import_products(
        data=csv_file([{"sku": "LAMP-3", "product_slug": "lamp", "price": "30.00", "stock": "2"}]),
        user=staff,
        dry_run=False,
    )

    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    added = Variant.objects.get(sku="LAMP-3")
    assert (added.product_id, added.position, added.price) == (product.pk, 5, Decimal("30.00"))
    assert added.stock.on_hand == 2
    assert StockMovement.objects.get(variant=added).reason == "initial"
    assert list(PriceChange.objects.filter(variant=added).values_list("field", "new_value")) == [
        ("price", Decimal("30.00"))
    ]
    product.refresh_from_db()
    assert product.name == "Lamp"
    assert product.search_title == "lamp lamp 1 lamp 2 lamp 3"


# Updating ----------------------------------------------------------------------------------------


@pytest.fixture
def shirt(shelves):
    product = ProductFactory(slug="shirt", name="Shirt", status=Product.Status.ACTIVE)
    product.categories.set([shelves[0]])
    red = OptionValueFactory(value="Red")
    small = VariantFactory(product=product, sku="SHIRT-S", price=Decimal("20.00"), position=0)
    large = VariantFactory(product=product, sku="SHIRT-L", price=Decimal("22.00"), position=1)
    small.option_values.set([red])
    StockLevelFactory(variant=small, on_hand=10, low_stock_threshold=2)
    StockLevelFactory(variant=large, on_hand=4)
    services.refresh_products(product_ids=[product.pk])
    return product


def test_update_by_sku_changes_only_what_changed_and_keeps_history(shirt, staff):
    small, large = shirt.variants.order_by("position")
    before = {v.sku: v.updated_at for v in (small, large)}

    report = importing.import_products(
        data=csv_file(
            [
                {"sku": "SHIRT-S", "price": "18.50", "stock": "10"},
                {"sku": "SHIRT-L", "price": "22.00", "stock": "7"},
            ],
            header=["sku", "price", "stock"],
        ),
        user=staff,
        dry_run=False,
    )

    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    small.refresh_from_db()
    large.refresh_from_db()
    assert (small.price, large.price) == (Decimal("18.50"), Decimal("22.00"))
    assert large.updated_at == before["SHIRT-L"]  # the price of SHIRT-L did not change
    assert list(
        PriceChange.objects.values_list("variant__sku", "field", "old_value", "new_value")
    ) == [("SHIRT-S", "price", Decimal("20.00"), Decimal("18.50"))]
    assert PriceChange.objects.get().changed_by == staff
    movement = StockMovement.objects.get()
    assert (movement.variant_id, movement.on_hand_change, movement.on_hand_after) == (
        large.pk,
        3,
        7,
    )
    assert (movement.reason, movement.created_by) == ("correction", staff)
    assert StockLevel.objects.get(variant=small).on_hand == 10
    shirt.refresh_from_db()
    assert shirt.price_from == Decimal("18.50")
    assert shirt.name == "Shirt"
    assert list(shirt.categories.values_list("slug", flat=True)) == ["shirts"]


def test_update_product_columns_and_options(shirt, shelves, staff):
    data = csv_file(
        [
            {
                "sku": "SHIRT-S",
                "product_name": "Linen shirt",
                "description": "<p>Linen</p>",
                "status": "archived",
                "categories": "new",
                "compare_at_price": "30.00",
                "weight": "0.3",
                "low_stock_threshold": "6",
                "option:Colour": "",
                "option:Size": "S",
            },
            {"sku": "SHIRT-L", "option:Size": "L"},
        ]
    )

    report = importing.import_products(data=data, user=staff, dry_run=False)

    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    shirt.refresh_from_db()
    assert (shirt.name, shirt.description, shirt.status) == (
        "Linen shirt",
        "<p>Linen</p>",
        "archived",
    )
    assert list(shirt.categories.values_list("slug", flat=True)) == ["new"]
    small, large = shirt.variants.order_by("position")
    assert (small.compare_at_price, small.weight) == (Decimal("30.00"), Decimal("0.300"))
    assert (small.label, large.label) == ("S", "L")  # the empty Colour cell removed Red
    assert StockLevel.objects.get(variant=small).low_stock_threshold == 6
    assert list(PriceChange.objects.values_list("field", "old_value", "new_value")) == [
        ("compare_at_price", None, Decimal("30.00"))
    ]
    assert StockMovement.objects.count() == 0
    # The summary columns are those refresh_products computes.
    summary = (shirt.price_from, shirt.search_title, shirt.search_body)
    services.refresh_products(product_ids=[shirt.pk])
    shirt.refresh_from_db()
    assert summary == (shirt.price_from, shirt.search_title, shirt.search_body)
    assert shirt.search_body == "linen new in l s"


def test_empty_cells_keep_required_values_and_clear_optional_ones(shirt):
    small = shirt.variants.get(sku="SHIRT-S")
    Variant.objects.filter(pk=small.pk).update(compare_at_price=Decimal("25.00"))

    report = importing.import_products(data=csv_file([{"sku": "SHIRT-S"}]), dry_run=False)

    assert (report.updated, report.unchanged) == (1, 0)
    small.refresh_from_db()
    shirt.refresh_from_db()
    assert (small.price, small.compare_at_price, small.label) == (Decimal("20.00"), None, "")
    assert (shirt.name, shirt.status) == ("Shirt", "active")
    assert StockLevel.objects.get(variant=small).on_hand == 10


def test_status_active_publishes_a_draft(staff):
    product = ProductFactory(slug="draft", status=Product.Status.DRAFT, published_at=None)
    VariantFactory(product=product, sku="D-1")

    importing.import_products(
        data=csv_file([{"sku": "D-1", "status": "Active"}]), user=staff, dry_run=False
    )

    product.refresh_from_db()
    assert product.status == "active"
    assert product.published_at is not None


# Dry runs and errors ----------------------------------------------------------------------------


def test_dry_run_reports_and_writes_nothing(shirt, shelves, staff):
    before = counts()
    data = csv_file(
        [
            {"sku": "SHIRT-S", "price": "1.00", "stock": "99", "option:Size": "XS"},
            tee("NEW-1"),
        ]
    )

    report = importing.import_products(data=data, user=staff, dry_run=True)

    assert report.ok and report.dry_run
    assert (report.rows, report.created, report.updated, report.unchanged) == (2, 1, 1, 0)
    assert counts() == before
    assert Variant.objects.get(sku="SHIRT-S").price == Decimal("20.00")


def test_progress_is_reported_per_batch(shelves, monkeypatch):
    monkeypatch.setattr(importing.rows, "BATCH_SIZE", 2)
    monkeypatch.setattr(importing.checking, "BATCH_SIZE", 2)
    heard = []
    rows = [tee(f"TEE-{n}") for n in range(5)]

    importing.import_products(
        data=csv_file(rows), dry_run=True, progress=lambda *done: heard.append(done)
    )

    assert heard == [(0, 5), (2, 5), (4, 5), (5, 5)]


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"price": "abc"}, "price"),
        ({"price": "-1"}, "price"),
        ({"price": "1.234"}, "price"),
        ({"price": "1,50"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"price": "100000000000"}, "price"),
        ({"compare_at_price": "x"}, "compare_at_price"),
        ({"weight": "0.1234"}, "weight"),
        ({"weight": "-1"}, "weight"),
        ({"stock": "1.5"}, "stock"),
        ({"stock": "-2"}, "stock"),
        ({"stock": "x"}, "stock"),
        ({"low_stock_threshold": "two"}, "low_stock_threshold"),
        ({"status": "sold"}, "status"),
        ({"categories": "shirts|nope"}, "categories"),
        ({"product_name": ""}, "product_name"),
        ({"product_name": "x" * 201}, "product_name"),
        ({"price": ""}, "price"),
        ({"product_slug": ""}, "product_slug"),
        ({"product_slug": "Not a slug"}, "product_slug"),
        ({"sku": ""}, "sku"),
        ({"sku": "S" * 65}, "sku"),
        ({"option:Size": "M" * 61}, "option:Size"),
    ],
)
def test_each_bad_cell_is_reported_at_its_row_and_column_and_nothing_is_written(
    shelves, cells, column
):
    before = counts()
    data = csv_file([tee("GOOD-1"), tee("BAD-1") | {"product_slug": "other"} | cells])

    report = importing.import_products(data=data, dry_run=False)

    assert errors_of(report) == [(3, column)]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert counts() == before


def test_file_level_rules_are_row_errors(shirt, shelves):
    StockLevel.objects.filter(variant__sku="SHIRT-L").update(allocated=3)
    data = csv_file(
        [
            tee("A-1"),
            tee("A-1"),  # the same SKU twice
            tee("A-2", product_name="Organic Tee!"),  # one product, two names
            tee("A-3", status="draft"),  # one product, two statuses
            {"sku": "SHIRT-S", "product_slug": "organic-tee"},  # variants do not move
            {"sku": "SHIRT-L", "stock": "2"},  # 3 units are allocated
            {"sku": "NEW-9", "product_slug": "brand-new", "price": "1"},  # a product needs a name
        ]
    )

    report = importing.import_products(data=data, dry_run=False)

    assert errors_of(report) == [
        (3, "sku"),
        (4, "product_name"),
        (5, "status"),
        (6, "product_slug"),
        (7, "stock"),
        (8, "product_name"),
    ]
    assert report.errors[0].message == "SKU “A-1” is also on row 2."
    assert Product.objects.filter(slug="organic-tee").exists() is False
    assert StockMovement.objects.count() == 0


def test_errors_name_rows_as_the_spreadsheet_numbers_them():
    data = b"sku,price\n\nX-1,abc\n,,\nX-2,-5\n"

    report = importing.import_products(data=data, dry_run=True)

    assert [(e.row, e.column) for e in report.errors if e.column == "price"] == [
        (3, "price"),
        (5, "price"),
    ]


@pytest.mark.parametrize(
    ("data", "name", "row", "column", "message"),
    [
        (b"", "empty.csv", None, "", "The file is empty."),
        (b"  \n\n", "blank.csv", None, "", "The file is empty."),
        (bytes(range(256)) * 4, "garbage.csv", None, "", "This is not a CSV or XLSX file."),
        (b"sku,product_name\nA,Caf\xe9\n", "latin1.csv", None, "", "not UTF-8"),
        (b"sku,price\n", "header.csv", None, "", "no rows below the header"),
        (b"just some text", "products.xlsx", None, "", "not a valid XLSX workbook"),
        (b"PK\x03\x04garbage", "products.xlsx", None, "", "not a valid XLSX workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", None, "", "Old Excel files"),
        (b"product_name,price\nA,1\n", "nosku.csv", 1, "sku", "no “sku” column"),
        (b"sku,pricee\nA,1\n", "typo.csv", 1, "pricee", "Unknown column"),
        (b"sku,SKU\nA,1\n", "twice.csv", 1, "SKU", "appears twice"),
        (b"sku,option:\nA,1\n", "option.csv", 1, "option:", "Name the option"),
    ],
)
def test_bad_files_are_refused_with_a_clear_error(data, name, row, column, message):
    before = counts()

    report = importing.import_products(data=data, name=name, dry_run=False)

    assert len(report.errors) == 1
    assert (report.errors[0].row, report.errors[0].column) == (row, column)
    assert message in report.errors[0].message
    assert counts() == before


def test_a_zip_that_is_no_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")

    report = importing.import_products(data=out.getvalue(), name="x.xlsx", dry_run=True)

    assert [error.message for error in report.errors] == ["This file is not a valid XLSX workbook."]


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(writing, "MAX_ROWS", 3)
    data = csv_file([{"sku": f"S-{n}"} for n in range(4)], header=["sku"])

    report = importing.import_products(data=data, dry_run=True)

    assert [(e.row, e.message) for e in report.errors] == [
        (5, "The file has more than 3 rows. Split it into smaller files.")
    ]


def test_errors_past_the_listed_ones_are_counted(monkeypatch):
    monkeypatch.setattr(importing.rows, "MAX_REPORTED_ERRORS", 2)
    data = csv_file([{"sku": f"S-{n}", "price": "x"} for n in range(3)], header=["sku", "price"])

    report = importing.import_products(data=data, dry_run=True)

    assert (len(report.errors), report.more_errors) == (2, 4)


def test_real_run_rechecks_inside_the_transaction_and_writes_nothing_on_a_late_error(
    shelves, monkeypatch
):
    """A category deleted between the first check and the writing stops the whole import."""
    before = counts()
    original = importing.checking.Snapshot.load

    def load(table, columns, *, lock):
        if lock:
            Category.objects.filter(slug="new").delete()
        return original(table, columns, lock=lock)

    monkeypatch.setattr(importing.checking.Snapshot, "load", staticmethod(load))

    report = importing.import_products(data=csv_file([tee()]), dry_run=False)

    assert errors_of(report) == [(2, "categories")]
    assert {k: v for k, v in counts().items()} == before


# File formats --------------------------------------------------------------------------------


def test_xlsx_import_reads_numbers_as_typed(shelves):
    data = xlsx_file(
        [tee(price=19.9, compare_at_price=None, weight=0.25, stock=12, low_stock_threshold=3)]
    )

    report = importing.import_products(data=data, name="upload.bin", dry_run=False)

    assert report.ok, report.errors
    variant = Variant.objects.get(sku="TEE-RED-M")
    assert (variant.price, variant.compare_at_price, variant.weight) == (
        Decimal("19.90"),
        None,
        Decimal("0.250"),
    )
    assert (variant.stock.on_hand, variant.stock.low_stock_threshold) == (12, 3)


def test_xlsx_errors_use_spreadsheet_rows():
    data = xlsx_file([tee(price=1.005), tee("B", stock=1.5)])

    report = importing.import_products(data=data, dry_run=True)

    assert (2, "price") in errors_of(report)
    assert (3, "stock") in errors_of(report)


def test_csv_with_semicolons_and_a_byte_order_mark(shelves):
    data = "\ufeffsku;product_slug;product_name;price\nX-1;x;Ex;2.50\n".encode()

    report = importing.import_products(data=data, dry_run=False)

    assert report.ok
    assert Variant.objects.get(sku="X-1").price == Decimal("2.50")


def test_formula_guard_round_trips():
    for text in ["=1+2", "+1", "-1", "@SUM(A1)", "'=x", "''=x", "'plain", "plain", ""]:
        assert sheets.unguard(sheets.guard(text)) == text
    assert sheets.guard("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert sheets.guard("'=x") == "''=x"
    assert sheets.guard("19.90") == "19.90"


# Export and round trips ------------------------------------------------------------------------


@pytest.fixture
def catalogue(shelves, staff):
    """Two products imported from a file, one with text a spreadsheet would run as a formula."""
    rows = [
        tee(),
        tee("TEE-RED-L", price="21.50", compare_at_price="", weight="", **{"option:Size": "L"}),
        {
            "sku": "-MUG",
            "product_slug": "mug",
            "product_name": '=HYPERLINK("http://evil")',
            "description": '<p>Line one\nline two, with "quotes"</p>',
            "price": "8.00",
            "stock": "0",
            "option:Colour": "@white",
        },
    ]
    report = importing.import_products(data=csv_file(rows), user=staff, dry_run=False)
    assert report.ok, report.errors
    return report


def test_export_writes_the_import_columns_by_product_then_position(catalogue):
    rows = list(importing.export_rows())

    assert rows == [
        HEADER,
        [
            "TEE-RED-M",
            "organic-tee",
            "Organic tee",
            "<p>Soft <em>cotton</em></p>",
            "active",
            "new|shirts",
            "19.00",
            "24.00",
            "0.180",
            "12",
            "3",
            "Red",
            "M",
        ],
        [
            "TEE-RED-L",
            "organic-tee",
            "Organic tee",
            "<p>Soft <em>cotton</em></p>",
            "active",
            "new|shirts",
            "21.50",
            "",
            "",
            "12",
            "3",
            "Red",
            "L",
        ],
        [
            "-MUG",
            "mug",
            '=HYPERLINK("http://evil")',
            '<p>Line one\nline two, with "quotes"</p>',
            "draft",
            "",
            "8.00",
            "",
            "",
            "0",
            "5",
            "@white",
            "",
        ],
    ]


def test_export_can_be_narrowed_to_some_products(catalogue):
    rows = list(importing.export_rows(products=Product.objects.filter(slug="mug")))

    assert [row[0] for row in rows[1:]] == ["-MUG"]
    assert rows[0] == [*importing.COLUMNS, "option:Colour"]


def test_csv_export_guards_formulas():
    text = "".join(sheets.csv_lines([["sku", "name"], ["-MUG", "=1+2"], ["A", "19.90"]]))

    assert text == "\ufeffsku,name\r\n'-MUG,'=1+2\r\nA,19.90\r\n"


def test_xlsx_export_guards_formulas_and_keeps_amounts_as_text(catalogue):
    out = io.BytesIO()
    sheets.write_xlsx(importing.export_rows(), out)

    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row}
    assert cells['\'=HYPERLINK("http://evil")'] == "s"
    assert cells["'-MUG"] == "s"
    assert cells["19.00"] == "s"
    assert not any(data_type == "f" for data_type in cells.values())


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(catalogue, staff, kind):
    rows = importing.export_rows()
    if kind == "csv":
        data = "".join(sheets.csv_lines(rows)).encode()
    else:
        out = io.BytesIO()
        sheets.write_xlsx(rows, out)
        data = out.getvalue()
    before = counts()
    stamps = list(Variant.objects.order_by("pk").values_list("updated_at", flat=True))

    report = importing.import_products(data=data, name=f"export.{kind}", user=staff, dry_run=False)

    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 0, 0, 3)
    assert counts() == before
    assert list(Variant.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


def test_factory_made_catalogue_round_trips(shirt):
    """Rows made without the import (no stock level, unsanitised text) read back unchanged."""
    VariantFactory(product=shirt, sku="SHIRT-XL", position=2)  # no stock level
    Product.objects.filter(pk=shirt.pk).update(description="<p>Hi <b>there</b>")
    data = "".join(sheets.csv_lines(importing.export_rows())).encode()
    before = counts()

    report = importing.import_products(data=data, dry_run=False)

    assert (report.updated, report.unchanged) == (0, 3)
    assert counts() == before


def test_template_file_imports_cleanly():
    data = "".join(sheets.csv_lines(importing.template_rows())).encode()

    report = importing.import_products(data=data, dry_run=True)

    assert report.ok, report.errors
    assert (report.created, report.updated) == (2, 0)


# Jobs --------------------------------------------------------------------------------------------


def upload(data: bytes, name="products.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_job_dry_run_then_real_run(shelves, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = importing.start_import(file=upload(csv_file([tee()])), user=staff, dry_run=True)

    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows, job.percent) == ("done", 1, 1, 100)
    assert (job.created_count, job.updated_count, job.errors) == (1, 0, [])
    assert job.file.name.startswith("imports/") and job.file.name.endswith(".csv")
    assert job.original_name == "products.csv"
    assert Variant.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        real = importing.start_real_run(job=job, user=staff)
    real.refresh_from_db()
    assert (real.dry_run, real.status, real.created_count, real.file.name) == (
        False,
        "done",
        1,
        job.file.name,
    )
    assert Variant.objects.get().sku == "TEE-RED-M"
    assert StockMovement.objects.get().created_by == staff
    # Asking again (a double click) gives the same real run and imports nothing more.
    assert importing.start_real_run(job=job, user=staff) == real
    assert ImportJob.objects.count() == 2


def test_job_keeps_the_errors_and_refuses_a_real_run(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = importing.start_import(file=upload(b"sku,price\nA,abc\n"), user=staff, dry_run=True)

    job.refresh_from_db()
    assert job.status == "done"
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "product_slug"), (2, "price")]
    report = importing.job_report(job=job)
    assert not report.ok and report.unchanged == 0
    with pytest.raises(Conflict):
        importing.start_real_run(job=job, user=staff)


def test_job_that_crashes_is_marked_failed(staff):
    job = ImportJob.objects.create(file="imports/missing.csv", original_name="x.csv")

    with pytest.raises(FileNotFoundError):
        importing.run_import_job(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.finished_at is not None
    assert "unexpected error" in job.errors[0]["message"]


def test_job_runs_once(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = importing.start_import(file=upload(b"sku\n"), user=staff)

    importing.run_import_job(job_id=job.pk)  # already done: nothing happens

    job.refresh_from_db()
    assert job.status == "done"


def test_xlsx_upload_is_stored_as_xlsx(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = importing.start_import(file=upload(xlsx_file([]), name="a.xlsx"), user=staff)

    assert job.file.name.endswith(".xlsx")
