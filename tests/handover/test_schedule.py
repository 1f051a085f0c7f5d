"""When targets run: the daily time, bounded retries, the command for cron, the task, and a run a
crash interrupted (completed from what the destination holds, never sent twice)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from idx.handover.models import HandedOverCase, HandoverRun, RunStatus
from idx.handover.services import FAILED_TRIES_PER_DAY, handover_run, targets_due
from idx.handover.tasks import handover_target_acks, handover_target_run
from tests.handover.conftest import decided_case, folder_target

pytestmark = pytest.mark.django_db


def _today_at(hour: int, minute: int = 0) -> dt.datetime:
    local = timezone.localtime()
    return timezone.make_aware(dt.datetime.combine(local.date(), dt.time(hour, minute)))


def test_a_target_is_due_once_a_day_after_its_time_with_bounded_retries(iga, handover_root):
    target = folder_target(iga, daily_at=dt.time(2, 0))
    folder_target(iga, name="paused", active=False)
    assert targets_due(_today_at(1, 59)) == []
    assert targets_due(_today_at(2, 0)) == [target]
    for minute in range(FAILED_TRIES_PER_DAY):
        HandoverRun.objects.create(target=target, started_at=_today_at(2, minute), status=RunStatus.FAILED)
        expected = [target] if minute + 1 < FAILED_TRIES_PER_DAY else []
        assert targets_due(_today_at(2, 30)) == expected
    HandoverRun.objects.filter(target=target).delete()
    HandoverRun.objects.create(target=target, started_at=_today_at(2, 5), status=RunStatus.NOTHING_NEW)
    assert targets_due(_today_at(23, 0)) == []


def test_the_command_runs_named_targets_and_takes_in_acks(iga, resident, bulky_supervisor, handover_root):
    case = decided_case(resident, bulky_supervisor)
    target = folder_target(iga)
    out = io.StringIO()
    call_command("handover", "run", "--target", str(target.pk), stdout=out)
    assert f"target {target.pk}: delivered, 1 cases" in out.getvalue()
    run = target.runs.get()
    (handover_root / "kikan" / f"{run.file_name}.ack").write_text(f'{{"sha256": "{run.sha256}"}}')
    out = io.StringIO()
    call_command("handover", "acks", stdout=out)
    assert f"target {target.pk}: 1 acknowledgements, 1 cases taken in" in out.getvalue()
    assert HandedOverCase.objects.get(application=case).acknowledged_at is not None


def test_the_tasks_run_a_target_and_poll_its_acks(iga, resident, bulky_supervisor, handover_root):
    decided_case(resident, bulky_supervisor)
    target = folder_target(iga)
    assert handover_target_run.enqueue(target.pk).return_value == "delivered"
    assert handover_target_run.enqueue(target.pk).return_value == "nothing_new"
    assert handover_target_acks.enqueue(target.pk).return_value == "0 accepted, 0 rejected"


def test_an_interrupted_run_is_completed_from_its_delivered_manifest_and_never_resent(
    iga, resident, other_resident, bulky_supervisor, handover_root
):
    first = decided_case(resident, bulky_supervisor)
    target = folder_target(iga)
    delivered = handover_run(target=target)
    # As if the process had died after the rename, before recording: the run is still "running".
    HandedOverCase.objects.filter(run=delivered).delete()
    HandoverRun.objects.filter(pk=delivered.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now() - dt.timedelta(hours=2)
    )
    second = decided_case(other_resident, bulky_supervisor)

    run = handover_run(target=target)

    delivered.refresh_from_db()
    assert delivered.status == RunStatus.DELIVERED  # its manifest was there, as written
    assert run.receipts == [second.receipt_number]  # the first case is not sent again
    assert set(HandedOverCase.objects.filter(target=target).values_list("application_id", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_an_interrupted_run_whose_files_never_arrived_fails_and_its_cases_go_again(
    iga, resident, bulky_supervisor, handover_root
):
    case = decided_case(resident, bulky_supervisor)
    target = folder_target(iga)
    lost = HandoverRun.objects.create(
        target=target,
        started_at=timezone.now() - dt.timedelta(hours=3),
        status=RunStatus.RUNNING,
        file_name="never.csv",
        manifest="{}",
        application_ids=[case.pk],
        receipts=[case.receipt_number],
    )
    run = handover_run(target=target)
    lost.refresh_from_db()
    assert lost.status == RunStatus.FAILED and "interrupted" in lost.error
    assert run.status == RunStatus.DELIVERED and run.receipts == [case.receipt_number]


def test_a_run_in_progress_stops_a_second_one(iga, handover_root):
    from idx.handover.services import HandoverBusy

    target = folder_target(iga)
    HandoverRun.objects.create(target=target, started_at=timezone.now(), status=RunStatus.RUNNING)
    with pytest.raises(HandoverBusy):
        handover_run(target=target)
