"""Product import and export as CSV or XLSX: one row per variant, keyed by SKU.

The package: `rows` (limits, report, cell rules, header), `checking` (every row checked against
the catalogue), `writing` (the changes worked out, then written), `jobs` (background runs and
their progress), `exporting` (the same format out). Telling CSV from XLSX, reading and writing
them and the formula guard are catalog.sheets.

The file format
---------------
The first row names the columns, in any order and any case. Only ``sku`` is required; a column
left out leaves that value of every product and variant as it is.

====================  =========================================================================
sku                   the key: a known SKU updates its variant, a new SKU creates a variant
product_slug          groups rows into products. Required for a new SKU: a slug no product has
                      yet creates a product. For a known SKU it may stay empty; if given it must
                      be the slug of the SKU's product (variants do not move between products)
product_name          the product's name; required when a row creates a product
description           HTML, sanitised like every product description
status                draft, active, coming_soon or archived (new products without one: draft)
categories            category slugs separated by ``|``; every slug must exist
price                 a decimal such as 19.90, with no more places than the shop's currency;
                      required for a new SKU
compare_at_price      the former price, shown struck through
weight                kilograms, up to three decimal places
stock                 whole number of at least 0: the units on hand. The difference to the
                      current stock goes to the stock ledger ("initial" for a new variant,
                      "correction" for a known one)
low_stock_threshold   whole number of at least 0
option:<Name>         one column per option (``option:Colour``, ``option:Size``…): the value
====================  =========================================================================

Empty cells: product_name, description, status and categories describe the product and repeat on
each of its rows. An empty cell there means "as on the product's other rows"; rows of one product
giving different values are an error, and when no row gives a value the product keeps its own.
An empty price, stock or low_stock_threshold leaves the value as it is; an empty
compare_at_price, weight or option cell clears that value of the variant.

A file has at most 100,000 rows (MAX_ROWS) and 50 MB; CSV files are UTF-8 (Excel: "CSV UTF-8")
with commas or semicolons. Numbers use a decimal point and no thousands separators. Text cells
follow the formula guard of catalog.sheets: an apostrophe before = + - @ is dropped on import
and added on export.

Checking and writing
--------------------
Every row is checked before anything is written. Errors name the row as the spreadsheet numbers
it (the header is row 1) and the column. A dry run checks and counts only. A real run writes
nothing when any row is wrong; otherwise it writes everything in one transaction with a few
statements per batch of rows. Price changes go to the price history and stock changes to the
stock ledger, both with the importing user. Importing an unchanged export changes nothing.
"""

from .exporting import export_rows, template_rows
from .jobs import job_report, recent_jobs, run_import_job, start_import, start_real_run
from .rows import (
    CATEGORY_SEPARATOR,
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    OPTION_PREFIX,
    ImportReport,
    RowError,
)
from .writing import import_products

__all__ = [
    "CATEGORY_SEPARATOR",
    "COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "OPTION_PREFIX",
    "ImportReport",
    "RowError",
    "export_rows",
    "import_products",
    "job_report",
    "recent_jobs",
    "run_import_job",
    "start_import",
    "start_real_run",
    "template_rows",
]
