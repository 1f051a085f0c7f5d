"""Paper forms in the staff API, checked against the API's own OpenAPI document: the forms waiting,
one form, its verification (201, then 409), refused answers (422 naming each item), isolation."""

from __future__ import annotations

import json

from django.test import Client

from idx.applications.models import Application, Channel
from idx.identity.services import api_token_issue
from tests.api.contract import conforms, openapi
from tests.conftest import IGA_HOST, WATARAI_HOST, example_answers, procedure
from tests.intake.conftest import read_form


def _client(user, host: str = IGA_HOST) -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user, name='intake')}")


def _post(client: Client, path: str, body: dict):
    response = client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")
    return response, conforms(response, "POST", f"/api/v1{path}")


def _get(client: Client, path: str):
    response = client.get(f"/api/v1{path}")
    return response, conforms(response, "GET", f"/api/v1{path}")


def test_a_clerk_lists_reads_and_verifies_a_paper_form(clerk, clerk_other_municipality):
    answers = example_answers(procedure(clerk.municipality))
    batch = read_form(
        clerk,
        answers,
        misread={"children[0].birth_date": "2012-09-28"},
        confidence={"children[0].birth_date": 0.6},
    )
    client = _client(clerk)
    response, waiting = _get(client, "/staff/intake/forms")
    assert response.status_code == 200 and [(form["batch_id"], form["first_page"]) for form in waiting] == [
        (batch.public_id, 1)
    ]
    assert waiting[0]["items"][0]["path"] == "children[0].birth_date" and waiting[0]["started_at"] is None
    path = f"/staff/intake/forms/{batch.public_id}/1"
    response, one = _get(client, path)
    assert response.status_code == 200 and one["started_at"] is not None
    assert one["answers"]["claimant"]["name"] == "伊賀 太郎"

    refused_answers = json.loads(json.dumps(one["answers"]))
    refused_answers["claimant"]["postal_code"] = "51808"
    response, problem = _post(client, f"{path}/verification", {"answers": refused_answers})
    assert response.status_code == 422 and problem["code"] == "answers_invalid"
    assert [item["path"] for item in problem["errors"]] == ["answers.claimant.postal_code"]
    assert "郵便番号" in problem["errors"][0]["message"]

    response, made = _post(client, f"{path}/verification", {"answers": answers})
    assert response.status_code == 201 and made["status"] == "submitted" and made["corrections"] == 2
    application = Application.objects.get(public_id=made["application"])
    assert application.channel == Channel.PAPER and application.receipt_number == made["receipt_number"]
    response, again = _post(client, f"{path}/verification", {"answers": answers})
    assert response.status_code == 409 and again["code"] == "already_verified"
    assert _get(client, "/staff/intake/forms")[1] == []

    # Watarai's clerk finds nothing of Iga's.
    other = _client(clerk_other_municipality, host=WATARAI_HOST)
    assert _get(other, "/staff/intake/forms")[1] == []
    assert _get(other, path)[0].status_code == 404
    assert _post(other, f"{path}/verification", {"answers": answers})[0].status_code == 404


def test_the_operations_are_documented(municipalities):
    paths = openapi()["paths"]
    post = paths["/api/v1/staff/intake/forms/{batch_id}/{first_page}/verification"]["post"]
    assert {"201", "404", "409", "422", "429"} <= set(post["responses"])
    assert "Retry-After" in post["responses"]["429"]["headers"]
    assert "429" in paths["/api/v1/staff/intake/forms"]["get"]["responses"]
