"""Background work of the shop as a whole (django-tasks)."""

from django_tasks import task

from . import housekeeping


@task()
def tidy_up_task() -> dict[str, int]:
    """Delete what the shop no longer needs (core.housekeeping); returns the counts."""
    return housekeeping.tidy_up()
