"""`manage.py seed_demo`: load the demo shop once, or add generated products for benchmarks."""

import argparse
import time

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mallkit.core.errors import DomainError
from mallkit.demo import services


def product_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= services.MAX_BENCH_PRODUCTS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 1 to {services.MAX_BENCH_PRODUCTS:,}, got {text!r}"
        )
    return count


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
        "Load the demo shop: 15 categories, 216 products with variants, stock and generated "
        "pictures, an owner and a customer account. It loads once; running it again changes "
        "nothing. With --products N, add N generated products for benchmarks instead, on top of "
        "what the shop holds; they share a pool of 48 generated pictures (none with "
        "--no-pictures)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--products",
            type=product_count,
            metavar="N",
            help="Add N generated products for benchmarks (new slugs and SKUs on every run).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=services.DEFAULT_SEED,
            help=f"Seed of the generator (default {services.DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--no-pictures", action="store_true", help="Leave the products without pictures."
        )

    def handle(self, *args, products, seed, no_pictures, verbosity, **options):
        console = Console(
            file=_Stream(self.stdout), quiet=verbosity == 0, highlight=False, width=100
        )
        started = time.monotonic()
        try:
            with _progress(console) as report:
                if products is not None:
                    loaded = services.add_bench_products(
                        count=products, seed=seed, pictures=not no_pictures, on_progress=report
                    )
                else:
                    loaded = services.load_demo_shop(
                        seed=seed, pictures=not no_pictures, on_progress=report
                    )
        except DomainError as error:
            details = "; ".join(
                message for messages in error.errors.values() for message in messages
            )
            raise CommandError(f"{error.message} {details}".strip()) from error
        seconds = time.monotonic() - started
        if loaded is None:
            console.print("Demo shop already loaded; nothing changed.")
        elif products is not None:
            console.print(
                f"Added {loaded.products:,} products with {loaded.variants:,} variants "
                f"(run {loaded.run}) in {seconds:.1f} s."
            )
        else:
            console.print(
                f"Demo shop loaded in {seconds:.1f} s: {loaded.categories} categories, "
                f"{loaded.products} products, {loaded.variants} variants, "
                f"{loaded.pictures} pictures."
            )
            console.print(_accounts_table(loaded.accounts))


class _progress:
    """A rich progress bar that shows up with the first report (none when nothing is loaded)."""

    def __init__(self, console):
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = None

    def __enter__(self):
        return self.report

    def __exit__(self, *exc_info):
        if self.task is not None:
            self.bar.stop()

    def report(self, done: int, total: int):
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task("Products", total=total)
        self.bar.update(self.task, completed=done)


def _accounts_table(accounts) -> Table:
    table = Table(title="Demo accounts")
    table.add_column("Who")
    table.add_column("E-mail")
    table.add_column("Password")
    table.add_column("Back office")
    for account in accounts:
        table.add_row(
            account.role, account.email, account.password, "yes" if account.is_staff else "no"
        )
    return table
