"""Row counts of the tables seed_demo writes, to show that a run changed nothing."""

from django.contrib.auth import get_user_model

from mallkit.catalog.models import (
    Category,
    Option,
    OptionValue,
    PriceChange,
    Product,
    ProductImage,
    Variant,
)
from mallkit.inventory.models import StockLevel, StockMovement

MODELS = (
    Category,
    Option,
    OptionValue,
    Product,
    Product.categories.through,
    Variant,
    Variant.option_values.through,
    ProductImage,
    PriceChange,
    StockLevel,
    StockMovement,
)


def table_counts() -> dict[str, int]:
    counts = {model._meta.label: model.objects.count() for model in MODELS}
    counts["users"] = get_user_model().objects.count()
    return counts
