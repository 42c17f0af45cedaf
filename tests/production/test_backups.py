"""make backup / make restore: a shop with orders is backed up, restored into an empty database
(and an empty media folder) by another process, and every order, line, payment and picture is
found again. SQLite always; PostgreSQL when the suite runs on it."""

import io
import os
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from mallkit.core import backup
from tests.payments.helpers import place_order
from tests.storefront.factories import make_product

from .helpers import environment, manage, run_python, shop_snapshot

pytestmark = pytest.mark.django_db(transaction=True)

SNAPSHOT = (
    "from tests.production.helpers import shop_snapshot\nprint(json.dumps(shop_snapshot()))\n"
)


@pytest.fixture
def shop(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MALLKIT_SANDBOX_WEBHOOK_URL = ""
    place_order(price="124.00", payment_method="cod", start=False)
    place_order(price="18.50", quantity=3, payment_method="sandbox")
    place_order(price="9.99", quantity=2, payment_method="bank_transfer")
    make_product("Desk Lamp", sku="LAMP-1", pictures=2)
    snapshot = shop_snapshot()
    assert len(snapshot["orders"]) == 3
    assert len(snapshot["lines"]) == 3
    assert len(snapshot["payments"]) == 3
    return snapshot


def media_files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def run_backup(directory: Path) -> backup.Backup:
    call_command("backup", output_dir=str(directory), stdout=io.StringIO())
    [stem] = {path.name.split(".")[0] for path in directory.iterdir()}
    return backup.find_backup(directory / stem)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the suite runs on PostgreSQL")
def test_sqlite_backup_restores_into_an_empty_database(shop, settings, tmp_path):
    backups = tmp_path / "backups"
    written = run_backup(backups)

    assert written.database.name.endswith(".sqlite3")
    assert written.media.name.endswith(".media.tar.gz")
    assert written.database.name.startswith(f"mallkit-{timezone.localdate():%Y%m%d}-")

    fresh = tmp_path / "fresh"
    env = environment(
        DATABASE_URL=f"sqlite:///{fresh / 'shop.sqlite3'}", MEDIA_ROOT=fresh / "media"
    )
    manage("restore", str(written.database), "--no-input", env=env)

    assert run_python(SNAPSHOT, env=env) == shop
    originals = media_files(Path(settings.MEDIA_ROOT))
    assert originals  # the two pictures (and their renditions)
    assert media_files(fresh / "media") == originals


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs the suite on PostgreSQL")
def test_postgresql_backup_restores_into_an_empty_database(shop, settings, tmp_path):
    import psycopg

    written = run_backup(tmp_path / "backups")
    assert written.database.name.endswith(".pgdump")

    database = connection.settings_dict
    server = {
        key: value
        for key, value in {
            "host": database["HOST"],
            "port": database["PORT"],
            "user": database["USER"],
            "password": database["PASSWORD"],
        }.items()
        if value
    }
    empty = f"mallkit_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{empty}"')
    try:
        user = database["USER"] or ""
        password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        address = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
        env = environment(
            DATABASE_URL=f"postgres://{user}{password}@{address}/{empty}",
            MEDIA_ROOT=tmp_path / "fresh-media",
        )
        manage("restore", str(written.media), "--no-input", env=env)

        assert run_python(SNAPSHOT, env=env) == shop
        assert media_files(tmp_path / "fresh-media") == media_files(Path(settings.MEDIA_ROOT))
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')


def test_two_backups_in_one_second_get_two_names(tmp_path):
    moment = datetime(2026, 11, 26, 18, 30, 0, tzinfo=UTC)

    first = backup.create_backup(directory=tmp_path, now=moment)
    second = backup.create_backup(directory=tmp_path, now=moment)

    assert first.database.name.startswith("mallkit-20261126-183000.")
    assert second.database.name.startswith("mallkit-20261126-183000-2.")
    assert first.media.is_file() and second.media.is_file()


def test_restore_asks_before_replacing_the_data(tmp_path):
    written = backup.create_backup(directory=tmp_path)
    env = environment(DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}")

    result = manage("restore", str(written.database), env=env, input="no\n", check=False)

    assert result.returncode != 0
    assert "Restore cancelled" in result.stderr
    assert not (tmp_path / "other.sqlite3").exists()


def test_restore_of_a_missing_backup_fails_clearly(tmp_path):
    with pytest.raises(CommandError, match="No backup found"):
        call_command("restore", str(tmp_path / "mallkit-nothing.sqlite3"), interactive=False)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the suite runs on PostgreSQL")
def test_a_damaged_sqlite_backup_is_refused_and_changes_nothing(tmp_path):
    damaged = tmp_path / "mallkit-20260101-000000.sqlite3"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84 + b"garbage" * 1000)
    target = tmp_path / "shop.sqlite3"
    with sqlite3.connect(target) as database:
        database.execute("CREATE TABLE kept (id integer)")
    env = environment(DATABASE_URL=f"sqlite:///{target}")

    result = manage("restore", str(damaged), "--no-input", env=env, check=False)

    assert result.returncode != 0
    with sqlite3.connect(target) as database:
        assert database.execute("SELECT name FROM sqlite_master").fetchall() == [("kept",)]


def test_a_backup_of_the_other_kind_is_refused(tmp_path):
    other = ".pgdump" if connection.vendor == "sqlite" else ".sqlite3"
    dump = tmp_path / f"mallkit-20260101-000000{other}"
    dump.write_bytes(b"not for this database")

    with pytest.raises(CommandError, match="is not a"):
        call_command("restore", str(dump), interactive=False)


def test_media_archives_refuse_unsafe_names(tmp_path):
    import tarfile

    archive = tmp_path / "mallkit-20260101-000000.media.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))

    with pytest.raises(backup.BackupFailed, match="unsafe file name"):
        backup.restore_media(path=archive)
    assert not (tmp_path / "outside.txt").exists()
