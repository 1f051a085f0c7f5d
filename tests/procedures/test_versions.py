"""Publishing procedure versions now or at a set moment (公開予定), cancelling a schedule, and
withdrawing a published version (取り下げ) in favour of the one before it. Residents' applications
stay on the version they started on, drafts included."""

from __future__ import annotations

import copy
import datetime as dt
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from idx.applications import services as applications
from idx.audit.models import AuditEntry
from idx.identity.models import Department, Role
from idx.procedures.definition import DefinitionError
from idx.procedures.models import Procedure, ProcedureVersion
from idx.procedures.services import (
    NothingToWithdraw,
    NotScheduled,
    ScheduleInvalid,
    VersionNotPublishable,
    WithdrawalReasonInvalid,
    procedure_version_publish,
    procedure_version_publish_if_due,
    procedure_version_save_draft,
    procedure_version_schedule,
    procedure_version_unschedule,
    procedure_version_withdraw,
    procedure_versions_publish_due,
    shipped_definitions,
)
from idx.procedures.tasks import publish_due_versions
from tests.conftest import procedure, submit
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

BULKY = "bulky-waste-collection"
JST = ZoneInfo("Asia/Tokyo")
APRIL_FIRST = dt.datetime(2027, 4, 1, 0, 0, tzinfo=JST)  # new rules from 4月1日 0時


def bulky_waste() -> dict[str, Any]:
    return copy.deepcopy(next(d for d in shipped_definitions() if d["code"] == BULKY))


def revised() -> dict[str, Any]:
    """Version 2: 「収集場所の住所」 asks for the house number, and up to 5 items per request."""
    data = bulky_waste()
    address = next(item for item in data["steps"][0]["items"] if item["field"] == "collection_address")
    address["label"]["ja"] = "収集場所の住所（番地まで）"
    data["schema"]["properties"]["items"]["maxItems"] = 5
    return data


@pytest.fixture
def waste_admin(iga):
    """廃棄物対策課's department administrator (may edit the department's procedures)."""
    return StaffFactory(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="haikibutsu"),
        role=Role.DEPARTMENT_ADMIN,
        full_name="廃棄物対策課 管理者",
    )


@pytest.fixture
def bulky(iga) -> Procedure:
    return procedure(iga, BULKY)


def _actions(proc: Procedure) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type="procedure", target_id=str(proc.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_publish_now_retires_the_previous_version(bulky, waste_admin):
    first = bulky.published_version
    draft = procedure_version_save_draft(procedure=bulky, data=revised(), actor=waste_admin)
    published = procedure_version_publish(version=draft, actor=waste_admin)
    bulky.refresh_from_db()
    first.refresh_from_db()
    assert bulky.published_version_id == published.pk and published.number == first.number + 1
    assert published.published_by == waste_admin and published.published_at is not None
    assert first.status == ProcedureVersion.Status.RETIRED
    with pytest.raises(VersionNotPublishable):
        procedure_version_publish(version=first, actor=waste_admin)
    with pytest.raises(VersionNotPublishable):
        procedure_version_publish(version=published, actor=waste_admin)


def test_a_schedule_publishes_at_its_moment_once(bulky, waste_admin):
    first = bulky.published_version
    draft = procedure_version_save_draft(procedure=bulky, data=revised(), actor=waste_admin)
    now = APRIL_FIRST - dt.timedelta(days=30)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: now)
        scheduled = procedure_version_schedule(version=draft, publish_at=APRIL_FIRST, actor=waste_admin)
    assert scheduled.publish_at == APRIL_FIRST and scheduled.scheduled_by == waste_admin
    assert scheduled.status == ProcedureVersion.Status.DRAFT
    # 3月31日 23時59分: not yet.
    assert procedure_versions_publish_due(now=APRIL_FIRST - dt.timedelta(minutes=1)) == []
    bulky.refresh_from_db()
    assert bulky.published_version_id == first.pk
    # 4月1日 0時: published, by the schedule; a second run (or the task) changes nothing.
    assert procedure_versions_publish_due(now=APRIL_FIRST) == [draft.pk]
    assert procedure_versions_publish_due(now=APRIL_FIRST + dt.timedelta(minutes=1)) == []
    assert procedure_version_publish_if_due(version_id=draft.pk, now=APRIL_FIRST) is False
    bulky.refresh_from_db()
    draft.refresh_from_db()
    assert bulky.published_version_id == draft.pk
    assert draft.status == ProcedureVersion.Status.PUBLISHED and draft.publish_at is None
    entry = AuditEntry.objects.filter(action="procedure.publish", target_id=str(bulky.pk)).latest("id")
    assert entry.actor_id is None
    assert entry.after["scheduled_by"] == waste_admin.pk
    assert dt.datetime.fromisoformat(entry.after["scheduled_for"]) == APRIL_FIRST
    assert _actions(bulky)[-3:] == ["procedure.save_draft", "procedure.schedule", "procedure.publish"]


