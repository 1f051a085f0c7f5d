"""Runs to a folder: data file and manifest, exactly once per case, formats, failures, acks."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest

from idx.applications.exports import FIXED_COLUMNS
from idx.audit.models import AuditEntry
from idx.handover.models import HandedOverCase, RunStatus
from idx.handover.selectors import handed_over_receipts
from idx.handover.services import handover_acks_poll, handover_run
from tests.conftest import make_submitted
from tests.handover.conftest import BULKY, decided_case, folder_target

pytestmark = pytest.mark.django_db


def _files(folder):
    return sorted(path.name for path in folder.iterdir())


def _manifest(folder, run):
    return json.loads((folder / run.manifest_name).read_text(encoding="utf-8"))


def test_a_run_writes_the_data_and_a_manifest_with_its_hash_and_count(
    iga, resident, other_resident, bulky_supervisor, handover_root
):
    approved = decided_case(resident, bulky_supervisor)
    rejected = decided_case(other_resident, bulky_supervisor, approve=False)
    make_submitted(resident, BULKY)  # still open: not handed over
    target = folder_target(iga)

    run = handover_run(target=target)

    folder = handover_root / "kikan"
    assert run.status == RunStatus.DELIVERED and run.case_count == 2
    assert _files(folder) == sorted([run.file_name, run.manifest_name])  # no temporary file left
    data = (folder / run.file_name).read_bytes()
    manifest = _manifest(folder, run)
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest() == run.sha256
    assert manifest["count"] == 2 and manifest["file_name"] == run.file_name and manifest["run_id"] == run.pk
    assert manifest["receipts"] == [approved.receipt_number, rejected.receipt_number]
    assert manifest["target"]["name"] == target.name and manifest["encoding"] == "utf-8"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][: len(FIXED_COLUMNS)] == FIXED_COLUMNS
    assert [row[0] for row in rows[1:]] == [approved.receipt_number, rejected.receipt_number]
    assert [row[3] for row in rows[1:]] == ["approved", "rejected"]  # codes by default
    assert HandedOverCase.objects.filter(target=target, run=run).count() == 2
    actions = set(AuditEntry.objects.filter(target_id=str(run.pk)).values_list("action", flat=True))
    assert {"handover.run", "handover.delivered"} <= actions


def test_a_rerun_sends_nothing_twice_and_a_new_case_goes_in_the_next_run_only(
    iga, resident, other_resident, bulky_supervisor, handover_root
):
    first_case = decided_case(resident, bulky_supervisor)
    target = folder_target(iga)
    first = handover_run(target=target)
    again = handover_run(target=target)
    assert again.status == RunStatus.NOTHING_NEW and again.file_name == ""
    assert len(list((handover_root / "kikan").iterdir())) == 2  # nothing new written

    second_case = decided_case(other_resident, bulky_supervisor)
    second = handover_run(target=target)
    assert second.status == RunStatus.DELIVERED
    assert _manifest(handover_root / "kikan", second)["receipts"] == [second_case.receipt_number]
    assert first.receipts == [first_case.receipt_number]
    assert handed_over_receipts(target) == [first_case.receipt_number, second_case.receipt_number]


def test_approved_only_targets_leave_rejections_out(
    iga, resident, other_resident, bulky_supervisor, handover_root
):
    approved = decided_case(resident, bulky_supervisor)
    decided_case(other_resident, bulky_supervisor, approve=False)
    run = handover_run(target=folder_target(iga, cases="approved"))
    assert run.receipts == [approved.receipt_number]


def test_cp932_and_json_formats(iga, resident, bulky_supervisor, handover_root):
    case = decided_case(resident, bulky_supervisor)
    cp932 = handover_run(target=folder_target(iga, name="cp932", file_format="csv_cp932", values="labels"))
    data = (handover_root / "kikan" / cp932.file_name).read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")  # no BOM in Shift_JIS
    text = data.decode("cp932")
    assert text.startswith("受付番号,") and case.receipt_number in text and "承認" in text
    assert _manifest(handover_root / "kikan", cp932)["encoding"] == "cp932"
    assert hashlib.sha256(data).hexdigest() == cp932.sha256

    as_json = handover_run(target=folder_target(iga, name="json", file_format="json"))
    assert as_json.file_name.endswith(".json")
    body = json.loads((handover_root / "kikan" / as_json.file_name).read_bytes())
    assert body["procedure"] == BULKY and [c["受付番号"] for c in body["cases"]] == [case.receipt_number]


def test_a_failed_delivery_hands_nothing_over_and_the_next_run_sends_the_cases(
    iga, resident, bulky_supervisor, handover_root
):
    case = decided_case(resident, bulky_supervisor)
    target = folder_target(iga, folder="missing")
    failed = handover_run(target=target)
    assert failed.status == RunStatus.FAILED and "does not exist" in failed.error
    assert not HandedOverCase.objects.filter(target=target).exists()
    assert AuditEntry.objects.filter(action="handover.delivery_failed", target_id=str(failed.pk)).exists()

    (handover_root / "missing").mkdir()
    retried = handover_run(target=target)
    assert retried.status == RunStatus.DELIVERED and retried.receipts == [case.receipt_number]
    assert handed_over_receipts(target) == [case.receipt_number]


def test_another_municipalitys_cases_are_never_included(
    iga, watarai, resident, watarai_resident, bulky_supervisor, handover_root
):
    from idx.identity.models import Department, Role
    from tests.factories import StaffFactory
    from tests.handover.conftest import decide

    ours = decided_case(resident, bulky_supervisor)
    watarai_staff = StaffFactory(
        municipality=watarai,
        department=Department.objects.get(municipality=watarai, code="haikibutsu"),
        role=Role.SUPERVISOR,
    )
    theirs = decide(make_submitted(watarai_resident, BULKY), watarai_staff)
    run = handover_run(target=folder_target(iga))
    assert run.receipts == [ours.receipt_number] and theirs.receipt_number not in run.receipts


def test_an_acknowledgement_marks_the_cases_and_a_wrong_one_is_reported(
    iga, resident, other_resident, bulky_supervisor, handover_root
):
    first = decided_case(resident, bulky_supervisor)
    second = decided_case(other_resident, bulky_supervisor)
    target = folder_target(iga)
    run = handover_run(target=target)
    folder = handover_root / "kikan"
    (folder / f"{run.file_name}.ack").write_text(
        json.dumps({"file": run.file_name, "sha256": run.sha256, "receipts": [first.receipt_number]})
    )
    (folder / "unknown.csv.ack").write_text(json.dumps({"sha256": run.sha256}))

    outcome = handover_acks_poll(target=target)

    assert outcome.accepted == 1 and outcome.cases == 1 and len(outcome.rejected) == 1
    marked = dict(
        HandedOverCase.objects.filter(target=target).values_list("application_id", "acknowledged_at")
    )
    assert marked[first.pk] is not None and marked[second.pk] is None
    assert (folder / f"{run.file_name}.ack.done").exists() and (folder / "unknown.csv.ack.rejected").exists()
    target.refresh_from_db()
    assert target.ack_problem.startswith("unknown.csv.ack")
    assert AuditEntry.objects.filter(action="handover.acknowledged", target_id=str(run.pk)).exists()
    assert AuditEntry.objects.filter(action="handover.ack_rejected").exists()

    # A mismatching hash or a receipt that was not in the file is not trusted at all.
    (folder / f"{run.file_name}.ack").write_text(
        json.dumps({"sha256": "0" * 64, "receipts": [second.receipt_number]})
    )
    assert handover_acks_poll(target=target).rejected
    (folder / f"{run.file_name}.ack").write_text(
        json.dumps({"sha256": run.sha256, "receipts": [second.receipt_number, "IGA-1999-999999"]})
    )
    assert handover_acks_poll(target=target).rejected
    assert HandedOverCase.objects.get(application=second, target=target).acknowledged_at is None

    # The whole file acknowledged by its hash alone: the run is taken in.
    (folder / f"{run.file_name}.ack").write_text(json.dumps({"sha256": run.sha256}))
    assert handover_acks_poll(target=target).cases == 1
    run.refresh_from_db()
    assert run.acknowledged_at is not None
