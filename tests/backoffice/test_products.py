"""The product pages: list, filters, bulk actions, the product form with its variants."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from mallkit.catalog import images
from mallkit.catalog.models import PriceChange, Product, Variant
from mallkit.inventory import services as stock_services
from mallkit.inventory.models import StockLevel, StockMovement
from tests.backoffice.pictures import jpeg
from tests.factories import CategoryFactory, ProductFactory, StockLevelFactory, VariantFactory

pytestmark = pytest.mark.django_db

LIST = reverse("backoffice:products")
CREATE = reverse("backoffice:product_create")
BULK = reverse("backoffice:product_bulk")


def form_data(variants, **fields):
    """A product form post: product fields plus the variants formset."""
    data = {
        "action": "save",
        "name": "Linen Camp Shirt",
        "slug": "",
        "status": "draft",
        "description": "<p>Breezy</p>",
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "200",
    }
    for index, variant in enumerate(variants):
        row = {"stock": "0", "low_stock_threshold": "5", **variant}
        data.update({f"variants-{index}-{key}": value for key, value in row.items()})
    data.update(fields)
    return data


def product_with_everything(name, category):
    product = ProductFactory(name=name)
    product.categories.add(category)
    for n in range(2):
        StockLevelFactory(variant=VariantFactory(product=product), on_hand=n)
    images.add_product_images(product=product, files=[jpeg()])
    return product


def test_list_shows_products_of_every_status_with_their_figures(manager_client):
    category = CategoryFactory(name="Lamps")
    product = product_with_everything("Desk Lamp", category)
    ProductFactory(name="Secret draft", status=Product.Status.DRAFT)

    response = manager_client.get(LIST)

    content = response.content.decode()
    assert "Desk Lamp" in content and "Secret draft" in content and "Lamps" in content
    row = next(p for p in response.context["products"] if p.pk == product.pk)
    assert (row.variant_count, row.available_units, row.is_low) == (2, 1, True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "lamp"}, ["Desk Lamp"]),
        ({"q": "SKU-LAMP"}, ["Desk Lamp"]),
        ({"status": "draft"}, ["Draft Chair"]),
        ({"low_stock": "on"}, ["Desk Lamp"]),
        ({"category": "parent"}, ["Desk Lamp"]),
        ({"sort": "name"}, ["Desk Lamp", "Draft Chair", "Wool Rug"]),
        ({"sort": "-price"}, ["Wool Rug", "Draft Chair", "Desk Lamp"]),
    ],
)
def test_search_filters_and_sorting(manager_client, query, expected):
    parent = CategoryFactory(name="Home")
    child = CategoryFactory(name="Lights", parent=parent)
    lamp = ProductFactory(name="Desk Lamp", price_from=Decimal("10.00"))
    lamp.categories.add(child)
    StockLevelFactory(variant=VariantFactory(product=lamp, sku="SKU-LAMP-1"), on_hand=1)
    ProductFactory(name="Draft Chair", status="draft", price_from=Decimal("20.00"))
    rug = ProductFactory(name="Wool Rug", price_from=Decimal("30.00"))
    StockLevelFactory(variant=VariantFactory(product=rug), on_hand=50)
    if query.get("category") == "parent":
        query["category"] = str(parent.pk)

    response = manager_client.get(LIST, query)

    assert [p.name for p in response.context["products"]] == expected


def test_list_query_count_does_not_grow_with_rows(manager_client):
    category = CategoryFactory()
    product_with_everything("First", category)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(LIST).status_code == 200
        return len(queries)

    few = count()
    for n in range(12):
        product_with_everything(f"Product {n}", category)
    assert count() == few


def test_create_product_with_two_variants(manager_client, manager):
    category = CategoryFactory()

    response = manager_client.post(
        CREATE,
        form_data(
            [
                {
                    "sku": "LCS-RED-M",
                    "options": "Colour: Red; Size: M",
                    "price": "39.00",
                    "compare_at_price": "49.00",
                    "weight": "0.250",
                    "stock": "4",
                    "low_stock_threshold": "2",
                },
                {"sku": "LCS-RED-L", "options": "Colour: Red; Size: L", "price": "41.50"},
            ],
            categories=[str(category.pk)],
            seo_title="Linen shirt",
            status="active",
        ),
    )

    product = Product.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:product_edit", args=[product.pk])
    assert (product.name, product.status, product.price_from) == (
        "Linen Camp Shirt",
        "active",
        Decimal("39.00"),
    )
    assert list(product.categories.all()) == [category]
    red_m = product.variants.get(sku="LCS-RED-M")
    assert (red_m.weight, red_m.label, red_m.stock.on_hand, red_m.stock.low_stock_threshold) == (
        Decimal("0.250"),
        "Red / M",
        4,
        2,
    )
    assert StockMovement.objects.get(variant=red_m).created_by == manager


@pytest.mark.parametrize(
    ("rows", "index", "field", "message"),
    [
        ([{"sku": "TAKEN", "price": "12.00"}], 1, "sku", "Another product's variant has this SKU."),
        (
            [{"sku": "B", "price": "1.234"}],
            1,
            "price",
            "Ensure that there are no more than 2 decimal places.",
        ),
        (
            [{"sku": "B", "price": "-1"}],
            1,
            "price",
            "Ensure this value is greater than or equal to 0.",
        ),
        ([{"sku": "B", "price": "x"}], 1, "price", "Enter a number."),
        ([{"sku": "", "price": "1"}], 1, "sku", "This field is required."),
        (
            [{"sku": "B", "price": "1", "options": "Red"}],
            1,
            "options",
            "Write options as “Colour: Red; Size: M”.",
        ),
        (
            [{"sku": "B", "price": "1", "stock": "-3"}],
            1,
            "stock",
            "Ensure this value is greater than or equal to 0.",
        ),
    ],
)
def test_errors_appear_next_to_their_fields_and_nothing_is_saved(
    manager_client, rows, index, field, message
):
    VariantFactory(sku="TAKEN")
    before = (Product.objects.count(), Variant.objects.count(), PriceChange.objects.count())

    response = manager_client.post(
        CREATE, form_data([{"sku": "OK-1", "price": "10.00", "stock": "3"}, *rows])
    )

    assert response.status_code == 400
    assert response.context["formset"].forms[index].errors[field] == [message]
    assert escape(message) in response.content.decode()
    assert (Product.objects.count(), Variant.objects.count(), PriceChange.objects.count()) == before
    assert not StockLevel.objects.filter(on_hand=3).exists()


def test_a_missing_name_is_shown_next_to_the_name(manager_client):
    response = manager_client.post(CREATE, form_data([{"sku": "A", "price": "1"}], name=""))

    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["This field is required."]
    assert not Product.objects.exists()


def test_service_errors_found_after_the_form_checks_also_go_next_to_fields(manager_client):
    response = manager_client.post(
        CREATE,
        form_data(
            [
                {"sku": "SAME", "options": "Size: M", "price": "10.00"},
                {"sku": "OTHER", "options": "Size: M", "price": "10.00"},
            ]
        ),
    )

    assert response.status_code == 400
    rows = response.context["formset"].forms
    assert rows[0].errors["options"] == ["Two variants have the same options."]
    assert not Product.objects.exists()


def test_generate_variants_builds_the_grid_without_saving(manager_client):
    data = form_data(
        [],
        **{
            "action": "generate",
            "name": "Linen Camp Shirt",
            "generate-options": "Colour: Red, Blue\nSize: S, M, L",
            "generate-sku_prefix": "",
            "generate-price": "39.00",
        },
    )

    response = manager_client.post(CREATE, data)

    assert response.status_code == 200
    rows = response.context["formset"].forms
    assert [row.initial["sku"] for row in rows] == [
        "LCS-RED-S",
        "LCS-RED-M",
        "LCS-RED-L",
        "LCS-BLUE-S",
        "LCS-BLUE-M",
        "LCS-BLUE-L",
    ]
    assert rows[4].initial["options"] == "Colour: Blue; Size: M"
    assert rows[0].initial["price"] == Decimal("39.00")
    assert not Product.objects.exists()


def test_add_a_variant_row_without_javascript(manager_client):
    data = form_data([{"sku": "T-RED", "price": "5.00"}], action="add_row")

    response = manager_client.post(CREATE, data)

    assert response.status_code == 200
    rows = response.context["formset"].forms
    assert [row.initial.get("sku") for row in rows] == ["T-RED", None]
    assert not Product.objects.exists()


def test_generate_with_htmx_answers_the_page_for_htmx_to_pick_the_variants(manager_client):
    data = form_data([], action="generate", **{"generate-options": "Size: S, M"})

    response = manager_client.post(CREATE, data, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert 'id="variants"' in response.content.decode()
    assert [row.initial["sku"] for row in response.context["formset"].forms] == [
        "LCS-S",
        "LCS-M",
    ]


def test_generate_refuses_a_badly_written_option(manager_client):
    data = form_data([], action="generate", **{"generate-options": "Size S M"})

    response = manager_client.post(CREATE, data)

    assert response.context["generator"].errors["options"] == [
        "Write each option as “Size: S, M, L”."
    ]


def test_pruned_grid_rows_are_not_created(manager_client):
    response = manager_client.post(
        CREATE,
        form_data(
            [
                {"sku": "T-RED", "options": "Colour: Red", "price": "5.00"},
                {"sku": "T-BLUE", "options": "Colour: Blue", "price": "5.00", "DELETE": "on"},
            ]
        ),
    )

    assert response.status_code == 302
    assert list(Variant.objects.values_list("sku", flat=True)) == ["T-RED"]


def test_edit_changes_a_price_and_the_history_shows_it(manager_client, manager):
    level = StockLevelFactory(on_hand=2, variant__sku="LAMP-1", variant__price=Decimal("10.00"))
    product = level.variant.product
    stock_services.adjust_stock(
        variant_id=level.variant_id, change=5, reason="received", user=manager
    )
    url = reverse("backoffice:product_edit", args=[product.pk])
    data = form_data(
        [{"id": str(level.variant_id), "sku": "LAMP-1", "price": "12.50", "options": ""}],
        name=product.name,
        slug=product.slug,
        status="active",
        **{"variants-INITIAL_FORMS": "1"},
    )

    assert manager_client.post(url, data).status_code == 302

    change = PriceChange.objects.get()
    assert (change.old_value, change.new_value, change.changed_by) == (
        Decimal("10.00"),
        Decimal("12.50"),
        manager,
    )
    page = manager_client.get(url).content.decode()
    history = page[page.index('id="history"') :]
    assert "10.00</span> → <strong>12.50" in history
    assert "manager@example.com" in history
    assert "+5" in history and "Received" in history
    # The stock of an existing variant is not changed through the form.
    assert StockLevel.objects.get(pk=level.pk).on_hand == 7


def test_history_page_pages_through_changes(manager_client):
    level = StockLevelFactory(on_hand=0)
    for _ in range(30):
        stock_services.adjust_stock(variant_id=level.variant_id, change=1, reason="received")
    url = reverse("backoffice:product_history", args=[level.variant.product_id])

    first = manager_client.get(url)
    second = manager_client.get(url, {"page": 2})

    assert len(first.context["history"].entries) == 25 and first.context["history"].has_next
    assert len(second.context["history"].entries) == 5
    assert [e.after for e in first.context["history"].entries][:3] == [30, 29, 28]


@pytest.mark.parametrize(
    ("action", "status"),
    [("publish", "active"), ("unpublish", "draft"), ("archive", "archived")],
)
def test_bulk_status_actions(manager_client, action, status):
    chosen = [ProductFactory(status="coming_soon", published_at=None) for _ in range(2)]
    other = ProductFactory(status="coming_soon")

    response = manager_client.post(
        BULK, {"action": action, "products": [p.pk for p in chosen], "next": LIST + "?q=x"}
    )

    assert response.status_code == 302 and response["Location"] == LIST + "?q=x"
    assert set(
        Product.objects.filter(pk__in=[p.pk for p in chosen]).values_list("status", flat=True)
    ) == {status}
    assert Product.objects.get(pk=other.pk).status == "coming_soon"


def test_bulk_price_change_by_percent(manager_client, manager):
    variant = VariantFactory(price=Decimal("19.99"))

    manager_client.post(
        BULK, {"action": "price", "percent": "-15", "products": [variant.product_id]}
    )

    assert Variant.objects.get(pk=variant.pk).price == Decimal("16.99")
    assert PriceChange.objects.get().changed_by == manager


def test_bulk_move_to_category(manager_client):
    category = CategoryFactory()
    product = ProductFactory()

    manager_client.post(BULK, {"action": "move", "category": category.pk, "products": [product.pk]})

    assert list(product.categories.all()) == [category]


def test_bulk_action_errors_are_shown_as_messages(manager_client):
    product = ProductFactory()

    response = manager_client.post(
        BULK, {"action": "price", "percent": "-100", "products": [product.pk]}, follow=True
    )

    assert "Enter a percentage above -100" in response.content.decode()
    response = manager_client.post(BULK, {"action": "publish"}, follow=True)
    assert "Tick at least one product." in response.content.decode()
