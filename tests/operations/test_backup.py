"""The restore drill: a backup of realistic data restored into a fresh database and storage equals
the original table by table and file by file; an altered, wrongly keyed or misdirected restore is
refused before anything is written. Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pyrage
import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection
from pyrage import x25519

from idx.applications.models import Application, Attachment
from idx.common.models import Municipality
from idx.demo.loader import load_applications
from idx.operations.backup import (
    MANIFEST,
    BackupError,
    backup_create,
    backup_restore,
    database_fingerprints,
    sqlite_fingerprints,
    storage_files,
)

POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def keys() -> tuple[x25519.Identity, x25519.Recipient]:
    identity = x25519.Identity.generate()
    return identity, identity.to_public()


@pytest.fixture
def original_storage(tmp_path, settings) -> FileSystemStorage:
    """Uploads of the demo applications go to a folder on disk (MEDIA_ROOT as in production)."""
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    from django.core.files.storage import default_storage

    return default_storage  # type: ignore[return-value]


@pytest.fixture
def realistic_data(iga, watarai, original_storage) -> dict[str, int]:
    """Both demo municipalities with their staff, residents and procedures, and 伊賀市's
    applications in every status with their attachments."""
    load_applications(iga, 12)
    load_applications(watarai, 3)
    return {"applications": Application.objects.count(), "attachments": Attachment.objects.count()}


def _target_database(tmp_path: Path) -> contextlib.AbstractContextManager[dict[str, Any]]:
    @contextlib.contextmanager
    def made() -> Any:
        if not POSTGRES:
            yield {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "restored.sqlite3")}
            return
        import psycopg

        settings_dict = dict(connection.settings_dict)
        name = f"idx_restore_{uuid.uuid4().hex[:12]}"
        admin = {
            "dbname": "postgres",
            "user": settings_dict.get("USER") or None,
            "password": settings_dict.get("PASSWORD") or None,
            "host": settings_dict.get("HOST") or None,
            "port": str(settings_dict.get("PORT") or "") or None,
        }
        with psycopg.connect(**admin, autocommit=True) as server:
            server.execute(f'CREATE DATABASE "{name}"')
        try:
            yield {**settings_dict, "NAME": name}
        finally:
            with psycopg.connect(**admin, autocommit=True) as server:
                server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return made()


def _sqlite_as_django_reads_it(path: str) -> sqlite3.Connection:
    """A connection that converts values as Django's own does (dates, decimals...)."""
    return sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)


