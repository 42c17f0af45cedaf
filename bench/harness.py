"""What the benchmarks share: the database, gunicorn servers, wrk, and the results files.

The shop runs the production way: gunicorn with DEBUG off, static files collected, and the load
comes from wrk in a process of its own. Everything started here is stopped on the way out,
whatever happens, and every run is bounded in time.
"""

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
WRK_TIMEOUT = "10s"


@dataclass
class Config:
    """One run's settings; every field has an environment variable (see __main__.py)."""

    products: int = 10_000
    duration: int = 10
    warmup: int = 2
    connections: int = 32
    wrk_threads: int = 2
    workers: int = 2
    worker_class: str = "sync"
    threads: int = 4
    database_url: str = ""
    redis_url: str = ""
    write: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def engine(self) -> str:
        return "postgresql" if self.database_url.startswith("postgres") else "sqlite"

    def gunicorn_args(self) -> list[str]:
        args = ["--workers", str(self.workers), "--worker-class", self.worker_class]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        return args

    def describe(self) -> dict:
        return {
            "products": self.products,
            "duration_s": self.duration,
            "warmup_s": self.warmup,
            "wrk": {"threads": self.wrk_threads, "connections": self.connections},
            "gunicorn": {
                "workers": self.workers,
                "worker_class": self.worker_class,
                "threads": self.threads if self.worker_class == "gthread" else 1,
            },
            "cache": "redis" if self.redis_url else "local memory",
            **self.extra,
        }


# The database --------------------------------------------------------------------------------


def bench_database_url(config: Config, *, suffix: str) -> str:
    """The benchmark's own database: a SQLite file under var/, or `<name>_<suffix>` on the
    PostgreSQL server of DATABASE_URL, so a run never touches the database it was pointed at."""
    if config.engine == "sqlite":
        return f"sqlite:///var/bench-{suffix}.sqlite3"
    parts = urlsplit(config.database_url)
    name = (parts.path.lstrip("/") or "bench").split("?")[0]
    return urlunsplit(parts._replace(path=f"/{name}_{suffix}"))


def _postgres_admin(url: str):
    """A connection to the server's maintenance database, for CREATE and DROP DATABASE."""
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def create_database(url: str) -> None:
    """Create the PostgreSQL database of `url` when missing (SQLite makes its file itself)."""
    if not url.startswith("postgres"):
        (REPO / "var").mkdir(exist_ok=True)
        return
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _postgres_admin(url) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    """Remove the benchmark's database so it can be seeded afresh at another size."""
    from django.db import connections

    connections.close_all()
    if url.startswith("postgres"):
        from psycopg import sql

        name = urlsplit(url).path.lstrip("/")
        with _postgres_admin(url) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        create_database(url)
        return
    path = REPO / url.removeprefix("sqlite:///")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def environment(config: Config, *, database_url: str, static_root: Path) -> dict[str, str]:
    """The environment of the shop under test: production settings on loopback."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "MEDIA_ROOT": str(REPO / "var" / "bench-media"),
        "BENCH_STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
        # Every simulated shopper comes from 127.0.0.1; the per-address limits on logins and
        # checkouts are meant for real clients, one per address.
        "MALLKIT_RATE_LIMIT_LOGIN": "1000000/60",
        "MALLKIT_RATE_LIMIT_CHECKOUT": "1000000/60",
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
    }
    env.pop("REDIS_URL", None)
    if config.redis_url:
        env["REDIS_URL"] = config.redis_url
    return env


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process with the shop's environment (for seeding and probes)."""
    os.environ.update(env)
    for path in (str(REPO / "src"), str(REPO)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import django

    django.setup()


def prepare_catalogue(*, url: str, products: int, say) -> dict:
    """Migrate, then reuse the database when it holds `products` products or seed it afresh."""
    from django.core.management import call_command

    create_database(url)
    call_command("migrate", interactive=False, verbosity=0)
    from mallkit.catalog.models import Product

    found = Product.objects.count()
    if found == products:
        say(f"Reusing the seeded database ({products:,} products).")
        _analyze()
        return {"seeded": False, "seconds": 0.0}
    if found:
        say(f"The database holds {found:,} products, not {products:,}: seeding it afresh.")
        drop_database(url)
        call_command("migrate", interactive=False, verbosity=0)
    started = time.monotonic()
    call_command("seed_demo", "--products", str(products), verbosity=1)
    seconds = time.monotonic() - started
    _analyze()
    say(f"Seeded {products:,} products in {seconds:.0f} s.")
    return {"seeded": True, "seconds": round(seconds, 1)}


def _analyze() -> None:
    """Fresh planner statistics, as after any bulk load (SQLite has none until ANALYZE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def collect_static() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


# Servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url: str, *, timeout: float = 30.0, headers=None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Server:
    """gunicorn serving `app` on a free loopback port, in its own process group."""

    def __init__(self, app: str, *, config: Config, env: dict, log_dir: Path, name: str):
        self.app, self.config, self.env, self.name = app, config, env, name
        self.port = free_port()
        self.log = log_dir / f"{name}.log"
        self.process = None

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            self.app,
            *self.config.gunicorn_args(),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(REPO),
            "--log-level",
            "warning",
            "--backlog",
            "2048",
            "--worker-tmp-dir",
            "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(),
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def _wait_until_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.name}) exited:\n{self.log_tail()}")
            try:
                status, _body = http_get(self.url("/"), timeout=5)
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn ({self.name}) did not answer in {timeout:.0f} s")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        return children_of(self.process.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; the parent id follows it.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


# wrk -----------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """The path of wrk, installed from Debian's package when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("Installing wrk (apt-get install -y wrk) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, timeout=600, check=False).returncode != 0:  # noqa: S603
        subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=600, check=True)  # noqa: S603
        subprocess.run(install, env=env, timeout=600, check=True)  # noqa: S603
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and could not be installed")
    return found


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _millis(value: str, unit: str) -> float:
    return round(float(value) * UNITS[unit], 3)


