"""Background work of the catalogue (django-tasks)."""

from django.utils import translation
from django_tasks import task

from . import importing


@task()
def run_import(job_id: int, language: str | None = None) -> None:
    """Run a product import job; its messages are in the language of the person who started it."""
    with translation.override(language):
        importing.run_import_job(job_id=job_id)
