"""`manage.py backup`: dump the database and archive the media under one timestamped name."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mallkit.core import backup


class Command(BaseCommand):
    help = (
        "Write a timestamped backup: a database dump (pg_dump on PostgreSQL, SQLite's online "
        "backup API on SQLite) and an archive of the media files, while the shop keeps running."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir",
            default=None,
            help="Where the files go (default: the MALLKIT_BACKUP_DIR setting).",
        )
        parser.add_argument(
            "--database", default="default", help="The database alias (default: default)."
        )
        parser.add_argument(
            "--no-media", action="store_true", help="Dump the database only, without the media."
        )

    def handle(self, *args, output_dir, database, no_media, **options):
        directory = output_dir or settings.MALLKIT_BACKUP_DIR
        try:
            written = backup.create_backup(directory=directory, alias=database, media=not no_media)
        except backup.BackupFailed as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"database: {written.database}")
        if written.media is not None:
            self.stdout.write(f"media: {written.media}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written; restore it with: make restore FILE={written.database}"
            )
        )
