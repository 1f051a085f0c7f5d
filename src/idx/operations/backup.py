"""Backups that restore (docs/operations.md; docs/decisions/0028-backups-and-observability.md).

A backup is one file encrypted with age (https://age-encryption.org/v1) to the municipality's
recipients (public keys: making a backup needs no secret). Its plaintext is a ZIP stream of

- ``database.pgdump`` (pg_dump's custom format, PostgreSQL) or ``database.sqlite3`` (SQLite's
  online backup API), taken from one consistent snapshot;
- ``files/<name>``: every file in the default storage (MEDIA_ROOT or the object storage);
- ``keys/...``: the public keys the platform keeps (sealing of 個人番号, Web Push, the signing
  trust anchors, the backup's own recipients); never a private key;
- ``manifest.json``, last: the SHA-256 and size of every member, and the row count and a content
  hash of every table, read in the same snapshot as the dump.

Everything streams: the dump goes from pg_dump through the ZIP writer and the encryption to the
output file without being held in memory or written anywhere in the clear. A restore decrypts into
a private temporary folder (age authenticates every 64 KiB chunk, so a changed byte stops it),
checks every member against the manifest before anything is written, loads an empty database and
an empty storage, and compares every table with the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import dj_database_url
import pyrage
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage
from pyrage import x25519

FORMAT = "idx-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.pgdump"
SQLITE_DUMP = "database.sqlite3"
CHUNK = 1024 * 1024
_ROW_BATCH = 2000
_MODULUS = 2**256


class BackupError(Exception):
    """A backup or restore that cannot go on, said in one sentence for the operator."""


def _engine(database: dict[str, Any]) -> str:
    engine = str(database.get("ENGINE", ""))
    if "postgresql" in engine:
        return "postgresql"
    if "sqlite3" in engine:
        return "sqlite"
    raise BackupError(f"backups support PostgreSQL and SQLite, not {engine or 'an unknown database'}")


def database_from_url(url: str) -> dict[str, Any]:
    """Django's settings of the database a URL names (the target of a restore)."""
    try:
        return dict(dj_database_url.parse(url))
    except ValueError as exc:
        raise BackupError(f"not a database URL: {exc}") from None


# -- keys ---------------------------------------------------------------------------------------


def recipients_parse(texts: list[str]) -> list[x25519.Recipient]:
    """age recipients (``age1...``): the municipality's public keys the archive is encrypted to."""
    recipients = []
    for text in texts:
        try:
            recipients.append(x25519.Recipient.from_str(text.strip()))
        except Exception:  # noqa: BLE001 - pyrage raises its own error types
            raise BackupError(f"not an age recipient (age1...): {text.strip()[:12]}...") from None
    if not recipients:
        raise BackupError(
            "no recipient: set IDX_BACKUP_RECIPIENTS or give --recipient (idx backup_keygen makes one)"
        )
    return recipients


def identities_read(paths: list[Path]) -> list[x25519.Identity]:
    """age identities (``AGE-SECRET-KEY-1...``) from key files, as ``age-keygen`` writes them."""
    identities = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise BackupError(f"cannot read the key file {path}: {exc.strerror}") from None
        for line in lines:
            if line.strip().startswith("AGE-SECRET-KEY-"):
                try:
                    identities.append(x25519.Identity.from_str(line.strip()))
                except Exception:  # noqa: BLE001 - pyrage raises its own error types
                    raise BackupError(f"the key file {path} holds a damaged key") from None
    if not identities:
        raise BackupError("no key (AGE-SECRET-KEY-1...) in the key files given")
    return identities


def keypair_generate() -> tuple[str, str]:
    """A new (recipient, identity) pair: the recipient goes to every server, the identity offline."""
    identity = x25519.Identity.generate()
    return str(identity.to_public()), str(identity)


