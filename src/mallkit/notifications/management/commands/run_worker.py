"""`manage.py run_worker`: the background worker, plus the shop's periodic work.

It is django-tasks-db's `db_worker` (same options, same loop) with two clocks: every
`--expiry-interval` seconds it queues orders.tasks.expire_unpaid_orders_task, so unpaid online
orders give their stock back, and every `--housekeeping-interval` seconds
core.tasks.tidy_up_task (old anonymous carts, import files, sessions and task records), without
a separate scheduler. With `--batch` it queues both once and runs everything queued, then exits
(handy from cron).
"""

import logging
import os
import threading

from django.db import close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from mallkit.core.tasks import tidy_up_task
from mallkit.orders.tasks import expire_unpaid_orders_task

logger = logging.getLogger(__name__)


class Clock(threading.Thread):
    """Queue a task now and then every `interval` seconds, until the process ends."""

    def __init__(self, task, interval: float):
        super().__init__(name=f"mallkit-clock-{task.name}", daemon=True)
        self.task, self.interval = task, interval
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                self.task.enqueue()
            except Exception:  # a database hiccup must not stop the clock
                logger.exception("Could not queue %s.", self.task.name)
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)


class Command(db_worker.Command):
    help = "Run the background worker, expire unpaid orders and tidy up periodically."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--expiry-interval",
            type=db_worker.valid_interval,
            default=60,
            help="Seconds between runs of the expiry of unpaid orders (default: %(default)r).",
        )
        parser.add_argument(
            "--housekeeping-interval",
            type=db_worker.valid_interval,
            default=3600,
            help="Seconds between runs of the housekeeping (default: %(default)r).",
        )

    def handle(self, *args, expiry_interval: float, housekeeping_interval: float, **options):
        if options["batch"]:
            expire_unpaid_orders_task.enqueue()
            tidy_up_task.enqueue()
        # Under the autoreloader the parent process only watches files; the clocks belong in
        # the child that runs the worker, or they would be started twice.
        elif not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            Clock(expire_unpaid_orders_task, expiry_interval).start()
            Clock(tidy_up_task, housekeeping_interval).start()
        return super().handle(*args, **options)
