"""`manage.py run_worker`: the background worker, plus the periodic expiry of unpaid orders.

It is django-tasks-db's `db_worker` (same options, same loop) with one addition: every
`--expiry-interval` seconds it queues orders.tasks.expire_unpaid_orders_task, so unpaid online
orders give their stock back without a separate scheduler. With `--batch` it queues the expiry
once and runs everything queued, then exits (handy from cron).
"""

import logging
import os
import threading

from django.db import close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from mallkit.orders.tasks import expire_unpaid_orders_task

logger = logging.getLogger(__name__)


class ExpiryClock(threading.Thread):
    """Queue the expiry task now and then every `interval` seconds, until the process ends."""

    def __init__(self, interval: float):
        super().__init__(name="mallkit-expiry-clock", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                expire_unpaid_orders_task.enqueue()
            except Exception:  # a database hiccup must not stop the clock
                logger.exception("Could not queue the expiry of unpaid orders.")
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)


class Command(db_worker.Command):
    help = "Run the background worker and expire unpaid orders periodically."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--expiry-interval",
            type=db_worker.valid_interval,
            default=60,
            help="Seconds between runs of the expiry of unpaid orders (default: %(default)r).",
        )

    def handle(self, *args, expiry_interval: float, **options):
        if options["batch"]:
            expire_unpaid_orders_task.enqueue()
        # Under the autoreloader the parent process only watches files; the clock belongs in
        # the child that runs the worker, or it would be started twice.
        elif not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            ExpiryClock(expiry_interval).start()
        return super().handle(*args, **options)
