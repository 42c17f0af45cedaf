"""`manage.py import_products FILE [--dry-run]`: the back office's product import, from a shell.

Handy for files too big to upload. The columns are described in mallkit.catalog.importing.
"""

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mallkit.catalog import importing

SHOWN_ERRORS = 50


class _Stream:
    """Hands rich's output to the command's stdout without the newline it adds to each write."""

    def __init__(self, output):
        self.output = output

    def write(self, text):
        self.output.write(text, ending="")

    def flush(self):
        self.output.flush()

    def isatty(self):
        return self.output.isatty()


class Command(BaseCommand):
    help = (
        "Import products and variants from a CSV or XLSX file, one row per variant keyed by SKU "
        "(the back office's import format). Every row is checked first; if any row is wrong, "
        "nothing is saved. With --dry-run, only check and report."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV or XLSX file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; save nothing."
        )
        parser.add_argument(
            "--user",
            metavar="EMAIL",
            help="The staff member the price and stock history names (nobody by default).",
        )

    def handle(self, *args, file, dry_run, user, verbosity, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > importing.MAX_FILE_BYTES:
            raise CommandError(f"{path} is larger than {importing.MAX_FILE_BYTES // 2**20} MB.")
        staff = None
        if user:
            staff = get_user_model().objects.filter(email__iexact=user, is_staff=True).first()
            if staff is None:
                raise CommandError(f"No staff member has the e-mail address {user}.")

        console = Console(file=_Stream(self.stdout), quiet=verbosity == 0, highlight=False)
        bar = Progress(
            TextColumn("Checking rows"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        task = bar.add_task("check", total=None)
        started = time.monotonic()
        with bar:
            report = importing.import_products(
                data=path.read_bytes(),
                name=path.name,
                user=staff,
                dry_run=dry_run,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        seconds = time.monotonic() - started

        if not report.ok:
            shown = report.errors[:SHOWN_ERRORS]
            table = Table(title=f"Errors in {path.name}")
            table.add_column("Row", justify="right")
            table.add_column("Column")
            table.add_column("Problem")
            for error in shown:
                row = "—" if error.row is None else str(error.row)
                table.add_row(row, error.column, error.message)
            console.print(table)
            count = len(report.errors) + report.more_errors
            if count > len(shown):
                console.print(f"… and {count - len(shown):,} more.")
            raise CommandError(f"{count:,} errors in {report.rows:,} rows; nothing was saved.")
        if dry_run:
            console.print(
                f"Dry run of {report.rows:,} rows in {seconds:.1f} s: {report.created:,} would be "
                f"created, {report.updated:,} updated, {report.unchanged:,} unchanged. "
                "Nothing was saved."
            )
        else:
            console.print(
                f"Imported {report.rows:,} rows in {seconds:.1f} s: {report.created:,} created, "
                f"{report.updated:,} updated, {report.unchanged:,} unchanged."
            )
