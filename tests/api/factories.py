"""Factories for the API tests (factory-boy), kept apart from the domain tests' own."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from mallkit.accounts.models import User
from mallkit.catalog.models import Category, Option, OptionValue, Product, ProductImage, Variant
from mallkit.catalog.services import refresh_products
from mallkit.inventory.models import StockLevel

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"api-shopper{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Shelf {n}")
    slug = factory.Sequence(lambda n: f"shelf-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Item {n}")
    slug = factory.Sequence(lambda n: f"item-{n}")
    status = Product.Status.ACTIVE
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=60))

    @factory.post_generation
    def categories(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.categories.set(extracted)


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"API-{n:05d}")
    price = Decimal("10.00")

    @factory.post_generation
    def stock(obj, create, extracted, **kwargs):
        """`stock=N` gives the variant N units on hand (a stock level with 0 otherwise)."""
        if create:
            StockLevel.objects.create(variant=obj, on_hand=extracted or 0)

    @factory.post_generation
    def options(obj, create, extracted, **kwargs):
        """`options={"Colour": "Red"}` attaches option values, made on first use."""
        if create and extracted:
            obj.option_values.set(option_value(name, value) for name, value in extracted.items())


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(width=40, height=30, color="blue", filename="photo.png")
    alt = factory.Sequence(lambda n: f"Picture {n}")


def option_value(name: str, value: str) -> OptionValue:
    option, _ = Option.objects.get_or_create(slug=name.lower(), defaults={"name": name})
    found, _ = OptionValue.objects.get_or_create(
        option=option, slug=value.lower(), defaults={"value": value}
    )
    return found


def make_product(*, variants=({},), images: int = 0, **fields) -> Product:
    """A product with variants (dicts of VariantFactory fields) and pictures, indexed for search."""
    product = ProductFactory(**fields)
    for position, variant in enumerate(variants):
        VariantFactory(product=product, position=position, **variant)
    for position in range(images):
        ProductImageFactory(product=product, position=position)
    refresh_products(product_ids=[product.pk])
    product.refresh_from_db()
    return product
