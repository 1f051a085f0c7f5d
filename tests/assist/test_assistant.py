"""Answers to residents' questions: ranking, confidence, languages, bad input, the gap list, isolation."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idx.assist import search
from idx.assist.models import Faq, UnansweredQuestion
from idx.assist.selectors import answer_question
from idx.assist.services.faqs import FaqData, faq_save
from tests.conftest import IGA_HOST, WATARAI_HOST

pytestmark = pytest.mark.django_db


def test_best_answer_in_other_words(watarai, faqs):
    answer = answer_question(municipality=watarai, question="大型ゴミを捨てたいんだけど", language="ja")
    assert answer.status == "answered"
    assert answer.best.faq.key == "garbage-bulky"
    assert [p.code for p in answer.best.procedures] == ["bulky-waste-collection"]


def test_english_question_gets_english_answer(watarai, faqs):
    answer = answer_question(
        municipality=watarai, question="I lost my PIN for the My Number card", language="en"
    )
    assert answer.best.faq.key == "mynumber-pin"
    assert answer.best.variant.language == "en"


def test_missing_language_falls_back_to_english_then_japanese(watarai, faqs):
    vi = answer_question(municipality=watarai, question="nursery school apply", language="vi")
    assert vi.best.variant.language == "en" and not vi.best.in_requested_language
    easy = answer_question(municipality=watarai, question="保育所に入りたい", language="ja-easy")
    assert easy.best.variant.language == "ja"


def test_unrelated_question_is_unsure_and_goes_to_the_gap_list(watarai, faqs):
    client = Client(HTTP_HOST=WATARAI_HOST)
    response = client.get("/ask/", {"q": "おすすめのラーメン屋さん 090-1111-2222", "language": "ja"})
    assert response.status_code == 200
    assert (
        answer_question(municipality=watarai, question="おすすめのラーメン屋さん", language="ja").status
        == "unsure"
    )
    gap = UnansweredQuestion.objects.get(municipality=watarai)
    assert "1111" not in gap.text and "[phone]" in gap.text
    client.get("/ask/", {"q": "おすすめのラーメン屋さん 090-1111-2222"})
    gap.refresh_from_db()
    assert gap.times == 2


@pytest.mark.parametrize(
    ("question", "status"),
    [
        ("", None),
        ("   \x00\x01 ", "empty"),
        ("？！。", "empty"),
        ("ごみ" * 400, "too_long"),
        ("쓰레기 버리는 날", "unsupported"),
    ],
)
def test_bad_questions_get_a_clear_page(watarai, faqs, question, status):
    response = Client(HTTP_HOST=WATARAI_HOST).get("/ask/", {"q": question})
    assert response.status_code == 200
    if status:
        assert answer_question(municipality=watarai, question=question, language="ja").status == status
    if status == "unsupported":
        assert "English" in response.content.decode()  # the list of languages


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=700))
def test_any_question_is_answered_without_error(watarai, faqs, question):
    result = answer_question(municipality=watarai, question=question, language="ja")
    assert result.status in ("answered", "unsure", "empty", "too_long", "unsupported")


def test_binary_question_on_the_page(watarai, faqs):
    response = Client(HTTP_HOST=WATARAI_HOST).get(
        "/ask/?q=%FF%FE%00%C3%28+%E7%B2%97%E5%A4%A7%E3%81%94%E3%81%BF"
    )
    assert response.status_code == 200


def test_answers_never_cross_municipalities(iga, watarai, faqs):
    search.forget()
    answer = answer_question(municipality=iga, question="粗大ごみの出し方", language="ja")
    assert all(item.faq.municipality_id == iga.pk for item in answer.items)
    response = Client(HTTP_HOST=IGA_HOST).get("/faq/garbage-calendar/")
    assert (
        response.status_code == 404 or Faq.objects.filter(municipality=iga, key="garbage-calendar").exists()
    )


def test_unpublished_faq_is_neither_answered_nor_shown(watarai, faqs):
    faq_save(
        municipality=watarai,
        actor=None,
        data=FaqData(
            key="garbage-bulky",
            category="garbage",
            department_code="jumin",
            procedures=[],
            texts={"ja": ("粗大ごみの出し方を教えてください。", "非公開")},
            published=False,
        ),
    )
    answer = answer_question(municipality=watarai, question="粗大ごみの出し方", language="ja")
    assert all(item.faq.key != "garbage-bulky" for item in answer.items)
    assert Client(HTTP_HOST=WATARAI_HOST).get("/faq/garbage-bulky/").status_code == 404


def test_index_follows_an_edit(watarai, faqs):
    before = answer_question(municipality=watarai, question="ドローンの飛行許可", language="ja")
    assert before.status == "unsure"
    faq_save(
        municipality=watarai,
        actor=None,
        data=FaqData(
            key="living-drone",
            category="living",
            department_code="",
            procedures=[],
            texts={"ja": ("公園でドローンを飛ばせますか。", "公園でのドローンの飛行には許可が必要です。")},
        ),
    )
    after = answer_question(municipality=watarai, question="ドローンの飛行許可", language="ja")
    assert after.best.faq.key == "living-drone"


def test_page_shows_answer_procedure_and_contact(watarai, faqs):
    response = Client(HTTP_HOST=WATARAI_HOST).get("/ask/", {"q": "粗大ごみを出したい"})
    body = response.content.decode()
    assert "/procedures/bulky-waste-collection/" in body
    assert "/faq/garbage-bulky/" in body
    assert "戸別収集" in body  # the best answer's text is on the page


def test_feedback_not_helpful_records_gap_and_offers_inquiry(watarai, faqs):
    client = Client(HTTP_HOST=WATARAI_HOST)
    response = client.post(
        "/ask/feedback/", {"faq": "garbage-bulky", "helpful": "no", "q": "冷蔵庫を捨てたい"}
    )
    assert response.status_code == 302 and "/inquiries/new/" in response["Location"]
    faq = Faq.objects.get(municipality=watarai, key="garbage-bulky")
    assert faq.not_helpful == 1
    assert UnansweredQuestion.objects.filter(
        municipality=watarai, reason="not_helpful", best_faq=faq
    ).exists()
    assert client.post("/ask/feedback/", {"faq": "nope", "helpful": "yes"}).status_code == 404