def _public_keys() -> dict[str, bytes]:
    """The public material the platform keeps, by archive name. Never a private key."""
    from idx.common.my_number import MyNumberKeyMissing, key_id, public_key
    from idx.identity.models import SigningTrustAnchor

    keys: dict[str, bytes] = {}
    try:
        sealing = public_key()
    except (MyNumberKeyMissing, ValueError):
        sealing = None
    if sealing is not None:
        import base64

        text = f"{base64.b64encode(bytes(sealing)).decode()}\nkey id {key_id(sealing)}\n"
        keys["keys/my-number-sealing.public"] = text.encode()
    if settings.IDX_VAPID_PUBLIC_KEY:
        keys["keys/web-push-vapid.public"] = f"{settings.IDX_VAPID_PUBLIC_KEY}\n".encode()
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    for anchor in SigningTrustAnchor.objects.select_related("municipality").order_by("pk"):
        try:
            pem = x509.load_der_x509_certificate(bytes(anchor.certificate_der)).public_bytes(Encoding.PEM)
        except ValueError:
            continue
        keys[f"keys/signing-trust-anchors/{anchor.municipality.code}-{anchor.pk}.pem"] = pem
    return keys


# -- table fingerprints -------------------------------------------------------------------------


def _row_digest(row: tuple[Any, ...]) -> int:
    values = tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)
    return int.from_bytes(hashlib.sha256(repr(values).encode("utf-8", "surrogatepass")).digest(), "big")


def _batches(cursor: Any) -> Iterator[list[tuple[Any, ...]]]:
    while batch := cursor.fetchmany(_ROW_BATCH):
        yield batch


def _fingerprint_rows(batches: Iterator[list[tuple[Any, ...]]]) -> dict[str, Any]:
    """Rows and an order-free content hash (the sum of the rows' SHA-256 modulo 2^256)."""
    rows = 0
    total = 0
    for batch in batches:
        for row in batch:
            rows += 1
            total = (total + _row_digest(row)) % _MODULUS
    return {"rows": rows, "sha256": f"{total:064x}"}


def _sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    cursor = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [row[0] for row in cursor.fetchall()]


