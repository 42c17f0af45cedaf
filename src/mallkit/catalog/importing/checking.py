"""Checking the rows of a file against what the catalogue holds, before anything is written."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from mallkit.core.text import sanitize_html
from mallkit.inventory.models import StockLevel

from .. import sheets
from ..models import Category, Option, OptionValue, Product, Variant
from .rows import (
    BATCH_SIZE,
    CATEGORY_SEPARATOR,
    OPTION_PREFIX,
    CellError,
    Columns,
    Errors,
    chunks,
    parse_amount,
    parse_weight,
    parse_whole,
)

KEEP = object()  # a variant value the file leaves as it is
DEFAULT_THRESHOLD = StockLevel._meta.get_field("low_stock_threshold").default
STATUSES = tuple(Product.Status.values)


@dataclass(slots=True)
class KnownVariant:
    """A variant as the database holds it, with its stock (zeros without a stock level)."""

    pk: int
    sku: str
    product_id: int
    price: Decimal
    compare_at_price: Decimal | None
    weight: Decimal | None
    on_hand: int
    allocated: int
    threshold: int
    values: dict[int, set[int]] = field(default_factory=dict)  # option id -> value ids


@dataclass(slots=True)
class KnownProduct:
    pk: int
    slug: str
    name: str
    description: str
    status: str
    published_at: datetime | None
    categories: frozenset[int] = frozenset()


@dataclass
class Snapshot:
    """The rows a file refers to, read as plain values in a few queries per batch of rows.

    Plain values, not model instances: building 50,000 model instances for a big file would
    cost more than checking its rows.
    """

    variants: dict[str, KnownVariant] = field(default_factory=dict)  # by SKU
    products: dict[str, KnownProduct] = field(default_factory=dict)  # by slug
    products_by_id: dict[int, KnownProduct] = field(default_factory=dict)
    categories: dict[str, tuple[int, str]] = field(default_factory=dict)  # slug -> (id, name)
    options: dict[str, int] = field(default_factory=dict)  # option slug -> id
    option_values: dict[tuple[int, str], int] = field(default_factory=dict)  # -> value id
    next_position: dict[int, int] = field(default_factory=dict)  # product -> new variant position

    @classmethod
    def load(cls, table: sheets.Table, columns: Columns, *, lock: bool) -> "Snapshot":
        """Read what the file's SKUs, slugs, categories and options refer to.

        With `lock`, the variants are locked (on databases that lock rows) in primary-key order,
        so two imports of the same SKUs queue instead of deadlocking and the old prices written
        to the history are the ones replaced.
        """

        def cells(column):
            position = columns.index.get(column)
            return [] if position is None else [row[position] for _number, row in table.rows]

        snapshot = cls()
        skus = sorted({sku for sku in cells("sku") if sku})
        fields = (
            "pk",
            "sku",
            "product_id",
            "price",
            "compare_at_price",
            "weight",
            "stock__on_hand",
            "stock__allocated",
            "stock__low_stock_threshold",
        )
        if lock:
            ids = sorted(
                pk
                for chunk in chunks(skus)
                for pk in Variant.objects.filter(sku__in=chunk).values_list("pk", flat=True)
            )
            batches = (
                Variant.objects.select_for_update(of=("self",))
                .filter(pk__in=chunk)
                .order_by("pk")
                .values_list(*fields)
                for chunk in chunks(ids)
            )
        else:
            batches = (
                Variant.objects.filter(sku__in=chunk).values_list(*fields) for chunk in chunks(skus)
            )
        by_pk = {}
        for batch in batches:
            for pk, sku, product_id, price, compare_at, weight, on_hand, allocated, low in batch:
                known = KnownVariant(
                    pk=pk,
                    sku=sku,
                    product_id=product_id,
                    price=price,
                    compare_at_price=compare_at,
                    weight=weight,
                    on_hand=on_hand or 0,
                    allocated=allocated or 0,
                    threshold=DEFAULT_THRESHOLD if low is None else low,
                )
                snapshot.variants[sku] = by_pk[pk] = known
        Choice = Variant.option_values.through
        for chunk in chunks(sorted(by_pk)):
            links = Choice.objects.filter(variant_id__in=chunk).values_list(
                "variant_id", "optionvalue_id", "optionvalue__option_id"
            )
            for variant_id, value_id, option_id in links:
                by_pk[variant_id].values.setdefault(option_id, set()).add(value_id)

        product_fields = ("pk", "slug", "name", "description", "status", "published_at")
        products = snapshot.products_by_id
        product_ids = sorted({known.product_id for known in by_pk.values()})
        for chunk in chunks(product_ids):
            for values in Product.objects.filter(pk__in=chunk).values_list(*product_fields):
                products[values[0]] = KnownProduct(*values)
        slugs = sorted({slug for slug in cells("product_slug") if slug})
        for chunk in chunks(slugs):
            for values in Product.objects.filter(slug__in=chunk).values_list(*product_fields):
                products[values[0]] = KnownProduct(*values)
        found = defaultdict(set)
        Shelf = Product.categories.through
        for chunk in chunks(sorted(products)):
            pairs = Shelf.objects.filter(product_id__in=chunk).values_list(
                "product_id", "category_id"
            )
            for product_id, category_id in pairs:
                found[product_id].add(category_id)
        for product in products.values():
            product.categories = frozenset(found[product.pk])
            snapshot.products[product.slug] = product
        if len(snapshot.variants) < len(skus):
            # Some SKUs are new; those added to an existing product go after its variants.
            for chunk in chunks(sorted(products)):
                last = (
                    Variant.objects.filter(product_id__in=chunk)
                    .values("product_id")
                    .annotate(last=Max("position"))
                    .values_list("product_id", "last")
                )
                snapshot.next_position.update((pk, position + 1) for pk, position in last)

        category_slugs = {
            slug.strip()
            for text in cells("categories")
            for slug in text.split(CATEGORY_SEPARATOR)
            if slug.strip()
        }
        for chunk in chunks(sorted(category_slugs)):
            for pk, slug, name in Category.objects.filter(slug__in=chunk).values_list(
                "pk", "slug", "name"
            ):
                snapshot.categories[slug] = (pk, name)
        snapshot.options = dict(
            Option.objects.filter(slug__in=list(columns.options)).values_list("slug", "pk")
        )
        for pk, option_id, slug in OptionValue.objects.filter(
            option_id__in=list(snapshot.options.values())
        ).values_list("pk", "option_id", "slug"):
            snapshot.option_values[(option_id, slug)] = pk
        return snapshot


@dataclass
class Row:
    """A checked row: the values it gives (None where it gives none, KEEP where it has no say)."""

    number: int
    sku: str
    variant: KnownVariant | None
    price: Decimal | None = None
    compare_at_price: object = KEEP
    weight: object = KEEP
    stock: int | None = None
    threshold: int | None = None
    options: dict[str, str] = field(default_factory=dict)  # option slug -> value, "" clears


@dataclass
class Group:
    """The rows of one product: an existing `product`, or a new one the file makes at `slug`."""

    slug: str
    product: KnownProduct | None
    first_row: int
    rows: list[Row] = field(default_factory=list)
    given: dict[str, tuple[object, str, int]] = field(default_factory=dict)  # value, text, row
    refused: set[str] = field(default_factory=set)  # columns given with a wrong value

    def give(self, column: str, value, text: str, row: int, errors: Errors) -> None:
        """Take a product value from a row; rows of one product must agree."""
        if column not in self.given:
            self.given[column] = (value, text, row)
            return
        other, other_text, other_row = self.given[column]
        if other != value:
            errors.add(
                row,
                column,
                _(
                    "Row %(row)s gives product “%(slug)s” “%(other)s”; this row says "
                    "“%(value)s”. Rows of one product must agree."
                )
                % {
                    "row": other_row,
                    "slug": self.slug,
                    "other": _shorten(other_text),
                    "value": _shorten(text),
                },
            )

    def value(self, column: str, default=None):
        return self.given[column][0] if column in self.given else default


def _shorten(text: str, length: int = 60) -> str:
    return text if len(text) <= length else f"{text[: length - 1]}…"


class Checker:
    """Checks the rows of a file against a snapshot, collecting errors and product groups."""

    def __init__(self, columns: Columns, snapshot: Snapshot, errors: Errors):
        self.columns = columns
        self.snapshot = snapshot
        self.errors = errors
        self.groups: dict[str, Group] = {}
        self.seen: dict[str, int] = {}
        self.clean: dict[str, str] = {}  # descriptions repeat on every row of a product

    def run(self, table: sheets.Table, progress=None) -> list[Group]:
        """Check every row; `progress(done, total)` hears after each batch."""
        total = len(table.rows)
        for done, (number, cells) in enumerate(table.rows, start=1):
            self.check_row(number, cells)
            if progress is not None and (done % BATCH_SIZE == 0 or done == total):
                progress(done, total)
        for group in self.groups.values():
            if group.product is None and not {"product_name"} & (
                group.given.keys() | group.refused
            ):
                self.errors.add(group.first_row, "product_name", _("A new product needs a name."))
        return list(self.groups.values())

    def group(self, slug: str, product: KnownProduct | None, number: int) -> Group:
        if slug not in self.groups:
            self.groups[slug] = Group(slug=slug, product=product, first_row=number)
        return self.groups[slug]

    def sanitize(self, description: str) -> str:
        if description not in self.clean:
            self.clean[description] = sanitize_html(description)
        return self.clean[description]

    def check_row(self, number: int, cells: list[str]) -> None:
        index = self.columns.index

        def cell(column):
            position = index.get(column)
            return None if position is None else cells[position]

        group, variant = self.check_key(number, cell("sku") or "", cell("product_slug") or "")
        self.check_product(number, group, cell)
        sku = cell("sku") or ""
        row = Row(number=number, sku=sku, variant=variant)
        self.check_variant(number, row, cell, cells, is_new=group is not None and variant is None)
        if group is not None:
            group.rows.append(row)

    def check_key(self, number: int, sku: str, slug: str):
        """Find the row's variant and product group from its SKU and product slug."""
        errors, snapshot = self.errors, self.snapshot
        if not sku:
            errors.add(number, "sku", _("Enter a SKU."))
            return None, None
        if len(sku) > 64:
            errors.add(number, "sku", _("A SKU has at most 64 characters."))
            return None, None
        if sku in self.seen:
            errors.add(
                number,
                "sku",
                _("SKU “%(sku)s” is also on row %(row)s.") % {"sku": sku, "row": self.seen[sku]},
            )
            return None, None
        self.seen[sku] = number
        variant = snapshot.variants.get(sku)
        if variant is not None:
            product = snapshot.products_by_id[variant.product_id]
            if slug and slug != product.slug:
                errors.add(
                    number,
                    "product_slug",
                    _(
                        "SKU “%(sku)s” belongs to product “%(slug)s”; "
                        "a variant cannot move to another product."
                    )
                    % {"sku": sku, "slug": product.slug},
                )
                return None, variant
            return self.group(product.slug, product, number), variant
        if not slug:
            errors.add(
                number,
                "product_slug",
                _("A new SKU needs a product_slug: the product it belongs to."),
            )
            return None, None
        if slug in snapshot.products:
            return self.group(slug, snapshot.products[slug], number), None
        if len(slug) > 220 or slugify(slug, allow_unicode=True) != slug:
            errors.add(
                number,
                "product_slug",
                _("Write the slug in lower-case letters, numbers and hyphens (at most 220)."),
            )
            return None, None
        return self.group(slug, None, number), None

    def check_product(self, number: int, group: Group | None, cell) -> None:
        """Check the product columns; the row's product takes the values given."""
        errors = self.errors
        name = cell("product_name")
        if name and len(name) > 200:
            errors.add(number, "product_name", _("A name has at most 200 characters."))
            if group is not None:
                group.refused.add("product_name")
        elif name and group is not None:
            group.give("product_name", name, name, number, errors)
        description = cell("description")
        if description and group is not None:
            group.give("description", self.sanitize(description), description, number, errors)
        status = (cell("status") or "").lower()
        if status and status not in STATUSES:
            errors.add(
                number,
                "status",
                _("Unknown status “%(value)s”. Use one of %(choices)s.")
                % {"value": status, "choices": ", ".join(STATUSES)},
            )
        elif status and group is not None:
            group.give("status", status, status, number, errors)
        text = cell("categories")
        if text:
            slugs = [s.strip() for s in text.split(CATEGORY_SEPARATOR) if s.strip()]
            unknown = [s for s in dict.fromkeys(slugs) if s not in self.snapshot.categories]
            if unknown:
                errors.add(
                    number,
                    "categories",
                    _("Unknown category: %(slugs)s.") % {"slugs": ", ".join(unknown)},
                )
            elif slugs and group is not None:
                ids = frozenset(self.snapshot.categories[s][0] for s in slugs)
                group.give("categories", ids, text, number, errors)

    def check_variant(self, number: int, row: Row, cell, cells: list[str], *, is_new: bool):
        """Check the variant columns into `row`."""
        errors = self.errors

        def parse(column, parser):
            try:
                return parser(cell(column))
            except CellError as error:
                errors.add(number, column, error.message)
                return None

        if cell("price"):
            row.price = parse("price", parse_amount)
        elif is_new:
            errors.add(number, "price", _("A new SKU needs a price."))
        for column, parser in (("compare_at_price", parse_amount), ("weight", parse_weight)):
            text = cell(column)
            if text is not None:
                setattr(row, column, parse(column, parser) if text else None)
        if cell("stock"):
            row.stock = parse("stock", parse_whole)
        if cell("low_stock_threshold"):
            row.threshold = parse("low_stock_threshold", parse_whole)
        variant = row.variant
        if row.stock is not None and variant is not None and row.stock < variant.allocated:
            errors.add(
                number,
                "stock",
                _("%(count)s units are promised to orders; the stock cannot be lower.")
                % {"count": variant.allocated},
            )
        for slug, (position, option_name) in self.columns.options.items():
            value = cells[position]
            if len(value) > 60:
                errors.add(
                    number,
                    f"{OPTION_PREFIX}{option_name}",
                    _("An option value has at most 60 characters."),
                )
            else:
                row.options[slug] = value
