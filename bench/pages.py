"""The page benchmark: the shop's busiest pages and the product-list API against the ceiling.

Each target is loaded by wrk for the same time with the same connections; its requests per
second are read as a share of the bare "ok" app served by the same gunicorn settings. SQL
queries per request are counted in this process with Django's test client, for the request as
served (a cache hit where the page is cached) and for a cold render just after a catalogue
change.
"""

import secrets
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from rich.console import Console
from rich.table import Table

from . import harness

TARGETS = ("home", "category", "product", "search", "api")
RATIO_TARGETS = {10_000: 0.40, 100_000: 0.30}
SEARCH_P99_MS = 100.0
WORKER_RSS_MB = 150.0
COLD_SAMPLES = 5


def ratio_target(products: int) -> float:
    """The least share of the ceiling a page must reach at this catalogue size."""
    return RATIO_TARGETS[100_000] if products >= 100_000 else RATIO_TARGETS[10_000]


def choose_paths() -> dict[str, str]:
    """Addresses of typical pages in the seeded catalogue (the same ones on every run)."""
    from django.db.models import Count

    from mallkit.catalog.models import Category, Product

    product = (
        Product.objects.visible()
        .filter(status=Product.Status.ACTIVE)
        .annotate(variant_count=Count("variants"))
        .filter(variant_count__gte=2)
        .order_by("id")
        .first()
    ) or Product.objects.visible().order_by("id").first()
    if product is None:
        raise RuntimeError("The catalogue has no visible product to benchmark.")
    shelf = (
        Category.objects.filter(is_active=True)
        .annotate(product_count=Count("products"))
        .order_by("-product_count", "id")
        .first()
    )
    word = product.name.split()[0].lower()
    return {
        "home": "/",
        "category": f"/categories/{quote(shelf.slug)}/",
        "product": f"/products/{quote(product.slug)}/",
        "search": f"/search/?q={quote(word)}",
        "api": "/api/v1/products",
    }


