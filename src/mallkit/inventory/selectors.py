"""Stock reads for pages and endpoints."""

from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import StockLevel, StockMovement

# Available units (on hand less allocated) at or below the threshold, said without a
# subtraction that could go negative in an unsigned column.
LOW_STOCK = Q(on_hand__lte=F("allocated") + F("low_stock_threshold"))


def in_stock_for_product():
    """An expression that is true when any variant of the outer product has stock available."""
    return Exists(
        StockLevel.objects.filter(variant__product=OuterRef("pk"), on_hand__gt=F("allocated"))
    )


def in_stock_for_variant():
    """An expression that is true when the outer variant has stock available."""
    return Exists(StockLevel.objects.filter(variant=OuterRef("pk"), on_hand__gt=F("allocated")))


def available_by_variant(*, variant_ids) -> dict[int, int]:
    """Units available (on hand less allocated) for each variant id; missing ones have 0."""
    rows = StockLevel.objects.filter(variant_id__in=list(variant_ids)).values_list(
        "variant_id", "on_hand", "allocated"
    )
    return {vid: max(on_hand - allocated, 0) for vid, on_hand, allocated in rows}


def movements_for_variant(*, variant_id: int, limit: int = 50):
    return StockMovement.objects.filter(variant_id=variant_id).select_related("created_by")[:limit]


def low_stock_for_product():
    """An expression that is true when any variant of the outer product is low on stock."""
    return Exists(StockLevel.objects.filter(LOW_STOCK, variant__product=OuterRef("pk")))


def available_for_product():
    """An expression: the units available over every variant of the outer product."""
    totals = (
        StockLevel.objects.filter(variant__product=OuterRef("pk"))
        .values("variant__product")
        .annotate(total=Sum(F("on_hand") - F("allocated")))
        .values("total")
    )
    return Coalesce(Subquery(totals, output_field=IntegerField()), Value(0))


def low_stock_levels():
    """Stock levels at or below their threshold, fewest available first, with their variants."""
    return (
        StockLevel.objects.filter(LOW_STOCK)
        .select_related("variant__product")
        .prefetch_related("variant__option_values")
        .annotate(available_units=F("on_hand") - F("allocated"))
        .order_by("available_units", "variant__product__name", "variant__sku")
    )


def low_stock_count() -> int:
    return StockLevel.objects.filter(LOW_STOCK).count()


def stock_levels_for_variants(*, variant_ids) -> dict[int, StockLevel]:
    """The stock level of each variant id (variants without one are missing)."""
    return {
        level.variant_id: level
        for level in StockLevel.objects.filter(variant_id__in=list(variant_ids))
    }


def movements_for_product(*, product_id: int, limit: int, offset: int = 0) -> list[StockMovement]:
    """Ledger lines of a product's variants, newest first, with who made them."""
    return list(
        StockMovement.objects.filter(variant__product_id=product_id)
        .select_related("created_by", "variant")
        .order_by("-created_at", "-id")[offset : offset + limit]
    )


def movement_count_for_product(*, product_id: int) -> int:
    return StockMovement.objects.filter(variant__product_id=product_id).count()
