"""The bulk services seed_demo uses: catalog.bulk_create_products and its helpers, and
inventory.record_initial_stock."""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from mallkit.catalog import services as catalog
from mallkit.catalog.models import (
    Category,
    OptionValue,
    PriceChange,
    Product,
    ProductImage,
    Variant,
)
from mallkit.catalog.services import NewPicture, NewProduct, NewVariant
from mallkit.core.errors import Conflict, ValidationFailed
from mallkit.inventory import services as inventory
from mallkit.inventory.models import StockLevel, StockMovement
from tests.demo.counts import table_counts
from tests.factories import CategoryFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def jpeg(colour="red", size=(40, 30)):
    output = BytesIO()
    Image.new("RGB", size, colour).save(output, "JPEG")
    return output.getvalue()


def shirt(**kwargs):
    fields = {
        "name": "Linen Camp Shirt",
        "status": Product.Status.ACTIVE,
        "description": "<p>Breezy <em>linen</em><script>x()</script></p><ul><li>Boxy</li></ul>",
        "variants": [
            NewVariant(
                sku="LCS-NAVY-M",
                price=Decimal("59.00"),
                compare_at_price=Decimal("79.00"),
                weight=Decimal("0.240"),
                options={"Colour": "Navy", "Size": "M"},
                stock=7,
            ),
            NewVariant(sku="LCS-NAVY-L", price=Decimal("55.50"), options={"Size": "L"}),
        ],
    }
    fields.update(kwargs)
    return NewProduct(**fields)


def test_bulk_create_products_writes_everything_and_the_derived_columns():
    shelf = CategoryFactory(name="Shirts")
    owner = UserFactory(is_staff=True)

    [pk] = catalog.bulk_create_products(
        products=[
            shirt(
                category_ids=[shelf.pk],
                pictures=[NewPicture(alt=" Front ", content=jpeg())],
            )
        ],
        user=owner,
    )

    product = Product.objects.get(pk=pk)
    assert (product.slug, product.price_from) == ("linen-camp-shirt", Decimal("55.50"))
    assert product.description == "<p>Breezy <em>linen</em></p><ul><li>Boxy</li></ul>"
    assert product.published_at is not None
    assert list(product.categories.all()) == [shelf]
    navy, large = product.variants.order_by("position")
    assert (navy.sku, navy.price, navy.compare_at_price) == (
        "LCS-NAVY-M",
        Decimal("59.00"),
        Decimal("79.00"),
    )
    assert navy.label == "Navy / M" and large.label == "L"
    assert (navy.stock.on_hand, large.stock.on_hand) == (7, 0)
    [line] = StockMovement.objects.all()
    assert (line.variant, line.on_hand_change, line.reason, line.created_by) == (
        navy,
        7,
        "initial",
        owner,
    )
    history = PriceChange.objects.filter(variant__product=product).order_by(
        "variant__position", "id"
    )
    assert list(history.values_list("variant__sku", "field", "old_value", "new_value")) == [
        ("LCS-NAVY-M", "price", None, Decimal("59.00")),
        ("LCS-NAVY-M", "compare_at_price", None, Decimal("79.00")),
        ("LCS-NAVY-L", "price", None, Decimal("55.50")),
    ]
    assert {change.changed_by for change in history} == {owner}
    [image] = product.images.all()
    assert re.fullmatch(rf"products/{pk}/[0-9a-f]{{32}}\.jpg", image.image.name)
    assert (image.width, image.height, image.alt) == (40, 30, "Front")
    assert default_storage.exists(image.image.name)
    derived = Product.objects.filter(pk=pk).values("price_from", "search_title", "search_body")
    before = derived.get()
    catalog.refresh_products(product_ids=[pk])
    assert derived.get() == before


def test_bulk_create_products_gives_free_slugs_and_shares_stored_pictures():
    catalog.bulk_create_products(products=[shirt(variants=[])])
    name = catalog.store_shared_picture(filename="pool-1.jpg", content=jpeg())

    ids = catalog.bulk_create_products(
        products=[
            shirt(variants=[], pictures=[NewPicture(stored_name=name)]),
            shirt(variants=[], pictures=[NewPicture(stored_name=name)]),
        ]
    )

    slugs = list(Product.objects.filter(pk__in=ids).order_by("id").values_list("slug", flat=True))
    assert slugs == ["linen-camp-shirt-2", "linen-camp-shirt-3"]
    assert set(ProductImage.objects.values_list("image", "width")) == {(name, 40)}
    assert catalog.store_shared_picture(filename="pool-1.jpg", content=jpeg("blue")) == name


