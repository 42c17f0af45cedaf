"""make backup / make restore: a shop with orders is backed up, restored into an empty database
(and an empty media folder) by another process, and every order, line, payment and picture is
found again. On SQLite and on PostgreSQL in every run of the suite, whatever database the suite
itself runs on: each shop is made by its own process in a database of its own."""

import io
import os
import sqlite3
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from mallkit.core import backup

from .helpers import environment, manage, run_python

pytestmark = pytest.mark.django_db(transaction=True)

SHOP = """
from tests.payments.helpers import place_order
from tests.production.helpers import shop_snapshot
from tests.storefront.factories import make_product

place_order(price="124.00", payment_method="cod", start=False)
place_order(price="18.50", quantity=3, payment_method="sandbox")
place_order(price="9.99", quantity=2, payment_method="bank_transfer")
make_product("Desk Lamp", sku="LAMP-1", pictures=2)
print(json.dumps(shop_snapshot()))
"""
SNAPSHOT = (
    "from tests.production.helpers import shop_snapshot\nprint(json.dumps(shop_snapshot()))\n"
)
POSTGRES_URL = os.environ.get("CI_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"


def media_files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def make_shop(*, database_url: str, media: Path) -> tuple[dict, dict]:
    """A migrated shop with three orders and a product with pictures; its environment and
    its snapshot."""
    env = environment(DATABASE_URL=database_url, MEDIA_ROOT=media, MALLKIT_SANDBOX_WEBHOOK_URL="")
    manage("migrate", "--no-input", env=env)
    shop = run_python(SHOP, env=env)
    assert (len(shop["orders"]), len(shop["lines"]), len(shop["payments"])) == (3, 3, 3)
    return env, shop


def backed_up(env: dict, directory: Path) -> backup.Backup:
    manage("backup", "--output-dir", str(directory), env=env)
    [stem] = {path.name.split(".")[0] for path in directory.iterdir()}
    return backup.find_backup(directory / stem)


@contextmanager
def postgres_databases(count: int):
    """Fresh databases on the PostgreSQL server (skipped only where there is none, never in
    CI); dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    parts = urlsplit(POSTGRES_URL)
    server = {
        key: value
        for key, value in {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or 5432,
            "user": parts.username or "postgres",
            "password": parts.password,
        }.items()
        if value
    }
    try:
        admin = psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **server)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable in CI at {POSTGRES_URL}: {error}")
        pytest.skip(f"no PostgreSQL server at {POSTGRES_URL} ({error})")
    names = [f"mallkit_backup_{os.getpid()}_{uuid.uuid4().hex[:6]}" for _ in range(count)]
    credentials = f"{server['user']}" + (f":{server['password']}" if "password" in server else "")
    try:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        yield [
            f"postgres://{credentials}@{server['host']}:{server['port']}/{name}" for name in names
        ]
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_sqlite_backup_restores_into_an_empty_database(tmp_path):
    env, shop = make_shop(
        database_url=f"sqlite:///{tmp_path / 'shop.sqlite3'}", media=tmp_path / "media"
    )
    written = backed_up(env, tmp_path / "backups")

    assert written.database.name.endswith(".sqlite3")
    assert written.media.name.endswith(".media.tar.gz")
    assert written.database.name.startswith(f"mallkit-{timezone.localdate():%Y%m%d}-")

    fresh = tmp_path / "fresh"
    restored = environment(
        DATABASE_URL=f"sqlite:///{fresh / 'shop.sqlite3'}", MEDIA_ROOT=fresh / "media"
    )
    manage("restore", str(written.database), "--no-input", env=restored)

    assert run_python(SNAPSHOT, env=restored) == shop
    originals = media_files(tmp_path / "media")
    assert originals  # the two pictures (and their renditions)
    assert media_files(fresh / "media") == originals


def test_postgresql_backup_restores_into_an_empty_database(tmp_path):
    with postgres_databases(2) as (shop_url, empty_url):
        env, shop = make_shop(database_url=shop_url, media=tmp_path / "media")
        written = backed_up(env, tmp_path / "backups")
        assert written.database.name.endswith(".pgdump")

        restored = environment(DATABASE_URL=empty_url, MEDIA_ROOT=tmp_path / "fresh-media")
        manage("restore", str(written.media), "--no-input", env=restored)

        assert run_python(SNAPSHOT, env=restored) == shop
        assert media_files(tmp_path / "fresh-media") == media_files(tmp_path / "media")


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
