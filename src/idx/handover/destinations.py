"""Where hand-over files go: a folder on this server or an SFTP server (asyncssh, client side).

Every file is delivered atomically: written under a temporary name (``.<name>.part``) and renamed
to its name once complete, so a core system polling the folder never reads half a file. The data
file goes first and its manifest last: a manifest present means its data file is complete.

SFTP pins the server's host key by its SHA-256 fingerprint (``SHA256:…`` as ``ssh-keygen -lf``
prints it): a server presenting another key is refused before anything is sent. The private key
is read from a file named by the target in ``IDX_HANDOVER_KEYS_DIR``, never from the database.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

ACK_SUFFIX = ".ack"
ACK_DONE_SUFFIX = ".done"
ACK_REJECTED_SUFFIX = ".rejected"
MAX_ACK_BYTES = 1_000_000
MAX_ACKS_PER_POLL = 200
CONNECT_TIMEOUT = 15  # seconds
OPERATION_TIMEOUT = 300  # seconds for one whole SFTP session
FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

T = TypeVar("T")


class DeliveryError(Exception):
    """The destination could not be reached or written; the message is safe to store and show."""


@dataclass(frozen=True)
class FolderDestination:
    path: Path


@dataclass(frozen=True)
class SftpDestination:
    host: str
    port: int
    user: str
    directory: str
    key_file: Path
    host_key: str  # SHA256:… fingerprint


Destination = FolderDestination | SftpDestination


def _part_name(name: str) -> str:
    return f".{name}.part"


# ---- a folder -------------------------------------------------------------------------------


def _folder_put(folder: Path, files: list[tuple[str, Path]]) -> None:
    if not folder.is_dir():
        raise DeliveryError(f"the folder {folder.name or folder} does not exist")
    for name, source in files:
        temporary = folder / _part_name(name)
        with source.open("rb") as reader, temporary.open("wb") as writer:
            while block := reader.read(1 << 16):
                writer.write(block)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(temporary, folder / name)


def _folder_acks(folder: Path) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    if not folder.is_dir():
        raise DeliveryError(f"the folder {folder.name or folder} does not exist")
    for entry in sorted(folder.iterdir()):
        if entry.name.endswith(ACK_SUFFIX) and entry.is_file() and len(found) < MAX_ACKS_PER_POLL:
            with entry.open("rb") as reader:
                found.append((entry.name, reader.read(MAX_ACK_BYTES + 1)))
    return found


# ---- SFTP -----------------------------------------------------------------------------------


class _PinnedHostKey(asyncssh.SSHClient):
    """Trusts exactly the server key whose SHA-256 fingerprint was pinned."""

    def __init__(self, fingerprint: str) -> None:
        self._fingerprint = fingerprint

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        return bool(key.get_fingerprint("sha256") == self._fingerprint)


def _sftp_session(
    destination: SftpDestination, work: Callable[[asyncssh.SFTPClient, str], Awaitable[T]]
) -> T:
    """Connect, check the host key, run ``work`` in the remote directory, disconnect."""
    if not FINGERPRINT.match(destination.host_key):
        raise DeliveryError("the server's host key fingerprint is not set (SHA256:…)")
    try:
        key = asyncssh.read_private_key(str(destination.key_file))
    except (OSError, asyncssh.KeyImportError) as exc:
        raise DeliveryError(f"the private key {destination.key_file.name} cannot be read") from exc

    async def session() -> T:
        async with (
            asyncssh.connect(
                destination.host,
                port=destination.port,
                username=destination.user,
                client_keys=[key],
                known_hosts=([], [], []),  # nothing trusted but the pinned key (below)
                client_factory=lambda: _PinnedHostKey(destination.host_key),
                agent_path=None,
                connect_timeout=CONNECT_TIMEOUT,
                preferred_auth="publickey",
            ) as connection,
            connection.start_sftp_client() as sftp,
        ):
            return await work(sftp, destination.directory or ".")

    try:
        return asyncio.run(asyncio.wait_for(session(), OPERATION_TIMEOUT))
    except asyncssh.HostKeyNotVerifiable as exc:
        raise DeliveryError("the server's host key does not match the pinned fingerprint") from exc
    except asyncssh.PermissionDenied as exc:
        raise DeliveryError("the server refused the key (permission denied)") from exc
    except asyncssh.SFTPError as exc:
        raise DeliveryError(f"SFTP: {exc.reason}") from exc
    except (asyncssh.Error, OSError, TimeoutError) as exc:
        raise DeliveryError(f"the server could not be reached: {type(exc).__name__}: {exc}"[:300]) from exc


async def _sftp_rename(sftp: asyncssh.SFTPClient, old: str, new: str) -> None:
    """An atomic rename that replaces ``new`` (posix-rename@openssh.com), else a plain rename."""
    try:
        await sftp.posix_rename(old, new)
    except asyncssh.SFTPOpUnsupported:
        await sftp.rename(old, new)


def _sftp_put(destination: SftpDestination, files: list[tuple[str, Path]]) -> None:
    async def work(sftp: asyncssh.SFTPClient, directory: str) -> None:
        for name, source in files:
            temporary = posixpath.join(directory, _part_name(name))
            await sftp.put(str(source), temporary)
            await _sftp_rename(sftp, temporary, posixpath.join(directory, name))

    _sftp_session(destination, work)


def _sftp_read(destination: SftpDestination, name: str) -> bytes | None:
    async def work(sftp: asyncssh.SFTPClient, directory: str) -> bytes | None:
        path = posixpath.join(directory, name)
        if not await sftp.exists(path):
            return None
        async with sftp.open(path, "rb") as reader:
            data: bytes = await reader.read(MAX_ACK_BYTES * 10)
            return data

    return _sftp_session(destination, work)


def _sftp_acks(destination: SftpDestination) -> list[tuple[str, bytes]]:
    async def work(sftp: asyncssh.SFTPClient, directory: str) -> list[tuple[str, bytes]]:
        found: list[tuple[str, bytes]] = []
        for name in sorted(await sftp.listdir(directory)):
            if not name.endswith(ACK_SUFFIX) or len(found) >= MAX_ACKS_PER_POLL:
                continue
            async with sftp.open(posixpath.join(directory, name), "rb") as reader:
                found.append((name, await reader.read(MAX_ACK_BYTES + 1)))
        return found

    return _sftp_session(destination, work)


def _sftp_mark(destination: SftpDestination, renames: list[tuple[str, str]]) -> None:
    async def work(sftp: asyncssh.SFTPClient, directory: str) -> None:
        for old, new in renames:
            await _sftp_rename(sftp, posixpath.join(directory, old), posixpath.join(directory, new))

    _sftp_session(destination, work)


# ---- one interface --------------------------------------------------------------------------


def deliver(destination: Destination, files: list[tuple[str, Path]]) -> None:
    """Put each (name, local file) in the destination, in order, each under a temporary name first."""
    if isinstance(destination, FolderDestination):
        try:
            _folder_put(destination.path, files)
        except OSError as exc:
            raise DeliveryError(f"the folder could not be written: {exc.strerror or exc}") from exc
        return
    _sftp_put(destination, files)


def file_read(destination: Destination, name: str) -> bytes | None:
    """A (small) file of the destination, or ``None`` when it is not there."""
    if isinstance(destination, FolderDestination):
        path = destination.path / name
        try:
            return path.read_bytes() if path.is_file() else None
        except OSError as exc:
            raise DeliveryError(f"the folder could not be read: {exc.strerror or exc}") from exc
    return _sftp_read(destination, name)


def acks_collect(destination: Destination) -> list[tuple[str, bytes]]:
    """The acknowledgement files (``*.ack``) waiting in the destination, with their contents."""
    if isinstance(destination, FolderDestination):
        try:
            return _folder_acks(destination.path)
        except OSError as exc:
            raise DeliveryError(f"the folder could not be read: {exc.strerror or exc}") from exc
    return _sftp_acks(destination)


def acks_mark(destination: Destination, renames: list[tuple[str, str]]) -> None:
    """Rename processed acknowledgement files (``x.ack`` → ``x.ack.done`` / ``x.ack.rejected``)."""
    if not renames:
        return
    if isinstance(destination, FolderDestination):
        try:
            for old, new in renames:
                os.replace(destination.path / old, destination.path / new)
        except OSError as exc:
            raise DeliveryError(f"the folder could not be written: {exc.strerror or exc}") from exc
        return
    _sftp_mark(destination, renames)


def describe(destination: Destination) -> dict[str, Any]:
    """Where the files went, for the audit log (no key material)."""
    if isinstance(destination, FolderDestination):
        return {"destination": "folder", "folder": str(destination.path)}
    return {
        "destination": "sftp",
        "host": destination.host,
        "port": destination.port,
        "user": destination.user,
        "directory": destination.directory,
        "host_key": destination.host_key,
    }
