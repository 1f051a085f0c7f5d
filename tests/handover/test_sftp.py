"""Delivery to a real SFTP server (asyncssh on loopback, rooted in a tmp folder): the files arrive
whole, a host key other than the pinned one is refused, acknowledgements are read back."""

from __future__ import annotations

import hashlib
import json

import asyncssh
import pytest

from idx.handover.models import HandedOverCase, RunStatus
from idx.handover.services import handover_acks_poll, handover_run
from tests.handover.conftest import decided_case, sftp_target

pytestmark = pytest.mark.django_db


def test_the_files_arrive_on_the_sftp_server_and_an_ack_is_read_back(
    iga, resident, bulky_supervisor, sftp_server
):
    case = decided_case(resident, bulky_supervisor)
    target = sftp_target(iga, sftp_server)

    run = handover_run(target=target)

    inbox = sftp_server.root / "inbox"
    assert run.status == RunStatus.DELIVERED, run.error
    assert sorted(path.name for path in inbox.iterdir()) == sorted([run.file_name, run.manifest_name])
    data = (inbox / run.file_name).read_bytes()
    manifest = json.loads((inbox / run.manifest_name).read_text(encoding="utf-8"))
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest() and manifest["count"] == 1
    assert case.receipt_number in data.decode("utf-8-sig")

    (inbox / f"{run.file_name}.ack").write_text(json.dumps({"sha256": run.sha256}))
    outcome = handover_acks_poll(target=target)
    assert outcome.cases == 1 and (inbox / f"{run.file_name}.ack.done").exists()
    assert HandedOverCase.objects.get(target=target).acknowledged_at is not None


def test_a_server_with_another_host_key_is_refused_and_nothing_is_handed_over(
    iga, resident, bulky_supervisor, sftp_server
):
    decided_case(resident, bulky_supervisor)
    other = asyncssh.generate_private_key("ssh-ed25519").get_fingerprint("sha256")
    target = sftp_target(iga, sftp_server, sftp_host_key=other)

    run = handover_run(target=target)

    assert run.status == RunStatus.FAILED and "host key" in run.error
    assert list((sftp_server.root / "inbox").iterdir()) == []
    assert not HandedOverCase.objects.filter(target=target).exists()


def test_a_key_the_server_does_not_know_is_refused(iga, resident, bulky_supervisor, sftp_server, settings):
    decided_case(resident, bulky_supervisor)
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(
        str(settings.IDX_HANDOVER_KEYS_DIR / "stranger")
    )
    run = handover_run(target=sftp_target(iga, sftp_server, sftp_key_name="stranger"))
    assert run.status == RunStatus.FAILED and "refused" in run.error
