"""Malformed request bodies answer a clear 4xx and store nothing: a body too large (413), a body that is
not JSON by its content type (415), values JSON does not allow or no database can store (422), and an
Idempotency-Key replayed with a different body (422)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from idx.applications.models import Application
from idx.identity.services import api_token_issue
from tests.api.contract import conforms
from tests.conftest import CHILD_ALLOWANCE, IGA_HOST, make_draft


@pytest.fixture
def client(resident):
    token = api_token_issue(user=resident, name="kiosk")
    return Client(HTTP_HOST=IGA_HOST, HTTP_AUTHORIZATION=f"Bearer {token}")


def _send(client, method: str, path: str, body: bytes | str, content_type="application/json", **extra):
    response = getattr(client, method.lower())(f"/api/v1{path}", body, content_type=content_type, **extra)
    return response, conforms(response, method, f"/api/v1{path}")


def test_a_body_larger_than_the_limit_answers_413(client, resident):
    body = json.dumps({"procedure": CHILD_ALLOWANCE, "padding": "x" * (13 * 1024 * 1024)})
    response, problem = _send(client, "POST", "/applications", body)
    assert response.status_code == 413
    assert problem["code"] == "payload_too_large"
    assert not Application.objects.filter(applicant=resident).exists()


def test_a_large_patch_of_answers_answers_413_and_keeps_the_answers(client, resident):
    draft = make_draft(resident)
    before = dict(draft.answers)
    body = json.dumps({"answers": {"note": "あ" * (5 * 1024 * 1024)}})  # 15 MB of UTF-8
    response, problem = _send(client, "PATCH", f"/applications/{draft.public_id}", body)
    assert response.status_code == 413 and problem["code"] == "payload_too_large"
    draft.refresh_from_db()
    assert draft.answers == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/html"])
def test_a_body_that_is_not_json_by_its_content_type_answers_415(client, resident, content_type):
    body = json.dumps({"procedure": CHILD_ALLOWANCE})
    response, problem = _send(client, "POST", "/applications", body, content_type=content_type)
    assert response.status_code == 415
    assert problem["code"] == "unsupported_media_type"
    assert not Application.objects.filter(applicant=resident).exists()


def test_json_with_a_suffix_and_a_charset_is_json(client, resident):
    body = json.dumps({"procedure": CHILD_ALLOWANCE})
    response, _ = _send(client, "POST", "/applications", body, content_type="application/json; charset=utf-8")
    assert response.status_code == 201
    response, _ = _send(client, "POST", "/applications", body, content_type="application/merge-patch+json")
    assert response.status_code == 201


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_in_answers_answer_422_and_store_nothing(client, resident, literal):
    draft = make_draft(resident)
    before = dict(draft.answers)
    body = '{"answers": {"annual_income": ' + literal + "}}"
    response, problem = _send(client, "PATCH", f"/applications/{draft.public_id}", body)
    assert response.status_code == 422
    assert problem["code"] == "invalid_request"
    assert problem["errors"][0]["path"] == "body.answers.annual_income"
    draft.refresh_from_db()
    assert draft.answers == before


@pytest.mark.parametrize(
    "body",
    [
        '{"answers": {"applicant_name": "\\ud800"}}',
        '{"answers": {"children": [{"name": "\\udfff x"}]}}',
        '{"answers": {"\\ud83d": "a key"}}',
    ],
)
def test_a_lone_surrogate_in_answers_answers_422_and_stores_nothing(client, resident, body):
    draft = make_draft(resident)
    before = dict(draft.answers)
    response, problem = _send(client, "PATCH", f"/applications/{draft.public_id}", body)
    assert response.status_code == 422
    assert problem["errors"][0]["path"].startswith("body.answers")
    draft.refresh_from_db()
    assert draft.answers == before


def test_a_surrogate_pair_is_a_character_and_is_stored(client, resident):
    draft = make_draft(resident)
    response, _ = _send(
        client,
        "PATCH",
        f"/applications/{draft.public_id}",
        '{"answers": {"applicant_name": "\\ud842\\udfb7田"}}',
    )
    assert response.status_code in (200, 422)  # 422 only for the procedure's own rules, never a crash
    if response.status_code == 200:
        draft.refresh_from_db()
        assert draft.answers["applicant_name"] == "𠮷田"


def test_a_replayed_idempotency_key_with_another_body_answers_422(client, resident):
    body = json.dumps({"procedure": CHILD_ALLOWANCE})
    first, created = _send(client, "POST", "/applications", body, HTTP_IDEMPOTENCY_KEY="draft-1")
    again, replayed = _send(client, "POST", "/applications", body, HTTP_IDEMPOTENCY_KEY="draft-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert replayed["id"] == created["id"]
    other = json.dumps({"procedure": "residence-certificate-request"})
    response, problem = _send(client, "POST", "/applications", other, HTTP_IDEMPOTENCY_KEY="draft-1")
    assert response.status_code == 422
    assert problem["code"] == "idempotency_key_reused"
    assert Application.objects.filter(applicant=resident).count() == 1


def test_an_overlong_idempotency_key_is_refused(client, resident):
    body = json.dumps({"procedure": CHILD_ALLOWANCE})
    response, problem = _send(client, "POST", "/applications", body, HTTP_IDEMPOTENCY_KEY="k" * 81)
    assert response.status_code == 422
    assert problem["errors"][0]["path"] == "header.Idempotency-Key"
    assert not Application.objects.filter(applicant=resident).exists()


def test_a_body_that_is_not_json_at_all_answers_400(client, resident):
    response, problem = _send(client, "POST", "/applications", "{procedure: ")
    assert response.status_code == 400 and problem["code"] == "bad_request"


@pytest.mark.parametrize("start", ["0", "1700000000", "2026-1-5", "tomorrow"])
def test_a_date_parameter_is_an_iso_date_only(municipalities, start):
    path = "/api/v1/booking/services/juminhyo/slots"
    response = Client(HTTP_HOST=IGA_HOST).get(path, {"start": start})
    assert response.status_code == 422
    assert conforms(response, "GET", path)["errors"][0]["path"].endswith("start")


def test_an_iso_date_parameter_is_accepted(municipalities):
    path = "/api/v1/booking/services/juminhyo/slots"
    response = Client(HTTP_HOST=IGA_HOST).get(path, {"start": "2026-12-07", "days": 1})
    assert [day["day"] for day in conforms(response, "GET", path)] == ["2026-12-07"]


@pytest.mark.parametrize("helpful", [0, 1, "true", None])
def test_a_boolean_in_a_body_is_true_or_false_only(municipalities, helpful):
    from idx.assist.models import Faq

    faq = Faq.objects.filter(published=True, municipality__code="242161").first()
    path = f"/api/v1/faqs/{faq.key}/feedback"
    response = Client(HTTP_HOST=IGA_HOST).post(
        path, json.dumps({"helpful": helpful}), content_type="application/json"
    )
    assert response.status_code == 422
    assert conforms(response, "POST", path)["errors"][0]["path"].endswith("helpful")
