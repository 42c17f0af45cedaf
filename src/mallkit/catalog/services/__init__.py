"""Catalogue services: every write to products, variants, pictures and categories.

Split by subject; import from here (`from mallkit.catalog import services`).
"""

from .bulk import (
    NewPicture,
    NewProduct,
    NewVariant,
    bulk_create_products,
    ensure_category,
    ensure_option,
    store_shared_picture,
)
from .categories import delete_category, move_category, move_products_to_category, save_category
from .editing import change_prices_by_percent, save_product, update_product, update_variant
from .products import (
    create_product,
    option_value,
    product_summary,
    refresh_products,
    set_product_status,
    unique_slug,
)

__all__ = [
    "NewPicture",
    "NewProduct",
    "NewVariant",
    "bulk_create_products",
    "change_prices_by_percent",
    "create_product",
    "delete_category",
    "ensure_category",
    "ensure_option",
    "move_category",
    "move_products_to_category",
    "option_value",
    "product_summary",
    "refresh_products",
    "save_category",
    "save_product",
    "set_product_status",
    "store_shared_picture",
    "unique_slug",
    "update_product",
    "update_variant",
]
