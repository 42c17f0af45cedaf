"""Import jobs: the uploaded file, its run in the background and the progress staff watch."""

import logging
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mallkit.core.errors import Conflict, ValidationFailed

from .. import sheets
from ..models import ImportJob
from .rows import MAX_FILE_BYTES, ImportReport, RowError
from .writing import import_products

logger = logging.getLogger(__name__)


def _enqueue(job: ImportJob) -> None:
    # Imported here because catalog.tasks imports this package.
    from ..tasks import run_import

    language = translation.get_language()
    transaction.on_commit(lambda: run_import.enqueue(job.pk, language))


def _staff(user):
    return user if user is not None and user.is_authenticated else None


def start_import(*, file, user=None, dry_run: bool = True) -> ImportJob:
    """Keep an uploaded CSV or XLSX file as an import job and queue its run once saved."""
    if file.size > MAX_FILE_BYTES:
        message = _("The file is larger than %(size)s MB.") % {"size": MAX_FILE_BYTES // 2**20}
        raise ValidationFailed(message, errors={"file": [message]})
    head = file.read(len(sheets.XLSX_MAGIC))
    file.seek(0)
    job = ImportJob(
        original_name=Path(file.name or "products.csv").name[:255],
        dry_run=dry_run,
        created_by=_staff(user),
    )
    # The stored name is random: the uploaded name is only ever shown, never used as a path.
    suffix = ".xlsx" if head == sheets.XLSX_MAGIC else ".csv"
    with transaction.atomic():
        job.file.save(f"{uuid.uuid4().hex}{suffix}", file, save=False)
        job.save()
        _enqueue(job)
    return job


def start_real_run(*, job: ImportJob, user=None) -> ImportJob:
    """Queue the real import of the file a dry run checked without finding errors.

    Asking again returns the real run started the first time, so a double click imports once.
    """
    if not job.dry_run or job.status != ImportJob.Status.DONE or job.errors:
        raise Conflict(
            _("Only a dry run that found no errors can be imported for real."),
            code="import_not_checked",
        )
    if not job.file:
        raise Conflict(
            _("The file of this check is no longer kept; upload it again."),
            code="import_file_gone",
        )
    with transaction.atomic():
        started = ImportJob.objects.filter(file=job.file.name, dry_run=False).first()
        if started is not None:
            return started
        real = ImportJob.objects.create(
            file=job.file.name,
            original_name=job.original_name,
            dry_run=False,
            created_by=_staff(user),
        )
        _enqueue(real)
    return real


def run_import_job(*, job_id: int) -> None:
    """Run a queued import job, keeping its progress and its report on the job."""
    # A conditional UPDATE claims the job, so it runs once even if it was queued twice.
    jobs = ImportJob.objects.filter(pk=job_id)
    if not jobs.filter(status=ImportJob.Status.PENDING).update(status=ImportJob.Status.RUNNING):
        return
    job = jobs.select_related("created_by").get()

    def progress(done: int, total: int) -> None:
        jobs.update(processed_rows=done, total_rows=total)

    try:
        with job.file.open("rb") as stored:
            data = stored.read(MAX_FILE_BYTES + 1)
        report = import_products(
            data=data,
            name=job.original_name,
            user=job.created_by,
            dry_run=job.dry_run,
            progress=progress,
        )
    except Exception:
        logger.exception("Import job %s failed", job_id)
        message = _("The import stopped with an unexpected error; nothing was saved.")
        jobs.update(
            status=ImportJob.Status.FAILED,
            finished_at=timezone.now(),
            errors=[RowError(None, "", message).as_dict()],
        )
        raise
    errors = [error.as_dict() for error in report.errors]
    if report.more_errors:
        more = _("… and %(count)s more errors.") % {"count": f"{report.more_errors:,}"}
        errors.append(RowError(None, "", more).as_dict())
    jobs.update(
        status=ImportJob.Status.DONE,
        total_rows=report.rows,
        processed_rows=report.rows,
        created_count=report.created,
        updated_count=report.updated,
        errors=errors,
        finished_at=timezone.now(),
    )


def job_report(*, job: ImportJob) -> ImportReport:
    """The report of a finished import job."""
    return ImportReport(
        dry_run=job.dry_run,
        rows=job.total_rows,
        created=job.created_count,
        updated=job.updated_count,
        errors=[RowError(**error) for error in job.errors],
    )


def recent_jobs(*, limit: int = 10) -> list[ImportJob]:
    """The latest import jobs, newest first, for the import page."""
    return list(ImportJob.objects.select_related("created_by").order_by("-created_at")[:limit])


def forget_old_import_files(*, now=None) -> int:
    """Delete the uploaded files of imports finished more than MALLKIT_IMPORT_FILE_DAYS days
    ago, keeping the jobs and their reports; returns how many files went.

    A dry run and its real run share one file: it stays while either may still read it.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.MALLKIT_IMPORT_FILE_DAYS)
    finished = {ImportJob.Status.DONE, ImportJob.Status.FAILED}
    old = set(
        ImportJob.objects.filter(status__in=finished, finished_at__lt=cutoff)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    in_use = set(
        ImportJob.objects.filter(file__in=old)
        .exclude(status__in=finished, finished_at__lt=cutoff)
        .values_list("file", flat=True)
    )
    storage = ImportJob._meta.get_field("file").storage
    forgotten = 0
    for name in sorted(old - in_use):
        # The rows first: a job never points at a file that is gone.
        ImportJob.objects.filter(file=name).update(file="")
        storage.delete(name)
        forgotten += 1
    return forgotten
