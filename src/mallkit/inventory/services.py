"""Stock services: every change is one conditional UPDATE plus a ledger line.

Never read, subtract and save: the database decides with `WHERE on_hand - allocated >= n`, and
the number of rows updated says whether it worked. Rows are touched in primary-key order so two
transactions taking the same variants never wait on each other in a circle.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone

from mallkit.core.cache import catalog_changed
from mallkit.core.db import insert, update_each
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


def _record(
    stock: StockLevel,
    *,
    on_hand_change=0,
    allocated_change=0,
    reason,
    user=None,
    note="",
    reference="",
) -> StockMovement:
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


def adjust_stock(
    *, variant_id: int, change: int, reason: str, user=None, note: str = "", reference: str = ""
) -> StockMovement:
    """Add (or with a negative change remove) units on hand, never below what is allocated."""
    if not isinstance(change, int) or isinstance(change, bool) or change == 0:
        raise ValidationFailed(
            "The change must be a whole number other than zero.",
            errors={"change": ["Enter a whole number other than zero."]},
        )
    if reason not in Reason.values:
        raise ValidationFailed("Unknown reason.", errors={"reason": ["Choose a valid reason."]})
    with transaction.atomic():
        ensure_stock_levels(variant_ids=[variant_id])
        updated = StockLevel.objects.filter(
            variant_id=variant_id, on_hand__gte=F("allocated") - change
        ).update(on_hand=F("on_hand") + change)
        catalog_changed()
        stock = StockLevel.objects.get(variant_id=variant_id)
        if not updated:
            raise InsufficientStock(
                f"Only {stock.available} units can be removed.",
                shortages=[Shortage(variant_id, -change, stock.available)],
            )
        return _record(
            stock, on_hand_change=change, reason=reason, user=user, note=note, reference=reference
        )


def set_stock(
    *, variant_id: int, on_hand: int, reason: str = Reason.CORRECTION, user=None, note: str = ""
) -> StockMovement | None:
    """Set the units on hand (a stock-take); the difference goes to the ledger."""
    if not isinstance(on_hand, int) or isinstance(on_hand, bool) or on_hand < 0:
        raise ValidationFailed(
            "Stock must be a whole number of at least 0.",
            errors={"stock": ["Enter a whole number of at least 0."]},
        )
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
        catalog_changed()
        stock.refresh_from_db()
        if not updated:
            raise InsufficientStock(
                f"{stock.allocated} units are promised to orders; stock cannot go below that.",
                shortages=[Shortage(variant_id, stock.allocated, on_hand)],
            )
        return _record(stock, on_hand_change=change, reason=reason, user=user, note=note)


def _take(variant_id: int, quantity: int) -> tuple[int, int, int] | None:
    """Allocate units of one variant if that many are free: one conditional UPDATE that also
    answers the row as it now is (on hand, allocated, low-stock threshold), or None.

    Written out because the ORM's update() answers only a row count, and reading the row again
    costs a query per line on the busiest path of the shop. RETURNING is in PostgreSQL and in
    SQLite from 3.35.
    """
    meta = StockLevel._meta
    connection = connections[router.db_for_write(StockLevel)]
    quote = connection.ops.quote_name
    on_hand, allocated, threshold, variant = (
        quote(meta.get_field(name).column)
        for name in ("on_hand", "allocated", "low_stock_threshold", "variant")
    )
    # Only quoted names from the model's metadata go into the text; values are parameters.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {allocated} = {allocated} + %s "  # noqa: S608
        f"WHERE {variant} = %s AND {on_hand} >= {allocated} + %s "
        f"RETURNING {on_hand}, {allocated}, {threshold}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [quantity, variant_id, quantity])
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def allocate_stock(*, quantities: dict[int, int], reference: str = "", user=None) -> None:
    """Promise units of several variants to one order, all or nothing.

    Raises InsufficientStock listing every short variant; nothing is changed then, and the
    caller's transaction is still usable (the units taken before a shortage are given back in
    it rather than rolled back to a savepoint, which would cost two more round trips per order).
    """
    if any(q <= 0 for q in quantities.values()):
        raise ValidationFailed("Quantities must be at least 1.")
    shortages = []
    movements = []
    low = False
    with transaction.atomic(savepoint=False):
        for variant_id in sorted(quantities):
            quantity = quantities[variant_id]
            row = _take(variant_id, quantity)
            if row is None:
                stock = StockLevel.objects.filter(variant_id=variant_id).first()
                shortages.append(Shortage(variant_id, quantity, stock.available if stock else 0))
                continue
            on_hand, allocated, threshold = row
            low = low or on_hand - allocated <= threshold
            movements.append(
                StockMovement(
                    variant_id=variant_id,
                    allocated_change=quantity,
                    on_hand_after=on_hand,
                    allocated_after=allocated,
                    reason=Reason.ALLOCATED,
                    reference=reference[:64],
                    created_by=user if user is not None and user.is_authenticated else None,
                )
            )
        if shortages:
            # Give back what this call took; the rows stay locked by this transaction, so the
            # counts return exactly to what they were.
            for movement in movements:
                StockLevel.objects.filter(variant_id=movement.variant_id).update(
                    allocated=F("allocated") - movement.allocated_change
                )
        else:
            insert(movements)
            if low:
                # Shoppers now see "Only N left" or "Out of stock"; above the threshold the pages
                # said "In stock" before and still do, so busy checkouts keep them cached.
                catalog_changed()
    if shortages:
        raise InsufficientStock(shortages=shortages)


def release_stock(
    *, quantities: dict[int, int], reference: str = "", user=None, reason: str = Reason.RELEASED
) -> None:
    """Give back units promised to an order (cancelled or expired)."""
    with transaction.atomic():
        for variant_id in sorted(quantities):
            quantity = quantities[variant_id]
            updated = StockLevel.objects.filter(
                variant_id=variant_id, allocated__gte=quantity
            ).update(allocated=F("allocated") - quantity)
            if not updated:
                raise Conflict(
                    "Cannot release more stock than is allocated.", code="stock_not_allocated"
                )
            stock = StockLevel.objects.get(variant_id=variant_id)
            if stock.available - quantity <= stock.low_stock_threshold:
                # It was shown as low or out of stock (see allocate_stock).
                catalog_changed()
            _record(
                stock, allocated_change=-quantity, reason=reason, user=user, reference=reference
            )


def ship_stock(*, quantities: dict[int, int], reference: str = "", user=None) -> None:
    """Take allocated units off the shelf when they leave the warehouse."""
    # No catalog_changed(): on hand and allocated drop alike, so what shoppers see (the units
    # available) stays the same.
    with transaction.atomic():
        for variant_id in sorted(quantities):
            quantity = quantities[variant_id]
            updated = StockLevel.objects.filter(
                variant_id=variant_id, allocated__gte=quantity, on_hand__gte=quantity
            ).update(allocated=F("allocated") - quantity, on_hand=F("on_hand") - quantity)
            if not updated:
                raise Conflict("Cannot ship more than is allocated.", code="stock_not_allocated")
            stock = StockLevel.objects.get(variant_id=variant_id)
            _record(
                stock,
                on_hand_change=-quantity,
                allocated_change=-quantity,
                reason=Reason.SHIPPED,
                user=user,
                reference=reference,
            )


def record_initial_stock(
    *, quantities: Mapping[int, int], user=None, batch_size: int = 2000
) -> int:
    """Give new variants their stock levels and first units, in a few INSERTs per batch.

    Each non-zero quantity gets an "initial" ledger line, so the ledger sums to on-hand stock.
    Returns the number of ledger lines. A variant that already has a stock level is refused as a
    conflict (change its stock with adjust_stock instead); nothing is written then.
    """
    bad = [
        variant_id
        for variant_id, quantity in quantities.items()
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0
    ]
    if bad:
        raise ValidationFailed(
            "Stock must be a whole number of at least 0.",
            errors={"stock": [f"Enter a whole number of at least 0 for variant {bad[0]}."]},
        )
    variant_ids = sorted(quantities)
    created_by = user if user is not None and user.is_authenticated else None
    levels = [StockLevel(variant_id=pk, on_hand=quantities[pk]) for pk in variant_ids]
    lines = [
        StockMovement(
            variant_id=pk,
            on_hand_change=quantities[pk],
            on_hand_after=quantities[pk],
            allocated_after=0,
            reason=Reason.INITIAL,
            created_by=created_by,
        )
        for pk in variant_ids
        if quantities[pk]
    ]
    try:
        with transaction.atomic():
            StockLevel.objects.bulk_create(levels, batch_size=batch_size)
            StockMovement.objects.bulk_create(lines, batch_size=batch_size)
            catalog_changed()
    except IntegrityError as error:
        raise Conflict(
            "A variant already has a stock level; change its stock with adjust_stock.",
            code="stock_exists",
        ) from error
    return len(lines)


def set_low_stock_threshold(*, variant_id: int, threshold: int) -> None:
    """Set the number of available units at or below which a variant counts as low on stock."""
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        raise ValidationFailed(
            "The low-stock threshold must be a whole number of at least 0.",
            errors={"low_stock_threshold": ["Enter a whole number of at least 0."]},
        )
    with transaction.atomic():
        ensure_stock_levels(variant_ids=[variant_id])
        StockLevel.objects.filter(variant_id=variant_id).update(low_stock_threshold=threshold)
        catalog_changed()


def set_low_stock_thresholds(*, thresholds: Mapping[int, int]) -> None:
    """Set the low-stock threshold of many variants, one UPDATE per threshold and batch."""
    if any(
        not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0
        for threshold in thresholds.values()
    ):
        raise ValidationFailed(
            "The low-stock threshold must be a whole number of at least 0.",
            errors={"low_stock_threshold": ["Enter a whole number of at least 0."]},
        )
    by_threshold: dict[int, list[int]] = {}
    for variant_id in sorted(thresholds):
        by_threshold.setdefault(thresholds[variant_id], []).append(variant_id)
    with transaction.atomic():
        catalog_changed()
        ensure_stock_levels(variant_ids=thresholds)
        for threshold, variant_ids in by_threshold.items():
            # Batches keep each statement under SQLite's limit on query parameters.
            for start in range(0, len(variant_ids), 500):
                StockLevel.objects.filter(variant_id__in=variant_ids[start : start + 500]).update(
                    low_stock_threshold=threshold
                )


def set_stock_levels(
    *, on_hand: Mapping[int, int], reason: str = Reason.CORRECTION, user=None
) -> int:
    """Set the units on hand of many variants at once (a stock-take or an import).

    Each difference goes to the ledger. Returns the number of ledger lines. Raises
    InsufficientStock, changing nothing, where a count is below the units promised to orders.
    """
    if any(
        not isinstance(count, int) or isinstance(count, bool) or count < 0
        for count in on_hand.values()
    ):
        raise ValidationFailed(
            "Stock must be a whole number of at least 0.",
            errors={"stock": ["Enter a whole number of at least 0."]},
        )
    if reason not in Reason.values:
        raise ValidationFailed("Unknown reason.", errors={"reason": ["Choose a valid reason."]})
    variant_ids = sorted(on_hand)
    created_by = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        ensure_stock_levels(variant_ids=variant_ids)
        # Locked in variant order like every other stock change, so the differences written to
        # the ledger are the ones applied.
        levels = []
        for start in range(0, len(variant_ids), 500):
            levels.extend(
                StockLevel.objects.select_for_update()
                .filter(variant_id__in=variant_ids[start : start + 500])
                .order_by("variant_id")
                .values_list("variant_id", "on_hand", "allocated")
            )
        shortages = [
            Shortage(variant_id, allocated, on_hand[variant_id])
            for variant_id, _count, allocated in levels
            if on_hand[variant_id] < allocated
        ]
        if shortages:
            raise InsufficientStock(
                "Units are promised to orders; stock cannot go below that.", shortages=shortages
            )
        changed = [level for level in levels if on_hand[level[0]] != level[1]]
        now = timezone.now()
        # Still one conditional UPDATE per row: it applies only where the counts read are the
        # counts stored, so the check against the allocated units above still holds.
        updated = update_each(
            StockLevel,
            fields=("on_hand", "updated_at"),
            keys=("variant", "on_hand", "allocated"),
            rows=[
                (on_hand[variant_id], now, variant_id, count, allocated)
                for variant_id, count, allocated in changed
            ],
        )
        if updated != len(changed):
            raise Conflict("The stock changed meanwhile; try again.", code="stock_changed")
        catalog_changed()
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    variant_id=variant_id,
                    on_hand_change=on_hand[variant_id] - count,
                    on_hand_after=on_hand[variant_id],
                    allocated_after=allocated,
                    reason=reason,
                    created_by=created_by,
                )
                for variant_id, count, allocated in changed
            ],
            batch_size=500,
        )
    return len(changed)
