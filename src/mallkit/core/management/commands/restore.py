"""`manage.py restore FILE`: put a backup made by `manage.py backup` back, database and media."""

from django.core.management.base import BaseCommand, CommandError

from mallkit.core import backup


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup`. FILE is either file of the pair (the "
        "database dump or the media archive) or their common name; both are restored. The "
        "database's current content is replaced: stop the web and worker processes first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .pgdump, .sqlite3 or .media.tar.gz file of a backup.")
        parser.add_argument(
            "--database", default="default", help="The database alias (default: default)."
        )
        parser.add_argument(
            "--no-media", action="store_true", help="Restore the database only, not the media."
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, file, database, no_media, interactive, **options):
        try:
            found = backup.find_backup(file)
        except backup.BackupFailed as error:
            raise CommandError(error.message) from error
        parts = [str(path) for path in (found.database, found.media) if path is not None]
        if no_media:
            parts = [str(found.database)] if found.database else []
        if not parts:
            raise CommandError("Nothing to restore: the backup has no database dump.")
        if interactive:
            self.stdout.write("This replaces the shop's data with:\n  " + "\n  ".join(parts))
            if input("Type 'yes' to continue: ").strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            backup.restore_backup(backup=found, alias=database, media=not no_media)
        except backup.BackupFailed as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS("Restored " + " and ".join(parts) + "."))
