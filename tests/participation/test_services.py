"""Services of participation: the rules of proposing, supporting, commenting, moderation and answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from idx.audit.models import AuditEntry
from idx.participation import selectors, services
from idx.participation.language import detect_language
from idx.participation.models import AnswerStatus, Comment, Proposal, Support, Visibility
from idx.participation.services import ParticipationRefused
from tests.factories import ResidentFactory
from tests.participation.conftest import DAY, make_process

pytestmark = pytest.mark.django_db


def test_a_verified_resident_proposes_and_the_proposal_is_numbered_and_audited(process, resident):
    first = services.proposal_create(process=process, author=resident, title=" 空き家の活用 ", body="本文")
    second = services.proposal_create(process=process, author=resident, title="もう一つ", body="本文")
    assert (first.number, second.number) == (1, 2)
    assert first.title == "空き家の活用"
    assert first.language == "ja"
    assert AuditEntry.objects.filter(action="participation.proposal_create", target_id=str(first.pk)).exists()


def test_an_unverified_resident_may_not_propose(process, iga):
    unverified = ResidentFactory(municipality=iga, email_verified_at=None)
    with pytest.raises(ParticipationRefused) as caught:
        services.proposal_create(process=process, author=unverified, title="題", body="本文")
    assert caught.value.code == "not_verified"


def test_proposing_outside_the_phase_is_refused_with_its_dates(process, resident):
    with pytest.raises(ParticipationRefused) as caught:
        services.proposal_create(
            process=process, author=resident, title="題", body="本文", today=timezone.localdate() + 30 * DAY
        )
    assert caught.value.code == "closed"
    end = timezone.localdate() + 10 * DAY
    assert f"{end.month}月{end.day}日" in caught.value.text()


def test_oversized_and_empty_texts_name_their_field(process, resident):
    with pytest.raises(ParticipationRefused) as caught:
        services.proposal_create(process=process, author=resident, title="x" * 121, body="本文")
    assert caught.value.field == "title"
    assert "121" in caught.value.text()
    assert services.proposal_check(title="題", body="") == {
        "body": "提案の内容を書いてください。"
    } or services.proposal_check(title="題", body="").keys() == {"body"}


def test_a_draft_process_takes_nothing(admin, department, resident):
    draft = make_process(admin, department, slug="draft", publish=False)
    with pytest.raises(services.NotFound):
        services.proposal_create(process=draft, author=resident, title="題", body="本文")


def test_support_counts_once_and_can_be_withdrawn(proposal, other_resident):
    assert services.support_add(proposal=proposal, resident=other_resident).support_count == 1
    with pytest.raises(ParticipationRefused) as caught:
        services.support_add(proposal=proposal, resident=other_resident)
    assert caught.value.code == "already_supported"
    proposal.refresh_from_db()
    assert proposal.support_count == 1
    assert services.support_remove(proposal=proposal, resident=other_resident).support_count == 0
    assert services.support_remove(proposal=proposal, resident=other_resident).support_count == 0
    assert selectors.support_counts_verify(process=proposal.process) == []


def test_the_limit_per_process_is_kept(admin, department, resident, other_resident):
    process = make_process(admin, department, slug="limited", limit=2)
    proposals = [
        services.proposal_create(process=process, author=resident, title=f"提案{n}", body="本文")
        for n in range(3)
    ]
    services.support_add(proposal=proposals[0], resident=other_resident)
    services.support_add(proposal=proposals[1], resident=other_resident)
    with pytest.raises(ParticipationRefused) as caught:
        services.support_add(proposal=proposals[2], resident=other_resident)
    assert caught.value.code == "limit"
    services.support_remove(proposal=proposals[0], resident=other_resident)
    services.support_add(proposal=proposals[2], resident=other_resident)
    assert Support.objects.filter(process=process, resident=other_resident).count() == 2


def test_a_process_may_require_the_card_for_supports(
    admin, department, resident, other_resident, card_resident
):
    process = make_process(admin, department, slug="card", need_card=True)
    proposal = services.proposal_create(process=process, author=resident, title="題", body="本文")
    with pytest.raises(ParticipationRefused) as caught:
        services.support_add(proposal=proposal, resident=other_resident)
    assert caught.value.code == "card_required"
    assert services.support_add(proposal=proposal, resident=card_resident).support_count == 1


def test_a_support_after_the_phase_ended_is_refused_with_the_dates(proposal, other_resident):
    later = timezone.localdate() + 20 * DAY
    with pytest.raises(ParticipationRefused) as caught:
        services.support_add(proposal=proposal, resident=other_resident, today=later)
    assert caught.value.code == "closed"
    start, end = timezone.localdate() - 10 * DAY, timezone.localdate() + 10 * DAY
    text = caught.value.text()
    assert f"{start.month}月{start.day}日" in text and f"{end.month}月{end.day}日" in text
    proposal.refresh_from_db()
    assert proposal.support_count == 0


def test_comments_are_plain_text_limited_and_threaded(proposal, other_resident):
    html = '<script>alert("x")</script><b>太字</b>'
    comment = services.comment_create(proposal=proposal, author=other_resident, body=html)
    assert comment.body == html  # stored as typed; the page escapes it
    reply = services.comment_create(proposal=proposal, author=other_resident, body="返信です", parent=comment)
    assert reply.parent_id == comment.pk
    with pytest.raises(ParticipationRefused) as caught:
        services.comment_create(proposal=proposal, author=other_resident, body="あ" * 2001)
    assert caught.value.field == "body" and "2001" in caught.value.text()
    proposal.refresh_from_db()
    assert proposal.comment_count == 2


def test_moderation_hides_with_a_reason_takes_an_appeal_and_restores(
    proposal, other_resident, resident, admin
):
    comment = services.comment_create(proposal=proposal, author=other_resident, body="ひどいことば")
    services.report_create(reporter=resident, target=comment, reason="悪口です")
    with pytest.raises(ParticipationRefused):
        services.report_create(reporter=resident, target=comment, reason="もう一度")
    queue = selectors.moderation_queue(staff=admin)
    assert [item.pk for item in queue["reported_comments"]] == [comment.pk]
    services.moderation_hide(staff=admin, target=comment, reason="人を傷つける表現のため")
    comment.refresh_from_db()
    assert comment.visibility == Visibility.HIDDEN and comment.hidden_reason == "人を傷つける表現のため"
    assert Comment.objects.filter(pk=comment.pk).exists()  # nothing deleted
    with pytest.raises(services.NotFound):
        services.appeal_create(author=resident, target=comment, text="私のではない")
    services.appeal_create(author=other_resident, target=comment, text="悪口のつもりはありません")
    assert [item.pk for item in selectors.moderation_queue(staff=admin)["appealed_comments"]] == [comment.pk]
    services.moderation_decide(staff=admin, target=comment, restore=True)
    comment.refresh_from_db()
    assert comment.visibility == Visibility.VISIBLE and comment.appeal_state == "restored"
    actions = set(
        AuditEntry.objects.filter(target_type="participation_comment", target_id=str(comment.pk)).values_list(
            "action", flat=True
        )
    )
    assert {
        "participation.report",
        "participation.hide",
        "participation.appeal",
        "participation.restore",
    } <= actions


def test_moderation_is_for_the_process_department_only(proposal, foreign_admin, clerk_other_municipality):
    for outsider in (foreign_admin, clerk_other_municipality):
        with pytest.raises(services.NotFound):
            services.moderation_hide(staff=outsider, target=proposal, reason="理由")
        with pytest.raises(services.NotFound):
            services.answer_draft(staff=outsider, proposal=proposal, status="adopted", reason="理由")
        assert selectors.proposal_get_for_staff(staff=outsider, pk=proposal.pk) is None


def test_an_official_answer_is_drafted_then_published(proposal, admin):
    answer = services.answer_draft(
        staff=admin, proposal=proposal, status=AnswerStatus.ADOPTED, reason="実施します"
    )
    assert answer.status == "" and answer.published_at is None
    answer = services.answer_publish(staff=admin, proposal=proposal)
    assert (answer.status, answer.reason, answer.draft_status) == ("adopted", "実施します", "")
    with pytest.raises(ParticipationRefused):
        services.answer_publish(staff=admin, proposal=proposal)
    with pytest.raises(ParticipationRefused) as caught:
        services.answer_draft(staff=admin, proposal=proposal, status="maybe", reason="理由")
    assert caught.value.field == "status"


def test_follow_up_and_results_as_open_data(proposal, admin, other_resident):
    services.support_add(proposal=proposal, resident=other_resident)
    services.answer_draft(
        staff=admin, proposal=proposal, status=AnswerStatus.REJECTED, reason="予算がありません"
    )
    services.answer_publish(staff=admin, proposal=proposal)
    services.follow_up_add(
        staff=admin,
        proposal=proposal,
        text="代わりに相談会を開きました",
        url="https://example.jp/",
        done_on=dt.date(2026, 11, 1),
    )
    dataset = services.results_dataset_refresh(process=proposal.process)
    assert dataset.status == "published"
    text = services.results_csv(proposal.process).decode("utf-8-sig")
    assert "空き家を子育て世帯のお試し住宅に,ja,1,0,不採用,予算がありません" in text


def test_similar_titles_are_found_before_submitting(process, resident):
    services.proposal_create(
        process=process, author=resident, title="空き家を子育て世帯のお試し住宅に", body="本文"
    )
    services.proposal_create(process=process, author=resident, title="駅前に駐輪場を", body="本文")
    similar = selectors.similar_proposals(process=process, title="空き家を子育て世帯向けお試し住宅として")
    assert [item.title for item in similar] == ["空き家を子育て世帯のお試し住宅に"]
    assert selectors.similar_proposals(process=process, title="図書館の開館時間") == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("空き家を使いたい", "ja"),
        ("빈집을 활용합시다", "ko"),
        ("We should use the empty houses for the community and the students", "en"),
        ("Chúng ta nên sử dụng nhà trống", "vi"),
        ("Использовать пустые дома", "ru"),
        ("Xyzzy plugh qwerty", ""),
    ],
)
def test_the_language_of_a_text_is_marked_when_it_can_be_told(text, language):
    assert detect_language(text) == language


def test_a_proposal_in_another_language_is_accepted_and_marked(process, resident):
    proposal = services.proposal_create(
        process=process, author=resident, title="빈집 활용", body="빈집을 공유 주택으로 만듭시다"
    )
    assert proposal.language == "ko"
    assert Proposal.objects.get(pk=proposal.pk).language == "ko"


def test_rate_limits_refuse_with_a_clear_message(resident, settings):
    settings.IDX_RATELIMIT_ENABLED = True
    settings.IDX_RATELIMITS = {**settings.IDX_RATELIMITS, "participation_comment": "2/1m"}
    services.rate_check(user=resident, action="comment")
    services.rate_check(user=resident, action="comment")
    with pytest.raises(services.RateLimited) as caught:
        services.rate_check(user=resident, action="comment")
    assert caught.value.http_status == 429
