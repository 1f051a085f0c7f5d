"""The plan in the JSON API, checked against the API's own OpenAPI document with real rows:
public (published notes only, no staff names), staff (everything of the municipality), writes
limited to the owner department, other municipalities answered "not found"."""

from __future__ import annotations

import json

from django.test import Client

from idx.dxplan.models import Initiative, ProgressNote
from idx.identity.services import api_token_issue
from tests.api.contract import conforms
from tests.conftest import IGA_HOST, WATARAI_HOST


def _client(user=None, host: str = IGA_HOST) -> Client:
    if user is None:
        return Client(HTTP_HOST=host)
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user, name='dx')}")


def _get(client: Client, path: str):
    response = client.get(f"/api/v1{path}")
    return response, conforms(response, "GET", f"/api/v1{path}")


def _post(client: Client, path: str, body: dict):
    response = client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")
    return response, conforms(response, "POST", f"/api/v1{path}")


def test_the_public_plan_has_published_notes_only(iga_plan, jumin_admin):
    initiative = Initiative.objects.get(municipality=iga_plan, code="assisted-counter")
    draft = ProgressNote.objects.create(
        municipality=iga_plan,
        initiative=initiative,
        fiscal_year=2026,
        quarter=3,
        status="on_track",
        texts={"ja": "下書きの報告"},
        author=jumin_admin,
    )
    response, body = _get(_client(), "/dx-plan")
    assert response.status_code == 200
    assert body["municipality"] == "242161"
    assert body["dataset"] == "dx-action-plan-progress"
    assert [policy["number"] for policy in body["policies"]] == [1, 2, 3]
    initiatives = [item for policy in body["policies"] for item in policy["initiatives"]]
    assert len(initiatives) == 11
    counter = next(item for item in initiatives if item["code"] == "assisted-counter")
    assert counter["owner"]["code"] == "jumin"
    assert {target["fiscal_year"] for target in counter["targets"]} == {2025, 2026, 2027}
    assert counter["notes"] and all(note["published_at"] for note in counter["notes"])
    assert draft.pk not in [note["id"] for note in counter["notes"]]
    text = response.content.decode()
    assert "下書きの報告" not in text and jumin_admin.full_name not in text and "author" not in text
    response, one = _get(_client(), "/dx-plan/initiatives/assisted-counter")
    assert response.status_code == 200 and one["code"] == "assisted-counter"
    response, _body = _get(_client(), "/dx-plan/initiatives/no-such-thing")
    assert response.status_code == 404


def test_another_municipality_has_its_own_plan(iga_plan, clerk_other_municipality):
    response, body = _get(_client(host=WATARAI_HOST), "/dx-plan")
    assert body["policies"] == []
    response, _body = _get(_client(host=WATARAI_HOST), "/dx-plan/initiatives/assisted-counter")
    assert response.status_code == 404
    staff = _client(clerk_other_municipality, host=WATARAI_HOST)
    response, _body = _get(staff, "/staff/dx-plan/initiatives/assisted-counter")
    assert response.status_code == 404
    response, _body = _post(
        staff,
        "/staff/dx-plan/initiatives/assisted-counter/notes",
        {"fiscal_year": 2026, "quarter": 2, "status": "on_track", "texts": {"ja": "報告"}},
    )
    assert response.status_code == 404


