"""The checks on the case page, the supervisor's page of passed cases with its second look, and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from idx.applications.models import Status
from idx.audit.models import AuditEntry
from tests.api.contract import conforms
from tests.checks.conftest import passing_answers, submitted_case
from tests.conftest import WATARAI_HOST, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(resident, other_resident, django_capture_on_commit_callbacks):
    """One case that passes every check and one that is late and names a child of 19."""
    passing = submitted_case(other_resident, django_capture_on_commit_callbacks)
    today = timezone.localdate()
    answers = passing_answers(moved_in_date=(today - dt.timedelta(days=30)).isoformat())
    answers["children"][0]["birth_date"] = today.replace(year=today.year - 19).isoformat()
    failing = submitted_case(resident, django_capture_on_commit_callbacks, answers)
    return passing, failing


def _post_json(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


# ---- pages ------------------------------------------------------------------------------------


def test_the_case_page_shows_each_check_in_japanese(clerk, cases):
    passing, failing = cases
    page = signed_in(clerk).get(f"/staff/cases/{failing.public_id}/", HTTP_ACCEPT_LANGUAGE="ja")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="checks"' in text and "自動チェック" in text
    assert "児童が18歳到達後最初の3月31日までの間にある" in text
    assert "1人の年齢が要件の範囲外です。" in text
    assert "期限を15日過ぎて受け付けました。" in text
    assert "不適合" in text and "住民記録と異なります（世帯）。" in text
    good = signed_in(clerk).get(f"/staff/cases/{passing.public_id}/").content.decode()
    assert "すべてのチェックに適合しました。" in good
    assert "2026-" not in good.split('id="checks"')[1].split("</section>")[0]  # no ISO dates


def test_staff_run_the_checks_again_only_in_their_department(
    clerk, clerk_other_department, clerk_other_municipality, cases
):
    passing, _failing = cases
    path = f"/staff/cases/{passing.public_id}/checks/run/"
    answer = signed_in(clerk).post(path)
    assert answer.status_code == 302 and answer["Location"].endswith("#checks")
    assert AuditEntry.objects.filter(action="checks.run", actor=clerk).count() == 1
    assert signed_in(clerk_other_department).post(path).status_code == 404
    assert signed_in(clerk_other_municipality, host=WATARAI_HOST).post(path).status_code == 404
    assert signed_in(clerk).get(path).status_code == 405


def test_the_supervisor_sees_only_the_passed_cases_and_approves_after_a_second_look(supervisor, cases):
    passing, failing = cases
    client = signed_in(supervisor)
    listing = client.get("/staff/checks/passed/", HTTP_ACCEPT_LANGUAGE="ja")
    text = listing.content.decode()
    assert listing.status_code == 200
    assert passing.receipt_number in text and failing.receipt_number not in text
    value = f"{passing.public_id}:{passing.row_version}"
    assert f'value="{value}"' in text
    look = client.post("/staff/checks/passed/approve/", {"cases": [value]}, HTTP_ACCEPT_LANGUAGE="ja")
    assert look.status_code == 200
    assert "これらの案件を決裁（承認）しますか？" in look.content.decode()
    passing.refresh_from_db()
    assert passing.status == Status.SUBMITTED  # nothing approved by looking
    unconfirmed = client.post("/staff/checks/passed/approve/", {"cases": [value], "approve": "1"})
    assert unconfirmed.status_code == 400
    passing.refresh_from_db()
    assert passing.status == Status.SUBMITTED
    done = client.post(
        "/staff/checks/passed/approve/",
        {"cases": [value], "approve": "1", "confirm": "yes", "reason": "一括"},
    )
    assert done.status_code == 302
    passing.refresh_from_db()
    assert passing.status == Status.APPROVED and passing.decision_reason == "一括"
    assert AuditEntry.objects.filter(action="checks.approve_in_bulk", actor=supervisor).count() == 1


def test_a_failing_case_slipped_into_the_form_is_left_out(supervisor, cases):
    _passing, failing = cases
    client = signed_in(supervisor)
    answer = client.post(
        "/staff/checks/passed/approve/",
        {"cases": [f"{failing.public_id}:{failing.row_version}"], "approve": "1", "confirm": "yes"},
    )
    assert answer.status_code == 302
    failing.refresh_from_db()
    assert failing.status == Status.SUBMITTED


def test_a_stale_version_approves_nothing(supervisor, cases):
    passing, _failing = cases
    answer = signed_in(supervisor).post(
        "/staff/checks/passed/approve/",
        {"cases": [f"{passing.public_id}:{passing.row_version + 5}"], "approve": "1", "confirm": "yes"},
    )
    assert answer.status_code == 302
    passing.refresh_from_db()
    assert passing.status == Status.SUBMITTED


def test_clerks_and_other_municipalities_reach_no_bulk_approval(clerk, cases, municipalities):
    from tests.checks.conftest import _user

    passing, _failing = cases
    value = f"{passing.public_id}:{passing.row_version}"
    assert signed_in(clerk).get("/staff/checks/passed/").status_code == 404
    assert signed_in(clerk).post("/staff/checks/passed/approve/", {"cases": [value]}).status_code == 404
    other = signed_in(
        _user(municipalities["watarai"], "supervisor@staff.watarai.example.jp"), host=WATARAI_HOST
    )
    assert passing.receipt_number not in other.get("/staff/checks/passed/").content.decode()
    other.post("/staff/checks/passed/approve/", {"cases": [value], "approve": "1", "confirm": "yes"})
    crisis = signed_in(_user(municipalities["iga"], "kiki-kanri-supervisor@staff.iga.example.jp"))
    assert passing.receipt_number not in crisis.get("/staff/checks/passed/").content.decode()
    crisis.post("/staff/checks/passed/approve/", {"cases": [value], "approve": "1", "confirm": "yes"})
    passing.refresh_from_db()
    assert passing.status == Status.SUBMITTED


# ---- API ----------------------------------------------------------------------------------------


def test_the_api_gives_a_cases_checks_and_runs_them_again(clerk, clerk_other_municipality, cases):
    _passing, failing = cases
    client = signed_in(clerk)
    path = f"/api/v1/staff/cases/{failing.public_id}/checks"
    body = conforms(client.get(path, HTTP_ACCEPT_LANGUAGE="ja"), "GET", path)
    assert body["all_passed"] is False and body["current"] is True
    outcomes = {row["rule_id"]: row["outcome"] for row in body["results"]}
    assert outcomes["children_under_18"] == "failed" and outcomes["no_open_claim"] == "passed"
    run = f"{path}/run"
    again = conforms(client.post(run), "POST", run)
    assert again["ran_at"] > body["ran_at"]
    other = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert conforms(other.get(path), "GET", path)["code"] == "not_found"


def test_the_api_approves_in_bulk_all_or_none(supervisor, clerk, cases):
    passing, failing = cases
    client = signed_in(supervisor)
    listed = conforms(client.get("/api/v1/staff/checks/passed"), "GET", "/api/v1/staff/checks/passed")
    assert [row["id"] for row in listed] == [str(passing.public_id)]
    assert (
        conforms(signed_in(clerk).get("/api/v1/staff/checks/passed"), "GET", "/api/v1/staff/checks/passed")
        == []
    )
    path = "/api/v1/staff/checks/approve-in-bulk"
    good = {"id": str(passing.public_id), "expected_version": passing.row_version}
    bad = {"id": str(failing.public_id), "expected_version": failing.row_version}
    assert (
        conforms(_post_json(client, path, {"cases": [good, bad], "confirmed": True}), "POST", path)["code"]
        == "not_found"
    )
    refused = _post_json(client, path, {"cases": [good], "confirmed": False})
    assert refused.status_code == 422 and conforms(refused, "POST", path)["code"] == "not_confirmed"
    stale = _post_json(
        client, path, {"cases": [{**good, "expected_version": passing.row_version + 1}], "confirmed": True}
    )
    assert stale.status_code == 409 and conforms(stale, "POST", path)["code"] == "changed_meanwhile"
    passing.refresh_from_db()
    assert passing.status == Status.SUBMITTED
    done = conforms(_post_json(client, path, {"cases": [good], "confirmed": True}), "POST", path)
    assert done == {"approved": 1}
    passing.refresh_from_db()
    assert passing.status == Status.APPROVED
