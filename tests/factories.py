"""factory-boy factories shared by the domain tests."""

from decimal import Decimal

import factory
from django.utils import timezone

from mallkit.accounts.models import User
from mallkit.catalog.models import Category, Option, OptionValue, Product, ProductImage, Variant
from mallkit.inventory.models import StockLevel


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    status = Product.Status.ACTIVE
    published_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=60))


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


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option
        django_get_or_create = ["slug"]

    name = "Colour"
    slug = factory.LazyAttribute(lambda o: o.name.lower())


class OptionValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptionValue
        django_get_or_create = ["option", "slug"]

    option = factory.SubFactory(OptionFactory)
    value = "Red"
    slug = factory.LazyAttribute(lambda o: o.value.lower())


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(width=40, height=40, color="blue")
    alt = "A picture"


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "checkout.ShippingMethod"
        django_get_or_create = ["code"]

    code = "standard"
    name = "Standard delivery"
    price = Decimal("5.00")


class VoucherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "promotions.Voucher"

    code = factory.Sequence(lambda n: f"SAVE{n}")
    kind = "percentage"
    value = Decimal("10")


def buyable_variant(*, price="10.00", stock=10, sku=None, **product_kwargs):
    """An active product's variant with stock on hand."""
    product = ProductFactory(**product_kwargs)
    variant = VariantFactory(product=product, price=Decimal(price), **({"sku": sku} if sku else {}))
    StockLevelFactory(variant=variant, on_hand=stock)
    return variant


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Address"

    user = factory.SubFactory(UserFactory)
    full_name = "Ada Lovelace"
    phone = "+44 20 7946 0000"
    line1 = "12 St James's Square"
    city = "London"
    postal_code = "SW1Y 4JH"
    country = "GB"


class WishlistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.WishlistItem"

    user = factory.SubFactory(UserFactory)
    variant = factory.SubFactory(VariantFactory)


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cart.Cart"

    user = factory.SubFactory(UserFactory)


class CartLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cart.CartLine"

    cart = factory.SubFactory(CartFactory)
    variant = factory.SubFactory(VariantFactory)
    quantity = 1


def sellable_variant(*, stock=10, price="10.00", **product_fields):
    """A variant of an active product with `stock` units available."""
    product = ProductFactory(**product_fields)
    variant = VariantFactory(product=product, price=Decimal(price))
    StockLevelFactory(variant=variant, on_hand=stock)
    return variant
