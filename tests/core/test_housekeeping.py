"""Housekeeping deletes what the shop no longer needs, and only that."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mallkit.cart.models import Cart, CartLine
from mallkit.catalog.importing.jobs import start_real_run
from mallkit.catalog.models import ImportJob
from mallkit.core import housekeeping
from mallkit.core.errors import Conflict
from mallkit.core.tasks import tidy_up_task
from mallkit.orders.tasks import expire_unpaid_orders_task
from tests.factories import CartFactory, CartLineFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def aged(model, obj, *, days, field="updated_at"):
    model.objects.filter(pk=obj.pk).update(**{field: NOW - timedelta(days=days)})


def test_anonymous_carts_untouched_for_a_month_go_with_their_lines(settings):
    settings.MALLKIT_ABANDONED_CART_DAYS = 30
    old = CartLineFactory(cart=CartFactory(user=None, token="old")).cart
    recent = CartFactory(user=None, token="recent")
    member = CartLineFactory(cart=CartFactory(user=UserFactory())).cart
    aged(Cart, old, days=31)
    aged(Cart, recent, days=29)
    aged(Cart, member, days=400)

    assert housekeeping.tidy_up(now=NOW)["abandoned_carts"] == 1

    assert set(Cart.objects.values_list("pk", flat=True)) == {recent.pk, member.pk}
    assert list(CartLine.objects.values_list("cart_id", flat=True)) == [member.pk]


def job(name, *, days, status=ImportJob.Status.DONE, dry_run=True):
    made = ImportJob.objects.create(
        file=name, original_name="products.csv", dry_run=dry_run, status=status
    )
    ImportJob.objects.filter(pk=made.pk).update(finished_at=NOW - timedelta(days=days))
    made.refresh_from_db()
    return made


def test_old_import_files_go_and_their_reports_stay(settings):
    settings.MALLKIT_IMPORT_FILE_DAYS = 30
    storage = ImportJob._meta.get_field("file").storage
    for name in ("imports/old.csv", "imports/shared.csv", "imports/new.csv"):
        storage.save(name, ContentFile(b"sku,name\n"))
    old = job("imports/old.csv", days=40)
    job("imports/shared.csv", days=40)
    # Its real run, queued from the old check, still has to read the file.
    job("imports/shared.csv", days=0, status=ImportJob.Status.PENDING, dry_run=False)
    job("imports/new.csv", days=1)

    assert housekeeping.tidy_up(now=NOW)["import_files"] == 1

    old.refresh_from_db()
    assert (old.file.name, old.status, old.original_name) == ("", "done", "products.csv")
    assert not storage.exists("imports/old.csv")
    assert storage.exists("imports/shared.csv") and storage.exists("imports/new.csv")
    with pytest.raises(Conflict, match="no longer kept"):
        start_real_run(job=old)


def test_finished_task_records_go_after_two_weeks_and_waiting_ones_stay(settings):
    settings.MALLKIT_TASK_RESULT_DAYS = 14
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    done = DBTaskResult.objects.get(pk=expire_unpaid_orders_task.enqueue().id)
    waiting = DBTaskResult.objects.get(pk=expire_unpaid_orders_task.enqueue().id)
    DBTaskResult.objects.filter(pk=done.pk).update(
        status="SUCCESSFUL", finished_at=NOW - timedelta(days=15)
    )
    DBTaskResult.objects.filter(pk=waiting.pk).update(enqueued_at=NOW - timedelta(days=60))

    assert housekeeping.tidy_up(now=NOW)["task_records"] == 1

    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [waiting.pk]


def test_expired_sessions_are_cleared(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    expired, live = SessionStore(), SessionStore()
    for store in (expired, live):
        store["cart"] = "x"
        store.create()
    Session.objects.filter(pk=expired.session_key).update(expire_date=NOW - timedelta(days=1))

    housekeeping.tidy_up(now=NOW)

    assert list(Session.objects.values_list("pk", flat=True)) == [live.session_key]


def test_the_task_runs_the_housekeeping():
    CartFactory(user=None, token="ancient")
    Cart.objects.update(updated_at=timezone.now() - timedelta(days=365))

    result = tidy_up_task.enqueue()

    assert result.return_value == {"abandoned_carts": 1, "import_files": 0, "task_records": 0}
    assert not Cart.objects.exists()
