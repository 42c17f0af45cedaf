"""Backups of the shop: a database dump and an archive of the uploaded media, and restoring them.

A backup is a pair of files with one timestamped name, written side by side:

    mallkit-20261126-183000.pgdump           PostgreSQL, pg_dump's custom format
    mallkit-20261126-183000.sqlite3          SQLite, a copy made with SQLite's online backup API
    mallkit-20261126-183000.media.tar.gz     every file of the media storage (local disk or S3)

Both database copies are consistent snapshots taken while the shop keeps running. Media are
read and written through Django's storage API, so the same archive moves a shop between local
disk and S3-compatible storage. Restoring takes either file of a pair (or their common stem)
and restores both.
"""

import io
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections
from django.utils import timezone

from .cache import bump_catalog_version
from .errors import DomainError

PREFIX = "mallkit-"
DATABASE_SUFFIXES = {"postgresql": ".pgdump", "sqlite": ".sqlite3"}
MEDIA_SUFFIX = ".media.tar.gz"


class BackupFailed(DomainError):
    """The backup or restore could not be completed."""

    code = "backup_failed"


@dataclass(frozen=True)
class Backup:
    database: Path | None
    media: Path | None


# Naming -------------------------------------------------------------------------------------


def _stem(directory: Path, now: datetime) -> Path:
    base = f"{PREFIX}{now:%Y%m%d-%H%M%S}"
    stem, number = directory / base, 1
    # Two backups in the same second get -2, -3…: a backup never overwrites another.
    while any(stem.with_name(stem.name + suffix).exists() for suffix in _all_suffixes()):
        number += 1
        stem = directory / f"{base}-{number}"
    return stem


def _all_suffixes() -> list[str]:
    return [*DATABASE_SUFFIXES.values(), MEDIA_SUFFIX]


def find_backup(path) -> Backup:
    """The files of the backup that `path` (either file of the pair, or their stem) names."""
    path = Path(path)
    stem = str(path)
    for suffix in _all_suffixes():
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    database = next(
        (
            Path(stem + suffix)
            for suffix in DATABASE_SUFFIXES.values()
            if Path(stem + suffix).is_file()
        ),
        None,
    )
    media = Path(stem + MEDIA_SUFFIX)
    backup = Backup(database=database, media=media if media.is_file() else None)
    if backup.database is None and backup.media is None:
        raise BackupFailed(f"No backup found at {path}.")
    return backup


# Databases ----------------------------------------------------------------------------------


def _vendor(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in DATABASE_SUFFIXES:
        raise BackupFailed(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _postgres_environment(settings_dict: dict) -> dict:
    """libpq's variables for the connection: the password never shows on a command line."""
    environment = {**os.environ, "PGDATABASE": settings_dict["NAME"]}
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGSSLMODE": (settings_dict.get("OPTIONS") or {}).get("sslmode"),
    }
    environment.update({key: str(value) for key, value in values.items() if value})
    return environment


def _run(command: list[str], environment: dict) -> None:
    if shutil.which(command[0]) is None:
        raise BackupFailed(
            f"{command[0]} is not installed; install PostgreSQL's client programs "
            "(apt-get install postgresql-client) in the version of the server or newer."
        )
    result = subprocess.run(  # noqa: S603 - fixed program, arguments from our own settings
        command, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupFailed(f"{command[0]} failed: {result.stderr.strip()}")


def dump_database(*, path: Path, alias: str = "default") -> Path:
    """Write a consistent copy of the database to `path` while the shop keeps running."""
    settings_dict = connections[alias].settings_dict
    if _vendor(alias) == "postgresql":
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(path)],
            _postgres_environment(settings_dict),
        )
        return path
    source = sqlite3.connect(settings_dict["NAME"])
    target = sqlite3.connect(path)
    try:
        # The online backup API copies a snapshot page by page; writers are not blocked.
        source.backup(target)
    finally:
        target.close()
        source.close()
    return path


def restore_database(*, path: Path, alias: str = "default") -> None:
    """Replace the database's content with the dump at `path` (made by `dump_database`)."""
    vendor = _vendor(alias)
    if path.suffix != DATABASE_SUFFIXES[vendor]:
        raise BackupFailed(
            f"{path.name} is not a {vendor} backup; restore it into a database of its kind."
        )
    connection = connections[alias]
    settings_dict = connection.settings_dict
    connection.close()
    if vendor == "postgresql":
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                settings_dict["NAME"],
                str(path),
            ],
            _postgres_environment(settings_dict),
        )
        return
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupFailed(f"{path.name} is damaged; it was not restored.")
        Path(settings_dict["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(settings_dict["NAME"])
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


# Media --------------------------------------------------------------------------------------


def _walk(storage, directory: str = ""):
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # no upload yet: the media folder does not exist
        return
    for name in sorted(files):
        yield str(PurePosixPath(directory, name)) if directory else name
    for name in sorted(directories):
        yield from _walk(storage, str(PurePosixPath(directory, name)) if directory else name)


def archive_media(*, path: Path, storage=default_storage) -> int:
    """Write every file of the media storage into a .tar.gz at `path`; returns how many."""
    count = 0
    with tarfile.open(path, "w:gz") as archive:
        for name in _walk(storage):
            with storage.open(name, "rb") as source:
                content = source.read()
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(content))
            count += 1
    return count


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts


def restore_media(*, path: Path, storage=default_storage) -> int:
    """Put every file of a media archive back into the storage; returns how many."""
    count = 0
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if not member.isfile():
                continue
            if not _safe_name(member.name):
                raise BackupFailed(f"{path.name} holds an unsafe file name: {member.name!r}.")
            source = archive.extractfile(member)
            if storage.exists(member.name):
                storage.delete(member.name)
            saved = storage.save(member.name, File(source, name=member.name))
            if saved != member.name:
                raise BackupFailed(f"{member.name} was stored as {saved}.")
            count += 1
    return count


# Both ---------------------------------------------------------------------------------------


def create_backup(
    *, directory, alias: str = "default", media: bool = True, now: datetime | None = None
) -> Backup:
    """Dump the database and archive the media into `directory`, under one timestamped name."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = _stem(directory, timezone.localtime(now or timezone.now()))
    database = stem.with_name(stem.name + DATABASE_SUFFIXES[_vendor(alias)])
    archive = stem.with_name(stem.name + MEDIA_SUFFIX) if media else None
    written = [database]
    try:
        dump_database(path=database, alias=alias)
        if archive is not None:
            written.append(archive)
            archive_media(path=archive)
    except BaseException:
        # Half a backup would look like a whole one to whoever restores it later.
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return Backup(database=database, media=archive)


def restore_backup(*, backup: Backup, alias: str = "default", media: bool = True) -> None:
    """Restore a backup's database and, unless `media` is False, its media files."""
    if backup.database is not None:
        restore_database(path=backup.database, alias=alias)
    if media and backup.media is not None:
        restore_media(path=backup.media)
    # Pages cached from the data before the restore must not be served after it.
    bump_catalog_version()
