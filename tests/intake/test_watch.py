"""The watched folder: a scanner's files become batches once each; the rest is set aside with a reason."""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from idx.audit.models import AuditEntry
from idx.intake.models import ScanBatch
from idx.intake.watch import TAKING, WatcherMisconfigured, scanner_clerk, watch_once
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (400, 560), shade).save(out, format="PNG")
    return out.getvalue()


def dropped(folder, name: str, data: bytes, *, age: float = 60) -> None:
    path = folder / name
    path.write_bytes(data)
    moment = time.time() - age
    os.utime(path, (moment, moment))


def test_settled_files_become_batches_and_move_to_done(clerk, tmp_path):
    dropped(tmp_path, "scan-0001.png", png(250))
    dropped(tmp_path, "scan-0002.png", png(240))
    dropped(tmp_path, "being-written.png", png(230), age=0)  # the scanner is still writing it
    dropped(tmp_path, ".scanner-temp", b"x")

    outcomes = watch_once(folder=tmp_path, municipality=clerk.municipality, staff=clerk)

    assert [outcome.name for outcome in outcomes] == ["scan-0001.png", "scan-0002.png"]
    batches = ScanBatch.objects.filter(municipality=clerk.municipality, uploaded_by=clerk)
    assert sorted(batches.values_list("original_name", flat=True)) == ["scan-0001.png", "scan-0002.png"]
    assert {outcome.batch for outcome in outcomes} == set(batches.values_list("public_id", flat=True))
    done = next((tmp_path / "done").iterdir())
    assert sorted(path.name for path in done.iterdir()) == [
        "scan-0001.png",
        "scan-0001.png.batch",
        "scan-0002.png",
        "scan-0002.png.batch",
    ]
    assert (done / "scan-0001.png.batch").read_text().strip() == outcomes[0].batch
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == [
        ".scanner-temp",
        "being-written.png",
    ]
    assert AuditEntry.objects.filter(action="intake.batch.received", actor=clerk).count() == 2

    # The next look takes the file that has settled meanwhile, and nothing twice.
    moment = time.time() - 60
    os.utime(tmp_path / "being-written.png", (moment, moment))
    again = watch_once(folder=tmp_path, municipality=clerk.municipality, staff=clerk)
    assert [outcome.name for outcome in again] == ["being-written.png"] and again[0].received
    assert batches.count() == 3


def test_what_the_intake_cannot_read_is_set_aside_with_its_reason(clerk, tmp_path):
    dropped(tmp_path, "notes.txt", "スキャンではありません".encode())
    dropped(tmp_path, "empty.pdf", b"")
    dropped(tmp_path, "first.png", png(250))

    outcomes = {
        outcome.name: outcome
        for outcome in watch_once(folder=tmp_path, municipality=clerk.municipality, staff=clerk)
    }
    assert outcomes["notes.txt"].refusal == "unsupported_type"
    assert outcomes["empty.pdf"].refusal == "empty"
    assert outcomes["first.png"].received
    refused = tmp_path / "refused"
    assert (refused / "notes.txt.reason").read_text().startswith("unsupported_type: ")
    assert (refused / "empty.pdf").exists()

    # The same scan dropped again (a second press of the button) is not received twice.
    dropped(tmp_path, "first.png", png(250))
    (repeat,) = watch_once(folder=tmp_path, municipality=clerk.municipality, staff=clerk)
    assert repeat.refusal == "duplicate"
    assert (refused / "first.png.reason").read_text().startswith("duplicate: the same file as batch scn_")
    assert ScanBatch.objects.filter(municipality=clerk.municipality).count() == 1


def test_a_file_a_stopped_watcher_left_claimed_is_taken_back(clerk, tmp_path):
    taking = tmp_path / TAKING
    taking.mkdir()
    (taking / "left.png").write_bytes(png(250))
    written = time.time() - 60  # the scanner had finished it before it was claimed
    os.utime(taking / "left.png", (written, written))

    # Claimed a moment ago: another watcher may be receiving it now.
    assert watch_once(folder=tmp_path, municipality=clerk.municipality, staff=clerk) == []
    assert (taking / "left.png").exists()

    # Claimed longer ago than a receipt takes: taken back and received.
    (outcome,) = watch_once(
        folder=tmp_path, municipality=clerk.municipality, staff=clerk, abandoned_seconds=0
    )
    assert outcome.name == "left.png" and outcome.received
    assert not (taking / "left.png").exists()


def test_only_an_active_clerk_of_the_municipality_receives_a_folder(
    clerk, clerk_other_municipality, tmp_path
):
    assert scanner_clerk(municipality=clerk.municipality, email=clerk.email.upper()) == clerk
    with pytest.raises(WatcherMisconfigured):
        scanner_clerk(municipality=clerk.municipality, email=clerk_other_municipality.email)
    resident = ResidentFactory(municipality=clerk.municipality)
    with pytest.raises(WatcherMisconfigured):
        scanner_clerk(municipality=clerk.municipality, email=resident.email)
    with pytest.raises(WatcherMisconfigured):
        watch_once(folder=tmp_path / "missing", municipality=clerk.municipality, staff=clerk)


def test_the_command_reports_each_file(clerk, tmp_path, capsys):
    dropped(tmp_path, "scan.png", png(250))
    dropped(tmp_path, "notes.txt", b"hello")
    call_command("intake_watch", str(tmp_path), municipality=clerk.municipality.code, clerk=clerk.email)
    printed = capsys.readouterr().out
    assert "scan.png: received as scn_" in printed and "notes.txt: refused (unsupported_type)" in printed
    with pytest.raises(CommandError):
        call_command("intake_watch", str(tmp_path), municipality="000000", clerk=clerk.email)