def count_in_process(paths: dict[str, str]) -> dict[str, dict]:
    """SQL queries per anonymous request, as served and cold, and the cold render time."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from mallkit.core.cache import bump_catalog_version

    client = Client(HTTP_HOST="127.0.0.1")
    found = {}
    for name, path in paths.items():
        timings = []
        for _ in range(COLD_SAMPLES):
            bump_catalog_version()
            with CaptureQueriesContext(connection) as cold:
                started = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        with CaptureQueriesContext(connection) as served:
            client.get(path)
        found[name] = {
            "sql_per_request": len(served),
            "sql_cold": len(cold),
            "cold_ms": round(statistics.median(timings), 1),
        }
    bump_catalog_version()
    return found


SLICES = 5


def _check(server: harness.Server, path: str, headers) -> None:
    status, _body = harness.http_get(
        server.url(path), headers=dict(header.split(": ", 1) for header in headers)
    )
    if status != 200:
        raise RuntimeError(f"{path} answered {status}:\n{server.log_tail()}")


def _measure(ceiling, shop, path: str, config: harness.Config, headers) -> tuple[dict, dict]:
    """Load the ceiling and the page in turns, a slice of the time each, and add them up.

    Other work on the machine comes and goes; taking turns puts both under the same conditions,
    so their ratio holds even when the absolute figures move.
    """
    _check(ceiling, "/", headers)
    _check(shop, path, headers)
    if config.warmup:
        harness.run_wrk(shop.url(path), config=config, duration=config.warmup, headers=headers)
    slices = max(1, min(SLICES, config.duration // 2))
    seconds = max(1, config.duration // slices)
    turns = {"ceiling": [], "page": []}
    for _ in range(slices):
        for name, server, address in (("ceiling", ceiling, "/"), ("page", shop, path)):
            turns[name].append(
                harness.run_wrk(
                    server.url(address), config=config, duration=seconds, headers=headers
                )
            )
    return _combined(turns["ceiling"]), _combined(turns["page"])


def _combined(slices: list[dict]) -> dict:
    """One figure from the slices: mean requests per second, the median p50, the worst p99."""
    return {
        "requests_per_s": round(statistics.mean(s["requests_per_s"] for s in slices), 1),
        "requests": sum(s["requests"] for s in slices),
        "non_2xx": sum(s["non_2xx"] for s in slices),
        "socket_errors": sum(s["socket_errors"] for s in slices),
        "p50_ms": statistics.median(s.get("p50_ms", 0.0) for s in slices),
        "p99_ms": max(s.get("p99_ms", 0.0) for s in slices),
        "slices_requests_per_s": [s["requests_per_s"] for s in slices],
    }


def run(config: harness.Config, console: Console) -> int:
    """Run the page benchmark; returns the process exit code (0 even when a target is missed)."""
    harness.ensure_wrk()
    database_url = harness.bench_database_url(config, suffix=str(config.products))
    # wrk plays anonymous shoppers on their second page: the CSRF cookie that their first page
    # set comes back, there is no session. (Without it every request would be a new visitor
    # and pay for a fresh CSRF secret.)
    headers = [f"Cookie: csrftoken={secrets.token_hex(16)}"]
    with tempfile.TemporaryDirectory(prefix="mallkit-bench-") as folder:
        folder = Path(folder)
        env = harness.environment(config, database_url=database_url, static_root=folder / "static")
        harness.setup_django(env)
        console.print(
            f"[bold]Page benchmark[/]: {config.products:,} products on {config.engine}, "
            f"gunicorn {config.workers} × {config.worker_class}"
            + (f" ({config.threads} threads)" if config.worker_class == "gthread" else "")
            + f", wrk -t{config.wrk_threads} -c{config.connections} -d{config.duration}s"
        )
        seeding = harness.prepare_catalogue(
            url=database_url, products=config.products, say=console.print
        )
        harness.collect_static()
        paths = choose_paths()
        in_process = count_in_process(paths)

        results, ceilings = {}, []
        with (
            harness.Server(
                "bench.ceiling:application", config=config, env=env, log_dir=folder, name="ceiling"
            ) as ceiling,
            harness.Server(
                "mallkit.wsgi:application", config=config, env=env, log_dir=folder, name="shop"
            ) as shop,
        ):
            for name, path in paths.items():
                console.print(f"Loading {name} ({path}) and the ceiling in turns ...")
                ceiling_result, page_result = _measure(ceiling, shop, path, config, headers)
                ceilings.append(ceiling_result)
                results[name] = {
                    "path": path,
                    **page_result,
                    **in_process[name],
                    "ceiling_requests_per_s": ceiling_result["requests_per_s"],
                }
            workers_rss = [harness.rss_mb(pid) for pid in shop.worker_pids()]

    for result in results.values():
        result["share_of_ceiling"] = round(
            result["requests_per_s"] / (result["ceiling_requests_per_s"] or 1.0), 3
        )
    ceiling_result = _median_ceiling(ceilings)
    checks = _checks(config, results, workers_rss)
    console.print(_table(config, ceiling_result, results, workers_rss))
    for label, passed in checks.items():
        console.print(f"  {'[green]met[/]' if passed else '[red]missed[/]'}  {label}")
    data = {
        "kind": "pages",
        "engine": config.engine,
        "products": config.products,
        "settings": config.describe()
        | {"visitors": "anonymous, with the CSRF cookie of an earlier page, no session"},
        "seeding": seeding,
        "machine": harness.machine(),
        "git": harness.git(),
        "ceiling": ceiling_result,
        "ceiling_samples": ceilings,
        "targets": results,
        "worker_rss_mb": workers_rss,
        "checks": checks,
    }
    if config.write:
        path = harness.write_results(f"{config.engine}-{config.products}", data)
        console.print(f"Results written to {path.relative_to(harness.REPO)}")
    return 0


def _median_ceiling(samples: list[dict]) -> dict:
    """The ceiling sample with the median requests per second."""
    ordered = sorted(samples, key=lambda sample: sample["requests_per_s"])
    return ordered[len(ordered) // 2]


def _checks(config, results, workers_rss) -> dict[str, bool]:
    least = ratio_target(config.products)
    checks = {
        f"every page ≥ {least:.0%} of the ceiling": all(
            result["share_of_ceiling"] >= least for result in results.values()
        ),
        "no non-2xx answers or socket errors": all(
            not result["non_2xx"] and not result["socket_errors"] for result in results.values()
        ),
        f"gunicorn workers under {WORKER_RSS_MB:.0f} MB": bool(workers_rss)
        and all(rss is not None and rss < WORKER_RSS_MB for rss in workers_rss),
    }
    if config.products >= 100_000:
        checks[f"search p99 under {SEARCH_P99_MS:.0f} ms"] = (
            results["search"].get("p99_ms", float("inf")) < SEARCH_P99_MS
        )
    return checks


def _table(config, ceiling, results, workers_rss) -> Table:
    table = Table(
        title=f"{config.products:,} products · {config.engine} · "
        f"workers {', '.join(f'{rss:.0f} MB' for rss in workers_rss if rss)}"
    )
    for heading in (
        "target",
        "req/s",
        "of ceiling",
        "p50 ms",
        "p99 ms",
        "SQL/req",
        "SQL cold",
        "cold ms",
        "non-2xx",
    ):
        table.add_column(heading, justify="left" if heading == "target" else "right")
    table.add_row(
        "ceiling (ok)",
        f"{ceiling['requests_per_s']:,.0f}",
        "100%",
        f"{ceiling.get('p50_ms', 0):.2f}",
        f"{ceiling.get('p99_ms', 0):.2f}",
        "–",
        "–",
        "–",
        str(ceiling["non_2xx"]),
    )
    least = ratio_target(config.products)
    for name, result in results.items():
        share = result["share_of_ceiling"]
        colour = "green" if share >= least else "red"
        table.add_row(
            name,
            f"{result['requests_per_s']:,.0f}",
            f"[{colour}]{share:.0%}[/]",
            f"{result.get('p50_ms', 0):.2f}",
            f"{result.get('p99_ms', 0):.2f}",
            str(result["sql_per_request"]),
            str(result["sql_cold"]),
            f"{result['cold_ms']:.1f}",
            str(result["non_2xx"] + result["socket_errors"]),
        )
    return table
