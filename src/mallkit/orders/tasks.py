"""Background work for orders (django-tasks)."""

from django_tasks import task

from . import services


@task()
def expire_unpaid_orders_task() -> int:
    """Expire unpaid online orders past their time and give their stock back; returns how many."""
    return services.expire_unpaid_orders()
