"""The pieces every part of the import shares: limits, the report, cell parsers, the header."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.text import slugify
from django.utils.translation import gettext as _

from mallkit.core.money import default_currency, quantize

from .. import sheets

COLUMNS = (
    "sku",
    "product_slug",
    "product_name",
    "description",
    "status",
    "categories",
    "price",
    "compare_at_price",
    "weight",
    "stock",
    "low_stock_threshold",
)
OPTION_PREFIX = "option:"
CATEGORY_SEPARATOR = "|"
MAX_ROWS = 100_000
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_REPORTED_ERRORS = 1000
BATCH_SIZE = 500
MAX_WHOLE = 2_147_483_647  # the largest PositiveIntegerField value on every database
MAX_AMOUNT = Decimal(10) ** 10  # DecimalField(max_digits=12, decimal_places=2)
MAX_WEIGHT = Decimal(10) ** 5  # DecimalField(max_digits=8, decimal_places=3)
WEIGHT_STEP = Decimal("0.001")


@dataclass(frozen=True)
class RowError:
    """A problem with one cell: `row` as the spreadsheet numbers it, None for the whole file."""

    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    """What an import did, or with `dry_run` would do: counts of rows, or the errors."""

    dry_run: bool = True
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    more_errors: int = 0  # errors found beyond the MAX_REPORTED_ERRORS listed

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unchanged(self) -> int:
        return self.rows - self.created - self.updated if self.ok else 0


class Errors:
    """Row errors in file order: the first MAX_REPORTED_ERRORS kept, all of them counted."""

    def __init__(self):
        self.listed: list[RowError] = []
        self.count = 0

    def add(self, row: int | None, column: str, message: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_REPORTED_ERRORS:
            self.listed.append(RowError(row, column, message))

    def __bool__(self):
        return self.count > 0

    def fill(self, report: ImportReport) -> ImportReport:
        report.errors = self.listed
        report.more_errors = self.count - len(self.listed)
        return report


def chunks(items, size: int = BATCH_SIZE):
    """Slices of `items`, so no query has more parameters than SQLite accepts."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def option_slug(name: str) -> str:
    """The slug that identifies an option called `name` (the rule of services.ensure_option)."""
    return slugify(name) or "option"


def value_slug(value: str) -> str:
    """The slug that identifies an option value (the rule of services.ensure_option)."""
    return slugify(value, allow_unicode=True) or "value"


# Cells -------------------------------------------------------------------------------------------


class CellError(Exception):
    """A cell's value is not acceptable; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _decimal(text: str) -> Decimal | None:
    """The number in `text`, or None; Decimal() alone would also read "1_000" and "NaN"."""
    if "_" in text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_amount(text: str) -> Decimal:
    """An amount of money at most as precise as the currency, such as "19.90"."""
    amount = _decimal(text)
    if amount is None:
        raise CellError(_("“%(value)s” is not an amount. Write it like 19.90.") % {"value": text})
    if amount < 0:
        raise CellError(_("An amount cannot be negative."))
    if amount != quantize(amount):
        raise CellError(
            _("Too many decimal places for %(currency)s.") % {"currency": default_currency()}
        )
    if amount >= MAX_AMOUNT:
        raise CellError(_("This amount is too large."))
    return quantize(amount)


def parse_weight(text: str) -> Decimal:
    """A weight in kilograms with at most three decimal places."""
    weight = _decimal(text)
    if weight is None:
        raise CellError(
            _("“%(value)s” is not a weight. Write it in kilograms, like 0.25.") % {"value": text}
        )
    if weight < 0:
        raise CellError(_("A weight cannot be negative."))
    if weight != weight.quantize(WEIGHT_STEP):
        raise CellError(_("A weight has at most three decimal places."))
    if weight >= MAX_WEIGHT:
        raise CellError(_("This weight is too large."))
    return weight.quantize(WEIGHT_STEP)


def parse_whole(text: str) -> int:
    """A whole number of at least 0, written with the digits 0 to 9 only."""
    if not (text.isascii() and text.isdigit()):
        raise CellError(
            _("“%(value)s” is not a whole number of at least 0, like 12.") % {"value": text}
        )
    number = int(text)
    if number > MAX_WHOLE:
        raise CellError(_("This number is too large."))
    return number


# The header --------------------------------------------------------------------------------------


@dataclass
class Columns:
    """Where each column is in a row."""

    index: dict[str, int]  # column name -> position
    options: dict[str, tuple[int, str]]  # option slug -> (position, option name as written)

    def option_name(self, slug: str) -> str:
        return self.options[slug][1]


def read_header(table: sheets.Table, errors: Errors) -> Columns:
    """Find the columns of the header row; unknown, repeated or missing ones are errors."""
    index, options = {}, {}
    for position, heading in enumerate(table.header):
        if not heading:
            continue
        key = heading.lower()
        if key.startswith(OPTION_PREFIX):
            name = heading[len(OPTION_PREFIX) :].strip()
            slug = option_slug(name)
            if not name or len(name) > 60:
                errors.add(
                    table.header_row,
                    heading,
                    _("Name the option after “option:”, in at most 60 characters."),
                )
            elif slug in options:
                errors.add(table.header_row, heading, _("This option has two columns."))
            else:
                options[slug] = (position, name)
        elif key in COLUMNS:
            if key in index:
                errors.add(table.header_row, heading, _("This column appears twice."))
            index[key] = position
        else:
            errors.add(
                table.header_row,
                heading,
                _("Unknown column. The columns are %(columns)s and option:<name>.")
                % {"columns": ", ".join(COLUMNS)},
            )
    if "sku" not in index:
        errors.add(table.header_row, "sku", _("The file has no “sku” column."))
    return Columns(index=index, options=options)
