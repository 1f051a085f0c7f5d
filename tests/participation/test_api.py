"""The participation API with real rows, each response checked against the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from idx.identity.services import api_token_issue
from idx.participation import services
from tests.api.contract import conforms
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    if user is None:
        return Client(HTTP_HOST=IGA_HOST)
    return Client(HTTP_HOST=IGA_HOST, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user, name='pt')}")


def _call(client, method, path, body=None):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    response = getattr(client, method.lower())(f"/api/v1{path}", **kwargs)
    return response, conforms(response, method, f"/api/v1{path}")


def test_public_reads_show_counts_answers_and_hidden_comments_without_text(proposal, admin, other_resident):
    services.support_add(proposal=proposal, resident=other_resident)
    services.answer_draft(staff=admin, proposal=proposal, status="under_review", reason="調べています")
    services.answer_publish(staff=admin, proposal=proposal)
    hidden = services.comment_create(proposal=proposal, author=other_resident, body="個人名を含む")
    services.moderation_hide(staff=admin, target=hidden, reason="個人情報のため")
    services.comment_create(proposal=proposal, author=other_resident, body="<b>賛成</b>")
    client = _client()
    response, body = _call(client, "GET", "/participation/processes")
    assert response.status_code == 200 and [p["slug"] for p in body] == ["akiya"]
    assert [phase["kind"] for phase in body[0]["phases"]] == ["information", "proposals", "results"]
    response, body = _call(client, "GET", "/participation/processes/akiya/proposals")
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["supports"], item["comments"], item["answer"]["status"], item["body"]) == (
        1,
        2,
        "under_review",
        None,
    )
    response, body = _call(client, "GET", f"/participation/processes/akiya/proposals/{proposal.number}")
    assert body["body"] == proposal.body
    response, body = _call(
        client, "GET", f"/participation/processes/akiya/proposals/{proposal.number}/comments"
    )
    assert [(c["hidden"], c["body"], c["hidden_reason"]) for c in body] == [
        (True, None, "個人情報のため"),
        (False, "<b>賛成</b>", None),
    ]
    response, _body = _call(client, "GET", "/participation/processes/nope/proposals")
    assert response.status_code == 404


def test_residents_propose_support_comment_and_report_under_the_same_rules(process, resident, other_resident):
    author = _client(resident)
    response, body = _call(
        author,
        "POST",
        "/participation/processes/akiya/proposals",
        {"title": "空き店舗をサロンに", "body": "高齢者の居場所に"},
    )
    assert response.status_code == 201 and body["number"] == 1 and body["language"] == "ja"
    response, body = _call(
        author, "POST", "/participation/processes/akiya/proposals", {"title": "", "body": "本文"}
    )
    assert response.status_code == 422 and body["errors"][0]["path"] == "title"
    supporter = _client(other_resident)
    response, body = _call(supporter, "PUT", "/participation/processes/akiya/proposals/1/support")
    assert (response.status_code, body["supports"]) == (200, 1)
    response, body = _call(supporter, "PUT", "/participation/processes/akiya/proposals/1/support")
    assert (response.status_code, body["code"]) == (409, "already_supported")
    response, body = _call(supporter, "DELETE", "/participation/processes/akiya/proposals/1/support")
    assert body["supports"] == 0
    response, body = _call(
        supporter, "POST", "/participation/processes/akiya/proposals/1/comments", {"body": "あ" * 2001}
    )
    assert response.status_code == 422 and body["errors"][0]["path"] == "body"
    response, body = _call(
        supporter, "POST", "/participation/processes/akiya/proposals/1/comments", {"body": "賛成"}
    )
    assert response.status_code == 201
    response, _body = _call(
        author,
        "POST",
        "/participation/processes/akiya/proposals/1/reports",
        {"reason": "言葉が乱暴", "comment": body["id"]},
    )
    assert response.status_code == 204
    response, _body = _call(_client(), "PUT", "/participation/processes/akiya/proposals/1/support")
    assert response.status_code == 401


def test_staff_answer_with_confirmation_and_moderate(proposal, admin, foreign_admin, other_resident):
    staff = _client(admin)
    path = f"/participation/proposals/{proposal.pk}/answer"
    response, body = _call(staff, "PUT", f"/staff{path}", {"status": "adopted", "reason": "実施します"})
    assert response.status_code == 200 and (body["status"], body["draft_status"]) == ("", "adopted")
    response, body = _call(staff, "POST", f"/staff{path}/publish", {"confirm": False})
    assert response.status_code == 422
    response, body = _call(staff, "POST", f"/staff{path}/publish", {"confirm": True})
    assert (body["status"], body["draft_status"]) == ("adopted", "")
    response, _body = _call(
        _client(foreign_admin), "PUT", f"/staff{path}", {"status": "adopted", "reason": "x"}
    )
    assert response.status_code == 404
    comment = services.comment_create(proposal=proposal, author=other_resident, body="ひどい")
    response, body = _call(
        staff,
        "POST",
        f"/staff/participation/comments/{comment.pk}/moderation",
        {"action": "hide", "reason": "暴言"},
    )
    assert (body["hidden"], body["hidden_reason"]) == (True, "暴言")
    response, body = _call(
        staff, "POST", f"/staff/participation/comments/{comment.pk}/moderation", {"action": "restore"}
    )
    assert body["hidden"] is False
