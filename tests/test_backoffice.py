"""The back office: sign-in, queue, case work, exports and the procedure editor."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from idx.applications import services
from idx.applications.exports import FIXED_COLUMNS
from idx.applications.models import Application, CaseComment, Status
from idx.audit.models import AuditEntry
from idx.procedures.models import ProcedureVersion
from tests.conftest import (
    example_answers,
    make_draft,
    make_submitted,
    procedure,
    reauthenticated,
    signed_in,
    submit,
)


def msg(msgid: str, **params: object) -> str:
    with translation.override("ja"):
        text = gettext(msgid)
    return escape(text % params if params else text)


def receipts(response) -> list[str]:
    return re.findall(r'href="/staff/cases/[0-9a-f-]+/">([A-Z]+-\d{4}-\d{6})</a>', response.content.decode())


def named(resident, name: str, code: str = "child-allowance-certification"):
    proc = procedure(resident.municipality, code)
    answers = example_answers(proc)
    answers["claimant"]["name"] = name
    return make_submitted(resident, code, answers)


# ---- sign-in -------------------------------------------------------------------------------


def _totp_now(user) -> str:
    import pyotp

    from idx.demo.loader import demo_totp_secret

    return pyotp.TOTP(demo_totp_secret(user.email)).now()


def test_staff_sign_in(iga_client, clerk):
    # The password alone does not sign in: it leads to the second factor (tests/mfa covers more).
    response = iga_client.post("/staff/login/", {"email": clerk.email, "password": "idx-demo-2026"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/second-factor/"
    assert "_auth_user_id" not in iga_client.session
    assert iga_client.get("/staff/").status_code == 302
    response = iga_client.post("/staff/login/second-factor/", {"code": _totp_now(clerk)})
    assert response["Location"] == "/staff/"
    assert AuditEntry.objects.filter(action="staff.sign_in", actor=clerk).count() == 1
    assert iga_client.get("/staff/").status_code == 200


def test_resident_credentials_refused_on_staff_login(iga_client, resident):
    response = iga_client.post("/staff/login/", {"email": resident.email, "password": "idx-demo-2026"})
    assert response.status_code == 422
    assert msg("The e-mail address or password is not correct.") in response.content.decode()
    assert "_auth_user_id" not in iga_client.session
    assert AuditEntry.objects.filter(action="staff.sign_in_failed").count() == 1


def test_staff_login_redirect_stays_in_staff(iga_client, clerk):
    data = {"email": clerk.email, "password": "idx-demo-2026"}
    iga_client.post("/staff/login/?next=https://evil.example/", data)
    assert iga_client.post("/staff/login/second-factor/", {"code": _totp_now(clerk)})["Location"] == "/staff/"


def test_staff_sign_out(clerk_client):
    assert clerk_client.post("/staff/logout/")["Location"] == "/staff/login/"
    assert clerk_client.get("/staff/")["Location"].startswith("/staff/login/")


# ---- the queue ------------------------------------------------------------------------------


@pytest.fixture
def cases(resident, other_resident, clerk, supervisor):
    """Five cases of こども家庭課 in different states, one overdue."""
    first = named(resident, "上野 次郎")
    second = named(other_resident, "伊賀 太郎")
    donation = make_submitted(resident, "child-allowance-donation")
    in_review = services.case_start_review(
        application=named(other_resident, "阿山 三郎"), staff=clerk, expected_version=2
    )
    decided = named(resident, "柘植 四郎")
    decided = services.case_start_review(
        application=decided, staff=supervisor, expected_version=decided.row_version
    )
    decided = services.case_decide(
        application=decided, staff=supervisor, approve=True, reason="", expected_version=decided.row_version
    )
    Application.objects.filter(pk=second.pk).update(due_date=timezone.localdate() - dt.timedelta(days=3))
    return {
        "first": first,
        "overdue": second,
        "donation": donation,
        "in_review": in_review,
        "decided": decided,
    }


def test_queue_lists_open_cases_overdue_first(cases, clerk_client):
    found = receipts(clerk_client.get("/staff/"))
    assert found[0] == cases["overdue"].receipt_number
    assert set(found) == {cases[key].receipt_number for key in ("first", "overdue", "donation", "in_review")}
    page = clerk_client.get("/staff/").content.decode()
    assert 'class="overdue"' in page


def test_queue_status_filter(cases, clerk_client):
    assert receipts(clerk_client.get("/staff/", {"status": "in_review"})) == [
        cases["in_review"].receipt_number
    ]
    assert receipts(clerk_client.get("/staff/", {"status": "approved"})) == [cases["decided"].receipt_number]
    assert len(receipts(clerk_client.get("/staff/", {"status": ""}))) == 5


def test_queue_procedure_filter(cases, clerk_client):
    found = receipts(clerk_client.get("/staff/", {"procedure": "child-allowance-donation"}))
    assert found == [cases["donation"].receipt_number]


def test_queue_assignee_filter(cases, clerk_client, clerk):
    mine = receipts(clerk_client.get("/staff/", {"assignee": "me"}))
    assert mine == [cases["in_review"].receipt_number]
    nobody = set(receipts(clerk_client.get("/staff/", {"assignee": "none"})))
    assert nobody == {cases[key].receipt_number for key in ("first", "overdue", "donation")}
    by_id = receipts(clerk_client.get("/staff/", {"assignee": str(clerk.pk), "status": ""}))
    assert by_id == [cases["in_review"].receipt_number]


def test_queue_due_filter(cases, clerk_client):
    assert receipts(clerk_client.get("/staff/", {"due": "overdue"})) == [cases["overdue"].receipt_number]
    Application.objects.filter(pk=cases["first"].pk).update(
        due_date=timezone.localdate() + dt.timedelta(days=5)
    )
    week = receipts(clerk_client.get("/staff/", {"due": "week"}))
    assert week == [cases["overdue"].receipt_number, cases["first"].receipt_number]


def test_queue_search(cases, clerk_client):
    number = cases["donation"].receipt_number
    assert receipts(clerk_client.get("/staff/", {"q": number})) == [number]
    assert receipts(clerk_client.get("/staff/", {"q": number.lower()})) == [number]
    assert receipts(clerk_client.get("/staff/", {"q": "上野"})) == [cases["first"].receipt_number]
    assert (
        receipts(clerk_client.get("/staff/", {"q": "次郎"})) == []
    )  # a prefix search, not a substring search
    assert receipts(clerk_client.get("/staff/", {"q": "阿山 三"})) == [cases["in_review"].receipt_number]


def test_queue_query_count_does_not_grow(resident, clerk, clerk_client):
    for _ in range(5):
        application = make_submitted(resident)
        services.case_assign(
            application=application, staff=clerk, assignee=clerk, expected_version=application.row_version
        )
    from idx.common.tenancy import clear_host_cache

    clear_host_cache()  # the host cache expires after a minute: start both measurements alike
    with CaptureQueriesContext(connection) as five:
        assert len(receipts(clerk_client.get("/staff/"))) == 5
    for _ in range(25):
        make_submitted(resident)
    clear_host_cache()
    with CaptureQueriesContext(connection) as thirty:
        assert len(receipts(clerk_client.get("/staff/"))) == 30
    assert len(thirty.captured_queries) == len(five.captured_queries)
    assert len(five.captured_queries) <= 10


def test_queue_pages(resident, clerk_client, monkeypatch):
    from idx.backoffice import cases

    monkeypatch.setattr(cases, "PAGE_SIZE", 2)
    numbers = [make_submitted(resident).receipt_number for _ in range(3)]
    first = clerk_client.get("/staff/")
    assert receipts(first) == numbers[:2]
    assert "page=2" in first.content.decode()
    assert receipts(clerk_client.get("/staff/", {"page": "2"})) == numbers[2:]
    assert clerk_client.get("/staff/", {"page": "x"}).status_code == 200


# ---- a case ---------------------------------------------------------------------------------


def test_case_page_shows_answers_and_history(submitted_application, clerk_client):
    response = clerk_client.get(f"/staff/cases/{submitted_application.public_id}/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "伊賀 太郎",
        "イガ タロウ",
        "1988年6月15日（昭和63年6月15日）",
        "伊賀 さくら",
        submitted_application.receipt_number,
    ):
        assert text in page, text
    with translation.override("ja"):
        assert escape(str(Status.SUBMITTED.label)) in page
    assert f'href="/staff/cases/{submitted_application.public_id}/correction/"' in page


def test_assign_to_me(submitted_application, clerk, clerk_client):
    response = clerk_client.post(
        f"/staff/cases/{submitted_application.public_id}/assign-self/",
        {"row_version": submitted_application.row_version},
        follow=True,
    )
    assert msg("You are now the assignee of this case.") in response.content.decode()
    fresh = Application.objects.get(pk=submitted_application.pk)
    assert fresh.assignee_id == clerk.pk
    assert fresh.row_version == submitted_application.row_version + 1


def test_start_review_from_the_page(submitted_application, clerk, clerk_client):
    clerk_client.post(
        f"/staff/cases/{submitted_application.public_id}/start-review/",
        {"row_version": submitted_application.row_version},
    )
    fresh = Application.objects.get(pk=submitted_application.pk)
    assert fresh.status == Status.IN_REVIEW
    assert fresh.assignee_id == clerk.pk


def test_bulk_assign_by_supervisor(resident, clerk, supervisor_client):
    apps = [make_submitted(resident) for _ in range(3)]
    response = supervisor_client.post(
        "/staff/cases/bulk-assign/",
        {"cases": [str(app.public_id) for app in apps], "assignee": clerk.pk},
        follow=True,
    )
    assert msg("%(count)s cases assigned.", count=3) in response.content.decode()
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("assignee_id", flat=True)
    ) == {clerk.pk}
    assert AuditEntry.objects.filter(action="case.assign").count() == 3


def test_bulk_assign_refused_for_clerk(resident, clerk_client, supervisor):
    apps = [make_submitted(resident) for _ in range(2)]
    response = clerk_client.post(
        "/staff/cases/bulk-assign/",
        {"cases": [str(app.public_id) for app in apps], "assignee": supervisor.pk},
        follow=True,
    )
    assert msg("You may not assign cases to others.") in response.content.decode()
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("assignee_id", flat=True)
    ) == {None}
    assert not AuditEntry.objects.filter(action="case.assign").exists()


def test_bulk_assign_needs_cases_and_a_colleague(supervisor_client, clerk):
    response = supervisor_client.post("/staff/cases/bulk-assign/", {"assignee": clerk.pk}, follow=True)
    assert msg("Choose cases and a colleague.") in response.content.decode()


def test_bulk_assign_to_staff_of_another_department_is_refused(
    resident, supervisor_client, clerk_other_department
):
    app = make_submitted(resident)
    response = supervisor_client.post(
        "/staff/cases/bulk-assign/",
        {"cases": [str(app.public_id)], "assignee": clerk_other_department.pk},
        follow=True,
    )
    assert msg("Choose cases and a colleague.") in response.content.decode()
    assert Application.objects.get(pk=app.pk).assignee_id is None


def test_request_correction_with_notes(submitted_application, clerk_client):
    response = clerk_client.post(
        f"/staff/cases/{submitted_application.public_id}/request-correction/",
        {
            "row_version": submitted_application.row_version,
            "flag": ["claimant.phone", "children[1].birth_date"],
            "note:claimant.phone": "日中につながる番号をお願いします",
            "note:children[1].birth_date": "",
            "note:claimant.name": "これはフラグなし",
            "message": "2点ご確認ください。",
        },
        follow=True,
    )
    assert msg("Sent back to the applicant for correction.") in response.content.decode()
    fresh = Application.objects.get(pk=submitted_application.pk)
    assert fresh.status == Status.CORRECTION_REQUESTED
    with translation.override("ja"):
        default = gettext("Please check this item.")
    assert fresh.correction_notes == {
        "claimant.phone": "日中につながる番号をお願いします",
        "children[1].birth_date": default,
    }
    assert fresh.correction_message == "2点ご確認ください。"


def test_request_correction_without_flags(submitted_application, clerk_client):
    response = clerk_client.post(
        f"/staff/cases/{submitted_application.public_id}/request-correction/",
        {"row_version": submitted_application.row_version, "message": "?"},
        follow=True,
    )
    assert msg("Fill in the required items (a reason, a note per flagged item).") in response.content.decode()
    assert Application.objects.get(pk=submitted_application.pk).status == Status.SUBMITTED


@pytest.fixture
def reviewed(submitted_application, clerk):
    return services.case_start_review(
        application=submitted_application, staff=clerk, expected_version=submitted_application.row_version
    )


def test_reject_without_reason(reviewed, clerk_client):
    response = clerk_client.post(
        f"/staff/cases/{reviewed.public_id}/decide/",
        {"decision": "reject", "confirmed": "yes", "reason": " ", "row_version": reviewed.row_version},
        follow=True,
    )
    assert msg("Enter the reason for the rejection.") in response.content.decode()
    assert Application.objects.get(pk=reviewed.pk).status == Status.IN_REVIEW


def test_reject_with_reason(reviewed, clerk_client):
    clerk_client.post(
        f"/staff/cases/{reviewed.public_id}/decide/",
        {
            "decision": "reject",
            "confirmed": "yes",
            "reason": "市外に転出済みのため",
            "row_version": reviewed.row_version,
        },
    )
    fresh = Application.objects.get(pk=reviewed.pk)
    assert fresh.status == Status.REJECTED
    assert fresh.decision_reason == "市外に転出済みのため"
    page = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    assert "市外に転出済みのため" in page


def test_approve(reviewed, clerk_client):
    clerk_client.post(
        f"/staff/cases/{reviewed.public_id}/decide/",
        {"decision": "approve", "confirmed": "yes", "row_version": reviewed.row_version},
    )
    fresh = Application.objects.get(pk=reviewed.pk)
    assert fresh.status == Status.APPROVED
    assert fresh.decided_at is not None


def test_decide_from_the_wrong_state(submitted_application, clerk_client):
    response = clerk_client.post(
        f"/staff/cases/{submitted_application.public_id}/decide/",
        {"decision": "approve", "confirmed": "yes", "row_version": submitted_application.row_version},
        follow=True,
    )
    assert msg("That action is not possible in the case's current state.") in response.content.decode()
    assert Application.objects.get(pk=submitted_application.pk).status == Status.SUBMITTED


def test_comments(submitted_application, clerk, clerk_client, resident_client):
    url = f"/staff/cases/{submitted_application.public_id}/"
    clerk_client.post(f"{url}comment/", {"body": "  住民票で確認済み  "})
    comment = CaseComment.objects.get(application=submitted_application)
    assert (comment.author, comment.body) == (clerk, "住民票で確認済み")
    assert "住民票で確認済み" in clerk_client.get(url).content.decode()
    empty = clerk_client.post(f"{url}comment/", {"body": "   "}, follow=True)
    assert msg("Fill in the required items (a reason, a note per flagged item).") in empty.content.decode()
    assert CaseComment.objects.count() == 1
    resident_page = resident_client.get(
        f"/my/applications/{submitted_application.public_id}/"
    ).content.decode()
    assert "住民票で確認済み" not in resident_page


def test_case_attachment_download_is_audited(resident, clerk_client):
    from tests.applications.test_attachments import png

    application = make_draft(resident)
    attachment = services.attachment_add(
        application=application, actor=resident, field_path="bank_document", name="通帳.png", data=png()
    )
    application = submit(
        application=Application.objects.get(pk=application.pk), actor=resident, declaration_accepted=True
    )
    response = clerk_client.get(f"/staff/cases/{application.public_id}/files/{attachment.public_id}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert (
        AuditEntry.objects.filter(
            action="personal_data.view.attachment", target_id=str(application.public_id)
        ).count()
        == 1
    )


def test_drafts_are_not_cases(draft_application, clerk_client):
    assert clerk_client.get(f"/staff/cases/{draft_application.public_id}/").status_code == 404


def test_city_admin_sees_every_department_but_cannot_work(submitted_application, city_admin_client):
    response = city_admin_client.get(f"/staff/cases/{submitted_application.public_id}/")
    assert response.status_code == 200
    assert "assign-self" not in response.content.decode()
    city_admin_client.post(
        f"/staff/cases/{submitted_application.public_id}/start-review/",
        {"row_version": submitted_application.row_version},
    )
    assert Application.objects.get(pk=submitted_application.pk).status == Status.SUBMITTED


# ---- exports --------------------------------------------------------------------------------


@pytest.fixture
def decided_cases(resident, other_resident, clerk):
    proc = procedure(resident.municipality)
    answers = example_answers(proc)
    answers["claimant"]["address"] = '=HYPERLINK("http://evil.example","click")'
    answers["remarks"] = "@SUM(1+1)"
    injected = make_submitted(resident, answers=answers)
    plain = make_submitted(other_resident)
    make_submitted(resident)  # stays open: not exported
    result = []
    for application, approve in ((injected, True), (plain, False)):
        application = services.case_start_review(
            application=application, staff=clerk, expected_version=application.row_version
        )
        result.append(
            services.case_decide(
                application=application,
                staff=clerk,
                approve=approve,
                reason="" if approve else "要件外",
                expected_version=application.row_version,
            )
        )
    return result


def _body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_export_csv(decided_cases, supervisor_client, supervisor):
    reauthenticated(supervisor_client)
    response = supervisor_client.get(
        "/staff/exports/", {"procedure": "child-allowance-certification", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="child-allowance-certification-decided.csv"'
    )
    text = _body(response)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    header = rows[0]
    assert header[: len(FIXED_COLUMNS)] == FIXED_COLUMNS
    for name in ("請求者_氏名", "請求者_郵便番号", "児童1_氏名", "児童2_氏名", "口座_口座番号", "remarks"):
        assert name in header, name
    assert "claimant.name" not in header
    body = rows[1:]
    assert len(body) == 2
    assert [row[0] for row in body] == [case.receipt_number for case in decided_cases]
    assert [row[3] for row in body] == ["approved", "rejected"]
    first = dict(zip(header, body[0], strict=True))
    assert first["請求者_住所"] == '\'=HYPERLINK("http://evil.example","click")'
    assert first["remarks"] == "'@SUM(1+1)"
    assert first["請求者_氏名"] == "伊賀 太郎"
    assert first["児童2_氏名"] == "伊賀 さくら"
    assert "児童3_氏名" not in header  # no case has a third child
    assert dict(zip(header, body[1], strict=True))["決定理由"] == "要件外"
    assert AuditEntry.objects.filter(action="cases.export", actor=supervisor).count() == 1


def test_export_json(decided_cases, supervisor_client):
    reauthenticated(supervisor_client)
    response = supervisor_client.get(
        "/staff/exports/", {"procedure": "child-allowance-certification", "format": "json"}
    )
    assert response.status_code == 200
    data = json.loads(_body(response))
    assert data["procedure"] == "child-allowance-certification"
    assert data["standard_items"]["claimant.name"] == "請求者_氏名"
    assert [case["受付番号"] for case in data["cases"]] == [case.receipt_number for case in decided_cases]
    assert data["cases"][0]["answers"]["claimant"]["name"] == "伊賀 太郎"


def test_export_form_and_bad_parameters(supervisor_client):
    reauthenticated(supervisor_client)
    assert supervisor_client.get("/staff/exports/").status_code == 200
    assert (
        supervisor_client.get(
            "/staff/exports/", {"procedure": "child-allowance-certification", "format": "xlsx"}
        ).status_code
        == 200
    )
    assert not AuditEntry.objects.filter(action="cases.export").exists()


def test_export_of_another_departments_procedure(supervisor_client):
    reauthenticated(supervisor_client)
    response = supervisor_client.get(
        "/staff/exports/", {"procedure": "care-needs-certification", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_clerk_cannot_export(clerk_client):
    assert clerk_client.get("/staff/exports/").status_code == 404
    assert (
        clerk_client.get(
            "/staff/exports/", {"procedure": "child-allowance-certification", "format": "csv"}
        ).status_code
        == 404
    )


# ---- the procedure editor ------------------------------------------------------------------

EDIT = "/staff/procedures/child-allowance-certification/edit/"


def _definition(iga) -> dict:
    return json.loads(json.dumps(procedure(iga).published_version.definition))


def test_editor_is_for_administrators(clerk_client, supervisor_client, city_admin_client):
    assert clerk_client.get(EDIT).status_code == 404
    assert supervisor_client.get(EDIT).status_code == 404
    assert clerk_client.get("/staff/procedures/").status_code == 404
    assert city_admin_client.get("/staff/procedures/").status_code == 200
    page = city_admin_client.get(EDIT)
    assert page.status_code == 200
    assert "child-allowance-certification" in page.content.decode()


def test_editor_invalid_json(city_admin_client):
    response = city_admin_client.post(
        EDIT, {"definition": '{"code": "child-allowance-certification", ', "action": "preview"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="error-summary"' in page
    prefix = msg("The text is not valid JSON or YAML: %(error)s", error="")
    assert prefix in page


def test_editor_lists_definition_problems(city_admin_client, iga):
    data = _definition(iga)
    data["steps"][0]["items"][1]["label"] = {"ja": "転入日"}
    data["steps"][0]["items"][2]["widget"] = "slider"
    response = city_admin_client.post(
        EDIT, {"definition": json.dumps(data, ensure_ascii=False), "action": "save"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert msg("%(where)s: missing language '%(lang)s'", where="steps[0].items[1].label", lang="en") in page
    assert msg("%(where)s: unknown widget '%(widget)s'", where="steps[0].items[2]", widget="slider") in page
    assert (
        ProcedureVersion.objects.filter(
            procedure__municipality=iga, procedure__code="child-allowance-certification"
        ).count()
        == 1
    )


def test_editor_preview(city_admin_client, iga):
    data = _definition(iga)
    data["steps"][0]["items"][1]["label"]["ja"] = "この市に転入した日"
    response = city_admin_client.post(
        EDIT, {"definition": json.dumps(data, ensure_ascii=False), "action": "preview"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "この市に転入した日" in page
    assert 'value="伊賀 太郎"' in page  # the example fills the preview
    assert procedure(iga).published_version.number == 1


def test_editor_publish_creates_a_new_version(city_admin_client, iga, resident):
    before = make_draft(resident)
    data = _definition(iga)
    data["steps"][0]["items"][1]["label"]["ja"] = "この市に転入した日"
    data["processing_days"] = 14
    response = city_admin_client.post(
        EDIT, {"definition": json.dumps(data, ensure_ascii=False), "action": "save"}, follow=True
    )
    assert response.status_code == 200
    assert 'value="publish"' not in response.content.decode()  # publishing has its own confirmation page
    from idx.procedures.services import procedure_version_publish

    draft_version = procedure(iga).versions.get(status="draft")
    procedure_version_publish(version=draft_version, actor=None)
    proc = procedure(iga)
    assert proc.published_version.number == 2
    statuses = dict(proc.versions.values_list("number", "status"))
    assert statuses == {1: "retired", 2: "published"}
    assert before.procedure_version.number == 1
    after = make_draft(resident)
    assert after.procedure_version.number == 2
    submitted_before = submit(application=before, actor=resident, declaration_accepted=True)
    submitted_after = submit(application=after, actor=resident, declaration_accepted=True)
    assert Application.objects.get(pk=before.pk).procedure_version.number == 1
    from idx.common.dates import next_office_day

    assert submitted_before.due_date == next_office_day(
        timezone.localdate(submitted_before.submitted_at) + dt.timedelta(days=30)
    )
    assert submitted_after.due_date == next_office_day(
        timezone.localdate(submitted_after.submitted_at) + dt.timedelta(days=14)
    )
    label = resident_step_label(resident, before)
    assert "この市に転入した日" not in label
    assert "この市に転入した日" in resident_step_label(resident, make_draft(resident))


def resident_step_label(resident, application) -> str:
    client = signed_in(resident)
    return client.get(f"/my/applications/{application.public_id}/steps/claimant/").content.decode()


def test_editor_save_draft_then_publish(city_admin_client, iga):
    data = _definition(iga)
    data["summary"]["ja"] = "新しい説明"
    response = city_admin_client.post(
        EDIT, {"definition": json.dumps(data, ensure_ascii=False), "action": "save"}, follow=True
    )
    assert msg("Saved as draft version %(number)s.", number=2) in response.content.decode()
    assert procedure(iga).published_version.number == 1
    city_admin_client.post(EDIT, {"definition": json.dumps(data, ensure_ascii=False), "action": "save"})
    assert procedure(iga).versions.count() == 2  # the unpublished draft is replaced, not stacked


def test_editor_refuses_changing_the_code(city_admin_client, iga):
    data = _definition(iga)
    data["code"] = "something-else"
    response = city_admin_client.post(
        EDIT, {"definition": json.dumps(data, ensure_ascii=False), "action": "save"}
    )
    assert response.status_code == 422
    assert escape("code: must stay 'child-allowance-certification'") in response.content.decode()


# ---- odd input never crashes ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "①", "٣", "-1", "1e3", "9" * 30])
def test_odd_numbers_in_queue_parameters(submitted_application, clerk_client, value):
    response = clerk_client.get("/staff/", {"assignee": value, "page": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["²", "", "x", "-1", "9" * 30])
def test_odd_row_version_is_treated_as_stale(submitted_application, clerk_client, value):
    response = clerk_client.post(
        f"/staff/cases/{submitted_application.public_id}/start-review/", {"row_version": value}, follow=True
    )
    assert response.status_code == 200
    assert (
        msg("This case was changed by someone else meanwhile. Check the latest state below and try again.")
        in response.content.decode()
    )
    assert Application.objects.get(pk=submitted_application.pk).status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+81 595 22 9611", "'+81 595 22 9611"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("-42", "-42"),
        (-42, "-42"),
        (4200000, "4200000"),
        (True, "1"),
        (False, "0"),
        (None, ""),
        ("伊賀 太郎", "伊賀 太郎"),
        ("a=b", "a=b"),
    ],
)
def test_csv_cells(value, cell):
    from idx.applications.exports import _cell

    assert _cell(value) == cell