def parse_wrk(output: str) -> dict:
    """Requests per second, latency percentiles, errors and non-2xx answers from wrk's report."""
    result = {"requests_per_s": 0.0, "requests": 0, "non_2xx": 0, "socket_errors": 0}
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result["requests_per_s"] = round(float(match.group(1)), 1)
    if match := re.search(r"(\d+) requests in", output):
        result["requests"] = int(match.group(1))
    for percent in ("50", "75", "90", "99"):
        if match := re.search(rf"^\s+{percent}(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\b", output, re.M):
            result[f"p{percent}_ms"] = _millis(*match.groups())
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result["non_2xx"] = int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        result["socket_errors"] = sum(int(number) for number in match.groups())
    return result


def run_wrk(url: str, *, config: Config, duration: int, headers=()) -> dict:
    command = [
        ensure_wrk(),
        f"-t{config.wrk_threads}",
        f"-c{config.connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        WRK_TIMEOUT,
    ]
    for header in headers:
        command += ["-H", header]
    completed = subprocess.run(  # noqa: S603 - our own command line
        [*command, url], capture_output=True, text=True, timeout=duration + 60, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed: {completed.stderr or completed.stdout}")
    return parse_wrk(completed.stdout)


# Results -------------------------------------------------------------------------------------


def _first_line(command: list[str]) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 - fixed command lines
            command, capture_output=True, text=True, timeout=20, check=False, cwd=REPO
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (completed.stdout or completed.stderr).strip().splitlines()
    return lines[0] if lines else ""


def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
            break
    return {
        # Other work on the machine during the run shows here; the ratios to the ceiling are
        # only comparable between runs on a quiet machine.
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": metadata.version("django"),
        "gunicorn": metadata.version("gunicorn"),
        "wrk": _first_line([shutil.which("wrk") or "wrk", "--version"]),
    }


def git() -> dict:
    commit = _first_line(["git", "rev-parse", "HEAD"])
    changes = subprocess.run(
        ["git", "status", "--porcelain"],  # noqa: S607 - read-only
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
        cwd=REPO,
    ).stdout
    return {"commit": commit, "uncommitted_changes": bool(changes.strip())}


def write_results(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{date.today().isoformat()}-{name}.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    os.replace(temporary, path)
    return path
