"""Services behind the back office and the staff API: all or nothing, with history."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from mallkit.catalog import services
from mallkit.catalog.models import Category, PriceChange, Product, Variant
from mallkit.core.errors import Conflict, ValidationFailed
from mallkit.inventory import services as stock_services
from mallkit.inventory.models import StockLevel, StockMovement
from tests.backoffice.pictures import SVG, jpeg, upload
from tests.concurrency import run_concurrently
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    StockLevelFactory,
    UserFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


def ledger_total(variant_id):
    total = StockMovement.objects.filter(variant_id=variant_id).aggregate(
        total=Sum("on_hand_change")
    )["total"]
    return total or 0


def snapshot():
    """Everything the catalogue services write, to show that a failure changed nothing."""
    return {
        "products": list(Product.objects.values().order_by("id")),
        "variants": list(Variant.objects.values().order_by("id")),
        "stock": list(StockLevel.objects.values().order_by("id")),
        "movements": StockMovement.objects.count(),
        "prices": PriceChange.objects.count(),
        "shelves": list(Product.categories.through.objects.values().order_by("id")),
    }


def shirt(**changes):
    arguments = {
        "name": "Linen Camp Shirt",
        "description": "<p>Breezy <script>x()</script>linen</p>",
        "status": Product.Status.DRAFT,
        "variants": [
            {
                "sku": "LCS-RED-M",
                "options": {"Colour": "Red", "Size": "M"},
                "price": "39.00",
                "compare_at_price": "49.00",
                "stock": 4,
                "low_stock_threshold": 2,
            },
            {"sku": "LCS-RED-L", "options": {"Colour": "Red", "Size": "L"}, "price": "41.50"},
        ],
    }
    arguments.update(changes)
    return services.save_product(**arguments)


def test_save_product_creates_product_variants_stock_and_price_history():
    user = UserFactory(is_staff=True)
    category = CategoryFactory(name="Shirts")

    product = shirt(category_ids=[category.pk], user=user, seo_title="Linen shirt")

    assert (product.slug, product.status, product.price_from) == (
        "linen-camp-shirt",
        "draft",
        Decimal("39.00"),
    )
    assert product.description == "<p>Breezy linen</p>"
    assert "shirts" in product.search_body and "lcs" in product.search_title
    m, large = product.variants.order_by("position")
    assert (m.sku, m.price, m.compare_at_price, m.label) == (
        "LCS-RED-M",
        Decimal("39.00"),
        Decimal("49.00"),
        "Red / M",
    )
    assert (m.stock.on_hand, m.stock.low_stock_threshold) == (4, 2)
    assert (large.stock.on_hand, large.stock.low_stock_threshold) == (0, 5)
    assert ledger_total(m.pk) == 4
    history = {
        (c.variant.sku, c.field, c.old_value, c.new_value, c.changed_by)
        for c in PriceChange.objects.select_related("variant")
    }
    assert history == {
        ("LCS-RED-M", "price", None, Decimal("39.00"), user),
        ("LCS-RED-M", "compare_at_price", None, Decimal("49.00"), user),
        ("LCS-RED-L", "price", None, Decimal("41.50"), user),
    }


def test_save_product_updates_variants_and_records_who_changed_which_price():
    creator, editor = UserFactory(is_staff=True), UserFactory(is_staff=True)
    product = shirt(user=creator)
    m, large = product.variants.order_by("position")
    PriceChange.objects.all().delete()

    product = services.save_product(
        product=product,
        name="Linen Camp Shirt",
        status=Product.Status.ACTIVE,
        variants=[
            {
                "id": large.pk,
                "sku": "LCS-RED-M",
                "options": {"Colour": "Red", "Size": "L"},
                "price": "44.00",
            },
            {
                "id": m.pk,
                "sku": "LCS-RED-L",
                "options": {"Colour": "Red", "Size": "M"},
                "price": "39.00",
                "compare_at_price": "49.00",
            },
            {
                "sku": "LCS-BLUE-M",
                "options": {"Colour": "Blue", "Size": "M"},
                "price": "39.00",
                "stock": 3,
            },
        ],
        user=editor,
    )

    assert product.status == "active" and product.published_at is not None
    assert product.price_from == Decimal("39.00")
    # The two SKUs swapped places without a unique-constraint error.
    assert dict(product.variants.values_list("pk", "sku")) == {
        large.pk: "LCS-RED-M",
        m.pk: "LCS-RED-L",
        product.variants.get(sku="LCS-BLUE-M").pk: "LCS-BLUE-M",
    }
    changes = list(
        PriceChange.objects.values_list(
            "variant_id", "field", "old_value", "new_value", "changed_by"
        )
    )
    blue = product.variants.get(sku="LCS-BLUE-M")
    assert sorted(changes) == sorted(
        [
            (large.pk, "price", Decimal("41.50"), Decimal("44.00"), editor.pk),
            (blue.pk, "price", None, Decimal("39.00"), editor.pk),
        ]
    )
    assert blue.stock.on_hand == 3


def test_variants_left_out_are_deleted():
    product = shirt()
    m = product.variants.get(sku="LCS-RED-M")

    services.save_product(
        product=product,
        name=product.name,
        variants=[{"id": m.pk, "sku": m.sku, "price": "39.00", "options": {"Size": "M"}}],
    )

    assert list(product.variants.values_list("sku", flat=True)) == ["LCS-RED-M"]


@pytest.mark.parametrize(
    ("variant_changes", "key"),
    [
        ({"price": "abc"}, "variants.1.price"),
        ({"price": "-1"}, "variants.1.price"),
        ({"price": "1.234"}, "variants.1.price"),
        ({"price": ""}, "variants.1.price"),
        ({"sku": ""}, "variants.1.sku"),
        ({"sku": "LCS-RED-M"}, "variants.1.sku"),
        ({"sku": "TAKEN-1"}, "variants.1.sku"),
        ({"options": {"Colour": "Red", "Size": "M"}}, "variants.1.options"),
        ({"weight": "-2"}, "variants.1.weight"),
        ({"stock": -1}, "variants.1.stock"),
    ],
)
def test_a_bad_variant_saves_nothing(variant_changes, key):
    VariantFactory(sku="TAKEN-1")
    before = snapshot()
    variants = [
        {
            "sku": "LCS-RED-M",
            "options": {"Colour": "Red", "Size": "M"},
            "price": "39.00",
            "stock": 4,
        },
        {
            "sku": "LCS-RED-L",
            "options": {"Colour": "Red", "Size": "L"},
            "price": "41.50",
            **variant_changes,
        },
    ]

    with pytest.raises(ValidationFailed) as error:
        shirt(variants=variants)

    assert key in error.value.errors
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"name": " "}, "name"),
        ({"status": "sold"}, "status"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "taken"}, "slug"),
        ({"category_ids": [999999]}, "category_ids"),
        ({"seo_title": "x" * 71}, "seo_title"),
        ({"variants": []}, "variants"),
    ],
)
def test_a_bad_product_field_changes_nothing_on_update(changes, key):
    ProductFactory(slug="taken")
    product = shirt()
    before = snapshot()
    arguments = {
        "product": product,
        "name": "New name",
        "variants": [{"id": v.pk, "sku": v.sku, "price": "1.00"} for v in product.variants.all()],
        **changes,
    }

    with pytest.raises(ValidationFailed) as error:
        services.save_product(**arguments)

    assert key in error.value.errors
    assert snapshot() == before


def test_update_product_changes_only_the_given_fields():
    product = shirt(seo_description="Kept")
    category = CategoryFactory()

    product = services.update_product(
        product=product, changes={"name": "Camp Shirt", "category_ids": [category.pk]}
    )

    assert (product.name, product.seo_description, product.slug) == (
        "Camp Shirt",
        "Kept",
        "linen-camp-shirt",
    )
    assert product.variants.count() == 2
    assert "camp shirt" in product.search_title
    with pytest.raises(ValidationFailed) as error:
        services.update_product(product=product, changes={"price_from": "1"})
    assert error.value.errors == {"price_from": ["This field cannot be changed here."]}


@pytest.mark.parametrize(
    ("percent", "prices", "expected"),
    [
        ("10", ["19.99", "10.00", "0.05"], ["21.99", "11.00", "0.06"]),
        ("-15", ["19.99", "10.00", "0.05"], ["16.99", "8.50", "0.04"]),
        ("12.5", ["7.77"], ["8.74"]),
    ],
)
def test_change_prices_by_percent_rounds_with_the_money_helper(percent, prices, expected):
    user = UserFactory(is_staff=True)
    product = ProductFactory()
    variants = [VariantFactory(product=product, price=Decimal(p)) for p in prices]
    other = VariantFactory(price=Decimal("10.00"))

    changed = services.change_prices_by_percent(
        product_ids=[product.pk], percent=percent, user=user
    )

    assert changed == len(prices)
    assert [str(Variant.objects.get(pk=v.pk).price) for v in variants] == expected
    assert Variant.objects.get(pk=other.pk).price == Decimal("10.00")
    rows = PriceChange.objects.filter(field="price").order_by("variant_id")
    assert [(str(r.old_value), str(r.new_value), r.changed_by) for r in rows] == [
        (old, new, user) for old, new in zip(prices, expected, strict=True)
    ]
    product.refresh_from_db()
    assert product.price_from == min(Decimal(p) for p in expected)


def test_compare_at_prices_change_only_when_asked():
    variant = VariantFactory(price=Decimal("80.00"), compare_at_price=Decimal("100.00"))

    services.change_prices_by_percent(product_ids=[variant.product_id], percent="10")
    variant.refresh_from_db()
    assert (variant.price, variant.compare_at_price) == (Decimal("88.00"), Decimal("100.00"))

    services.change_prices_by_percent(
        product_ids=[variant.product_id], percent="-10", include_compare_at=True
    )
    variant.refresh_from_db()
    assert (variant.price, variant.compare_at_price) == (Decimal("79.20"), Decimal("90.00"))
    assert PriceChange.objects.filter(field="compare_at_price").count() == 1


@pytest.mark.parametrize("percent", ["0", "-100", "-150", "abc", "1.234", "1001", "NaN"])
def test_change_prices_refuses_bad_percentages(percent):
    variant = VariantFactory(price=Decimal("10.00"))
    with pytest.raises(ValidationFailed) as error:
        services.change_prices_by_percent(product_ids=[variant.product_id], percent=percent)
    assert "percent" in error.value.errors
    assert Variant.objects.get(pk=variant.pk).price == Decimal("10.00")
    assert not PriceChange.objects.exists()


def test_move_products_to_a_category_replaces_their_categories():
    old, new = CategoryFactory(name="Old"), CategoryFactory(name="Lamps")
    first, second, untouched = ProductFactory(), ProductFactory(), ProductFactory()
    for product in (first, second, untouched):
        product.categories.add(old)

    assert (
        services.move_products_to_category(product_ids=[first.pk, second.pk], category_id=new.pk)
        == 2
    )

    assert list(first.categories.all()) == [new]
    assert list(untouched.categories.all()) == [old]
    first.refresh_from_db()
    assert "lamps" in first.search_body


def test_update_variant_sets_price_and_stock_with_history_and_ledger():
    user = UserFactory(is_staff=True)
    level = StockLevelFactory(on_hand=10, variant__price=Decimal("5.00"))
    stock_services.adjust_stock(variant_id=level.variant_id, change=2, reason="received")

    variant = services.update_variant(
        variant=level.variant, changes={"stock": 7, "price": "6.50"}, user=user
    )

    assert variant.price == Decimal("6.50")
    level.refresh_from_db()
    assert level.on_hand == 7
    movement = StockMovement.objects.latest("id")
    assert (movement.on_hand_change, movement.reason, movement.created_by) == (
        -5,
        "correction",
        user,
    )
    assert PriceChange.objects.get().new_value == Decimal("6.50")


def test_update_variant_is_idempotent():
    level = StockLevelFactory(on_hand=0)
    changes = {"stock": 4, "price": "12.00", "compare_at_price": None}

    services.update_variant(variant=level.variant, changes=changes)
    services.update_variant(variant=level.variant, changes=changes)

    assert StockMovement.objects.filter(variant=level.variant).count() == 1
    assert PriceChange.objects.filter(variant=level.variant).count() == 1
    assert StockLevel.objects.get(pk=level.pk).on_hand == 4


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"stock": -1}, "stock"),
        ({"stock": 1.5}, "stock"),
        ({"stock": "x"}, "stock"),
        ({"stock": None}, "stock"),
        ({"price": "abc"}, "price"),
        ({"price": "-1"}, "price"),
        ({"price": "1.234"}, "price"),
        ({"price": 1.5}, "price"),
        ({"price": None}, "price"),
        ({"sku": "NEW"}, "sku"),
    ],
)
def test_update_variant_refuses_bad_values_and_changes_nothing(changes, key):
    level = StockLevelFactory(on_hand=3)
    before = snapshot()

    with pytest.raises(ValidationFailed) as error:
        services.update_variant(variant=level.variant, changes={"price": "9.00", **changes})

    assert key in error.value.errors
    assert snapshot() == before


def test_update_variant_below_allocated_changes_nothing():
    level = StockLevelFactory(on_hand=10, allocated=6)
    before = snapshot()

    with pytest.raises(Conflict):
        services.update_variant(variant=level.variant, changes={"stock": 5, "price": "99.00"})

    assert snapshot() == before


def test_ledger_sums_equal_stock_after_every_kind_of_change():
    product = shirt()
    variant = product.variants.get(sku="LCS-RED-M")
    stock_services.adjust_stock(variant_id=variant.pk, change=10, reason="received")
    stock_services.adjust_stock(variant_id=variant.pk, change=-2, reason="damaged")
    stock_services.set_stock(variant_id=variant.pk, on_hand=9)
    services.update_variant(variant=variant, changes={"stock": 15})
    stock_services.adjust_stock(variant_id=variant.pk, change=1, reason="returned")

    for each in product.variants.all():
        assert ledger_total(each.pk) == StockLevel.objects.get(variant=each).on_hand
    assert StockLevel.objects.get(variant=variant).on_hand == 16


def test_save_category_refuses_cycles():
    top = CategoryFactory()
    middle = CategoryFactory(parent=top)
    bottom = CategoryFactory(parent=middle)

    for parent in (top, bottom):
        with pytest.raises(ValidationFailed) as error:
            services.save_category(category=top, name=top.name, parent_id=parent.pk)
        assert "parent" in error.value.errors
    assert Category.objects.get(pk=top.pk).parent_id is None


def test_save_category_creates_last_among_siblings_and_renames_into_search():
    top = CategoryFactory(position=0)
    CategoryFactory(parent=top, position=4)
    product = ProductFactory()
    product.categories.add(top)

    child = services.save_category(name="Desk Lamps", parent_id=top.pk, description="<b>Hi</b>")
    assert (child.slug, child.position, child.description) == ("desk-lamps", 5, "<b>Hi</b>")

    services.save_category(category=top, name="Lighting", slug=top.slug)
    product.refresh_from_db()
    assert "lighting" in product.search_body


def test_category_picture_passes_the_same_checks():
    with pytest.raises(ValidationFailed) as error:
        services.save_category(name="Bad", image=upload("x.jpg", SVG))
    assert "SVG" in error.value.errors["image"][0]
    assert not Category.objects.exists()

    category = services.save_category(name="Good", image=jpeg())
    assert category.image.name.startswith("categories/") and category.image.name.endswith(".jpg")


def test_move_category_among_siblings():
    a, b, c = (CategoryFactory(name=n, position=i) for i, n in enumerate("abc"))

    services.move_category(category=c, offset=-1)

    assert list(Category.objects.filter(parent=None).values_list("name", flat=True)) == [
        "a",
        "c",
        "b",
    ]


def test_delete_category_only_when_empty():
    full = CategoryFactory(name="Full")
    ProductFactory().categories.add(full)
    parent = CategoryFactory(name="Parent")
    CategoryFactory(parent=parent)
    empty = CategoryFactory()

    for category in (full, parent):
        with pytest.raises(Conflict) as error:
            services.delete_category(category=category)
        assert error.value.code == "category_not_empty"
        assert "move them elsewhere first" in error.value.message
    services.delete_category(category=empty)

    assert set(Category.objects.values_list("name", flat=True)) == {
        "Full",
        "Parent",
        Category.objects.get(parent=parent).name,
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_never_lose_an_update():
    level = StockLevelFactory(on_hand=0)
    users = [UserFactory(is_staff=True) for _ in range(8)]

    outcomes = run_concurrently(
        lambda user: stock_services.adjust_stock(
            variant_id=level.variant_id, change=5, reason="received", user=user
        ),
        [(user,) for user in users],
    )

    assert [error for _, error in outcomes] == [None] * 8
    assert StockLevel.objects.get(pk=level.pk).on_hand == 40
    assert ledger_total(level.variant_id) == 40
    assert sorted(StockMovement.objects.values_list("on_hand_after", flat=True)) == list(
        range(5, 45, 5)
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_stock_takes_and_adjustments_keep_the_ledger_right():
    level = StockLevelFactory(on_hand=0)
    stock_services.adjust_stock(variant_id=level.variant_id, change=10, reason="received")
    variant = Variant.objects.get(pk=level.variant_id)

    def work(kind, value):
        if kind == "set":
            return services.update_variant(variant=variant, changes={"stock": value})
        return stock_services.adjust_stock(variant_id=variant.pk, change=value, reason="returned")

    outcomes = run_concurrently(
        work, [("set", 50), ("adjust", 3), ("set", 7), ("adjust", 2), ("adjust", -1)]
    )

    assert [error for _, error in outcomes] == [None] * 5
    on_hand = StockLevel.objects.get(pk=level.pk).on_hand
    # Whatever the order, the ledger replays to the stock and ends on its last line.
    assert ledger_total(variant.pk) == on_hand
    last = StockMovement.objects.filter(variant=variant).order_by("-id").first()
    assert last.on_hand_after == on_hand
