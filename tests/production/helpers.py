"""Running the project in other processes, as production runs it: manage.py and gunicorn."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# Variables of the test run that must not leak into a process configured by the test itself.
CONFIGURATION = {
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "AWS_STORAGE_BUCKET_NAME",
    "MALLKIT_PAYMENT_GATEWAYS",
    "DEBUG",
    "LOG_FORMAT",
    "BEHIND_PROXY",
    "DJANGO_SETTINGS_MODULE",
}


def environment(**variables) -> dict:
    """This process's environment without the shop's configuration, plus `variables`."""
    env = {key: value for key, value in os.environ.items() if key not in CONFIGURATION}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    env.update({key: str(value) for key, value in variables.items()})
    return env


def manage(*args, env: dict, timeout: float = 180, check: bool = True, input=None):
    """Run manage.py with the given environment; returns the finished process."""
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def run_python(code: str, *, env: dict, timeout: float = 180) -> dict:
    """Run `code` with Django set up; it prints one JSON object last, which is returned."""
    script = "import django, json\ndjango.setup()\n" + code
    result = subprocess.run(
        [PYTHON, "-c", script],
        env={"DJANGO_SETTINGS_MODULE": "mallkit.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"script failed ({result.returncode}):\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shop_snapshot() -> dict:
    """Every order, line and payment of the current database, as comparable plain values."""
    from mallkit.orders.models import Order, OrderLine
    from mallkit.payments.models import Payment

    return {
        "orders": [
            [order.number, str(order.total), order.currency, order.status, order.email]
            for order in Order.objects.order_by("number")
        ],
        "lines": [
            [line.order.number, line.sku, line.product_name, line.quantity, str(line.unit_price)]
            for line in OrderLine.objects.select_related("order").order_by("order__number", "sku")
        ],
        "payments": [
            [payment.order.number, payment.reference, payment.gateway, str(payment.amount)]
            + [payment.status]
            for payment in Payment.objects.select_related("order").order_by("reference")
        ],
    }
