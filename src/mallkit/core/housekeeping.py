"""Housekeeping: what a shop accumulates and nobody needs, deleted on a schedule.

`manage.py run_worker` queues core.tasks.tidy_up_task every hour (`--housekeeping-interval`).
Each part belongs to its app; this only runs them and reports the counts:

- anonymous carts nobody touched for MALLKIT_ABANDONED_CART_DAYS days (cart.services);
- uploaded files of imports finished MALLKIT_IMPORT_FILE_DAYS days ago (the jobs and their
  reports stay);
- expired sessions, where the session engine keeps them (the database engine does);
- records of background tasks finished MALLKIT_TASK_RESULT_DAYS days ago.

Orders, their events and payments are the shop's books and are never deleted here.
"""

import logging
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mallkit.cart.services import delete_abandoned_carts
from mallkit.catalog.importing.jobs import forget_old_import_files

logger = logging.getLogger(__name__)


def delete_finished_task_records(*, now=None) -> int:
    """Delete the records of background tasks finished (done or failed) long enough ago."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.MALLKIT_TASK_RESULT_DAYS)
    deleted, _counts = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def clear_expired_sessions() -> None:
    # The database engine deletes its expired rows; the cache engine's expire by themselves.
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def tidy_up(*, now=None) -> dict[str, int]:
    """Run every part of the housekeeping; returns what each deleted."""
    now = now or timezone.now()
    done = {
        "abandoned_carts": delete_abandoned_carts(now=now),
        "import_files": forget_old_import_files(now=now),
        "task_records": delete_finished_task_records(now=now),
    }
    clear_expired_sessions()
    logger.info("Housekeeping done", extra={"fields": done})
    return done
