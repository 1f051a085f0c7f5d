"""Decided cases, hand-over targets and a real SFTP server (asyncssh) on loopback in a tmp folder."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from idx.applications import services
from idx.handover.models import HandoverTarget
from idx.identity.models import Department, Role
from tests.conftest import make_submitted, procedure
from tests.factories import StaffFactory

BULKY = "bulky-waste-collection"


def decide(application, staff, *, approve: bool = True):
    application = services.case_start_review(
        application=application, staff=staff, expected_version=application.row_version
    )
    return services.case_decide(
        application=application,
        staff=staff,
        approve=approve,
        reason="" if approve else "要件外",
        expected_version=application.row_version,
    )


@pytest.fixture
def bulky_supervisor(iga):
    return StaffFactory(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="haikibutsu"),
        role=Role.SUPERVISOR,
        full_name="廃棄物対策課 係長",
    )


def decided_case(resident, staff, *, approve: bool = True):
    return decide(make_submitted(resident, BULKY), staff, approve=approve)


@pytest.fixture
def handover_root(tmp_path, settings) -> Path:
    root = tmp_path / "handover"
    (root / "kikan").mkdir(parents=True)
    settings.IDX_HANDOVER_ROOT = root
    settings.IDX_HANDOVER_KEYS_DIR = tmp_path / "keys"
    return root


def folder_target(municipality, *, name: str = "粗大ごみ 基幹連携", **fields: Any) -> HandoverTarget:
    values: dict[str, Any] = {"folder": "kikan", "daily_at": dt.time(2, 0), **fields}
    return HandoverTarget.objects.create(
        municipality=municipality, procedure=procedure(municipality, BULKY), name=name, **values
    )


# ---- a real SFTP server --------------------------------------------------------------------------


class SftpServer:
    def __init__(self, root: Path, host_key: asyncssh.SSHKey, client_key: asyncssh.SSHKey) -> None:
        self.root = root
        self.host_key = host_key
        self.client_key = client_key
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: Any = None
        self.port = 0

    def start(self) -> None:
        self.thread.start()
        authorized = asyncssh.import_authorized_keys(self.client_key.export_public_key().decode())
        root = str(self.root)

        async def listen() -> Any:
            return await asyncssh.listen(
                "127.0.0.1",
                0,
                server_host_keys=[self.host_key],
                authorized_client_keys=authorized,
                sftp_factory=lambda channel: asyncssh.SFTPServer(channel, chroot=root),
                allow_scp=False,
            )

        self.server = asyncio.run_coroutine_threadsafe(listen(), self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def sftp_server(tmp_path, settings):
    root = tmp_path / "sftp-root"
    (root / "inbox").mkdir(parents=True)
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key.write_private_key(str(keys / "kikan-ed25519"))
    settings.IDX_HANDOVER_KEYS_DIR = keys
    server = SftpServer(root, asyncssh.generate_private_key("ssh-ed25519"), client_key)
    server.start()
    yield server
    server.stop()


def sftp_target(municipality, server: SftpServer, **fields: Any) -> HandoverTarget:
    values = {
        "municipality": municipality,
        "procedure": procedure(municipality, BULKY),
        "name": "粗大ごみ SFTP",
        "destination": "sftp",
        "sftp_host": "127.0.0.1",
        "sftp_port": server.port,
        "sftp_user": "idx",
        "sftp_directory": "/inbox",
        "sftp_key_name": "kikan-ed25519",
        "sftp_host_key": server.host_key.get_fingerprint("sha256"),
        "daily_at": dt.time(2, 0),
    }
    values.update(fields)
    return HandoverTarget.objects.create(**values)