def _fingerprints(database: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The original (None: the test database, read through Django's connection) or a restored one."""
    if POSTGRES:
        return database_fingerprints(database or dict(connection.settings_dict))
    if database is None:
        connection.ensure_connection()
        return sqlite_fingerprints(connection.connection)
    with contextlib.closing(_sqlite_as_django_reads_it(database["NAME"])) as restored:
        return sqlite_fingerprints(restored)


def _all_rows(database: dict[str, Any] | None) -> dict[str, list[str]]:
    """Every row of every table, as text, sorted: a comparison that does not rely on the hashes."""
    if POSTGRES:
        import psycopg

        settings_dict = database or dict(connection.settings_dict)
        raw = psycopg.connect(
            dbname=settings_dict["NAME"],
            user=settings_dict.get("USER") or None,
            host=settings_dict.get("HOST") or None,
            port=str(settings_dict.get("PORT") or "") or None,
        )
        with raw:
            tables = [
                row[0]
                for row in raw.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            ]
            return {
                table: sorted(repr(row) for row in raw.execute(f'SELECT * FROM "{table}"').fetchall())  # noqa: S608
                for table in tables
            }
    if database is None:
        connection.ensure_connection()
        raw_sqlite = connection.connection
    else:
        raw_sqlite = _sqlite_as_django_reads_it(database["NAME"])
    tables = [
        row[0]
        for row in raw_sqlite.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    ]
    return {
        table: sorted(repr(row) for row in raw_sqlite.execute(f'SELECT * FROM "{table}"').fetchall())  # noqa: S608
        for table in tables
    }


def _refused(archive: Path, identity: x25519.Identity, tmp_path: Path, match: str) -> None:
    storage = FileSystemStorage(location=str(tmp_path / f"media-{uuid.uuid4().hex[:6]}"))
    folder = tmp_path / uuid.uuid4().hex[:6]
    folder.mkdir()
    with _target_database(folder) as target:
        with pytest.raises(BackupError, match=match):
            backup_restore(archive=archive, identities=[identity], database=target, storage=storage)
        # Nothing was written: the database and the storage are still empty.
        assert database_fingerprints(target) == {}
    assert list(storage_files(storage)) == []


@pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only
def test_a_restored_backup_equals_the_original_and_an_altered_one_is_refused(
    realistic_data, original_storage, keys, tmp_path
):
    identity, recipient = keys
    assert realistic_data["applications"] >= 15
    archive = tmp_path / "backup.age"

    summary = backup_create(output=archive, recipients=[recipient], storage=original_storage)

    original_tables = _fingerprints(None)
    original_rows = _all_rows(None)
    original_files = {name: original_storage.open(name).read() for name in storage_files(original_storage)}
    assert summary.files == len(original_files) >= realistic_data["attachments"] > 0
    assert summary.tables == len(original_tables) > 50
    assert original_tables["applications_application"]["rows"] == realistic_data["applications"]
    # Encrypted at rest: neither a resident's e-mail address nor the manifest is readable in it.
    raw = archive.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1")
    assert b"resident1@iga.example.jp" not in raw and b"manifest" not in raw

    restored_storage = FileSystemStorage(location=str(tmp_path / "restored-media"))
    with _target_database(tmp_path) as target:
        restored = backup_restore(
            archive=archive, identities=[identity], database=target, storage=restored_storage
        )
        assert _fingerprints(target) == original_tables
        assert _all_rows(target) == original_rows
        assert restored.rows == summary.rows and restored.tables == summary.tables

        # A second restore into the same, now full, database is refused.
        with pytest.raises(BackupError, match="not empty"):
            backup_restore(
                archive=archive,
                identities=[identity],
                database=target,
                storage=FileSystemStorage(location=str(tmp_path / "third")),
            )
    assert {
        name: restored_storage.open(name).read() for name in storage_files(restored_storage)
    } == original_files
    assert restored.files == len(original_files)

    # One byte changed in the encrypted file.
    tampered = tmp_path / "tampered.age"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    _refused(tampered, identity, tmp_path, "damaged or was altered")

    # The municipality's key is not the one given.
    _refused(archive, x25519.Identity.generate(), tmp_path, "does not open this backup")

    # Re-encrypted by someone holding the public recipient, one stored file swapped: the
    # manifest's checksum no longer matches.
    plain = io.BytesIO(pyrage.decrypt(archive.read_bytes(), [identity]))
    swapped = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(swapped, "w") as copy:
        names = source.namelist()
        victim = next(name for name in names if name.startswith("files/"))
        for name in names:
            copy.writestr(name, b"not the original" if name == victim else source.read(name))
    assert MANIFEST in names
    forged = tmp_path / "forged.age"
    forged.write_bytes(pyrage.encrypt(swapped.getvalue(), [recipient]))
    _refused(forged, identity, tmp_path, "does not match its checksum")


@pytest.mark.django_db
def test_the_commands_make_a_key_and_a_backup_and_never_overwrite(iga, original_storage, tmp_path, capsys):
    key_file = tmp_path / "backup.key"
    call_command("backup_keygen", str(key_file))
    recipient = capsys.readouterr().out.strip().removeprefix("IDX_BACKUP_RECIPIENTS=")
    assert recipient.startswith("age1") and oct(key_file.stat().st_mode & 0o777) == "0o600"

    archive = tmp_path / "idx.age"
    call_command("backup", str(archive), "--recipient", recipient)
    out = capsys.readouterr().out
    assert "Backup written" in out and "SHA-256" in out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(archive), "--recipient", recipient)
    with pytest.raises(CommandError, match="not an age recipient"):
        call_command("backup", str(tmp_path / "other.age"), "--recipient", "age1nothing")
    assert not (tmp_path / "other.age").exists() and not (tmp_path / "other.age.partial").exists()
    assert Municipality.objects.count() == 2