def test_the_task_and_the_command_publish_what_is_due(bulky, waste_admin):
    draft = procedure_version_save_draft(procedure=bulky, data=revised(), actor=waste_admin)
    soon = timezone.now() + dt.timedelta(seconds=30)
    procedure_version_schedule(version=draft, publish_at=soon, actor=waste_admin)
    out = StringIO()
    call_command("procedures_publish_due", stdout=out)
    assert out.getvalue().strip() == "0 scheduled versions published"
    ProcedureVersion.objects.filter(pk=draft.pk).update(publish_at=timezone.now() - dt.timedelta(seconds=1))
    result = publish_due_versions.enqueue()
    assert result.return_value == [draft.pk]
    call_command("procedures_publish_due", stdout=out)
    assert out.getvalue().strip().endswith("0 scheduled versions published")
    bulky.refresh_from_db()
    assert bulky.published_version_id == draft.pk


def test_a_schedule_can_be_cancelled_and_is_cancelled_by_an_edit(bulky, waste_admin):
    draft = procedure_version_save_draft(procedure=bulky, data=revised(), actor=waste_admin)
    tomorrow = timezone.now() + dt.timedelta(days=1)
    procedure_version_schedule(version=draft, publish_at=tomorrow, actor=waste_admin)
    cancelled = procedure_version_unschedule(version=draft, actor=waste_admin)
    assert cancelled.publish_at is None and cancelled.status == ProcedureVersion.Status.DRAFT
    with pytest.raises(NotScheduled):
        procedure_version_unschedule(version=draft, actor=waste_admin)
    assert procedure_versions_publish_due(now=tomorrow + dt.timedelta(hours=1)) == []
    # Scheduled, then edited: the schedule was for the content looked at, so it is cancelled.
    procedure_version_schedule(version=draft, publish_at=tomorrow, actor=waste_admin)
    edited = revised()
    edited["processing_days"] = 10
    procedure_version_save_draft(procedure=bulky, data=edited, actor=waste_admin)
    draft.refresh_from_db()
    assert draft.publish_at is None and draft.definition["processing_days"] == 10
    assert (
        AuditEntry.objects.filter(action="procedure.save_draft", target_id=str(bulky.pk))
        .latest("id")
        .after["unscheduled"]
    )
    assert _actions(bulky)[-4:] == [
        "procedure.schedule",
        "procedure.unschedule",
        "procedure.schedule",
        "procedure.save_draft",
    ]


def test_a_schedule_in_the_past_or_of_a_published_version_is_refused(bulky, waste_admin):
    draft = procedure_version_save_draft(procedure=bulky, data=revised(), actor=waste_admin)
    with pytest.raises(ScheduleInvalid) as caught:
        procedure_version_schedule(
            version=draft, publish_at=timezone.now() - dt.timedelta(minutes=1), actor=waste_admin
        )
    assert caught.value.field == "publish_at"
    with pytest.raises(VersionNotPublishable):
        procedure_version_schedule(
            version=bulky.published_version,
            publish_at=APRIL_FIRST + dt.timedelta(days=365),
            actor=waste_admin,
        )
    draft.refresh_from_db()
    assert draft.publish_at is None


