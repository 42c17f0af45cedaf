"""Factories for the storefront tests.

Kept beside the tests that use them so the catalogue tests' tests/factories.py can change freely.
`make_product` builds a product the way the shop sees it: variants with stock, option values,
pictures, categories, and the derived price and search columns refreshed.
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from django.utils.text import slugify

from mallkit.catalog.models import Category, Option, OptionValue, Product, ProductImage, Variant
from mallkit.catalog.services import refresh_products
from mallkit.inventory.models import StockLevel

PICTURE_COLOURS = ["#2f6f6a", "#c2703d", "#4a5fa8", "#b8404f", "#6b8f3a", "#8a5aa8"]


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttributeSequence(lambda o, n: f"{slugify(o.name)}-{n}")


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option
        django_get_or_create = ["slug"]

    name = "Colour"
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class OptionValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptionValue
        django_get_or_create = ["option", "slug"]

    option = factory.SubFactory(OptionFactory)
    value = "Red"
    slug = factory.LazyAttribute(lambda o: slugify(o.value))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.LazyAttributeSequence(lambda o, n: f"{slugify(o.name) or 'product'}-{n}")
    description = "<p>A well made thing.</p>"
    status = Product.Status.ACTIVE
    # Older than MALLKIT_NEW_PRODUCT_DAYS, so it is not "New" unless a test says so.
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=60))


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = Decimal("10.00")


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLevel
        django_get_or_create = ["variant"]

    variant = factory.SubFactory(VariantFactory)
    on_hand = 10
    allocated = 0


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(width=800, height=600, color="#2f6f6a", format="JPEG")
    alt = ""
    position = factory.Sequence(lambda n: n)


def option_value(option: str, value: str) -> OptionValue:
    return OptionValueFactory(option=OptionFactory(name=option), value=value)


def make_product(
    name,
    price="10.00",
    *,
    stock=10,
    compare_at=None,
    sku=None,
    categories=(),
    variants=None,
    pictures=0,
    **fields,
) -> Product:
    """A product with one variant (price, stock, compare_at, sku) or with `variants`, a list
    of dicts with sku, price, compare_at, stock and options ({"Colour": "Red"})."""
    product = ProductFactory(name=name, **fields)
    if variants is None:
        variants = [{"sku": sku, "price": price, "compare_at": compare_at, "stock": stock}]
    for position, data in enumerate(variants):
        extra = {"sku": data["sku"]} if data.get("sku") else {}
        variant = VariantFactory(
            product=product,
            price=Decimal(str(data.get("price", price))),
            compare_at_price=Decimal(str(data["compare_at"])) if data.get("compare_at") else None,
            position=position,
            **extra,
        )
        values = [option_value(option, value) for option, value in data.get("options", {}).items()]
        if values:
            variant.option_values.set(values)
        StockLevelFactory(variant=variant, on_hand=data.get("stock", stock))
    if categories:
        product.categories.set(categories)
    for index in range(pictures):
        ProductImageFactory(
            product=product,
            position=index,
            image__color=PICTURE_COLOURS[index % len(PICTURE_COLOURS)],
            image__filename=f"{product.slug}-{index}.jpg",
        )
    refresh_products(product_ids=[product.pk])
    product.refresh_from_db()
    return product
