"""Staff keep the FAQ base: edit with translations, CSV export and import (all or nothing), the gap list."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from idx.assist.models import Faq, UnansweredQuestion
from idx.assist.selectors import answer_question
from idx.assist.services.faqs import csv_columns, faq_csv_rows
from idx.assist.services.gaps import gap_record
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "key": "childcare-test-faq",
        "category": "childcare",
        "department": "kodomo-katei",
        "published": "on",
        "question-ja": "テスト用の質問ですか。",
        "answer-ja": "テスト用の回答です。",
        "question-en": "Is this a test question?",
        "answer-en": "This is a test answer.",
    }
    data.update(overrides)
    return data


def test_supervisor_creates_and_edits_faq_with_translations(iga, supervisor):
    client = signed_in(supervisor)
    assert client.get("/staff/faqs/").status_code == 200
    assert client.get("/staff/faqs/new/").status_code == 200
    response = client.post("/staff/faqs/new/", _form())
    assert response.status_code == 302
    faq = Faq.objects.get(municipality=iga, key="childcare-test-faq")
    assert sorted(faq.variants.values_list("language", flat=True)) == ["en", "ja"]
    edited = client.post(
        "/staff/faqs/childcare-test-faq/edit/", _form(**{"question-en": "", "answer-en": ""})
    )
    assert edited.status_code == 302
    assert list(faq.variants.values_list("language", flat=True)) == ["ja"]


def test_bad_faq_form_keeps_everything(iga, supervisor):
    client = signed_in(supervisor)
    response = client.post(
        "/staff/faqs/new/", _form(key="Bad Key!", **{"answer-ja": "", "question-en": "only a question"})
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Bad Key!" in body and "only a question" in body and 'id="error-summary"' in body
    assert not Faq.objects.filter(municipality=iga, key="Bad Key!").exists()


def test_department_scope(iga, supervisor, clerk, clerk_other_department):
    # A supervisor of こども家庭課 cannot file an FAQ under 住民課, nor edit one of it.
    client = signed_in(supervisor)
    assert client.post("/staff/faqs/new/", _form(department="jumin")).status_code == 400
    other = Faq.objects.filter(municipality=iga).exclude(department=supervisor.department).first()
    if other is not None:
        assert client.get(f"/staff/faqs/{other.key}/edit/").status_code == 404
    # Clerks answer inquiries but do not edit the base.
    assert signed_in(clerk).get("/staff/faqs/").status_code == 404


def test_csv_round_trip_and_all_or_nothing_import(iga, city_admin):
    client = signed_in(city_admin)
    exported = b"".join(client.get("/staff/faqs/export.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == csv_columns()
    assert len(rows) - 1 == Faq.objects.filter(municipality=iga).count()

    good = io.StringIO()
    writer = csv.writer(good)
    writer.writerow(csv_columns())
    blank = dict.fromkeys(csv_columns(), "")
    writer.writerow(
        [
            {
                **blank,
                "key": "living-csv-one",
                "category": "living",
                "question_ja": "質問一",
                "answer_ja": "回答一",
            }[c]
            for c in csv_columns()
        ]
    )
    response = client.post(
        "/staff/faqs/import/", {"file": SimpleUploadedFile("f.csv", good.getvalue().encode("utf-8-sig"))}
    )
    assert response.status_code == 302
    assert Faq.objects.filter(municipality=iga, key="living-csv-one").exists()

    bad = io.StringIO()
    writer = csv.writer(bad)
    writer.writerow(csv_columns())
    writer.writerow(
        [
            {
                **blank,
                "key": "living-csv-two",
                "category": "living",
                "question_ja": "質問二",
                "answer_ja": "回答二",
            }[c]
            for c in csv_columns()
        ]
    )
    writer.writerow(
        [
            {
                **blank,
                "key": "living-csv-three",
                "category": "nonsense",
                "question_ja": "質問三",
                "answer_ja": "",
            }[c]
            for c in csv_columns()
        ]
    )
    writer.writerow(
        [
            {
                **blank,
                "key": "living-csv-two",
                "category": "living",
                "question_ja": "重複",
                "answer_ja": "重複",
                "procedures": "no-such",
            }[c]
            for c in csv_columns()
        ]
    )
    response = client.post(
        "/staff/faqs/import/", {"file": SimpleUploadedFile("f.csv", bad.getvalue().encode())}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "3" in body and "4" in body  # the lines with errors are named
    assert not Faq.objects.filter(municipality=iga, key="living-csv-two").exists()  # nothing half-imported

    for junk in (
        b"\xff\xfe\x00binary",
        b"key,category\nx,y\n",
        b'key,category,question_ja,answer_ja\n"unterminated',
    ):
        response = client.post("/staff/faqs/import/", {"file": SimpleUploadedFile("f.csv", junk)})
        assert response.status_code == 400


def test_import_is_for_city_wide_editors(supervisor):
    assert signed_in(supervisor).get("/staff/faqs/import/").status_code == 404


def test_export_streams_every_faq(iga):
    rows = list(faq_csv_rows(iga))
    assert len(rows) == Faq.objects.filter(municipality=iga).count() + 1


def test_gap_list_and_resolving_with_an_faq(iga, supervisor):
    gap = gap_record(
        municipality=iga,
        question="猫の避妊手術の補助はありますか",
        language="ja",
        reason="unsure",
        best_faq_id=None,
    )
    client = signed_in(supervisor)
    page = client.get("/staff/faqs/gaps/")
    assert "猫の避妊手術" in page.content.decode()
    response = client.post(
        f"/staff/faqs/new/?gap={gap.pk}",
        _form(
            key="living-cat-subsidy",
            **{"question-ja": "猫の避妊手術の補助はありますか。", "answer-ja": "補助があります。"},
        ),
    )
    assert response.status_code == 302
    gap.refresh_from_db()
    assert gap.resolved_at is not None and gap.resolved_faq.key == "living-cat-subsidy"
    assert (
        answer_question(municipality=iga, question="猫 避妊 補助", language="ja").best.faq.key
        == "living-cat-subsidy"
    )
    other = gap_record(
        municipality=iga, question="別の質問", language="ja", reason="unsure", best_faq_id=None
    )
    assert client.post(f"/staff/faqs/gaps/{other.pk}/resolve/").status_code == 302
    assert UnansweredQuestion.objects.get(pk=other.pk).resolved_at is not None


def test_municipality_synonyms_change_answers_and_stay_local(iga, watarai, city_admin, supervisor):
    from idx.assist import search
    from idx.assist.services.faqs import FaqData, faq_save

    for municipality in (iga, watarai):
        faq_save(
            municipality=municipality,
            actor=None,
            data=FaqData(
                key="living-unmanned-aircraft",
                category="living",
                department_code="",
                procedures=[],
                texts={
                    "ja": ("無人航空機を公園で飛ばせますか。", "公園での無人航空機の飛行には許可が必要です。")
                },
            ),
        )
    search.forget()
    before = answer_question(municipality=iga, question="ピコピコのきまり", language="ja")
    assert before.best is None or before.best.faq.key != "living-unmanned-aircraft"
    assert signed_in(supervisor).get("/staff/faqs/synonyms/").status_code == 404  # city-wide editors only
    client = signed_in(city_admin)
    assert client.get("/staff/faqs/synonyms/").status_code == 200
    bad = client.post("/staff/faqs/synonyms/", {"synonyms": "ピコピコ/無人航空機\nひとつだけ"})
    assert bad.status_code == 400 and "ピコピコ/無人航空機" in bad.content.decode()  # nothing lost
    ok = client.post("/staff/faqs/synonyms/", {"synonyms": "# local words\nピコピコ/無人航空機"})
    assert ok.status_code == 302
    after = answer_question(municipality=iga, question="ピコピコのきまり", language="ja")
    assert after.best.faq.key == "living-unmanned-aircraft"
    # 度会町 does not share 伊賀市's words.
    elsewhere = answer_question(municipality=watarai, question="ピコピコのきまり", language="ja")
    assert elsewhere.best is None or elsewhere.best.faq.key != "living-unmanned-aircraft"


def test_city_synonyms_join_the_shipped_groups():
    from idx.assist import text

    # ゴミ is in a shipped group; a city line with ゴミ adds its new word to that group.
    assert set(text.terms("ガラクタ", ("ガラクタ/ゴミ",))) & set(text.terms("ごみ"))


def test_csv_export_never_hands_a_spreadsheet_a_formula_and_imports_back_unchanged(iga, city_admin):
    """A resident's words become an FAQ via the gap list; the export must not let them run in Excel."""
    attack = "=cmd|' /C calc'!A0"
    gap = gap_record(municipality=iga, question=attack, language="ja", reason="unsure", best_faq_id=None)
    assert gap is not None and gap.text == attack
    client = signed_in(city_admin)
    response = client.post(
        f"/staff/faqs/new/?gap={gap.pk}",
        _form(
            key="living-formula-words",
            department="",
            **{
                "question-ja": gap.text,
                "answer-ja": "@SUM(1+1)*cmd|' /C calc'!A0",
                "question-en": "+1+cmd|' /C notepad'!A0",
                "answer-en": "-2+3+cmd|' /C calc'!A0",
            },
        ),
    )
    assert response.status_code == 302, response.content[:500]
    other = gap_record(
        municipality=iga,
        question='\t=HYPERLINK("http://evil.example")',
        language="ja",
        reason="unsure",
        best_faq_id=None,
    )
    assert (
        client.post(f"/staff/faqs/gaps/{other.pk}/resolve/", {"faq": "living-formula-words"}).status_code
        == 302
    )

    exported = b"".join(client.get("/staff/faqs/export.csv").streaming_content).decode("utf-8-sig")
    rows = {row[0]: dict(zip(csv_columns(), row, strict=True)) for row in csv.reader(io.StringIO(exported))}
    row = rows["living-formula-words"]
    assert row["question_ja"] == "'" + attack
    assert row["answer_ja"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["question_en"] == "'+1+cmd|' /C notepad'!A0"
    assert row["answer_en"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["keywords_ja"] == '\'=HYPERLINK("http://evil.example")'
    for cells in rows.values():
        assert not any(cell[:1] in ("=", "+", "@", "\t", "\r") for cell in cells.values())

    # Importing the export gives back exactly what staff wrote (the apostrophe comes off again).
    faq = Faq.objects.get(municipality=iga, key="living-formula-words")
    before = {v.language: (v.question, v.answer, v.keywords) for v in faq.variants.all()}
    response = client.post(
        "/staff/faqs/import/", {"file": SimpleUploadedFile("faqs.csv", exported.encode("utf-8-sig"))}
    )
    assert response.status_code == 302, response.content[:800]
    after = {v.language: (v.question, v.answer, v.keywords) for v in faq.variants.all()}
    assert after == before
    assert after["ja"][0] == attack