def test_a_draft_with_problems_is_neither_published_nor_scheduled(bulky, waste_admin):
    broken = revised()
    broken["steps"][0]["items"][0]["label"] = {"ja": "申込者"}  # English and やさしい日本語 missing
    draft = ProcedureVersion.objects.create(procedure=bulky, number=99, definition=broken)
    with pytest.raises(DefinitionError):
        procedure_version_schedule(
            version=draft, publish_at=APRIL_FIRST + dt.timedelta(days=365), actor=waste_admin
        )
    with pytest.raises(DefinitionError):
        procedure_version_publish(version=draft, actor=waste_admin)
    draft.refresh_from_db()
    assert draft.status == ProcedureVersion.Status.DRAFT and draft.publish_at is None


def test_withdraw_brings_the_previous_version_back(bulky, waste_admin):
    first = bulky.published_version
    second = procedure_version_publish(
        version=procedure_version_save_draft(procedure=bulky, data=revised(), actor=waste_admin),
        actor=waste_admin,
    )
    with pytest.raises(WithdrawalReasonInvalid):
        procedure_version_withdraw(procedure=bulky, actor=waste_admin, reason="  ")
    with pytest.raises(WithdrawalReasonInvalid):
        procedure_version_withdraw(procedure=bulky, actor=waste_admin, reason="あ" * 501)
    back = procedure_version_withdraw(
        procedure=bulky, actor=waste_admin, reason="品目数の上限の変更は4月からのため"
    )
    assert back.pk == first.pk
    bulky.refresh_from_db()
    second.refresh_from_db()
    first.refresh_from_db()
    assert bulky.published_version_id == first.pk and first.status == ProcedureVersion.Status.PUBLISHED
    assert second.status == ProcedureVersion.Status.WITHDRAWN
    assert (
        second.withdrawn_by == waste_admin and second.withdrawal_reason == "品目数の上限の変更は4月からのため"
    )
    entry = AuditEntry.objects.filter(action="procedure.withdraw", target_id=str(bulky.pk)).latest("id")
    assert entry.before == {"version_id": second.pk, "number": second.number}
    assert entry.after["version_id"] == first.pk and entry.actor_id == waste_admin.pk
    # Nothing before the first version: nothing to return to.
    with pytest.raises(NothingToWithdraw):
        procedure_version_withdraw(procedure=bulky, actor=waste_admin, reason="誤り")
    # The withdrawn version cannot be published again (a new draft is made from it instead).
    with pytest.raises(VersionNotPublishable):
        procedure_version_publish(version=second, actor=waste_admin)


def test_a_residents_draft_stays_on_its_version_through_publish_and_withdraw(bulky, waste_admin, resident):
    first = bulky.published_version
    application = applications.application_start(resident=resident, procedure=bulky)
    example = copy.deepcopy(first.definition["example"])
    answers = {key: value for key, value in example.items() if key != "confirm_no_recycling_items"}
    application = applications.application_save_answers(
        application=application, actor=resident, answers=answers
    )
    assert application.procedure_version_id == first.pk

    second = procedure_version_publish(
        version=procedure_version_save_draft(procedure=bulky, data=revised(), actor=waste_admin),
        actor=waste_admin,
    )
    bulky.refresh_from_db()
    newer = applications.application_start(resident=resident, procedure=bulky)
    newer = applications.application_save_answers(
        application=newer, actor=resident, answers=copy.deepcopy(second.definition["example"])
    )
    assert newer.procedure_version_id == second.pk
    # Version 2 allows 5 items; the older draft on version 1 keeps its 3 and its own rules.
    application.refresh_from_db()
    assert application.procedure_version_id == first.pk

    procedure_version_withdraw(procedure=bulky, actor=waste_admin, reason="確認不足のため")
    # The resident continues the draft on version 1 and submits it.
    application = applications.application_save_answers(
        application=application, actor=resident, answers={**answers, "confirm_no_recycling_items": True}
    )
    submitted = submit(application=application, actor=resident)
    assert submitted.status == "submitted" and submitted.procedure_version_id == first.pk
    # The draft started on the withdrawn version 2 still continues and submits on it.
    newer.refresh_from_db()
    assert newer.procedure_version_id == second.pk
    newer_submitted = submit(application=newer, actor=resident)
    assert newer_submitted.status == "submitted" and newer_submitted.procedure_version_id == second.pk
    # New applications start on version 1 again.
    bulky.refresh_from_db()
    assert applications.application_start(resident=resident, procedure=bulky).procedure_version_id == first.pk
