"""パブリックコメント in the JSON API, checked against the API's own OpenAPI document with real rows."""

from __future__ import annotations

import json

from django.test import Client, override_settings

from idx.identity.services import api_token_issue
from idx.public_comment import services
from idx.public_comment.models import Submission
from tests.api.contract import conforms
from tests.conftest import IGA_HOST, WATARAI_HOST


def _client(user=None, host: str = IGA_HOST) -> Client:
    if user is None:
        return Client(HTTP_HOST=host)
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user, name='pc')}")


def _get(client: Client, path: str):
    response = client.get(f"/api/v1{path}")
    return response, conforms(response, "GET", f"/api/v1{path}")


def _post(client: Client, path: str, body: dict):
    response = client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")
    return response, conforms(response, "POST", f"/api/v1{path}")


def test_cases_and_a_case_with_sections(open_case, closed_case):
    response, body = _get(_client(), "/public-comments")
    assert response.status_code == 200
    assert {item["id"] for item in body} == {str(open_case.uid), str(closed_case.uid)}
    states = {item["id"]: item["state"] for item in body}
    assert states[str(open_case.uid)] == "open" and states[str(closed_case.uid)] == "closed"
    response, body = _get(_client(), f"/public-comments/{open_case.uid}")
    assert [section["number"] for section in body["sections"]] == [1, 2, 3]
    assert body["titles"]["ja"] == "伊賀市テスト計画（案）"
    response, _body = _get(_client(host=WATARAI_HOST), f"/public-comments/{open_case.uid}")
    assert response.status_code == 404
    response, _body = _get(_client(), "/public-comments/not-a-uuid")
    assert response.status_code == 404


def test_sending_opinions_anonymously_and_signed_in(open_case, resident):
    response, body = _post(
        _client(),
        f"/public-comments/{open_case.uid}/submissions",
        {"opinions": [{"section": 2, "text": "意見"}]},
    )
    assert response.status_code == 201 and body["sections"] == [2]
    assert Submission.objects.get(receipt_number=body["receipt_number"]).user is None
    response, body = _post(
        _client(resident),
        f"/public-comments/{open_case.uid}/submissions",
        {"opinions": [{"section": 1, "text": "一つ目"}, {"section": 3, "text": "二つ目"}]},
    )
    assert response.status_code == 201 and body["sections"] == [1, 3]
    assert Submission.objects.get(receipt_number=body["receipt_number"]).user == resident


@override_settings(IDX_RATELIMIT_ENABLED=True, IDX_RATELIMITS={"public_comment": "1/10m"})
def test_a_flood_is_refused_with_when_to_try_again(open_case):
    from django.core.cache import cache

    cache.clear()
    client = Client(HTTP_HOST=IGA_HOST, REMOTE_ADDR="203.0.113.78")
    path = f"/public-comments/{open_case.uid}/submissions"
    assert _post(client, path, {"opinions": [{"section": 1, "text": "一つ目"}]})[0].status_code == 201
    response, body = _post(client, path, {"opinions": [{"section": 1, "text": "二つ目"}]})
    assert response.status_code == 429 and body["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 600
    cache.clear()


def test_refusals_name_the_field(iga, kodomo, closed_case):
    from tests.public_comment.conftest import make_case

    named = make_case(iga, kodomo, anonymous_allowed=False)
    response, body = _post(
        _client(), f"/public-comments/{named.uid}/submissions", {"opinions": [{"section": 1, "text": "意見"}]}
    )
    assert response.status_code == 422 and body["errors"][0]["path"] == "name"
    response, body = _post(
        _client(),
        f"/public-comments/{named.uid}/submissions",
        {"opinions": [{"section": 1, "text": "あ" * 2001}], "name": "伊賀 花子", "address": "伊賀市"},
    )
    assert response.status_code == 422 and body["errors"][0]["path"] == "opinion_1"
    response, body = _post(
        _client(),
        f"/public-comments/{closed_case.uid}/submissions",
        {"opinions": [{"section": 1, "text": "遅い"}]},
    )
    assert response.status_code == 409 and body["code"] == "public_comment_closed"


def test_the_result_and_the_staff_comments(closed_case, kodomo_admin, other_admin, clerk_other_municipality):
    response, _body = _get(_client(), f"/public-comments/{closed_case.uid}/result")
    assert response.status_code == 404
    response, body = _get(_client(kodomo_admin), f"/staff/public-comments/{closed_case.uid}/comments")
    assert response.status_code == 200 and body["submissions"] == 2 and len(body["opinions"]) == 3
    assert {item["name"] for item in body["opinions"]} == {"伊賀 花子", ""}
    response, _body = _get(_client(other_admin), f"/staff/public-comments/{closed_case.uid}/comments")
    assert response.status_code == 404
    response, _body = _get(
        _client(clerk_other_municipality, host=WATARAI_HOST),
        f"/staff/public-comments/{closed_case.uid}/comments",
    )
    assert response.status_code == 404
    for section in closed_case.sections.all():
        services.section_result_put(
            section=section,
            opinion_summaries={"ja": "概要"} if section.number < 3 else {},
            city_views={"ja": "市の考え方です"} if section.number < 3 else {},
            changed=section.number == 1,
            actor=kodomo_admin,
        )
    services.result_publish(consultation=closed_case, notes={"ja": "修正しました"}, actor=kodomo_admin)
    response, body = _get(_client(), f"/public-comments/{closed_case.uid}/result")
    assert response.status_code == 200
    assert [(s["number"], s["opinions"], s["changed"]) for s in body["sections"]] == [
        (1, 2, True),
        (2, 1, False),
        (3, 0, False),
    ]
    assert "第1章への意見です" not in response.content.decode()