def test_staff_read_everything_and_the_owner_writes_and_publishes(iga_plan, clerk, jumin_admin):
    response, body = _get(_client(clerk), "/staff/dx-plan?department=jumin")
    assert response.status_code == 200
    codes = [item["code"] for policy in body["policies"] for item in policy["initiatives"]]
    # 住民課 owns two initiatives and takes part in three more.
    assert set(codes) == {
        "assisted-counter",
        "my-number-card",
        "online-procedures",
        "cashless-payment",
        "system-standardization",
    }
    assert all(not item["may_edit"] for policy in body["policies"] for item in policy["initiatives"])
    admin = _client(jumin_admin)
    path = "/staff/dx-plan/initiatives/assisted-counter/notes"
    response, error = _post(
        admin, path, {"fiscal_year": 2026, "quarter": 2, "status": "on_track", "texts": {"en": "x"}}
    )
    assert response.status_code == 422 and error["errors"][0]["path"] == "texts"
    response, note = _post(
        admin,
        path,
        {"fiscal_year": 2026, "quarter": 2, "status": "delayed", "texts": {"ja": "APIからの報告"}},
    )
    assert response.status_code == 201 and note["published_at"] is None and note["may_publish"]
    response, staff_view = _get(_client(clerk), "/staff/dx-plan/initiatives/assisted-counter")
    assert note["id"] in [item["id"] for item in staff_view["notes"]]
    publish = f"{path}/{note['id']}/publish"
    response, error = _post(admin, publish, {"confirm": False})
    assert response.status_code == 422
    response, published = _post(admin, publish, {"confirm": True})
    assert response.status_code == 200 and published["published_at"]
    response, error = _post(admin, publish, {"confirm": True})
    assert response.status_code == 422  # once only
    response, one = _get(_client(), "/dx-plan/initiatives/assisted-counter")
    assert note["id"] in [item["id"] for item in one["notes"]]
    # A clerk, and the owner of another department's initiative: not found.
    response, _body = _post(
        _client(clerk), path, {"fiscal_year": 2026, "quarter": 2, "status": "on_track", "texts": {"ja": "x"}}
    )
    assert response.status_code == 404
    response, _body = _post(
        admin,
        "/staff/dx-plan/initiatives/online-procedures/notes",
        {"fiscal_year": 2026, "quarter": 2, "status": "on_track", "texts": {"ja": "x"}},
    )
    assert response.status_code == 404


def test_residents_get_no_staff_plan(iga_plan, resident):
    response = _client(resident).get("/api/v1/staff/dx-plan")
    assert response.status_code in (403, 404)
    assert _client().get("/api/v1/staff/dx-plan").status_code == 401


def _put(client: Client, path: str, body: dict):
    response = client.put(f"/api/v1{path}", json.dumps(body), content_type="application/json")
    return response, conforms(response, "PUT", f"/api/v1{path}")


def test_the_owner_edits_the_initiative_targets_and_milestones(iga_plan, jumin_admin, supervisor):
    admin = _client(jumin_admin)
    base = "/staff/dx-plan/initiatives/assisted-counter"
    response, body = _put(
        admin,
        base,
        {"titles": {"ja": "書かない窓口", "en": "Assisted counter"}, "status": "at_risk", "kpis": []},
    )
    assert response.status_code == 200 and body["status"] == "at_risk" and body["kpis"] == []
    response, error = _put(admin, base, {"titles": {"en": "x"}, "status": "on_track"})
    assert response.status_code == 422 and error["errors"][0]["path"] == "titles"
    response, target = _put(
        admin, f"{base}/targets/2026", {"texts": {"ja": "平均待ち時間12分以内"}, "value": "12", "unit": "分"}
    )
    assert response.status_code == 200 and float(target["value"]) == 12
    response, error = _put(admin, f"{base}/targets/2026", {"texts": {"ja": "x"}, "value": "twelve"})
    assert response.status_code == 422 and error["errors"][0]["path"] == "value"
    response, milestone = _post(
        admin, f"{base}/milestones", {"titles": {"ja": "窓口アンケート"}, "due_on": "2027-02-28"}
    )
    assert response.status_code == 201
    response, done = _put(
        admin, f"{base}/milestones/{milestone['id']}", {"due_on": "2027-02-28", "done_on": "2026-11-30"}
    )
    assert response.status_code == 200 and done["done_on"] == "2026-11-30"
    response, error = _put(
        admin, f"{base}/milestones/{milestone['id']}", {"due_on": "2027-02-28", "done_on": "2099-01-01"}
    )
    assert response.status_code == 422 and error["errors"][0]["path"] == "done_on"
    # こども家庭課's supervisor may not touch 住民課's initiative.
    other = _client(supervisor)
    response, _body = _put(other, base, {"titles": {"ja": "x"}, "status": "done"})
    assert response.status_code == 404
    response, _body = _put(other, f"{base}/milestones/{milestone['id']}", {"due_on": "2027-01-01"})
    assert response.status_code == 404
