from decimal import Decimal

import pytest

from mallkit.catalog import services
from mallkit.catalog.models import Product, Variant
from mallkit.core.errors import ValidationFailed
from mallkit.inventory.models import StockLevel, StockMovement
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def make_shirt(**kwargs):
    defaults = {
        "name": "Linen Camp Shirt",
        "description": "<p>Breezy <script>alert(1)</script><em>linen</em></p>",
        "status": Product.Status.ACTIVE,
        "variants": [
            {
                "sku": "LCS-RED-M",
                "price": "39.00",
                "compare_at_price": "49.00",
                "options": {"Colour": "Red", "Size": "M"},
                "stock": 4,
            },
            {"sku": "LCS-RED-L", "price": "41.50", "options": {"Colour": "Red", "Size": "L"}},
        ],
    }
    defaults.update(kwargs)
    return services.create_product(**defaults)


def test_create_product_with_variants_options_and_stock():
    category = CategoryFactory(name="Shirts")

    product = make_shirt(category_ids=[category.pk])

    assert product.slug == "linen-camp-shirt"
    assert product.description == "<p>Breezy <em>linen</em></p>"
    assert product.price_from == Decimal("39.00")
    assert product.published_at is not None
    assert list(product.categories.all()) == [category]
    variants = list(product.variants.order_by("position"))
    assert [v.sku for v in variants] == ["LCS-RED-M", "LCS-RED-L"]
    assert variants[0].compare_at_price == Decimal("49.00")
    assert variants[0].label == "Red / M"
    assert StockLevel.objects.get(variant=variants[0]).on_hand == 4
    assert StockLevel.objects.get(variant=variants[1]).on_hand == 0
    assert StockMovement.objects.get(variant=variants[0]).reason == "initial"
    assert product.search_title == "linen camp shirt lcs red m lcs red l"
    assert product.search_body == "breezy linen shirts l m red"


def test_create_product_gives_unique_slugs():
    first = make_shirt()
    second = make_shirt(variants=[{"sku": "OTHER-1", "price": "1.00"}])
    assert (first.slug, second.slug) == ("linen-camp-shirt", "linen-camp-shirt-2")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"status": "sold"}, "status"),
        ({"variants": [{"sku": "", "price": "1.00"}]}, "variants"),
        ({"variants": [{"sku": "A", "price": "1.00"}, {"sku": "A", "price": "2.00"}]}, "variants"),
        ({"variants": [{"sku": "A", "price": "-1"}]}, "price"),
        ({"variants": [{"sku": "A", "price": "1.001"}]}, "price"),
        ({"variants": [{"sku": "A", "price": "abc"}]}, "price"),
        ({"variants": [{"sku": "A"}]}, "price"),
        ({"variants": [{"sku": "A", "price": "1", "compare_at_price": "x"}]}, "compare_at_price"),
    ],
)
def test_create_product_refuses_bad_input_and_saves_nothing(changes, field):
    with pytest.raises(ValidationFailed) as error:
        make_shirt(**changes)
    assert field in error.value.errors
    assert Product.objects.count() == 0
    assert Variant.objects.count() == 0


def test_create_product_refuses_a_taken_sku():
    VariantFactory(sku="LCS-RED-M")
    with pytest.raises(ValidationFailed) as error:
        make_shirt()
    assert "LCS-RED-M" in error.value.errors["variants"][0]
    assert Product.objects.count() == 1


def test_refresh_products_follows_variant_prices():
    product = ProductFactory()
    VariantFactory(product=product, price=Decimal("8.00"))
    VariantFactory(product=product, price=Decimal("5.50"))

    services.refresh_products(product_ids=[product.pk])

    product.refresh_from_db()
    assert product.price_from == Decimal("5.50")


def test_set_product_status_publishes_and_stamps_the_date():
    draft = ProductFactory(status=Product.Status.DRAFT, published_at=None)

    assert services.set_product_status(product_ids=[draft.pk], status="active") == 1

    draft.refresh_from_db()
    assert draft.status == "active"
    assert draft.published_at is not None
    with pytest.raises(ValidationFailed):
        services.set_product_status(product_ids=[draft.pk], status="gone")
