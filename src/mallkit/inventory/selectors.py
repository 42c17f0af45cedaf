"""Stock reads for pages and endpoints."""

from django.db.models import Exists, F, OuterRef

from .models import StockLevel, StockMovement


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
