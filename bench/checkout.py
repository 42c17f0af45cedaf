"""The checkout benchmark: concurrent buyers placing orders through the API, then the books.

Each buyer is a thread with its own keep-alive connection and API token. It loops, until the
time is up: put a random stocked variant in its stored cart (POST /api/v1/cart/lines), then
order the cart (POST /api/v1/checkout with a fresh Idempotency-Key). Afterwards the ORM checks
that the stock taken equals the quantities ordered, that no stock went below zero and that no
order lacks lines. Meant for PostgreSQL (DATABASE_URL); SQLite works but queues its writers.
"""

import http.client
import json
import random
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import harness

CATALOGUE = 1_000
STOCKED_VARIANTS = 200
STOCK_PER_VARIANT = 1_000_000
ORDERS_PER_SECOND = 50.0
BUYER_PASSWORD = "bench-buyer-password-2025"
ADDRESS = {
    "full_name": "Bench Buyer",
    "line1": "1 Load Street",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


@dataclass
class Buyer:
    email: str
    token: str = ""
    orders: list[float] = field(default_factory=list)  # seconds per checkout request
    cycles: list[float] = field(default_factory=list)  # seconds for add-to-cart + checkout
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _percentile(values: list[float], percent: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))
    return ordered[index]


def prepare_shop(*, buyers: int) -> dict:
    """Buyers, a delivery method and plenty of stock on a set of variants; returns the setup."""
    from django.contrib.auth import get_user_model

    from mallkit.accounts import services as accounts
    from mallkit.catalog.models import Product, Variant
    from mallkit.checkout import services as checkout
    from mallkit.inventory import services as inventory

    User = get_user_model()
    emails = [f"buyer{number:03d}@bench.example.com" for number in range(buyers)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    for email in emails:
        if email not in existing:
            accounts.register(email=email, password=BUYER_PASSWORD)
    method = checkout.ensure_shipping_method(
        code="bench-standard", name="Bench standard delivery", price="5.00"
    )
    variants = list(
        Variant.objects.filter(
            product__in=Product.objects.visible().filter(status=Product.Status.ACTIVE)
        )
        .order_by("id")
        .values_list("id", "sku")[:STOCKED_VARIANTS]
    )
    inventory.set_stock_levels(
        on_hand={variant_id: STOCK_PER_VARIANT for variant_id, _sku in variants},
        reason=inventory.Reason.RECEIVED,
    )
    return {
        "emails": emails,
        "shipping_method": method.code,
        "variants": dict(variants),
    }


def books_before(variant_ids) -> dict:
    from mallkit.inventory.models import StockLevel
    from mallkit.orders.models import Order

    return {
        "allocated": dict(
            StockLevel.objects.filter(variant_id__in=variant_ids).values_list(
                "variant_id", "allocated"
            )
        ),
        "last_order_id": Order.objects.order_by("-id").values_list("id", flat=True).first() or 0,
    }


def check_books(*, variant_ids, before: dict) -> dict:
    """What the database says after the run, and whether it adds up."""
    from django.db.models import F, Sum

    from mallkit.inventory.models import StockLevel
    from mallkit.orders.models import Order, OrderLine

    new_orders = Order.objects.filter(id__gt=before["last_order_id"])
    ordered = dict(
        OrderLine.objects.filter(order__in=new_orders)
        .values("variant_id")
        .annotate(total=Sum("quantity"))
        .values_list("variant_id", "total")
    )
    allocated = dict(
        StockLevel.objects.filter(variant_id__in=variant_ids).values_list("variant_id", "allocated")
    )
    taken = {
        variant_id: allocated.get(variant_id, 0) - before["allocated"].get(variant_id, 0)
        for variant_id in variant_ids
    }
    mismatched = {
        variant_id: (taken[variant_id], ordered.get(variant_id, 0))
        for variant_id in variant_ids
        if taken[variant_id] != ordered.get(variant_id, 0)
    }
    return {
        "orders": new_orders.count(),
        "units_ordered": sum(ordered.values()),
        "units_taken": sum(taken.values()),
        "stock_taken_equals_ordered": not mismatched and not set(ordered) - set(variant_ids),
        "mismatches": {str(key): value for key, value in list(mismatched.items())[:10]},
        "no_stock_below_zero": not StockLevel.objects.filter(allocated__gt=F("on_hand")).exists(),
        "no_order_without_lines": not Order.objects.filter(lines__isnull=True).exists(),
    }


class Client:
    """One keep-alive HTTP connection to the shop, reopened when the server closes it."""

    def __init__(self, port: int, token: str = ""):
        self.port, self.token = port, token
        self.connection = None

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, data
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _shop(buyer: Buyer, *, port: int, setup: dict, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    client = Client(port, buyer.token)
    skus = sorted(setup["variants"].values())
    try:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, body = client.request(
                "POST",
                "/api/v1/cart/lines",
                {"sku": rng.choice(skus), "quantity": rng.randint(1, 3)},
            )
            if status not in {200, 201}:
                buyer.errors.append(f"cart {status}: {body[:200]!r}")
                continue
            ordering = time.perf_counter()
            status, body = client.request(
                "POST",
                "/api/v1/checkout",
                {
                    "shipping_address": ADDRESS,
                    "shipping_method": setup["shipping_method"],
                    "payment_method": "cod",
                },
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            finished = time.perf_counter()
            buyer.statuses[status] = buyer.statuses.get(status, 0) + 1
            if status == 201:
                buyer.orders.append(finished - ordering)
                buyer.cycles.append(finished - started)
            else:
                buyer.errors.append(f"checkout {status}: {body[:200]!r}")
    except OSError as error:
        buyer.errors.append(f"connection: {error}")
    finally:
        client.close()


def _tokens(port: int, buyers: list[Buyer]) -> None:
    client = Client(port)
    try:
        for buyer in buyers:
            status, body = client.request(
                "POST", "/api/v1/auth/token", {"email": buyer.email, "password": BUYER_PASSWORD}
            )
            if status != 201:
                raise RuntimeError(f"No token for {buyer.email}: {status} {body[:200]!r}")
            buyer.token = json.loads(body)["token"]
    finally:
        client.close()


def _empty_carts(port: int, buyers: list[Buyer]) -> None:
    """Start from empty carts, so every order holds exactly the line the buyer just added."""
    for buyer in buyers:
        client = Client(port, buyer.token)
        try:
            status, body = client.request("GET", "/api/v1/cart")
            lines = json.loads(body).get("lines", []) if status == 200 else []
            for line in lines:
                client.request("DELETE", f"/api/v1/cart/lines/{line['id']}")
        finally:
            client.close()


def run(config: harness.Config, console: Console, *, buyers: int) -> int:
    database_url = harness.bench_database_url(config, suffix="checkout")
    with tempfile.TemporaryDirectory(prefix="mallkit-bench-") as folder:
        folder = Path(folder)
        env = harness.environment(config, database_url=database_url, static_root=folder / "static")
        harness.setup_django(env)
        console.print(
            f"[bold]Checkout benchmark[/]: {buyers} buyers for {config.duration} s on "
            f"{config.engine}, gunicorn {config.workers} × {config.worker_class}"
            + (f" ({config.threads} threads)" if config.worker_class == "gthread" else "")
        )
        if config.engine == "sqlite":
            console.print("[yellow]SQLite queues every writer; the targets are for PostgreSQL.[/]")
        harness.prepare_catalogue(url=database_url, products=CATALOGUE, say=console.print)
        harness.collect_static()
        setup = prepare_shop(buyers=buyers)
        variant_ids = sorted(setup["variants"])
        people = [Buyer(email) for email in setup["emails"]]
        with harness.Server(
            "mallkit.wsgi:application", config=config, env=env, log_dir=folder, name="shop"
        ) as shop:
            _tokens(shop.port, people)
            _empty_carts(shop.port, people)
            before = books_before(variant_ids)
            deadline = time.monotonic() + config.duration
            started = time.monotonic()
            threads = [
                threading.Thread(
                    target=_shop,
                    args=(buyer,),
                    kwargs={"port": shop.port, "setup": setup, "deadline": deadline, "seed": n},
                    daemon=True,
                )
                for n, buyer in enumerate(people)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=config.duration + 60)
            elapsed = time.monotonic() - started
            workers_rss = [harness.rss_mb(pid) for pid in shop.worker_pids()]
            server_log = shop.log_tail()
        books = check_books(variant_ids=variant_ids, before=before)

    results = _summary(people, elapsed=elapsed, books=books, workers_rss=workers_rss)
    console.print(_table(config, results))
    errors = [error for buyer in people for error in buyer.errors]
    if errors:
        console.print(f"[yellow]{len(errors)} failed requests; the first: {errors[0]}[/]")
        if server_log:
            console.print(server_log)
    for label, passed in results["checks"].items():
        console.print(f"  {'[green]met[/]' if passed else '[red]missed[/]'}  {label}")
    if config.write:
        data = {
            "kind": "checkout",
            "engine": config.engine,
            "buyers": buyers,
            "settings": config.describe() | {"catalogue": CATALOGUE},
            "machine": harness.machine(),
            "git": harness.git(),
            **results,
            "first_errors": errors[:5],
        }
        path = harness.write_results(f"{config.engine}-checkout", data)
        console.print(f"Results written to {path.relative_to(harness.REPO)}")
    books_ok = books["stock_taken_equals_ordered"] and books["no_stock_below_zero"]
    return 0 if books_ok and books["no_order_without_lines"] else 1


def _summary(people: list[Buyer], *, elapsed: float, books: dict, workers_rss) -> dict:
    orders = [seconds * 1000 for buyer in people for seconds in buyer.orders]
    cycles = [seconds * 1000 for buyer in people for seconds in buyer.cycles]
    statuses: dict[str, int] = {}
    for buyer in people:
        for status, count in buyer.statuses.items():
            statuses[str(status)] = statuses.get(str(status), 0) + count
    per_second = len(orders) / elapsed if elapsed else 0.0
    checks = {
        f"≥ {ORDERS_PER_SECOND:.0f} orders/s": per_second >= ORDERS_PER_SECOND,
        "stock taken equals the quantities ordered": books["stock_taken_equals_ordered"],
        "no stock below zero": books["no_stock_below_zero"],
        "no order without lines": books["no_order_without_lines"],
        "every order answered 201 is in the books": books["orders"] == len(orders),
    }
    return {
        "seconds": round(elapsed, 2),
        "orders": len(orders),
        "orders_per_s": round(per_second, 1),
        "checkout_p50_ms": round(statistics.median(orders), 1) if orders else None,
        "checkout_p99_ms": round(_percentile(orders, 99), 1) if orders else None,
        "cycle_p50_ms": round(statistics.median(cycles), 1) if cycles else None,
        "cycle_p99_ms": round(_percentile(cycles, 99), 1) if cycles else None,
        "statuses": statuses,
        "failed_requests": sum(len(buyer.errors) for buyer in people),
        "books": books,
        "worker_rss_mb": workers_rss,
        "checks": checks,
    }


def _table(config: harness.Config, results: dict) -> Table:
    table = Table(title=f"Checkout · {config.engine} · {results['seconds']:.0f} s")
    for heading in ("orders", "orders/s", "checkout p50", "checkout p99", "cycle p99", "failed"):
        table.add_column(heading, justify="right")
    table.add_row(
        f"{results['orders']:,}",
        f"{results['orders_per_s']:.1f}",
        f"{results['checkout_p50_ms'] or 0:.0f} ms",
        f"{results['checkout_p99_ms'] or 0:.0f} ms",
        f"{results['cycle_p99_ms'] or 0:.0f} ms",
        str(results["failed_requests"]),
    )
    return table