def sqlite_fingerprints(connection: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every table of an SQLite database: its rows and content hash."""
    result: dict[str, dict[str, Any]] = {}
    for table in _sqlite_tables(connection):
        quoted = '"' + table.replace('"', '""') + '"'
        cursor = connection.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - a quoted table name
        result[table] = _fingerprint_rows(_batches(cursor))
    return result


def _pg_connect(database: dict[str, Any]) -> Any:
    import psycopg

    options = database.get("OPTIONS") or {}
    return psycopg.connect(
        dbname=database.get("NAME") or None,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=str(database.get("PORT") or "") or None,
        **{
            key: value
            for key, value in options.items()
            if key in ("sslmode", "sslrootcert", "sslcert", "sslkey")
        },
    )


def _pg_tables(connection: Any) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname, tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
        )
        return [(schema, table) for schema, table in cursor.fetchall()]


def pg_fingerprints(connection: Any) -> dict[str, dict[str, Any]]:
    """Every table of a PostgreSQL database, read in the connection's current transaction."""
    from psycopg import sql

    result: dict[str, dict[str, Any]] = {}
    for schema, table in _pg_tables(connection):
        name = table if schema == "public" else f"{schema}.{table}"
        with connection.cursor(name=f"idx_fingerprint_{len(result)}") as cursor:
            cursor.execute(
                sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
            )
            result[name] = _fingerprint_rows(_batches(cursor))
    return result


def database_fingerprints(database: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every table of the database these Django settings name (row count, content hash)."""
    if _engine(database) == "postgresql":
        connection = _pg_connect(database)
        try:
            return pg_fingerprints(connection)
        finally:
            connection.close()
    with contextlib.closing(sqlite3.connect(str(database["NAME"]))) as connection:
        return sqlite_fingerprints(connection)


def _pg_environment(database: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for pg_dump and pg_restore: the password never on a command line."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    values = {
        "PGDATABASE": database.get("NAME"),
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
        "PGHOST": database.get("HOST"),
        "PGPORT": database.get("PORT"),
        "PGSSLMODE": (database.get("OPTIONS") or {}).get("sslmode"),
    }
    env.update({key: str(value) for key, value in values.items() if value})
    return env


def _client(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


# -- storage ------------------------------------------------------------------------------------


def storage_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in a storage, folders walked depth first, in name order."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a storage folder not made yet holds nothing
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(folders):
        yield from storage_files(storage, f"{folder}/{name}" if folder else name)


# -- writing ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _encrypted_sink(output: IO[bytes], recipients: list[x25519.Recipient]) -> Iterator[IO[bytes]]:
    """A pipe whose far end age encrypts into ``output`` on its own thread, as it is written."""
    read_fd, write_fd = os.pipe()
    errors: list[BaseException] = []

    def encrypt() -> None:
        try:
            with os.fdopen(read_fd, "rb") as source:
                pyrage.encrypt_io(source, output, recipients)
        except BaseException as exc:  # noqa: BLE001 - handed to the writing thread
            errors.append(exc)

    thread = threading.Thread(target=encrypt, name="idx-backup-encrypt", daemon=True)
    thread.start()
    sink = os.fdopen(write_fd, "wb")
    try:
        yield sink
    finally:
        with contextlib.suppress(BrokenPipeError):
            sink.close()
        thread.join()
    if errors:
        raise BackupError(f"the archive could not be encrypted and written: {errors[0]}")


class _ArchiveWriter:
    def __init__(self, sink: IO[bytes]):
        self.zip = zipfile.ZipFile(sink, "w", allowZip64=True)
        self.members: dict[str, dict[str, Any]] = {}

    def add_stream(self, name: str, source: IO[bytes], *, compress: bool) -> None:
        digest = hashlib.sha256()
        size = 0
        info = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        with self.zip.open(info, "w", force_zip64=True) as member:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                member.write(chunk)
        self.members[name] = {"sha256": digest.hexdigest(), "bytes": size}

    def add_bytes(self, name: str, data: bytes) -> None:
        import io

        self.add_stream(name, io.BytesIO(data), compress=True)

    def close(self, manifest: dict[str, Any]) -> None:
        info = zipfile.ZipInfo(MANIFEST, date_time=time.gmtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
        self.zip.close()


@dataclass
class BackupSummary:
    path: Path
    bytes: int
    sha256: str
    tables: int
    rows: int
    files: int
    seconds: float


def _dump_postgresql(writer: _ArchiveWriter, database: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """pg_dump of one exported snapshot, streamed; the tables counted in that same snapshot."""
    import psycopg

    pg_dump = _client("pg_dump")
    connection = _pg_connect(database)
    try:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        process = subprocess.Popen(  # noqa: S603 - a fixed program, arguments as a list
            [pg_dump, "--format=custom", "--compress=6", f"--snapshot={snapshot}", "--no-password"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_pg_environment(database),
        )
        assert process.stdout is not None  # noqa: S101 - for the type checker
        try:
            writer.add_stream(PG_DUMP, process.stdout, compress=False)
        finally:
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            returncode = process.wait()
        if returncode != 0:
            raise BackupError(f"pg_dump failed: {' '.join(stderr.split())[:500]}")
        tables = pg_fingerprints(connection)
        connection.rollback()
        return tables
    finally:
        connection.close()


def _dump_sqlite(
    writer: _ArchiveWriter, source: sqlite3.Connection, folder: Path
) -> dict[str, dict[str, Any]]:
    """SQLite's online backup into a private folder, streamed into the archive, then removed."""
    copy_path = folder / SQLITE_DUMP
    with contextlib.closing(sqlite3.connect(str(copy_path))) as copy:
        source.backup(copy)
        tables = sqlite_fingerprints(copy)
    with copy_path.open("rb") as handle:
        writer.add_stream(SQLITE_DUMP, handle, compress=True)
    copy_path.unlink()
    return tables


def backup_create(
    *,
    output: Path,
    recipients: list[x25519.Recipient],
    storage: Storage,
    database: dict[str, Any] | None = None,
    sqlite_source: sqlite3.Connection | None = None,
) -> BackupSummary:
    """Write an encrypted backup of the database, the stored files and the public keys to ``output``.

    ``database`` is Django's settings of the database (default: the configured one); for SQLite the
    open connection Django holds is read through the backup API (``sqlite_source``).
    """
    from django.db import connection as django_connection

    started = time.monotonic()
    database = database or dict(django_connection.settings_dict)
    engine = _engine(database)
    if output.exists():
        raise BackupError(f"{output} exists already: a backup never overwrites a file")
    partial = output.with_name(output.name + ".partial")
    files = 0
    try:
        with (
            tempfile.TemporaryDirectory(prefix="idx-backup-") as folder,
            partial.open("xb") as handle,
        ):
            os.chmod(partial, 0o600)
            with _encrypted_sink(handle, recipients) as sink:
                writer = _ArchiveWriter(sink)
                if engine == "postgresql":
                    tables = _dump_postgresql(writer, database)
                else:
                    if sqlite_source is None:
                        django_connection.ensure_connection()
                        sqlite_source = django_connection.connection
                    tables = _dump_sqlite(writer, sqlite_source, Path(folder))
                for name in storage_files(storage):
                    with storage.open(name, "rb") as stored:
                        writer.add_stream(f"files/{name}", stored, compress=False)
                    files += 1
                for name, data in _public_keys().items():
                    writer.add_bytes(name, data)
                writer.add_bytes(
                    "keys/backup-recipients.public", "".join(f"{r}\n" for r in recipients).encode()
                )
                writer.close(
                    {
                        "format": FORMAT,
                        "version": FORMAT_VERSION,
                        "created": datetime.now(UTC).isoformat(timespec="seconds"),
                        "engine": engine,
                        "members": writer.members,
                        "tables": tables,
                        "files": files,
                    }
                )
        partial.rename(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    digest = hashlib.sha256()
    with output.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return BackupSummary(
        path=output,
        bytes=output.stat().st_size,
        sha256=digest.hexdigest(),
        tables=len(tables),
        rows=sum(table["rows"] for table in tables.values()),
        files=files,
        seconds=time.monotonic() - started,
    )


# -- restoring ----------------------------------------------------------------------------------


@dataclass
class RestoreSummary:
    tables: int
    rows: int
    files: int
    seconds: float
    created: str
    mismatched: list[str] = field(default_factory=list)


def database_is_empty(database: dict[str, Any]) -> bool:
    if _engine(database) == "postgresql":
        connection = _pg_connect(database)
        try:
            return not _pg_tables(connection)
        finally:
            connection.close()
    path = Path(str(database["NAME"]))
    if str(database["NAME"]) == ":memory:" or "mode=memory" in str(database["NAME"]):
        raise BackupError("a restore needs a database file, not an in-memory database")
    if not path.exists() or path.stat().st_size == 0:
        return True
    with contextlib.closing(sqlite3.connect(str(path))) as connection:
        return not _sqlite_tables(connection)


def _decrypt(archive: Path, identities: list[x25519.Identity], target: Path) -> None:
    try:
        with archive.open("rb") as source, target.open("xb") as plain:
            pyrage.decrypt_io(source, plain, identities)
    except FileNotFoundError:
        raise BackupError(f"no backup at {archive}") from None
    except pyrage.DecryptError as exc:
        target.unlink(missing_ok=True)
        if "no matching keys" in str(exc).lower():
            raise BackupError(
                "the key given does not open this backup (it was encrypted for another key)"
            ) from None
        raise BackupError(f"the backup is damaged or was altered: {exc}") from None
    except (OSError, ValueError) as exc:
        target.unlink(missing_ok=True)
        raise BackupError(
            f"the backup is damaged or was altered (its encryption does not check out: {exc})"
        ) from None


def _verify(bundle: zipfile.ZipFile) -> dict[str, Any]:
    """The manifest, after every member was checked against it (nothing missing, added or changed)."""
    try:
        manifest = json.loads(bundle.read(MANIFEST))
    except (KeyError, ValueError):
        raise BackupError("the backup has no readable manifest") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError("not an IDX backup of a format this version restores")
    members: dict[str, dict[str, Any]] = manifest.get("members") or {}
    names = set(bundle.namelist()) - {MANIFEST}
    if names != set(members):
        unexpected = sorted(names - set(members))[:3]
        missing = sorted(set(members) - names)[:3]
        raise BackupError(
            f"the backup's members differ from its manifest (added {unexpected}, missing {missing})"
        )
    for name, expected in members.items():
        digest = hashlib.sha256()
        size = 0
        try:
            with bundle.open(name) as member:
                while chunk := member.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BackupError(f"{name} cannot be read from the backup: {exc}") from None
        if digest.hexdigest() != expected.get("sha256") or size != expected.get("bytes"):
            raise BackupError(f"{name} does not match its checksum in the manifest: the backup was altered")
    return manifest


def _restore_postgresql(bundle: zipfile.ZipFile, database: dict[str, Any], folder: Path) -> None:
    pg_restore = _client("pg_restore")
    dump = folder / PG_DUMP
    with bundle.open(PG_DUMP) as member, dump.open("xb") as handle:
        shutil.copyfileobj(member, handle, CHUNK)
    result = subprocess.run(  # noqa: S603 - a fixed program, arguments as a list
        [
            pg_restore,
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            "--no-password",
            f"--dbname={database.get('NAME')}",
            str(dump),
        ],
        capture_output=True,
        env=_pg_environment(database),
        check=False,
    )
    dump.unlink()
    if result.returncode != 0:
        message = " ".join(result.stderr.decode(errors="replace").split())[:500]
        raise BackupError(f"pg_restore failed, nothing was restored: {message}")


def _restore_sqlite(bundle: zipfile.ZipFile, database: dict[str, Any], folder: Path) -> None:
    copy = folder / SQLITE_DUMP
    with bundle.open(SQLITE_DUMP) as member, copy.open("xb") as handle:
        shutil.copyfileobj(member, handle, CHUNK)
    target = Path(str(database["NAME"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(str(copy))) as source,
        contextlib.closing(sqlite3.connect(str(target))) as destination,
    ):
        source.backup(destination)
    copy.unlink()


def backup_restore(
    *,
    archive: Path,
    identities: list[x25519.Identity],
    database: dict[str, Any],
    storage: Storage,
    progress: Callable[[str], None] = lambda message: None,
) -> RestoreSummary:
    """Restore a backup into an empty database and an empty storage, checking it all first."""
    started = time.monotonic()
    engine = _engine(database)
    if not database_is_empty(database):
        raise BackupError("the target database is not empty: a restore goes only into a new, empty database")
    if next(iter(storage_files(storage)), None) is not None:
        raise BackupError("the file storage is not empty: a restore goes only into an empty storage")
    with tempfile.TemporaryDirectory(prefix="idx-restore-") as folder_name:
        folder = Path(folder_name)
        plain = folder / "archive.zip"
        progress("decrypting")
        _decrypt(archive, identities, plain)
        try:
            bundle = zipfile.ZipFile(plain)
        except zipfile.BadZipFile:
            raise BackupError("the backup's content is not a readable archive") from None
        with bundle:
            progress("checking every member against the manifest")
            manifest = _verify(bundle)
            if manifest.get("engine") != engine:
                raise BackupError(
                    f"this backup is of a {manifest.get('engine')} database, the target is {engine}"
                )
            progress("restoring the database")
            if engine == "postgresql":
                _restore_postgresql(bundle, database, folder)
            else:
                _restore_sqlite(bundle, database, folder)
            progress("restoring the files")
            files = 0
            for name, expected in manifest["members"].items():
                if not name.startswith("files/"):
                    continue
                stored_name = name.removeprefix("files/")
                with bundle.open(name) as member:
                    saved = storage.save(stored_name, File(member, name=stored_name))
                if saved != stored_name:
                    raise BackupError(f"the storage renamed {stored_name} to {saved}")
                digest = hashlib.sha256()
                with storage.open(saved, "rb") as written:
                    while chunk := written.read(CHUNK):
                        digest.update(chunk)
                if digest.hexdigest() != expected["sha256"]:
                    raise BackupError(f"{stored_name} differs after it was written to the storage")
                files += 1
    progress("comparing every table with the manifest")
    restored = database_fingerprints(database)
    expected_tables: dict[str, dict[str, Any]] = manifest["tables"]
    mismatched = sorted(
        name
        for name in set(restored) | set(expected_tables)
        if restored.get(name) != expected_tables.get(name)
    )
    if mismatched:
        raise BackupError(
            f"restored, but these tables differ from the backup's manifest: {', '.join(mismatched[:10])}"
        )
    return RestoreSummary(
        tables=len(restored),
        rows=sum(table["rows"] for table in restored.values()),
        files=files,
        seconds=time.monotonic() - started,
        created=str(manifest.get("created", "")),
    )
