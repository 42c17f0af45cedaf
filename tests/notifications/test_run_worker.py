"""The expiry of unpaid orders as a task, and the worker command that runs it every minute
(and the housekeeping every hour)."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mallkit.inventory.models import StockLevel
from mallkit.notifications.management.commands import run_worker
from mallkit.orders.models import Order
from mallkit.orders.tasks import expire_unpaid_orders_task
from tests.payments.helpers import place_order


def overdue_order():
    order, _ = place_order(payment_method="sandbox")
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    return order


@pytest.mark.django_db
def test_the_task_expires_overdue_orders_and_releases_their_stock():
    order = overdue_order()
    place_order(payment_method="sandbox")  # not due yet

    result = expire_unpaid_orders_task.enqueue()

    assert result.return_value == 1
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert StockLevel.objects.get(variant=order.lines.get().variant).allocated == 0


@pytest.mark.django_db(transaction=True)
def test_run_worker_in_batch_mode_queues_the_expiry_and_runs_the_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    order = overdue_order()

    call_command("run_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)

    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    ran = DBTaskResult.objects.get(task_path="mallkit.orders.tasks.expire_unpaid_orders_task")
    assert (ran.status, ran.return_value) == ("SUCCESSFUL", 1)
    tidied = DBTaskResult.objects.get(task_path="mallkit.core.tasks.tidy_up_task")
    assert tidied.status == "SUCCESSFUL"
    assert set(tidied.return_value) == {"abandoned_carts", "import_files", "task_records"}


def test_the_clock_queues_its_task_again_and_again():
    calls = []
    twice = threading.Event()

    class Recorder:
        name = "recorder"

        def enqueue(self):
            calls.append(timezone.now())
            if len(calls) >= 2:
                twice.set()

    clock = run_worker.Clock(Recorder(), interval=0.01)
    clock.start()
    try:
        assert twice.wait(5)
    finally:
        clock.stopped.set()
        clock.join(5)
    assert len(calls) >= 2


def test_the_clock_survives_a_failed_enqueue():
    attempts = threading.Event()
    seen = []

    class Broken:
        name = "broken"

        def enqueue(self):
            seen.append(1)
            if len(seen) >= 2:
                attempts.set()
            raise RuntimeError("database is locked")

    clock = run_worker.Clock(Broken(), interval=0.01)
    clock.start()
    try:
        assert attempts.wait(5)
    finally:
        clock.stopped.set()
        clock.join(5)
