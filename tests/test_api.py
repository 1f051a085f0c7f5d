"""The JSON API v1: catalog, the resident's applications, staff cases and exports."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json

import pytest
from django.test import Client

from idx.applications import services
from idx.applications.models import Application, ReceiptSequence, Status
from idx.identity.services import api_token_issue
from tests.conftest import IGA_HOST, card_signature, example_answers, make_submitted, signed_in


class Api:
    """A test client speaking JSON with a bearer token."""

    def __init__(self, token: str | None, host: str = IGA_HOST):
        self.client = Client(HTTP_HOST=host)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, **self.headers)

    def post(self, path, data=None, **extra):
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(data if data is not None else {}),
            content_type="application/json",
            **self.headers,
            **extra,
        )

    def patch(self, path, data):
        return self.client.patch(
            f"/api/v1{path}", json.dumps(data), content_type="application/json", **self.headers
        )

    def raw_post(self, path, body: bytes | str, content_type="application/json"):
        return self.client.post(f"/api/v1{path}", body, content_type=content_type, **self.headers)


@pytest.fixture
def api(resident):
    return Api(api_token_issue(user=resident, name="LINE bot"))


@pytest.fixture
def staff_api(clerk):
    return Api(api_token_issue(user=clerk, name="RPA"))


@pytest.fixture
def supervisor_api(supervisor):
    return Api(api_token_issue(user=supervisor, name="export"))


def error_body(response, code: str) -> dict:
    data = response.json()
    assert set(data) == {"code", "message", "errors"}
    assert data["code"] == code
    assert isinstance(data["message"], str) and data["message"]
    assert isinstance(data["errors"], list)
    return data


# ---- schema and catalog ---------------------------------------------------------------------


def test_openapi(municipalities):
    response = Client(HTTP_HOST=IGA_HOST).get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"] == "IDX API"
    for path in (
        "/api/v1/procedures",
        "/api/v1/applications",
        "/api/v1/applications/{application_id}/submit",
        "/api/v1/staff/cases",
    ):
        assert path in schema["paths"], path


def test_catalog(municipalities):
    anonymous = Api(None)
    everything = anonymous.get("/procedures")
    assert everything.status_code == 200
    assert len(everything.json()) == 30
    found = anonymous.get("/procedures", q="児童手当").json()
    codes = {item["code"] for item in found}
    assert "child-allowance-certification" in codes and "bulky-waste-collection" not in codes
    care = anonymous.get("/procedures", category="nursing_care").json()
    assert len(care) == 11 and {item["category"] for item in care} == {"nursing_care"}
    assert [item["code"] for item in anonymous.get("/procedures", life_event="disaster").json()] == [
        "disaster-damage-certificate"
    ]
    detail = anonymous.get("/procedures/child-allowance-certification").json()
    assert detail["department"] == "kodomo-katei"
    assert detail["version"] == 1
    assert detail["definition"]["processing_days"] == 30
    schema = anonymous.get("/procedures/child-allowance-certification/schema").json()
    assert schema["type"] == "object" and "claimant" in schema["properties"]
    error_body(anonymous.get("/procedures/nope"), "not_found")
    assert anonymous.get("/procedures/nope").status_code == 404
    assert anonymous.get("/procedures/nope/schema").status_code == 404


def test_anonymous_cannot_use_applications(municipalities):
    response = Api(None).get("/applications")
    assert response.status_code == 401
    error_body(response, "unauthenticated")


# ---- the resident's flow --------------------------------------------------------------------


def test_resident_flow(api, resident, child_allowance):
    first = api.post(
        "/applications", {"procedure": "child-allowance-certification"}, HTTP_IDEMPOTENCY_KEY="abc-123"
    )
    assert first.status_code == 201
    again = api.post(
        "/applications", {"procedure": "child-allowance-certification"}, HTTP_IDEMPOTENCY_KEY="abc-123"
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Application.objects.filter(applicant=resident).count() == 1
    application_id = first.json()["id"]
    assert first.json()["status"] == "draft"
    assert first.json()["version"] == 1

    validation = api.get(f"/applications/{application_id}/validation")
    assert validation.status_code == 200
    problems = {(item["path"], item["code"]) for item in validation.json()}
    assert ("has_spouse", "required") in problems
    assert all(item["message"] for item in validation.json())

    missing = api.post(f"/applications/{application_id}/submit", {"declaration_accepted": False})
    assert missing.status_code == 422
    error_body(missing, "declaration_missing")

    incomplete = api.post(f"/applications/{application_id}/submit", {"declaration_accepted": True})
    assert incomplete.status_code == 422
    data = error_body(incomplete, "answers_invalid")
    assert {"path": "has_spouse", "code": "required"}.items() <= next(
        e for e in data["errors"] if e["path"] == "has_spouse"
    ).items()

    answers = example_answers(child_allowance)
    answers["claimant"]["phone"] = "0595-2"
    patched = api.patch(f"/applications/{application_id}", {"answers": answers})
    assert patched.status_code == 200
    assert patched.json()["answers"]["claimant"]["name"] == "伊賀 太郎"
    problems = api.get(f"/applications/{application_id}/validation").json()
    assert [(item["path"], item["code"]) for item in problems] == [("claimant.phone", "format:jp-phone")]

    fix = api.patch(
        f"/applications/{application_id}",
        {"answers": {"claimant": example_answers(child_allowance)["claimant"]}},
    )
    assert fix.json()["answers"]["children"][1]["name"] == "伊賀 さくら"  # other top-level answers kept
    assert api.get(f"/applications/{application_id}/validation").json() == []

    unsigned = api.post(f"/applications/{application_id}/submit", {"declaration_accepted": True})
    assert unsigned.status_code == 422
    error_body(unsigned, "signature_required")
    to_sign = api.get(f"/applications/{application_id}/signing-payload").json()
    assert to_sign["signature_required"] is True
    payload = base64.b64decode(to_sign["payload"])
    assert hashlib.sha256(payload).digest() == base64.b64decode(to_sign["digest_sha256"])
    assert json.loads(payload)["application"] == application_id
    signature = card_signature(
        Application.objects.get(public_id=application_id), base64.b64decode(to_sign["digest_sha256"])
    )
    submitted = api.post(
        f"/applications/{application_id}/submit", {"declaration_accepted": True, "signature": signature}
    )
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert body["status"] == "submitted"
    assert body["receipt_number"].startswith("IGA-") and body["receipt_number"].endswith("-000001")

    twice = api.post(f"/applications/{application_id}/submit", {"declaration_accepted": True})
    assert twice.status_code == 409
    error_body(twice, "invalid_transition")
    assert ReceiptSequence.objects.get().last_number == 1

    detail = api.get(f"/applications/{application_id}").json()
    assert [(h["from_status"], h["to_status"]) for h in detail["history"]] == [("draft", "submitted")]
    listed = api.get("/applications").json()
    assert [item["id"] for item in listed] == [application_id]

    locked = api.patch(f"/applications/{application_id}", {"answers": {"remarks": "後から"}})
    assert locked.status_code == 409
    error_body(locked, "not_editable")

    withdrawn = api.post(f"/applications/{application_id}/withdraw", {"reason": "取り下げ"})
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    assert api.post(f"/applications/{application_id}/withdraw", {}).status_code == 409


def test_create_without_key_makes_new_drafts(api, resident):
    assert api.post("/applications", {"procedure": "pregnancy-notification"}).status_code == 201
    assert api.post("/applications", {"procedure": "pregnancy-notification"}).status_code == 201
    assert Application.objects.filter(applicant=resident).count() == 2


def test_create_unknown_procedure(api):
    response = api.post("/applications", {"procedure": "no-such-procedure"})
    assert response.status_code == 404
    error_body(response, "not_found")


@pytest.mark.parametrize("body", [b'{"procedure": ', b"not json at all", b"\xff\xfe", b"[1, 2"])
def test_malformed_json(api, body, resident):
    response = api.raw_post("/applications", body)
    assert 400 <= response.status_code < 500
    assert "code" in response.json()
    assert not Application.objects.filter(applicant=resident).exists()


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/applications", {"procedure": 12}),
        ("/applications", {}),
        ("/applications", {"procedure": ["child-allowance-certification"]}),
    ],
)
def test_wrong_types_on_create(api, path, payload):
    response = api.post(path, payload)
    assert response.status_code == 422
    data = error_body(response, "invalid_request")
    assert data["errors"] and all({"path", "code", "message"} <= set(error) for error in data["errors"])


def test_wrong_types_on_update_and_submit(api, draft_application):
    url = f"/applications/{draft_application.public_id}"
    response = api.patch(url, {"answers": "everything"})
    assert response.status_code == 422
    error_body(response, "invalid_request")
    response = api.post(f"{url}/submit", {"declaration_accepted": {"yes": 1}})
    assert response.status_code == 422
    error_body(response, "invalid_request")
    assert Application.objects.get(pk=draft_application.pk).status == Status.DRAFT


def test_answers_too_large(api, draft_application):
    response = api.patch(
        f"/applications/{draft_application.public_id}", {"answers": {"remarks": "あ" * 100_000}}
    )
    assert response.status_code == 413
    error_body(response, "answers_too_large")


def test_other_residents_application_is_404(draft_application, other_resident):
    other = Api(api_token_issue(user=other_resident, name="t"))
    url = f"/applications/{draft_application.public_id}"
    for response in (
        other.get(url),
        other.get(f"{url}/validation"),
        other.patch(url, {"answers": {"remarks": "x"}}),
        other.post(f"{url}/submit", {"declaration_accepted": True}),
        other.post(f"{url}/withdraw", {}),
    ):
        assert response.status_code == 404
        error_body(response, "not_found")
    assert other.get("/applications/not-a-uuid").status_code == 422
    assert other.get("/applications").json() == []


def test_roles_are_kept_apart(api, staff_api):
    response = api.get("/staff/cases")
    assert response.status_code == 403
    error_body(response, "forbidden")
    response = staff_api.get("/applications")
    assert response.status_code == 403
    error_body(response, "forbidden")


def test_correction_via_api(api, resident, clerk, staff_api):
    application = make_submitted(resident)
    url = f"/staff/cases/{application.public_id}/transitions"
    response = staff_api.post(
        url,
        {
            "event": "request_correction",
            "expected_version": application.row_version,
            "notes": {"claimant.phone": "確認"},
            "reason": "電話",
        },
    )
    assert response.status_code == 200
    assert response.json()["status"] == "correction_requested"
    detail = api.get(f"/applications/{application.public_id}").json()
    assert detail["correction_notes"] == {"claimant.phone": "確認"}
    answers = {"claimant": {**detail["answers"]["claimant"], "phone": "0595-11-2222", "name": "別人"}}
    assert api.patch(f"/applications/{application.public_id}", {"answers": answers}).status_code == 200
    resubmitted = api.post(f"/applications/{application.public_id}/submit", {"declaration_accepted": True})
    assert resubmitted.status_code == 200
    body = resubmitted.json()
    assert body["status"] == "resubmitted"
    assert body["answers"]["claimant"] == {**detail["answers"]["claimant"], "phone": "0595-11-2222"}
    assert body["correction_notes"] == {}


# ---- staff ----------------------------------------------------------------------------------


def test_staff_list_and_filters(staff_api, resident, other_resident, clerk):
    first = make_submitted(resident)
    second = make_submitted(other_resident)
    donation = make_submitted(resident, "child-allowance-donation")
    services.case_start_review(application=second, staff=clerk, expected_version=second.row_version)
    listed = staff_api.get("/staff/cases").json()
    by_due = sorted([first, second, donation], key=lambda app: (app.due_date, app.pk))
    assert [case["receipt_number"] for case in listed] == [app.receipt_number for app in by_due]
    assert next(case for case in listed if case["id"] == str(first.public_id)) == {
        "id": str(first.public_id),
        "receipt_number": first.receipt_number,
        "procedure": "child-allowance-certification",
        "department": "kodomo-katei",
        "applicant_name": "伊賀 太郎",
        "status": "submitted",
        "due_date": first.due_date.isoformat(),
        "assignee": None,
        "row_version": 2,
    }
    assert [c["receipt_number"] for c in staff_api.get("/staff/cases", status="in_review").json()] == [
        second.receipt_number
    ]
    assert [
        c["receipt_number"]
        for c in staff_api.get("/staff/cases", procedure="child-allowance-donation").json()
    ] == [donation.receipt_number]
    assert [c["receipt_number"] for c in staff_api.get("/staff/cases", assignee="me").json()] == [
        second.receipt_number
    ]
    assert [c["receipt_number"] for c in staff_api.get("/staff/cases", q=first.receipt_number).json()] == [
        first.receipt_number
    ]
    assert len(staff_api.get("/staff/cases", limit=2).json()) == 2
    assert [c["receipt_number"] for c in staff_api.get("/staff/cases", limit=2, offset=2).json()] == [
        by_due[2].receipt_number
    ]
    detail = staff_api.get(f"/staff/cases/{first.public_id}").json()
    assert detail["answers"]["claimant"]["name"] == "伊賀 太郎"
    assert detail["history"][0]["to_status"] == "submitted"


def test_staff_transitions(staff_api, submitted_application):
    url = f"/staff/cases/{submitted_application.public_id}/transitions"
    version = submitted_application.row_version
    started = staff_api.post(url, {"event": "start_review", "expected_version": version})
    assert started.status_code == 200
    assert started.json()["status"] == "in_review"
    assert started.json()["row_version"] == version + 1

    stale = staff_api.post(url, {"event": "approve", "expected_version": version})
    assert stale.status_code == 409
    error_body(stale, "changed_meanwhile")
    assert Application.objects.get(pk=submitted_application.pk).status == Status.IN_REVIEW

    no_reason = staff_api.post(url, {"event": "reject", "expected_version": version + 1})
    assert no_reason.status_code == 422
    data = error_body(no_reason, "answers_invalid")
    assert [(e["path"], e["code"]) for e in data["errors"]] == [("reason", "required")]

    unknown = staff_api.post(url, {"event": "teleport", "expected_version": version + 1})
    assert unknown.status_code == 422
    assert [e["path"] for e in error_body(unknown, "invalid_request")["errors"]] == ["body.payload.event"]

    resident_event = staff_api.post(url, {"event": "withdraw", "expected_version": version + 1})
    assert resident_event.status_code == 422

    approved = staff_api.post(url, {"event": "approve", "expected_version": version + 1})
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"

    again = staff_api.post(url, {"event": "reject", "reason": "x", "expected_version": version + 2})
    assert again.status_code == 409
    error_body(again, "invalid_transition")


def test_staff_transition_wrong_types(staff_api, submitted_application):
    url = f"/staff/cases/{submitted_application.public_id}/transitions"
    response = staff_api.post(url, {"event": "start_review", "expected_version": "latest"})
    assert response.status_code == 422
    error_body(response, "invalid_request")


def test_exports_via_api(supervisor_api, staff_api, resident, clerk):
    application = make_submitted(resident)
    application = services.case_start_review(
        application=application, staff=clerk, expected_version=application.row_version
    )
    application = services.case_decide(
        application=application,
        staff=clerk,
        approve=True,
        reason="",
        expected_version=application.row_version,
    )
    response = supervisor_api.get("/staff/exports/child-allowance-certification", format="csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2
    assert rows[1][0] == application.receipt_number
    assert "請求者_氏名" in rows[0]
    data = json.loads(
        b"".join(
            supervisor_api.get(
                "/staff/exports/child-allowance-certification", format="json"
            ).streaming_content
        )
    )
    assert [case["受付番号"] for case in data["cases"]] == [application.receipt_number]
    unknown_format = supervisor_api.get("/staff/exports/child-allowance-certification", format="xml")
    assert unknown_format.status_code == 422  # the document names the formats (an enum)
    error_body(unknown_format, "invalid_request")
    assert supervisor_api.get("/staff/exports/no-such", format="csv").status_code == 404
    refused = staff_api.get("/staff/exports/child-allowance-certification", format="csv")
    assert refused.status_code == 404
    error_body(refused, "not_found")


# ---- the browser session ------------------------------------------------------------------


def test_session_get_works_without_token(resident):
    client = signed_in(resident)
    response = client.get("/api/v1/applications")
    assert response.status_code == 200


def test_session_post_without_csrf_is_refused(resident):
    client = signed_in(resident, enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/applications",
        json.dumps({"procedure": "pregnancy-notification"}),
        content_type="application/json",
    )
    assert response.status_code == 401
    error_body(response, "unauthenticated")
    assert not Application.objects.filter(applicant=resident).exists()


def test_session_post_with_csrf_token_works(resident):
    client = signed_in(resident, enforce_csrf_checks=True)
    client.get("/procedures/pregnancy-notification/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/applications",
        json.dumps({"procedure": "pregnancy-notification"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201
    assert Application.objects.filter(applicant=resident).count() == 1


@pytest.mark.parametrize("value", ["²", "①", "me", "none", "12345678901234567890123"])
def test_odd_assignee_filter(staff_api, submitted_application, value):
    assert staff_api.get("/staff/cases", assignee=value).status_code == 200


def test_huge_expected_version(staff_api, submitted_application):
    response = staff_api.post(
        f"/staff/cases/{submitted_application.public_id}/transitions",
        {"event": "start_review", "expected_version": 10**30},
    )
    assert response.status_code in (409, 422)
    assert Application.objects.get(pk=submitted_application.pk).status == Status.SUBMITTED