@pytest.mark.parametrize(
    ("products", "field"),
    [
        ([shirt(name=" ")], "name"),
        ([shirt(status="sold")], "status"),
        ([shirt(), shirt(slug="other")], "variants"),  # the same SKUs twice
        ([shirt(variants=[NewVariant(sku="A", price=Decimal("1.001"))])], "price"),
        ([shirt(variants=[NewVariant(sku="A", price=Decimal("-1"))])], "price"),
        ([shirt(variants=[NewVariant(sku="", price=Decimal("1"))])], "variants"),
        ([shirt(category_ids=[999_999])], "categories"),
        ([shirt(pictures=[NewPicture(content=b"<svg/>")])], "pictures"),
        ([shirt(slug="same"), shirt(slug="same", variants=[])], "slug"),
    ],
)
def test_bulk_create_products_refuses_bad_input_and_writes_nothing(products, field):
    before = table_counts()

    with pytest.raises(ValidationFailed) as error:
        catalog.bulk_create_products(products=products)

    assert field in error.value.errors
    assert table_counts() == before


def test_bulk_create_products_refuses_taken_skus_and_slugs():
    VariantFactory(sku="LCS-NAVY-L", product__slug="linen-camp-shirt")
    before = table_counts()

    with pytest.raises(ValidationFailed) as error:
        catalog.bulk_create_products(products=[shirt(slug="linen-camp-shirt")])

    assert error.value.errors["variants"] == ["SKU already used: LCS-NAVY-L."]
    assert error.value.errors["slug"] == ["This slug is already used: linen-camp-shirt."]
    assert table_counts() == before


def test_record_initial_stock_refuses_variants_with_stock_and_bad_quantities():
    fresh, stocked = VariantFactory(), VariantFactory()
    inventory.record_initial_stock(quantities={stocked.pk: 3})
    before = table_counts()

    with pytest.raises(Conflict):
        inventory.record_initial_stock(quantities={fresh.pk: 2, stocked.pk: 5})
    with pytest.raises(ValidationFailed):
        inventory.record_initial_stock(quantities={fresh.pk: -1})
    with pytest.raises(ValidationFailed):
        inventory.record_initial_stock(quantities={fresh.pk: True})

    assert table_counts() == before
    assert StockLevel.objects.get(variant=stocked).on_hand == 3
    assert not StockLevel.objects.filter(variant=fresh).exists()


def test_record_initial_stock_leaves_zero_quantities_out_of_the_ledger():
    empty, full = VariantFactory(), VariantFactory()

    lines = inventory.record_initial_stock(quantities={empty.pk: 0, full.pk: 12})

    assert lines == 1
    assert dict(StockLevel.objects.values_list("variant_id", "on_hand")) == {
        empty.pk: 0,
        full.pk: 12,
    }
    [line] = StockMovement.objects.all()
    assert (line.variant_id, line.on_hand_change, line.on_hand_after) == (full.pk, 12, 12)


def test_ensure_category_creates_once_with_its_picture():
    clothing, created = catalog.ensure_category(slug="clothing", name="Clothing")
    shirts, _ = catalog.ensure_category(
        slug="shirts",
        name="Shirts",
        parent=clothing,
        description="Linen and oxford.",
        image=ContentFile(jpeg(), name="shirts.jpg"),
    )
    again, created_again = catalog.ensure_category(slug="shirts", name="Other", position=9)

    assert created and not created_again
    assert again == shirts and again.name == "Shirts" and again.parent == clothing
    assert shirts.image.name.startswith("categories/")
    assert default_storage.exists(shirts.image.name)
    with pytest.raises(ValidationFailed):
        catalog.ensure_category(slug="Not A Slug", name="Bad")
    with pytest.raises(ValidationFailed):
        catalog.ensure_category(slug="svg", name="Svg", image=ContentFile(b"<svg/>", name="a.svg"))
    assert Category.objects.count() == 2


def test_ensure_option_keeps_the_given_order():
    catalog.option_value(option_name="Size", value="M")

    values = catalog.ensure_option(name="Size", values=["S", "M", "L"], position=1)

    assert list(values) == ["S", "M", "L"]
    ordered = OptionValue.objects.filter(option__slug="size").order_by("position")
    assert list(ordered.values_list("value", flat=True)) == ["M", "S", "L"]
    assert catalog.ensure_option(name="Size", values=["L"]) == {"L": values["L"]}
    assert Variant.objects.count() == 0
