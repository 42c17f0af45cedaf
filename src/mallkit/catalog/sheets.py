"""Spreadsheet files (CSV and XLSX) for the product import and export.

Only the file format lives here: telling a CSV from an XLSX file by its content, turning cells into
text and back, and the formula guard. What the columns mean is up to catalog.importing.

Formula guard: a text cell that starts with = + - @ (or a tab or carriage return) would be run as
a formula by a spreadsheet, so it is written with an apostrophe in front and shows as text.
Reading removes that apostrophe again, so an export read back gives the very same text. A value
that itself starts with an apostrophe before one of those characters gets one more apostrophe, so
the rule can always be undone. Numbers are written as plain decimal strings ("19.90"), which never
start with those characters.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITERS = (",", ";", "\t")
XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
# An XLSX file is a zip archive; a small one that unpacks to gigabytes is an attack, not a sheet.
MAX_UNPACKED_XLSX_BYTES = 512 * 1024 * 1024


class SheetError(Exception):
    """The file cannot be read as a table; the message says why, for the person who sent it."""

    def __init__(self, message: str, *, row: int | None = None):
        super().__init__(message)
        self.message = message
        self.row = row


@dataclass
class Table:
    """The cells of a file as text: the header row and the data rows, each with its number.

    Row numbers are the ones a spreadsheet shows (the first row of the file is row 1). Rows
    whose cells are all empty are left out; every data row is as long as the header.
    """

    header: list[str]
    header_row: int
    rows: list[tuple[int, list[str]]]


def needs_guard(text: str) -> bool:
    """Whether a spreadsheet could take `text` for a formula (see the module docstring)."""
    if text.startswith(FORMULA_STARTS):
        return True
    return text.startswith("'") and needs_guard(text[1:])


def guard(text: str) -> str:
    """Return `text` as a spreadsheet shows it as text: with an apostrophe where it needs one."""
    return f"'{text}" if needs_guard(text) else text


def unguard(text: str) -> str:
    """Undo `guard`: drop the apostrophe put before a formula character."""
    if text.startswith("'") and needs_guard(text[1:]):
        return text[1:]
    return text


def cell_text(value) -> str:
    """A cell read from a file as trimmed text; numbers keep the digits the person typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float):
        # repr gives the shortest digits that read back as the same float, so a price typed
        # as 19.9 comes back as "19.9", never as 19.899999999999999.
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, datetime | date | time):
        text = value.isoformat()
    elif isinstance(value, Decimal | int):
        text = str(value)
    else:
        text = str(value)
    return unguard(text.strip())


def read_table(data: bytes, *, name: str = "", max_rows: int) -> Table:
    """Read a CSV or XLSX file, told apart by its content, into a Table.

    Raises SheetError for an empty file, a file of another kind, text that is not UTF-8, a
    damaged workbook or more than `max_rows` data rows.
    """
    if not data.strip():
        raise SheetError(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        rows = _xlsx_rows(data)
    elif data.startswith(OLE2_MAGIC):
        raise SheetError(
            _("Old Excel files (.xls) cannot be read. Save the sheet as .xlsx or CSV UTF-8.")
        )
    elif name.lower().endswith((".xlsx", ".xlsm")):
        raise SheetError(_("This file is not a valid XLSX workbook."))
    else:
        rows = _csv_rows(data)
    return _table(rows, max_rows=max_rows)


def _table(rows: Iterable[tuple[int, list]], *, max_rows: int) -> Table:
    header, header_row, found = None, 0, []
    for number, values in rows:
        cells = [cell_text(value) for value in values]
        if not any(cells):
            continue
        if header is None:
            header, header_row = cells, number
            continue
        if len(found) >= max_rows:
            raise SheetError(
                _("The file has more than %(max)s rows. Split it into smaller files.")
                % {"max": f"{max_rows:,}"},
                row=number,
            )
        # Short rows are padded and cells beyond the header are dropped: spreadsheets leave out
        # empty trailing cells, and columns without a heading carry no data for the import.
        cells = (cells + [""] * len(header))[: len(header)]
        found.append((number, cells))
    if header is None:
        raise SheetError(_("The file is empty."))
    return Table(header=header, header_row=header_row, rows=found)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if b"\x00" in data:
        raise SheetError(_("This is not a CSV or XLSX file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError(
            _("The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”.")
        ) from None
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in many languages save CSV with semicolons; the header line tells which.
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            yield number, row
    except csv.Error as error:
        raise SheetError(
            _("Row %(row)s could not be read: %(error)s") % {"row": number + 1, "error": error},
            row=number + 1,
        ) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    not_a_workbook = _("This file is not a valid XLSX workbook.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SheetError(not_a_workbook) from None
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise SheetError(not_a_workbook)
    if sum(member.file_size for member in members) > MAX_UNPACKED_XLSX_BYTES:
        raise SheetError(_("The workbook is too large to read."))
    try:
        # data_only: a formula cell gives the value the spreadsheet last computed for it.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error for damaged files
        raise SheetError(not_a_workbook) from None
    try:
        if not workbook.worksheets:
            raise SheetError(_("The workbook has no sheet."))
        sheet = workbook.worksheets[0]
        try:
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        except Exception:  # damaged sheet XML surfaces only while the rows are read
            raise SheetError(not_a_workbook) from None
    finally:
        workbook.close()


class _Echo:
    """A file-like object whose write returns the text, for streaming csv.writer output."""

    def write(self, value):
        return value


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text of `rows`, line by line, for streaming.

    Starts with a byte-order mark so Excel opens it as UTF-8; cells are guarded.
    """
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([guard(cell) for cell in row])


def write_xlsx(rows: Iterable[list[str]], out, *, title: str = "Sheet") -> None:
    """Write `rows` as a one-sheet XLSX workbook to the binary file `out`.

    Every cell is a text cell, so amounts keep their exact digits; cells are guarded.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    bold = Font(bold=True)
    for number, row in enumerate(rows):
        cells = []
        for value in row:
            # XML cannot hold most control characters; openpyxl refuses them outright.
            cell = WriteOnlyCell(sheet, value=guard(ILLEGAL_CHARACTERS_RE.sub("", value)))
            if number == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    workbook.save(out)
