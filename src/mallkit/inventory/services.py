"""Stock services: every change is one conditional UPDATE plus a ledger line.

Never read, subtract and save: the database decides with `WHERE on_hand - allocated >= n`, and
the number of rows updated says whether it worked. Rows are touched in primary-key order so two
transactions taking the same variants never wait on each other in a circle.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from mallkit.core.errors import Conflict, ValidationFailed

from .models import StockLevel, StockMovement

Reason = StockMovement.Reason
ADJUSTMENT_REASONS = {Reason.RECEIVED, Reason.DAMAGED, Reason.RETURNED, Reason.CORRECTION}


@dataclass(frozen=True)
class Shortage:
    variant_id: int
    requested: int
    available: int

    @property
    def missing(self):
        return self.requested - self.available


class InsufficientStock(Conflict):
    """There is not enough stock."""

    code = "insufficient_stock"

    def __init__(self, message="", *, shortages=()):
        super().__init__(message or "There is not enough stock.")
        self.shortages = list(shortages)


def ensure_stock_levels(*, variant_ids: Iterable[int]) -> None:
    """Create an empty stock level for each variant that has none."""
    StockLevel.objects.bulk_create(
        [StockLevel(variant_id=vid) for vid in set(variant_ids)], ignore_conflicts=True
    )


def _record(stock: StockLevel, *, on_hand_change=0, allocated_change=0, reason, user=None,
            note="", reference="") -> StockMovement:
    return StockMovement.objects.create(
        variant_id=stock.variant_id,
        on_hand_change=on_hand_change,
        allocated_change=allocated_change,
        on_hand_after=stock.on_hand,
        allocated_after=stock.allocated,
        reason=reason,
        note=note[:255],
        reference=reference[:64],
        created_by=user if user is not None and user.is_authenticated else None,
    )


def adjust_stock(*, variant_id: int, change: int, reason: str, user=None, note: str = "",
                 reference: str = "") -> StockMovement:
    """Add (or with a negative change remove) units on hand, never below what is allocated."""
    if not isinstance(change, int) or isinstance(change, bool) or change == 0:
        raise ValidationFailed("The change must be a whole number other than zero.",
                               errors={"change": ["Enter a whole number other than zero."]})
    if reason not in Reason.values:
        raise ValidationFailed("Unknown reason.", errors={"reason": ["Choose a valid reason."]})
    with transaction.atomic():
        ensure_stock_levels(variant_ids=[variant_id])
        updated = StockLevel.objects.filter(
            variant_id=variant_id, on_hand__gte=F("allocated") - change
        ).update(on_hand=F("on_hand") + change)
        stock = StockLevel.objects.get(variant_id=variant_id)
        if not updated:
            raise InsufficientStock(
                f"Only {stock.available} units can be removed.",
                shortages=[Shortage(variant_id, -change, stock.available)],
            )
        return _record(stock, on_hand_change=change, reason=reason, user=user, note=note,
                       reference=reference)


def set_stock(*, variant_id: int, on_hand: int, reason: str = Reason.CORRECTION, user=None,
              note: str = "") -> StockMovement | None:
    """Set the units on hand (a stock-take); the difference goes to the ledger."""
    if not isinstance(on_hand, int) or isinstance(on_hand, bool) or on_hand < 0:
        raise ValidationFailed("Stock must be a whole number of at least 0.",
                               errors={"stock": ["Enter a whole number of at least 0."]})
    with transaction.atomic():
        ensure_stock_levels(variant_ids=[variant_id])
        # Lock the row so the difference written to the ledger is the one applied.
        stock = StockLevel.objects.select_for_update().get(variant_id=variant_id)
        change = on_hand - stock.on_hand
        if change == 0:
            return None
        updated = StockLevel.objects.filter(
            variant_id=variant_id, on_hand=stock.on_hand, allocated__lte=on_hand
        ).update(on_hand=on_hand)
        stock.refresh_from_db()
        if not updated:
            raise InsufficientStock(
                f"{stock.allocated} units are promised to orders; stock cannot go below that.",
                shortages=[Shortage(variant_id, stock.allocated, on_hand)],
            )
        return _record(stock, on_hand_change=change, reason=reason, user=user, note=note)


def allocate_stock(*, quantities: dict[int, int], reference: str = "", user=None) -> None:
    """Promise units of several variants to one order, all or nothing.

    Raises InsufficientStock listing every short variant; nothing is changed then.
    """
    if any(q <= 0 for q in quantities.values()):
        raise ValidationFailed("Quantities must be at least 1.")
    shortages = []
    with transaction.atomic():
        for variant_id in sorted(quantities):
            quantity = quantities[variant_id]
            updated = StockLevel.objects.filter(
                variant_id=variant_id, on_hand__gte=F("allocated") + quantity
            ).update(allocated=F("allocated") + quantity)
            if not updated:
                stock = StockLevel.objects.filter(variant_id=variant_id).first()
                shortages.append(Shortage(variant_id, quantity, stock.available if stock else 0))
                continue
            stock = StockLevel.objects.get(variant_id=variant_id)
            _record(stock, allocated_change=quantity, reason=Reason.ALLOCATED, user=user,
                    reference=reference)
        if shortages:
            transaction.set_rollback(True)
    if shortages:
        raise InsufficientStock(shortages=shortages)


def release_stock(*, quantities: dict[int, int], reference: str = "", user=None,
                  reason: str = Reason.RELEASED) -> None:
    """Give back units promised to an order (cancelled or expired)."""
    with transaction.atomic():
        for variant_id in sorted(quantities):
            quantity = quantities[variant_id]
            updated = StockLevel.objects.filter(
                variant_id=variant_id, allocated__gte=quantity
            ).update(allocated=F("allocated") - quantity)
            if not updated:
                raise Conflict("Cannot release more stock than is allocated.",
                               code="stock_not_allocated")
            stock = StockLevel.objects.get(variant_id=variant_id)
            _record(stock, allocated_change=-quantity, reason=reason, user=user,
                    reference=reference)


def ship_stock(*, quantities: dict[int, int], reference: str = "", user=None) -> None:
    """Take allocated units off the shelf when they leave the warehouse."""
    with transaction.atomic():
        for variant_id in sorted(quantities):
            quantity = quantities[variant_id]
            updated = StockLevel.objects.filter(
                variant_id=variant_id, allocated__gte=quantity, on_hand__gte=quantity
            ).update(allocated=F("allocated") - quantity, on_hand=F("on_hand") - quantity)
            if not updated:
                raise Conflict("Cannot ship more than is allocated.", code="stock_not_allocated")
            stock = StockLevel.objects.get(variant_id=variant_id)
            _record(stock, on_hand_change=-quantity, allocated_change=-quantity,
                    reason=Reason.SHIPPED, user=user, reference=reference)
