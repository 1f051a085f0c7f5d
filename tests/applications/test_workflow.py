"""The state machine, exhaustively, and the services that drive it."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from idx.applications import services
from idx.applications.models import Application, ReceiptSequence, Status, StatusChange
from idx.applications.workflow import (
    TRANSITIONS,
    Actor,
    Event,
    InvalidTransition,
    allowed_events,
    next_status,
)
from idx.audit.models import AuditEntry
from idx.common.dates import next_office_day
from tests.conftest import WATARAI_HOST, make_draft, make_submitted, signed_in, submit

S = Status
E = Event
R, STAFF = Actor.RESIDENT, Actor.STAFF

# Written out from the workflow description, independently of TRANSITIONS.
EXPECTED = {
    (S.DRAFT, E.SUBMIT, R): S.SUBMITTED,
    (S.SUBMITTED, E.START_REVIEW, STAFF): S.IN_REVIEW,
    (S.RESUBMITTED, E.START_REVIEW, STAFF): S.IN_REVIEW,
    (S.SUBMITTED, E.REQUEST_CORRECTION, STAFF): S.CORRECTION_REQUESTED,
    (S.IN_REVIEW, E.REQUEST_CORRECTION, STAFF): S.CORRECTION_REQUESTED,
    (S.RESUBMITTED, E.REQUEST_CORRECTION, STAFF): S.CORRECTION_REQUESTED,
    (S.CORRECTION_REQUESTED, E.RESUBMIT, R): S.RESUBMITTED,
    (S.IN_REVIEW, E.APPROVE, STAFF): S.APPROVED,
    (S.RESUBMITTED, E.APPROVE, STAFF): S.APPROVED,
    (S.IN_REVIEW, E.REJECT, STAFF): S.REJECTED,
    (S.RESUBMITTED, E.REJECT, STAFF): S.REJECTED,
    (S.SUBMITTED, E.WITHDRAW, R): S.WITHDRAWN,
    (S.IN_REVIEW, E.WITHDRAW, R): S.WITHDRAWN,
    (S.CORRECTION_REQUESTED, E.WITHDRAW, R): S.WITHDRAWN,
    (S.RESUBMITTED, E.WITHDRAW, R): S.WITHDRAWN,
}
ALL = list(itertools.product(list(Status), list(Event), list(Actor)))


def test_every_event_is_in_the_table():
    assert set(TRANSITIONS) == set(Event)


@pytest.mark.parametrize(("status", "event", "actor"), ALL, ids=lambda value: str(value))
def test_transition_table(status, event, actor):
    expected = EXPECTED.get((status, event, actor))
    if expected is None:
        with pytest.raises(InvalidTransition) as caught:
            next_status(event, status, actor)
        assert caught.value.event == event
        assert caught.value.status == status
        assert str(caught.value) == f"{event} is not allowed from {status}"
    else:
        assert next_status(event, status, actor) == expected


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("actor", list(Actor))
def test_allowed_events(status, actor):
    expected = [event for event in Event if (status, event, actor) in EXPECTED]
    assert allowed_events(status, actor) == expected


@pytest.mark.parametrize("status", [S.APPROVED, S.REJECTED, S.WITHDRAWN])
def test_closed_statuses_are_final(status):
    assert allowed_events(status, R) == []
    assert allowed_events(status, STAFF) == []


# ---- the services, from every status -------------------------------------------------------

NOTE_PATH = "claimant.phone"


def bring_to(status: str, resident, clerk) -> Application:
    """An application in ``status``, made only through the services."""
    if status == S.DRAFT:
        return make_draft(resident)
    application = make_submitted(resident)
    if status == S.SUBMITTED:
        return application
    if status == S.WITHDRAWN:
        return services.application_withdraw(application=application, actor=resident, reason="重複")
    application = services.case_start_review(
        application=application, staff=clerk, expected_version=application.row_version
    )
    if status == S.IN_REVIEW:
        return application
    if status in (S.APPROVED, S.REJECTED):
        return services.case_decide(
            application=application,
            staff=clerk,
            approve=status == S.APPROVED,
            reason="" if status == S.APPROVED else "要件を満たしません",
            expected_version=application.row_version,
        )
    application = services.case_request_correction(
        application=application,
        staff=clerk,
        notes={NOTE_PATH: "電話番号を確認してください"},
        message="確認をお願いします",
        expected_version=application.row_version,
    )
    if status == S.CORRECTION_REQUESTED:
        return application
    assert status == S.RESUBMITTED
    return services.application_resubmit(application=application, actor=resident)


def run_event(event: Event, application: Application, resident, clerk) -> Application:
    version = application.row_version
    if event == E.SUBMIT:
        return submit(application=application, actor=resident, declaration_accepted=True)
    if event == E.RESUBMIT:
        return services.application_resubmit(application=application, actor=resident)
    if event == E.WITHDRAW:
        return services.application_withdraw(application=application, actor=resident)
    if event == E.START_REVIEW:
        return services.case_start_review(application=application, staff=clerk, expected_version=version)
    if event == E.REQUEST_CORRECTION:
        return services.case_request_correction(
            application=application,
            staff=clerk,
            notes={NOTE_PATH: "確認"},
            message="",
            expected_version=version,
        )
    return services.case_decide(
        application=application,
        staff=clerk,
        approve=event == E.APPROVE,
        reason="理由",
        expected_version=version,
    )


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("event", list(Event))
def test_services_follow_the_table(status, event, resident, clerk):
    application = bring_to(status, resident, clerk)
    assert application.status == status
    changes = StatusChange.objects.filter(application=application).count()
    version = application.row_version
    actor = TRANSITIONS[event][0]
    expected = EXPECTED.get((status, event, actor))
    if expected is None:
        with pytest.raises(InvalidTransition):
            run_event(event, application, resident, clerk)
        application.refresh_from_db()
        assert application.status == status
        assert application.row_version == version
        assert StatusChange.objects.filter(application=application).count() == changes
    else:
        result = run_event(event, application, resident, clerk)
        assert result.status == expected
        assert Application.objects.get(pk=application.pk).status == expected
        assert result.row_version == version + 1
        last = StatusChange.objects.filter(application=application).last()
        assert (last.from_status, last.to_status) == (status, expected)
        assert StatusChange.objects.filter(application=application).count() == changes + 1


def test_resident_cannot_run_staff_events(submitted_application, resident):
    with pytest.raises(services.NotPermitted):
        services.case_start_review(application=submitted_application, staff=resident, expected_version=1)
    with pytest.raises(services.NotPermitted):
        services.case_decide(
            application=submitted_application, staff=resident, approve=True, reason="", expected_version=1
        )


def test_staff_cannot_run_resident_events(submitted_application, clerk, other_resident):
    for actor in (clerk, other_resident):
        with pytest.raises(services.NotPermitted):
            services.application_withdraw(application=submitted_application, actor=actor)
        with pytest.raises(services.NotPermitted):
            services.application_save_answers(application=submitted_application, actor=actor, answers={})
    assert Application.objects.get(pk=submitted_application.pk).status == S.SUBMITTED


def test_clerk_may_not_decide_cases_of_another_department(
    submitted_application, clerk_other_department, city_admin
):
    for staff in (clerk_other_department, city_admin):
        with pytest.raises(services.NotPermitted):
            services.case_start_review(application=submitted_application, staff=staff, expected_version=1)


# ---- submission ----------------------------------------------------------------------------


def test_submit_numbers_receipts_per_municipality(resident, other_resident, watarai_resident):
    year = timezone.localdate().year
    first = make_submitted(resident)
    second = make_submitted(other_resident)
    third = make_submitted(watarai_resident)
    assert first.receipt_number == f"IGA-{year}-000001"
    assert second.receipt_number == f"IGA-{year}-000002"
    assert third.receipt_number == f"WAT-{year}-000001"
    assert ReceiptSequence.objects.get(municipality=resident.municipality, year=year).last_number == 2
    assert ReceiptSequence.objects.get(municipality=watarai_resident.municipality, year=year).last_number == 1


def test_submit_sets_due_date_and_timestamps(draft_application, resident):
    before = timezone.now()
    application = submit(application=draft_application, actor=resident, declaration_accepted=True)
    assert application.status == S.SUBMITTED
    assert before <= application.submitted_at <= timezone.now()
    assert application.declaration_accepted_at == application.submitted_at
    days = application.procedure_version.definition["processing_days"]
    assert days == 30
    # 30 days on, or the next day the city hall is open when that day is closed.
    assert application.due_date == next_office_day(
        timezone.localdate(application.submitted_at) + dt.timedelta(days=30)
    )


def test_receipt_year_and_due_date_follow_japan_time(draft_application, resident):
    from freezegun import freeze_time

    with freeze_time("2026-12-31T15:30:00Z"):  # 2027-01-01 00:30 in Tokyo
        application = submit(application=draft_application, actor=resident, declaration_accepted=True)
    assert application.receipt_number == "IGA-2027-000001"
    assert application.due_date == dt.date(2027, 2, 1)  # 30 days on is Sunday 31 January


def test_a_processing_period_never_ends_on_a_closed_day(draft_application, resident):
    from freezegun import freeze_time

    # A day after the demo card was issued (a frozen day before it would refuse the signature).
    with freeze_time("2027-12-04T01:00:00Z"):  # 30 days on is 2028-01-03, inside 年末年始
        application = submit(application=draft_application, actor=resident, declaration_accepted=True)
    assert application.due_date == dt.date(2028, 1, 4)


def test_submit_without_declaration_is_refused(draft_application, resident):
    with pytest.raises(services.DeclarationMissing):
        submit(application=draft_application, actor=resident, declaration_accepted=False)
    draft_application.refresh_from_db()
    assert draft_application.status == S.DRAFT
    assert draft_application.receipt_number is None
    assert not ReceiptSequence.objects.exists()


def test_submit_with_invalid_answers_lists_problems(resident):
    application = make_draft(resident, answers={"claimant": {"name": "伊賀 花子", "postal_code": "5180873"}})
    with pytest.raises(services.AnswersInvalid) as caught:
        submit(application=application, actor=resident, declaration_accepted=True)
    found = {(error.path, error.code) for error in caught.value.errors}
    assert ("claimant.postal_code", "format:jp-postal-code") in found
    assert ("claimant.name_kana", "required") in found
    assert ("has_spouse", "required") in found
    assert Application.objects.get(pk=application.pk).status == S.DRAFT


def test_submit_refuses_unknown_attachment_id(resident, child_allowance):
    from tests.conftest import example_answers

    answers = example_answers(child_allowance)
    answers["bank_document"] = "att_" + "0" * 32
    application = make_draft(resident, answers=answers)
    with pytest.raises(services.AnswersInvalid) as caught:
        submit(application=application, actor=resident, declaration_accepted=True)
    assert [(e.path, e.code) for e in caught.value.errors] == [("bank_document", "format:attachment")]


def test_hidden_answers_are_dropped_on_submit(resident, child_allowance):
    from tests.conftest import example_answers

    answers = example_answers(child_allowance)
    answers["has_spouse"] = False  # spouse and spouse_income_yen are now hidden
    application = make_draft(resident, answers=answers)
    application = submit(application=application, actor=resident, declaration_accepted=True)
    assert "spouse" not in application.answers
    assert "spouse_income_yen" not in application.answers
    assert application.answers["claimant"]["name"] == "伊賀 太郎"


def test_double_submit(draft_application, resident):
    first = submit(application=draft_application, actor=resident, declaration_accepted=True)
    with pytest.raises(InvalidTransition):
        submit(application=first, actor=resident, declaration_accepted=True)
    # A stale copy still saying "draft" is refused under the row lock as well.
    stale = Application.objects.get(pk=first.pk)
    stale.status = S.DRAFT
    with pytest.raises(InvalidTransition):
        submit(application=stale, actor=resident, declaration_accepted=True)
    assert ReceiptSequence.objects.get().last_number == 1
    assert Application.objects.get(pk=first.pk).receipt_number == first.receipt_number
    assert StatusChange.objects.filter(application=first, to_status=S.SUBMITTED).count() == 1


def test_portal_double_submit_redirects_to_the_same_receipt(resident, resident_client):
    # A procedure without a signature or a fee: the review page's post submits at once.
    draft_application = make_draft(resident, "event-registration")
    url = f"/my/applications/{draft_application.public_id}/review/"
    receipt = f"/my/applications/{draft_application.public_id}/receipt/"
    first = resident_client.post(url, {"declaration": "yes"})
    second = resident_client.post(url, {"declaration": "yes"})
    assert first.status_code == 302 and first["Location"] == receipt
    assert second.status_code == 302
    assert second["Location"] in (receipt, f"/my/applications/{draft_application.public_id}/")
    assert Application.objects.filter(pk=draft_application.pk, receipt_number__isnull=False).count() == 1
    assert ReceiptSequence.objects.get().last_number == 1


def test_save_answers_refused_after_submit(submitted_application, resident):
    with pytest.raises(services.NotEditable):
        services.application_save_answers(
            application=submitted_application, actor=resident, answers={"remarks": "x"}
        )


def test_save_answers_too_large(draft_application, resident):
    with pytest.raises(services.AnswersTooLarge):
        services.application_save_answers(
            application=draft_application, actor=resident, answers={"remarks": "あ" * 100_000}
        )
    draft_application.refresh_from_db()
    assert "remarks" not in draft_application.answers


def test_save_answers_keeps_other_steps_when_fields_given(draft_application, resident):
    application = services.application_save_answers(
        application=draft_application,
        actor=resident,
        answers={"remarks": "よろしく", "income_year": 2024},
        fields=["remarks"],
    )
    assert application.answers["remarks"] == "よろしく"
    assert application.answers["income_year"] == 2025  # not in ``fields``: unchanged
    assert application.answers["claimant"]["name"] == "伊賀 太郎"
    assert application.applicant_name == "伊賀 太郎"


def test_discard_draft(draft_application, resident, submitted_application):
    services.application_discard_draft(application=draft_application, actor=resident)
    assert not Application.objects.filter(pk=draft_application.pk).exists()
    assert AuditEntry.objects.filter(
        action="application.discard_draft", target_id=str(draft_application.public_id)
    ).exists()
    with pytest.raises(services.NotEditable):
        services.application_discard_draft(application=submitted_application, actor=resident)


def test_start_is_idempotent_with_a_key(resident, child_allowance):
    first = services.application_start(resident=resident, procedure=child_allowance, idempotency_key="k-1")
    again = services.application_start(resident=resident, procedure=child_allowance, idempotency_key="k-1")
    other = services.application_start(resident=resident, procedure=child_allowance, idempotency_key="k-2")
    assert first.pk == again.pk != other.pk
    assert first.procedure_version_id == child_allowance.published_version_id
    assert first.department_id == child_allowance.department_id


def test_start_refused_for_a_procedure_of_another_municipality(watarai_resident, child_allowance):
    with pytest.raises(services.NotPermitted):
        services.application_start(resident=watarai_resident, procedure=child_allowance)


# ---- audit ---------------------------------------------------------------------------------


def _actions(application) -> list[str]:
    return list(
        AuditEntry.objects.filter(
            target_type="application", target_id=str(application.public_id)
        ).values_list("action", flat=True)
    )


def test_audit_trail_of_a_full_case(resident, clerk, supervisor, clerk_client):
    application = make_submitted(resident)
    application = services.case_assign(
        application=application, staff=clerk, assignee=clerk, expected_version=application.row_version
    )
    application = services.case_start_review(
        application=application, staff=clerk, expected_version=application.row_version
    )
    services.case_comment_add(application=application, staff=clerk, body="電話で確認済み")
    application = services.case_request_correction(
        application=application,
        staff=clerk,
        notes={NOTE_PATH: "確認"},
        message="",
        expected_version=application.row_version,
    )
    application = services.application_resubmit(application=application, actor=resident)
    application = services.case_decide(
        application=application,
        staff=clerk,
        approve=True,
        reason="",
        expected_version=application.row_version,
    )
    assert clerk_client.get(f"/staff/cases/{application.public_id}/").status_code == 200
    assert _actions(application) == [
        "application.start",
        "application.submit",
        "case.assign",
        "application.start_review",
        "case.comment",
        "application.request_correction",
        "application.resubmit",
        "application.approve",
        "personal_data.view.case",
    ]
    entries = AuditEntry.objects.filter(target_id=str(application.public_id))
    submit = entries.get(action="application.submit")
    assert submit.actor == resident
    assert submit.before == {"status": "draft", "row_version": 1}
    assert submit.after == {
        "status": "submitted",
        "receipt_number": application.receipt_number,
        "signature": {
            "certificate_serial": application.signature.certificate_serial,
            "certificate_issuer": application.signature.certificate_issuer,
        },
    }
    assert entries.get(action="personal_data.view.case").actor == clerk
    assert entries.get(action="case.assign").after == {"assignee": clerk.pk}
    assert entries.get(action="application.request_correction").after == {
        "status": "correction_requested",
        "flagged": [NOTE_PATH],
    }


def test_audit_of_reject_and_withdraw(resident, other_resident, clerk):
    rejected = make_submitted(resident)
    rejected = services.case_start_review(
        application=rejected, staff=clerk, expected_version=rejected.row_version
    )
    services.case_decide(
        application=rejected, staff=clerk, approve=False, reason="不備", expected_version=rejected.row_version
    )
    withdrawn = make_submitted(other_resident)
    services.application_withdraw(application=withdrawn, actor=other_resident, reason="間違えた")
    assert _actions(rejected)[-1] == "application.reject"
    assert _actions(withdrawn)[-1] == "application.withdraw"
    assert StatusChange.objects.get(application=withdrawn, to_status=S.WITHDRAWN).reason == "間違えた"


def test_audit_entry_and_state_change_commit_together(submitted_application, clerk, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        services.case_start_review(
            application=submitted_application, staff=clerk, expected_version=submitted_application.row_version
        )
    fresh = Application.objects.get(pk=submitted_application.pk)
    assert fresh.status == S.SUBMITTED
    assert fresh.row_version == submitted_application.row_version
    assert fresh.assignee_id is None
    assert not StatusChange.objects.filter(application=fresh, to_status=S.IN_REVIEW).exists()


def test_start_writes_nothing_when_the_audit_fails(resident, child_allowance, monkeypatch):
    monkeypatch.setattr(services, "audit_record", lambda **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        services.application_start(resident=resident, procedure=child_allowance)
    assert not Application.objects.filter(applicant=resident).exists()


# ---- history -------------------------------------------------------------------------------


def test_status_change_history(resident, clerk):
    application = bring_to(S.RESUBMITTED, resident, clerk)
    application = services.case_start_review(
        application=application, staff=clerk, expected_version=application.row_version
    )
    services.case_decide(
        application=application,
        staff=clerk,
        approve=False,
        reason="書類不足",
        expected_version=application.row_version,
    )
    history = list(
        StatusChange.objects.filter(application=application).values_list(
            "from_status", "to_status", "actor", "reason"
        )
    )
    assert history == [
        ("draft", "submitted", resident.pk, ""),
        ("submitted", "in_review", clerk.pk, ""),
        ("in_review", "correction_requested", clerk.pk, "確認をお願いします"),
        ("correction_requested", "resubmitted", resident.pk, ""),
        ("resubmitted", "in_review", clerk.pk, ""),
        ("in_review", "rejected", clerk.pk, "書類不足"),
    ]
    application.refresh_from_db()
    assert application.decision_reason == "書類不足"
    assert application.decided_at is not None


def test_start_review_assigns_the_reviewer_only_when_unassigned(resident, other_resident, clerk, supervisor):
    first = make_submitted(resident)
    first = services.case_start_review(application=first, staff=clerk, expected_version=first.row_version)
    assert first.assignee_id == clerk.pk
    second = make_submitted(other_resident)
    second = services.case_assign(
        application=second, staff=supervisor, assignee=supervisor, expected_version=second.row_version
    )
    second = services.case_start_review(application=second, staff=clerk, expected_version=second.row_version)
    assert second.assignee_id == supervisor.pk


# ---- optimistic concurrency ----------------------------------------------------------------


def test_two_decisions_with_the_same_version(resident, clerk, other_clerk):
    application = bring_to(S.IN_REVIEW, resident, clerk)
    seen_by_other = Application.objects.get(pk=application.pk)
    version = application.row_version
    services.case_decide(
        application=application, staff=clerk, approve=True, reason="", expected_version=version
    )
    with pytest.raises(services.ChangedMeanwhile):
        services.case_decide(
            application=seen_by_other,
            staff=other_clerk,
            approve=False,
            reason="不可",
            expected_version=version,
        )
    fresh = Application.objects.get(pk=application.pk)
    assert fresh.status == S.APPROVED
    assert fresh.decision_reason == ""
    assert StatusChange.objects.filter(application=fresh, to_status__in=[S.APPROVED, S.REJECTED]).count() == 1


def test_stale_assignment_is_refused(submitted_application, clerk, other_clerk):
    version = submitted_application.row_version
    services.case_assign(
        application=submitted_application, staff=clerk, assignee=clerk, expected_version=version
    )
    with pytest.raises(services.ChangedMeanwhile):
        services.case_assign(
            application=submitted_application,
            staff=other_clerk,
            assignee=other_clerk,
            expected_version=version,
        )
    assert Application.objects.get(pk=submitted_application.pk).assignee_id == clerk.pk


def _message(msgid: str) -> str:
    with translation.override("ja"):
        return escape(gettext(msgid))


CHANGED = "This case was changed by someone else meanwhile. Check the latest state below and try again."


def test_back_office_second_decision_shows_changed_meanwhile(resident, clerk, other_clerk):
    application = bring_to(S.IN_REVIEW, resident, clerk)
    version = application.row_version
    url = f"/staff/cases/{application.public_id}/decide/"
    first = signed_in(clerk).post(
        url, {"decision": "approve", "confirmed": "yes", "reason": "", "row_version": version}, follow=True
    )
    assert first.status_code == 200
    assert _message("Approved.") in first.content.decode()
    second = signed_in(other_clerk).post(
        url, {"decision": "reject", "confirmed": "yes", "reason": "不可", "row_version": version}, follow=True
    )
    assert second.status_code == 200
    assert _message(CHANGED) in second.content.decode()
    assert Application.objects.get(pk=application.pk).status == S.APPROVED


def test_back_office_stale_form_after_assignment_shows_changed_meanwhile(resident, clerk, other_clerk):
    application = bring_to(S.IN_REVIEW, resident, clerk)
    version = application.row_version
    services.case_assign(
        application=application, staff=other_clerk, assignee=other_clerk, expected_version=version
    )
    response = signed_in(clerk).post(
        f"/staff/cases/{application.public_id}/decide/",
        {"decision": "approve", "confirmed": "yes", "row_version": version},
        follow=True,
    )
    assert _message(CHANGED) in response.content.decode()
    assert Application.objects.get(pk=application.pk).status == S.IN_REVIEW


# ---- corrections (差し戻し) ----------------------------------------------------------------


def test_correction_changes_only_the_flagged_item(resident, clerk):
    application = bring_to(S.CORRECTION_REQUESTED, resident, clerk)
    assert application.correction_notes == {NOTE_PATH: "電話番号を確認してください"}
    assert application.correction_message == "確認をお願いします"
    tampered = dict(application.answers)
    tampered["claimant"] = {**application.answers["claimant"], "phone": "0595-11-2222", "name": "偽名 太郎"}
    tampered["remarks"] = "ついでに変更"
    tampered["payment_method"] = "public_funds_account"
    application = services.application_save_answers(application=application, actor=resident, answers=tampered)
    assert application.answers["claimant"]["phone"] == "0595-11-2222"
    assert application.answers["claimant"]["name"] == "伊賀 太郎"
    assert "remarks" not in application.answers
    assert application.answers["payment_method"] == "bank_account"
    application = services.application_resubmit(application=application, actor=resident)
    assert application.status == S.RESUBMITTED
    assert application.correction_notes == {}
    assert application.correction_message == ""
    assert application.answers["claimant"]["phone"] == "0595-11-2222"


def test_correction_needs_at_least_one_note(submitted_application, clerk):
    with pytest.raises(services.AnswersInvalid) as caught:
        services.case_request_correction(
            application=submitted_application,
            staff=clerk,
            notes={NOTE_PATH: "   "},
            message="",
            expected_version=1,
        )
    assert caught.value.errors[0].code == "no_items_flagged"


def test_resubmit_with_an_invalid_correction_is_refused(resident, clerk):
    application = bring_to(S.CORRECTION_REQUESTED, resident, clerk)
    answers = {"claimant": {"phone": "電話なし"}}
    application = services.application_save_answers(application=application, actor=resident, answers=answers)
    with pytest.raises(services.AnswersInvalid) as caught:
        services.application_resubmit(application=application, actor=resident)
    assert [(e.path, e.code) for e in caught.value.errors] == [("claimant.phone", "format:jp-phone")]
    assert Application.objects.get(pk=application.pk).status == S.CORRECTION_REQUESTED


def test_decision_without_reason_is_refused_for_rejections_only(resident, clerk):
    application = bring_to(S.IN_REVIEW, resident, clerk)
    with pytest.raises(services.AnswersInvalid):
        services.case_decide(
            application=application,
            staff=clerk,
            approve=False,
            reason="  ",
            expected_version=application.row_version,
        )
    approved = services.case_decide(
        application=application,
        staff=clerk,
        approve=True,
        reason="",
        expected_version=application.row_version,
    )
    assert approved.status == S.APPROVED


# ---- e-mail --------------------------------------------------------------------------------


def _subject(language: str, msgid: str, number: str) -> str:
    with translation.override(language):
        return "[伊賀市] " + gettext(msgid) % {"number": number}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_status_emails(language, resident, clerk, mailoutbox, django_capture_on_commit_callbacks):
    resident.preferred_language = language
    resident.save(update_fields=["preferred_language"])
    draft = make_draft(resident)
    with django_capture_on_commit_callbacks(execute=True):
        application = submit(application=draft, actor=resident, declaration_accepted=True)
    assert len(mailoutbox) == 1
    number = application.receipt_number
    message = mailoutbox[0]
    assert message.to == [resident.email]
    assert number in message.subject
    assert message.subject == _subject(language, "Application received (%(number)s)", number)
    assert f"/my/applications/{application.public_id}/" in message.body
    if language == "en":
        assert message.subject == f"[伊賀市] Application received ({number})"
        assert "We have received your application." in message.body

    steps = [
        lambda app: services.case_start_review(
            application=app, staff=clerk, expected_version=app.row_version
        ),
        lambda app: services.case_request_correction(
            application=app,
            staff=clerk,
            notes={NOTE_PATH: "確認"},
            message="",
            expected_version=app.row_version,
        ),
        lambda app: services.application_resubmit(application=app, actor=resident),
        lambda app: services.case_start_review(
            application=app, staff=clerk, expected_version=app.row_version
        ),
        lambda app: services.case_decide(
            application=app, staff=clerk, approve=True, reason="", expected_version=app.row_version
        ),
    ]
    for index, step in enumerate(steps, start=2):
        with django_capture_on_commit_callbacks(execute=True):
            application = step(application)
        assert len(mailoutbox) == index
        assert mailoutbox[-1].to == [resident.email]
        assert mailoutbox[-1].subject == _subject(
            language, "Your application %(number)s has been updated", number
        )
    if language == "en":
        assert "Your application has been approved." in mailoutbox[-1].body


def test_no_email_for_a_change_that_did_not_happen(
    resident, clerk, mailoutbox, django_capture_on_commit_callbacks
):
    application = make_submitted(resident)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(services.ChangedMeanwhile),
    ):
        services.case_start_review(
            application=application, staff=clerk, expected_version=application.row_version + 5
        )
    assert callbacks == []
    assert mailoutbox == []


def test_muted_notifications_send_nothing(
    draft_application, resident, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), services.notifications_muted():
        submit(application=draft_application, actor=resident, declaration_accepted=True)
    assert mailoutbox == []


def test_clerk_of_watarai_gets_404_on_iga_case_page(submitted_application, clerk_other_municipality):
    client = signed_in(clerk_other_municipality, WATARAI_HOST)
    assert client.get(f"/staff/cases/{submitted_application.public_id}/").status_code == 404
