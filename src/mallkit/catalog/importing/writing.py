"""Working out what a checked file changes, and writing it in one transaction."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mallkit.core.cache import catalog_changed
from mallkit.core.db import update_each
from mallkit.core.errors import DomainError
from mallkit.core.text import sanitize_html
from mallkit.inventory import services as inventory

from .. import services, sheets
from ..models import PriceChange, Product, Variant
from .checking import KEEP, Checker, Group, Row, Snapshot
from .rows import (
    BATCH_SIZE,
    MAX_ROWS,
    Columns,
    Errors,
    ImportReport,
    chunks,
    option_slug,
    read_header,
    value_slug,
)

logger = logging.getLogger(__name__)

PRODUCT_FIELDS = ("name", "description", "status", "published_at", "updated_at")
VARIANT_FIELDS = ("price", "compare_at_price", "weight", "updated_at")


@dataclass
class Changes:
    """Everything a real run writes, worked out before the first write."""

    new_products: list[services.NewProduct] = field(default_factory=list)
    new_variants: list[tuple[Variant, dict[str, str], int]] = field(default_factory=list)
    new_thresholds: dict[str, int] = field(default_factory=dict)  # by SKU
    products: list[tuple] = field(default_factory=list)  # PRODUCT_FIELDS values, then the id
    categories: dict[int, frozenset[int]] = field(default_factory=dict)  # product id -> ids
    variants: list[tuple] = field(default_factory=list)  # VARIANT_FIELDS values, then the id
    price_changes: list[PriceChange] = field(default_factory=list)
    options: dict[int, dict[str, str]] = field(default_factory=dict)  # variant -> slug -> value
    stock: dict[int, int] = field(default_factory=dict)  # variant id -> units on hand
    thresholds: dict[int, int] = field(default_factory=dict)  # variant id -> threshold
    refresh: set[int] = field(default_factory=set)  # products whose price or search text change
    created: int = 0
    updated: int = 0


def plan(groups: list[Group], columns: Columns, snapshot: Snapshot, user) -> Changes:
    """Compare the checked rows with the snapshot: what to create, what to change."""
    changes, now = Changes(), timezone.now()
    changed_by = user if user is not None and user.is_authenticated else None
    for group in groups:
        if group.product is None:
            changes.new_products.append(_new_product(group, columns))
            changes.new_thresholds.update(
                (row.sku, row.threshold) for row in group.rows if row.threshold is not None
            )
            changes.created += len(group.rows)
            continue
        product_changed = _plan_product(group, changes, now)
        for row in group.rows:
            if row.variant is None:
                _plan_new_variant(row, group, snapshot, changes)
            elif _plan_variant(row, snapshot, changes, changed_by, now) or product_changed:
                changes.updated += 1
    return changes


def _new_product(group: Group, columns: Columns) -> services.NewProduct:
    return services.NewProduct(
        name=group.value("product_name"),
        slug=group.slug,
        description=group.value("description", ""),
        status=group.value("status", Product.Status.DRAFT),
        category_ids=sorted(group.value("categories", ())),
        variants=[
            services.NewVariant(
                sku=row.sku,
                price=row.price,
                compare_at_price=None if row.compare_at_price is KEEP else row.compare_at_price,
                weight=None if row.weight is KEEP else row.weight,
                options={
                    columns.option_name(slug): value for slug, value in row.options.items() if value
                },
                stock=row.stock or 0,
            )
            for row in group.rows
        ],
    )


def _plan_product(group: Group, changes: Changes, now) -> bool:
    """Work out the changes of a known product; return whether there are any."""
    known = group.product
    values = {
        "name": known.name,
        "description": known.description,
        "status": known.status,
        "published_at": known.published_at,
    }
    name, description = group.value("product_name"), group.value("description")
    if name is not None and name != known.name:
        values["name"] = name
    # A description stored before sanitising counts as unchanged when it cleans up to the
    # file's text, so an export read back changes nothing.
    if description is not None and description not in {
        known.description,
        sanitize_html(known.description),
    }:
        values["description"] = description
    status = group.value("status")
    if status is not None and status != known.status:
        values["status"] = status
        if status == Product.Status.ACTIVE and known.published_at is None:
            values["published_at"] = now
    changed = values["name"] != known.name or values["description"] != known.description
    if changed:
        changes.refresh.add(known.pk)  # the search text
    changed = changed or values["status"] != known.status
    if changed:
        values["updated_at"] = now
        changes.products.append((*(values[name] for name in PRODUCT_FIELDS), known.pk))
    categories = group.value("categories")
    if categories is not None and categories != known.categories:
        changes.categories[known.pk] = categories
        changes.refresh.add(known.pk)
        changed = True
    return changed


def _plan_new_variant(row: Row, group: Group, snapshot: Snapshot, changes: Changes) -> None:
    product_id = group.product.pk
    position = snapshot.next_position.get(product_id, 0)
    snapshot.next_position[product_id] = position + 1
    variant = Variant(
        product_id=product_id,
        sku=row.sku,
        price=row.price,
        compare_at_price=None if row.compare_at_price is KEEP else row.compare_at_price,
        weight=None if row.weight is KEEP else row.weight,
        position=position,
    )
    changes.new_variants.append((variant, row.options, row.stock or 0))
    if row.threshold is not None:
        changes.new_thresholds[row.sku] = row.threshold
    changes.refresh.add(product_id)
    changes.created += 1


def _plan_variant(row: Row, snapshot: Snapshot, changes: Changes, changed_by, now) -> bool:
    """Work out the changes of a known variant; return whether there are any."""
    known = row.variant
    new = {
        "price": known.price if row.price is None else row.price,
        "compare_at_price": (
            known.compare_at_price if row.compare_at_price is KEEP else row.compare_at_price
        ),
        "weight": known.weight if row.weight is KEEP else row.weight,
    }
    for field_name in (PriceChange.Field.PRICE, PriceChange.Field.COMPARE_AT_PRICE):
        old = getattr(known, field_name)
        if new[field_name] != old:
            changes.price_changes.append(
                PriceChange(
                    variant_id=known.pk,
                    field=field_name,
                    old_value=old,
                    new_value=new[field_name],
                    changed_by=changed_by,
                )
            )
    if new["price"] != known.price:
        changes.refresh.add(known.product_id)  # the product's lowest price
    changed = (new["price"], new["compare_at_price"], new["weight"]) != (
        known.price,
        known.compare_at_price,
        known.weight,
    )
    if changed:
        new["updated_at"] = now
        changes.variants.append((*(new[name] for name in VARIANT_FIELDS), known.pk))

    wanted = {}
    for slug, text in row.options.items():
        option_id = snapshot.options.get(slug)
        have = known.values.get(option_id, set())
        if text:
            value_id = snapshot.option_values.get((option_id, value_slug(text)))
            if value_id is None or have != {value_id}:
                wanted[slug] = text
        elif have:
            wanted[slug] = ""
    if wanted:
        changes.options[known.pk] = wanted
        changes.refresh.add(known.product_id)
        changed = True
    if row.stock is not None and row.stock != known.on_hand:
        changes.stock[known.pk] = row.stock
        changed = True
    if row.threshold is not None and row.threshold != known.threshold:
        changes.thresholds[known.pk] = row.threshold
        changed = True
    return changed


def _ensure_option_values(changes: Changes, columns: Columns) -> dict[tuple[str, str], int]:
    """Create the options and values the file names; return value ids by (option, value) slug."""
    wanted = defaultdict(dict)  # option slug -> {value: None}, in file order
    for product in changes.new_products:
        for variant in product.variants:
            for name, value in variant.options.items():
                wanted[option_slug(name)][value] = None
    chosen = [options for _variant, options, _stock in changes.new_variants]
    for options in chosen + list(changes.options.values()):
        for slug, value in options.items():
            if value:
                wanted[slug][value] = None
    found = {}
    for slug, values in wanted.items():
        made = services.ensure_option(name=columns.option_name(slug), values=list(values))
        found.update(((slug, value_slug(text)), value.pk) for text, value in made.items())
    return found


def apply(changes: Changes, snapshot: Snapshot, columns: Columns, user) -> None:
    """Write the changes: a few statements per batch of rows, stock through inventory."""
    catalog_changed()
    value_ids = _ensure_option_values(changes, columns)
    Choice = Variant.option_values.through
    if changes.new_products:
        services.bulk_create_products(products=changes.new_products, user=user)

    if changes.new_variants:
        variants = [variant for variant, _options, _stock in changes.new_variants]
        Variant.objects.bulk_create(variants, batch_size=BATCH_SIZE)
        Choice.objects.bulk_create(
            [
                Choice(variant_id=variant.pk, optionvalue_id=value_ids[(slug, value_slug(value))])
                for variant, options, _stock in changes.new_variants
                for slug, value in options.items()
                if value
            ],
            batch_size=BATCH_SIZE,
        )
        inventory.record_initial_stock(
            quantities={variant.pk: stock for variant, _options, stock in changes.new_variants},
            user=user,
        )
        # A new variant starts its price history, as in services.bulk_create_products.
        changed_by = user if user is not None and user.is_authenticated else None
        PriceChange.objects.bulk_create(
            [
                PriceChange(
                    variant_id=variant.pk, field=name, new_value=value, changed_by=changed_by
                )
                for variant in variants
                for name, value in (
                    (PriceChange.Field.PRICE, variant.price),
                    (PriceChange.Field.COMPARE_AT_PRICE, variant.compare_at_price),
                )
                if value is not None
            ],
            batch_size=BATCH_SIZE,
        )

    update_each(Product, fields=PRODUCT_FIELDS, keys=("id",), rows=changes.products)
    Shelf = Product.categories.through
    for chunk in chunks(sorted(changes.categories)):
        Shelf.objects.filter(product_id__in=chunk).delete()
        Shelf.objects.bulk_create(
            [Shelf(product_id=pk, category_id=c) for pk in chunk for c in changes.categories[pk]]
        )

    update_each(Variant, fields=VARIANT_FIELDS, keys=("id",), rows=changes.variants)
    PriceChange.objects.bulk_create(changes.price_changes, batch_size=BATCH_SIZE)
    known = {variant.pk: variant for variant in snapshot.variants.values()}
    for chunk in chunks(sorted(changes.options)):
        links = []
        for variant_id in chunk:
            values = dict(known[variant_id].values)  # option id (or new slug) -> value ids
            for slug, text in changes.options[variant_id].items():
                values.pop(snapshot.options.get(slug), None)
                if text:
                    values[slug] = {value_ids[(slug, value_slug(text))]}
            links.extend(
                Choice(variant_id=variant_id, optionvalue_id=pk)
                for ids in values.values()
                for pk in ids
            )
        Choice.objects.filter(variant_id__in=chunk).delete()
        Choice.objects.bulk_create(links)

    if changes.stock:
        inventory.set_stock_levels(
            on_hand=changes.stock, reason=inventory.Reason.CORRECTION, user=user
        )
    thresholds = dict(changes.thresholds)
    for chunk in chunks(sorted(changes.new_thresholds)):
        for sku, pk in Variant.objects.filter(sku__in=chunk).values_list("sku", "pk"):
            thresholds[pk] = changes.new_thresholds[sku]
    if thresholds:
        inventory.set_low_stock_thresholds(thresholds=thresholds)
    _refresh(changes.refresh)


def _refresh(product_ids) -> None:
    """Recompute the lowest price and search texts of products, in a few queries per batch.

    The same columns as services.refresh_products, from the same rule (product_summary), read
    as plain values and written with one prepared UPDATE, for thousands of products at once.
    """
    Shelf, Choice = Product.categories.through, Variant.option_values.through
    for chunk in chunks(sorted(product_ids)):
        texts = dict(
            (pk, (name, description))
            for pk, name, description in Product.objects.filter(pk__in=chunk).values_list(
                "pk", "name", "description"
            )
        )
        variants, categories, values = defaultdict(list), defaultdict(list), defaultdict(list)
        for product_id, sku, price in (
            Variant.objects.filter(product_id__in=chunk)
            .order_by("product_id", "position", "id")
            .values_list("product_id", "sku", "price")
        ):
            variants[product_id].append((sku, price))
        for product_id, name in (
            Shelf.objects.filter(product_id__in=chunk)
            .order_by("category__position", "category__name")
            .values_list("product_id", "category__name")
        ):
            categories[product_id].append(name)
        for product_id, value in Choice.objects.filter(variant__product_id__in=chunk).values_list(
            "variant__product_id", "optionvalue__value"
        ):
            values[product_id].append(value)
        rows = []
        for pk, (name, description) in texts.items():
            summary = services.product_summary(
                name=name,
                description=description,
                skus=[sku for sku, _price in variants[pk]],
                prices=[price for _sku, price in variants[pk]],
                category_names=categories[pk],
                option_values=values[pk],
            )
            rows.append(
                (summary["price_from"], summary["search_title"], summary["search_body"], pk)
            )
        update_each(
            Product, fields=("price_from", "search_title", "search_body"), keys=("id",), rows=rows
        )


def import_products(
    *, data: bytes, name: str = "", user=None, dry_run: bool = True, progress=None
) -> ImportReport:
    """Check a CSV or XLSX file of products row by row and, unless a dry run, apply it.

    Nothing is written when any row has an error. `progress(done, total)` hears after each
    batch of rows checked.
    """
    report, errors = ImportReport(dry_run=dry_run), Errors()
    try:
        table = sheets.read_table(data, name=name, max_rows=MAX_ROWS)
    except sheets.SheetError as error:
        errors.add(error.row, "", error.message)
        return errors.fill(report)
    report.rows = len(table.rows)
    columns = read_header(table, errors)
    if not errors and not table.rows:
        errors.add(None, "", _("The file has no rows below the header."))
    if errors:
        return errors.fill(report)
    if progress is not None:
        progress(0, report.rows)

    # The first check runs outside any transaction, so the progress it reports can be seen
    # (a transaction's writes are invisible to others until it ends).
    snapshot = Snapshot.load(table, columns, lock=False)
    groups = Checker(columns, snapshot, errors).run(table, progress)
    if errors:
        return errors.fill(report)
    if dry_run:
        changes = plan(groups, columns, snapshot, user)
        report.created, report.updated = changes.created, changes.updated
        return report
    try:
        with transaction.atomic():
            # Check again with the variants locked: the catalogue may have changed meanwhile.
            snapshot = Snapshot.load(table, columns, lock=True)
            groups = Checker(columns, snapshot, errors).run(table)
            if errors:
                return errors.fill(report)
            changes = plan(groups, columns, snapshot, user)
            apply(changes, snapshot, columns, user)
    except DomainError as error:
        errors.add(None, "", _("Nothing was imported: %(reason)s") % {"reason": error.message})
        return errors.fill(report)
    except DatabaseError:
        logger.exception("A product import was rolled back by the database")
        errors.add(
            None,
            "",
            _(
                "Nothing was imported: the database refused a change, most likely because the "
                "catalogue changed while the import ran. Please try again."
            ),
        )
        return errors.fill(report)
    report.created, report.updated = changes.created, changes.updated
    return report
