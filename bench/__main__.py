"""`python -m bench` (or `make bench`): load benchmarks of the shop on this machine.

    python -m bench                      # pages: 10,000 products on SQLite
    BENCH_PRODUCTS=100000 python -m bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python -m bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python -m bench checkout

Every option has an environment variable, so `make bench` takes them as well. Results go to
bench/results/<date>-<engine>-<size>.json (<date>-<engine>-checkout.json for checkout).
"""

import argparse
import os
import sys

from rich.console import Console

from .harness import Config


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def parse(argv: list[str]) -> tuple[str, Config, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("kind", nargs="?", choices=["pages", "checkout"], default="pages")
    parser.add_argument(
        "--products",
        type=int,
        default=_env_int("BENCH_PRODUCTS", 10_000),
        help="catalogue size (BENCH_PRODUCTS, default 10000)",
    )
    parser.add_argument(
        "--duration",
        type=int,
        default=None,
        help="seconds of load per target (BENCH_DURATION; 10 for pages, 20 for checkout)",
    )
    parser.add_argument(
        "--warmup", type=int, default=_env_int("BENCH_WARMUP", 2), help="seconds (BENCH_WARMUP)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=_env_int("BENCH_CONNECTIONS", 32),
        help="wrk connections (BENCH_CONNECTIONS, default 32)",
    )
    parser.add_argument(
        "--wrk-threads", type=int, default=_env_int("BENCH_WRK_THREADS", 2), help="wrk threads"
    )
    parser.add_argument(
        "--workers", type=int, default=_env_int("BENCH_WORKERS", 2), help="gunicorn workers"
    )
    parser.add_argument(
        "--worker-class",
        choices=["sync", "gthread"],
        default=os.environ.get("BENCH_WORKER_CLASS") or None,
        help="gunicorn worker class (BENCH_WORKER_CLASS, default sync as in deploy/)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=_env_int("BENCH_THREADS", 4),
        help="threads per gthread worker (BENCH_THREADS, default 4)",
    )
    parser.add_argument(
        "--buyers",
        type=int,
        default=_env_int("BENCH_BUYERS", 32),
        help="checkout: concurrent buyers (BENCH_BUYERS, default 32)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the figures without writing results"
    )
    args = parser.parse_args(argv)
    default_duration = 20 if args.kind == "checkout" else 10
    # Sync workers, as deploy/gunicorn.conf.py runs the shop. Measured here: cached pages are
    # CPU work and go fastest without thread switching; so does a checkout now that it spends
    # little time waiting on the database (2 sync workers 40 orders/s, 2 x 2 threads 36,
    # 2 x 4 threads 33, 2 x 8 threads 28).
    worker_class = args.worker_class or "sync"
    duration = args.duration or _env_int("BENCH_DURATION", default_duration)
    for name, value, low, high in (
        ("--products", args.products, 1, 1_000_000),
        ("--duration", duration, 1, 60),
        ("--warmup", args.warmup, 0, 30),
        ("--connections", args.connections, 1, 1024),
        ("--buyers", args.buyers, 1, 256),
    ):
        if not low <= value <= high:
            parser.error(f"{name} must be from {low} to {high}")
    config = Config(
        products=args.products,
        duration=duration,
        warmup=args.warmup,
        connections=args.connections,
        wrk_threads=args.wrk_threads,
        workers=args.workers,
        worker_class=worker_class,
        threads=args.threads,
        database_url=os.environ.get("DATABASE_URL", ""),
        redis_url=os.environ.get("REDIS_URL", ""),
        write=not args.no_write,
    )
    return args.kind, config, args


def main(argv: list[str]) -> int:
    kind, config, args = parse(argv)
    # Wide enough for the results table when the output goes to a file or a pipe.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    if kind == "checkout":
        from . import checkout

        return checkout.run(config, console, buyers=args.buyers)
    from . import pages

    return pages.run(config, console)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
