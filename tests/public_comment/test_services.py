"""The rules of パブリックコメント: 30 days at least, the period, the case's rule on names and on who
may send, limits, the result only after the deadline and with every section answered, the open
dataset after the result, and nothing outside the caller's department or municipality."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.utils import timezone, translation

from idx.audit.models import AuditEntry
from idx.opendata.models import Dataset
from idx.public_comment import selectors, services
from idx.public_comment.models import Opinion, Submission
from tests.public_comment.conftest import PDF, make_case


def test_a_period_shorter_than_30_days_is_refused(iga, kodomo):
    with pytest.raises(services.PublicCommentRefused) as caught:
        make_case(iga, kodomo, days=29)
    assert caught.value.field == "closes_on"
    with translation.override("en"):
        assert "at least 30 days" in caught.value.text()


def test_opinions_on_several_sections_get_one_receipt_number(open_case, resident):
    submission = services.submission_create(
        consultation=open_case, opinions={1: " 賛成です。 ", 3: "反対です。", 2: ""}, user=resident
    )
    assert submission.receipt_number.startswith(f"PC-{timezone.localdate().year}-")
    texts = {
        opinion.section.number: opinion.text for opinion in submission.opinions.select_related("section")
    }
    assert texts == {1: "賛成です。", 3: "反対です。"}
    assert submission.user == resident
    second = services.submission_create(consultation=open_case, opinions={2: "意見"})
    assert second.receipt_number != submission.receipt_number and second.user is None
    assert AuditEntry.objects.filter(action="public_comment.submit", target_id=str(second.pk)).exists()


def test_after_the_deadline_the_dates_are_given(open_case):
    late = open_case.closes_on + dt.timedelta(days=1)
    with pytest.raises(services.PublicCommentClosed) as caught, translation.override("ja"):
        services.submission_create(consultation=open_case, opinions={1: "遅れた意見"}, today=late)
        raise AssertionError("not refused")
    with translation.override("ja"):
        text = caught.value.text()
    assert f"{open_case.closes_on.month}月{open_case.closes_on.day}日" in text
    assert open_case.closes_on.isoformat() not in text
    assert not Submission.objects.filter(consultation=open_case).exists()


@pytest.mark.parametrize(
    ("opinions", "field"),
    [
        ({}, "opinions"),
        ({1: "   "}, "opinions"),
        ({9: "ない項目"}, "opinions"),
        ({2: "あ" * 2001}, "opinion_2"),
    ],
)
def test_empty_unknown_or_oversized_opinions_are_refused(open_case, opinions, field):
    with pytest.raises(services.PublicCommentRefused) as caught:
        services.submission_create(consultation=open_case, opinions=opinions)
    assert caught.value.field == field
    if field == "opinion_2":
        with translation.override("en"):
            assert "2,001" in caught.value.text() and "2,000" in caught.value.text()


def test_a_named_case_wants_name_and_address(iga, kodomo):
    consultation = make_case(iga, kodomo, anonymous_allowed=False)
    with pytest.raises(services.PublicCommentRefused) as caught:
        services.submission_create(consultation=consultation, opinions={1: "意見"})
    assert caught.value.field == "name"
    with pytest.raises(services.PublicCommentRefused) as caught:
        services.submission_create(consultation=consultation, opinions={1: "意見"}, name="伊賀 花子")
    assert caught.value.field == "address"
    services.submission_create(
        consultation=consultation, opinions={1: "意見"}, name="伊賀 花子", address="伊賀市上野"
    )


def test_a_case_for_residents_workers_and_students_asks_the_relation(iga, kodomo):
    consultation = make_case(iga, kodomo, eligibility="related")
    for relation in ("", "other"):
        with pytest.raises(services.PublicCommentRefused) as caught:
            services.submission_create(consultation=consultation, opinions={1: "意見"}, relation=relation)
        assert caught.value.field == "relation"
    services.submission_create(consultation=consultation, opinions={1: "意見"}, relation="student")


def test_html_is_kept_as_plain_text(open_case):
    submission = services.submission_create(
        consultation=open_case, opinions={1: "<script>alert(1)</script><b>太字</b>"}
    )
    assert Opinion.objects.get(submission=submission).text == "<script>alert(1)</script><b>太字</b>"


def test_a_draft_takes_no_opinions_and_changes_only_while_a_draft(iga, kodomo, open_case):
    draft = make_case(iga, kodomo, publish=False)
    with pytest.raises(services.PublicCommentNotFound):
        services.submission_create(consultation=draft, opinions={1: "意見"})
    with pytest.raises(services.PublicCommentRefused):
        services.section_put(
            consultation=open_case, number=1, headings={"ja": "変更"}, texts={"ja": "変更"}, actor=None
        )


def test_documents_are_checked_by_content(iga, kodomo):
    draft = make_case(iga, kodomo, publish=False)
    with pytest.raises(services.PublicCommentRefused) as caught:
        services.document_add(
            consultation=draft,
            names={"ja": "本文"},
            filename="plan.pdf",
            content=b"MZ\x90\x00 not a pdf",
            actor=None,
        )
    assert caught.value.field == "file"
    document = services.document_add(
        consultation=draft, names={"ja": "本文"}, filename="../../etc/計画.pdf", content=PDF, actor=None
    )
    assert "/" not in document.filename and document.filename.endswith("計画.pdf")
    assert document.file.read() == PDF


def test_staff_of_another_department_or_municipality_find_nothing(
    open_case, kodomo_admin, other_admin, city_admin, clerk_other_municipality, clerk
):
    assert selectors.consultation_get_for_staff(staff=kodomo_admin, uid=str(open_case.uid)) is not None
    assert selectors.consultation_get_for_staff(staff=city_admin, uid=str(open_case.uid)) is not None
    for outsider in (other_admin, clerk_other_municipality, clerk):
        assert selectors.consultation_get_for_staff(staff=outsider, uid=str(open_case.uid)) is None
    assert list(selectors.consultation_list_for_staff(staff=other_admin)) == []
    assert open_case in selectors.consultation_list_for_staff(staff=kodomo_admin)
    with pytest.raises(services.PublicCommentNotFound):
        services.consultation_publish(consultation=open_case, actor=other_admin)


def test_another_municipality_does_not_see_the_case(open_case, watarai):
    assert selectors.consultation_get_public(municipality=watarai, uid=str(open_case.uid)) is None
    assert list(selectors.consultation_list_public(municipality=watarai)) == []


def test_the_result_waits_for_the_deadline(open_case):
    section = open_case.sections.get(number=1)
    with pytest.raises(services.PublicCommentRefused):
        services.section_result_put(
            section=section,
            opinion_summaries={"ja": "要約"},
            city_views={"ja": "考え方"},
            changed=False,
            actor=None,
        )


def test_every_section_with_opinions_needs_an_answer_before_publishing(closed_case, kodomo_admin):
    with pytest.raises(services.PublicCommentRefused) as caught:
        services.result_publish(consultation=closed_case, notes={"ja": "修正しました。"}, actor=kodomo_admin)
    assert caught.value.field == "section_1"
    with pytest.raises(services.PublicCommentRefused) as caught:
        services.section_result_put(
            section=closed_case.sections.get(number=1),
            opinion_summaries={},
            city_views={"ja": "考え方"},
            changed=True,
            actor=kodomo_admin,
        )
    assert caught.value.field == "opinion_summaries"


def _answer_all(consultation, actor):
    for section in consultation.sections.all():
        services.section_result_put(
            section=section,
            opinion_summaries={"ja": f"第{section.number}章への意見の概要"} if section.number < 3 else {},
            city_views={"ja": f"第{section.number}章についての市の考え方"} if section.number < 3 else {},
            changed=section.number == 1,
            actor=actor,
        )


def test_the_published_result_becomes_open_data_after_commit(
    closed_case, kodomo_admin, django_capture_on_commit_callbacks
):
    _answer_all(closed_case, kodomo_admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.result_publish(
            consultation=closed_case, notes={"ja": "第1章を修正しました。"}, actor=kodomo_admin
        )
    dataset = Dataset.objects.get(
        municipality=closed_case.municipality, name=services.dataset_name(closed_case)
    )
    assert dataset.status == Dataset.Status.PUBLISHED
    files = {resource.filename: resource for resource in dataset.resources.all()}
    rows = list(csv.reader(io.StringIO(files["public-comment-result.csv"].file.read().decode("utf-8-sig"))))
    assert rows[0] == ["項目番号", "項目", "意見数", "意見の概要", "市の考え方", "案の修正"]
    assert rows[1] == [
        "1",
        "第1章 見出し",
        "2",
        "第1章への意見の概要",
        "第1章についての市の考え方",
        "修正あり",
    ]
    assert rows[3][2] == "0"
    document = json.loads(files["public-comment-result.json"].file.read())
    assert document["opinions"] == 3 and document["submissions"] == 2
    # No opinion as written, no name in the open data.
    raw = json.dumps(document, ensure_ascii=False)
    assert "第1章への意見です" not in raw and "伊賀 花子" not in raw
    with pytest.raises(services.PublicCommentRefused):
        services.result_publish(consultation=closed_case, notes={"ja": "二度目"}, actor=kodomo_admin)


def test_the_comment_export_rows(closed_case):
    rows = list(selectors.comment_rows(consultation=closed_case))
    assert rows[0][0] == "受付番号" and len(rows) == 4
    assert {row[7] for row in rows[1:]} >= {"第1章への意見です。", '=HYPERLINK("http://example.com")'}
