"""Resident and staff pages: the journey, escaped comments, kept input, scope and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from idx.participation import services
from idx.participation.models import OfficialAnswer
from tests.conftest import IGA_HOST, signed_in

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


def test_signed_out_residents_read_processes_and_proposals(proposal):
    client = Client(HTTP_HOST=IGA_HOST)
    assert "上野地区の空き家活用" in _text(client.get("/participation/"))
    page = _text(client.get("/participation/akiya/"))
    assert proposal.title in page
    page = _text(client.get(f"/participation/akiya/{proposal.number}/"))
    assert proposal.body in page
    assert client.get("/participation/akiya/new/").status_code == 302
    assert client.get("/participation/akiya/999/").status_code == 404


def test_proposing_shows_similar_titles_first_and_keeps_the_text(process, resident, other_resident):
    services.proposal_create(
        process=process, author=other_resident, title="空き家を子育て世帯のお試し住宅に", body="本文"
    )
    client = signed_in(resident)
    response = client.post(
        "/participation/akiya/new/", {"title": "空き家を子育て世帯向けのお試し住宅として", "body": "私の提案"}
    )
    page = _text(response)
    assert response.status_code == 200 and 'name="confirmed"' in page and "私の提案" in page
    response = client.post(
        "/participation/akiya/new/",
        {"title": "空き家を子育て世帯向けのお試し住宅として", "body": "私の提案", "confirmed": "1"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/participation/akiya/2/")
    response = client.post("/participation/akiya/new/", {"title": "題" * 121, "body": "消えない本文"})
    assert response.status_code == 400
    page = _text(response)
    assert "消えない本文" in page and 'aria-invalid="true"' in page and 'href="#proposal-title"' in page


def test_comments_are_shown_as_text_and_an_oversized_one_is_kept(proposal, other_resident):
    client = signed_in(other_resident)
    response = client.post(
        f"/participation/akiya/{proposal.number}/comment/", {"body": "<script>alert(1)</script>"}
    )
    assert response.status_code == 302
    page = _text(client.get(f"/participation/akiya/{proposal.number}/"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    long = "長" * 2001
    response = client.post(f"/participation/akiya/{proposal.number}/comment/", {"body": long})
    assert response.status_code == 400 and long in _text(response)


def test_supporting_twice_says_it_counts_once(proposal, other_resident):
    client = signed_in(other_resident)
    client.post(f"/participation/akiya/{proposal.number}/support/", {"action": "support"})
    response = client.post(
        f"/participation/akiya/{proposal.number}/support/", {"action": "support"}, follow=True
    )
    proposal.refresh_from_db()
    assert proposal.support_count == 1
    assert "1回だけ" in _text(response) or "counts once" in _text(response)


def test_the_hidden_comment_shows_its_reason_to_its_author_who_may_appeal(
    proposal, other_resident, resident, admin
):
    comment = services.comment_create(proposal=proposal, author=other_resident, body="乱暴な言葉")
    services.moderation_hide(staff=admin, target=comment, reason="人を傷つける表現")
    others = _text(signed_in(resident).get(f"/participation/akiya/{proposal.number}/"))
    assert "乱暴な言葉" not in others
    author = signed_in(other_resident)
    mine = _text(author.get(f"/participation/akiya/{proposal.number}/"))
    assert "乱暴な言葉" in mine and "人を傷つける表現" in mine
    response = author.post(
        f"/participation/akiya/{proposal.number}/appeal/?comment={comment.pk}",
        {"text": "誤解です", "comment": comment.pk},
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.appeal_state == "pending"


def test_the_clerk_answers_after_a_second_look_and_residents_see_it(proposal, admin, foreign_admin):
    client = signed_in(admin)
    assert client.get("/staff/participation/").status_code == 200
    response = client.post(
        f"/staff/participation/proposals/{proposal.pk}/",
        {"form": "answer", "status": "adopted", "reason": "来年度に実施します"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/answer/")
    assert OfficialAnswer.objects.get(proposal=proposal).published_at is None
    assert "来年度に実施します" not in _text(
        Client(HTTP_HOST=IGA_HOST).get(f"/participation/akiya/{proposal.number}/")
    )
    assert "来年度に実施します" in _text(client.get(f"/staff/participation/proposals/{proposal.pk}/answer/"))
    client.post(f"/staff/participation/proposals/{proposal.pk}/answer/")
    assert "来年度に実施します" in _text(
        Client(HTTP_HOST=IGA_HOST).get(f"/participation/akiya/{proposal.number}/")
    )
    assert signed_in(foreign_admin).get(f"/staff/participation/proposals/{proposal.pk}/").status_code == 404


def test_lists_keep_their_query_count(process, resident, other_resident):
    client = Client(HTTP_HOST=IGA_HOST)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/participation/akiya/").status_code == 200
        return len(queries)

    services.proposal_create(process=process, author=resident, title="一つ目", body="本文")
    few = count()
    for n in range(8):
        made = services.proposal_create(process=process, author=resident, title=f"提案{n}", body="本文")
        services.support_add(proposal=made, resident=other_resident)
    assert count() == few
