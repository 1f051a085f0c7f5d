"""The resident journey (form, confirmation, receipt; refusals that keep the text) and the staff
pages (create, sections, PDF, publish after a second look, opinions by section, CSV, the result
with its second look), each scoped to the department and the municipality."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from idx.public_comment import services
from idx.public_comment.models import Consultation, Submission
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in
from tests.public_comment.conftest import PDF, make_case


def _url(consultation, name="detail"):
    suffix = {
        "detail": "",
        "opinion": "opinion/",
        "confirm": "opinion/confirm/",
        "done": "opinion/done/",
        "result": "result/",
    }
    return f"/public-comment/{consultation.uid}/{suffix[name]}"


def test_the_list_and_a_case_page(iga_client, open_case, closed_case):
    page = iga_client.get("/public-comment/", HTTP_ACCEPT_LANGUAGE="ja")
    assert page.status_code == 200
    assert page.content.decode().count("伊賀市テスト計画（案）") == 2
    page = iga_client.get(_url(open_case))
    text = page.content.decode()
    assert 'id="section-1"' in text and 'href="#section-3"' in text
    assert f"{_url(open_case, 'opinion')}#id_opinion_2" in text


def test_a_draft_or_another_towns_case_is_not_found(iga, kodomo, open_case, watarai_client, iga_client):
    draft = make_case(iga, kodomo, publish=False)
    assert iga_client.get(_url(draft)).status_code == 404
    assert watarai_client.get(_url(open_case)).status_code == 404


def test_a_resident_sends_opinions_after_a_second_look(open_case):
    client = Client(HTTP_HOST=IGA_HOST)
    page = client.post(
        _url(open_case, "opinion"), {"opinion_1": "", "opinion_2": "<b>バスを増やして</b>", "opinion_3": ""}
    )
    assert page.status_code == 302 and page["Location"] == _url(open_case, "confirm")
    page = client.get(_url(open_case, "confirm"))
    assert "&lt;b&gt;バスを増やして&lt;/b&gt;" in page.content.decode()
    assert not Submission.objects.filter(consultation=open_case).exists()
    page = client.post(_url(open_case, "confirm"))
    assert page.status_code == 302
    submission = Submission.objects.get(consultation=open_case)
    page = client.get(_url(open_case, "done"))
    assert submission.receipt_number in page.content.decode()


def test_an_empty_choice_and_an_oversized_opinion_come_back_with_the_text(open_case):
    client = Client(HTTP_HOST=IGA_HOST, HTTP_ACCEPT_LANGUAGE="en")
    page = client.post(_url(open_case, "opinion"), {"opinion_1": " ", "name": "伊賀 花子"})
    assert page.status_code == 422
    text = page.content.decode()
    assert "Write your opinion on at least one section." in text and "伊賀 花子" in text
    long = "あ" * 2100
    page = client.post(_url(open_case, "opinion"), {"opinion_2": long, "opinion_1": "短い意見"})
    text = page.content.decode()
    assert page.status_code == 422 and "2,100" in text and "2,000" in text
    assert long in text and "短い意見" in text and 'href="#id_opinion_2"' in text


def test_after_the_deadline_the_text_is_kept_with_the_dates(open_case):
    client = Client(HTTP_HOST=IGA_HOST, HTTP_ACCEPT_LANGUAGE="ja")
    client.post(_url(open_case, "opinion"), {"opinion_1": "締切直前の意見"})
    Consultation.objects.filter(pk=open_case.pk).update(
        opens_on=open_case.opens_on - dt.timedelta(days=40),
        closes_on=timezone.localdate() - dt.timedelta(days=1),
    )
    page = client.post(_url(open_case, "confirm"))
    text = page.content.decode()
    assert page.status_code == 409 and "締切直前の意見" in text
    closes = timezone.localdate() - dt.timedelta(days=1)
    assert f"{closes.month}月{closes.day}日" in text
    page = client.post(_url(open_case, "opinion"), {"opinion_1": "締切直前の意見"})
    assert page.status_code == 422 and "締切直前の意見" in page.content.decode()
    assert not Submission.objects.filter(consultation=open_case).exists()


@override_settings(IDX_RATELIMIT_ENABLED=True, IDX_RATELIMITS={"public_comment": "2/10m"})
def test_a_flood_of_sendings_is_refused(open_case):
    from django.core.cache import cache

    cache.clear()
    client = Client(HTTP_HOST=IGA_HOST, HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.77")
    statuses = []
    for index in range(3):
        client.post(_url(open_case, "opinion"), {"opinion_1": f"意見{index}"})
        statuses.append(client.post(_url(open_case, "confirm")).status_code)
    assert statuses == [302, 302, 429]
    assert Submission.objects.filter(consultation=open_case).count() == 2
    page = client.get(_url(open_case, "opinion"))
    assert "意見2" in page.content.decode()  # the text is kept


@pytest.fixture
def kodomo_client(kodomo_admin) -> Client:
    return signed_in(kodomo_admin)


def test_staff_create_a_case_with_sections_and_a_pdf_and_publish_it(kodomo_client, kodomo):
    today = timezone.localdate()
    page = kodomo_client.post(
        "/staff/public-comment/new/",
        {
            "department": "kodomo-katei",
            "title_ja": "伊賀市子ども・子育て支援事業計画（案）",
            "summary_ja": "計画の案です。",
            "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=10)).isoformat(),
            "names": "named",
            "eligibility": "anyone",
        },
    )
    assert page.status_code == 422 and "30" in page.content.decode()
    page = kodomo_client.post(
        "/staff/public-comment/new/",
        {
            "department": "kodomo-katei",
            "title_ja": "伊賀市子ども・子育て支援事業計画（案）",
            "summary_ja": "計画の案です。",
            "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=30)).isoformat(),
            "names": "named",
            "eligibility": "related",
        },
    )
    assert page.status_code == 302
    consultation = Consultation.objects.get(titles__ja="伊賀市子ども・子育て支援事業計画（案）")
    base = f"/staff/public-comment/{consultation.uid}/"
    page = kodomo_client.post(
        base, {"action": "section", "number": 1, "heading_ja": "計画の目的", "text_ja": "本文"}
    )
    assert page.status_code == 302
    page = kodomo_client.post(
        base,
        {
            "action": "document",
            "name_ja": "本文",
            "file": SimpleUploadedFile("plan.pdf", b"GIF89a not a pdf"),
        },
    )
    assert page.status_code == 422
    page = kodomo_client.post(
        base, {"action": "document", "name_ja": "本文", "file": SimpleUploadedFile("plan.pdf", PDF)}
    )
    assert page.status_code == 302
    page = kodomo_client.get(f"{base}publish/")
    assert page.status_code == 200 and not Consultation.objects.get(pk=consultation.pk).is_published
    page = kodomo_client.post(f"{base}publish/", {"confirmed": "yes"})
    assert Consultation.objects.get(pk=consultation.pk).is_published
    document = consultation.documents.get()
    download = Client(HTTP_HOST=IGA_HOST).get(f"/public-comment/{consultation.uid}/documents/{document.uid}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


def test_staff_read_opinions_export_csv_and_publish_the_result(kodomo_client, closed_case, other_admin):
    base = f"/staff/public-comment/{closed_case.uid}/"
    page = kodomo_client.get(f"{base}comments/")
    assert "第1章への意見です。" in page.content.decode()
    export = kodomo_client.get(f"{base}comments.csv")
    body = b"".join(export.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff受付番号") and "'=HYPERLINK" in body
    other = signed_in(other_admin)
    for path in ("", "comments/", "comments.csv", "result/"):
        assert other.get(f"{base}{path}").status_code == 404
    form = {
        "summary_1": "要約1",
        "view_1": "考え方1",
        "changed_1": "yes",
        "summary_2": "",
        "view_2": "考え方2",
        "changed_2": "no",
        "notes_ja": "第1章を修正しました。",
        "action": "publish",
    }
    page = kodomo_client.post(f"{base}result/", form)
    assert page.status_code == 422 and 'href="#id_summary_2"' in page.content.decode()
    form["summary_2"] = "要約2"
    page = kodomo_client.post(f"{base}result/", form)
    assert page.status_code == 302 and page["Location"].endswith("result/publish/")
    assert not Consultation.objects.get(pk=closed_case.pk).result_is_published
    page = kodomo_client.get(f"{base}result/publish/")
    assert "考え方1" in page.content.decode()
    kodomo_client.post(f"{base}result/publish/", {"confirmed": "yes"})
    assert Consultation.objects.get(pk=closed_case.pk).result_is_published
    public = Client(HTTP_HOST=IGA_HOST, HTTP_ACCEPT_LANGUAGE="ja").get(_url(closed_case, "result"))
    text = public.content.decode()
    assert "考え方1" in text and "要約2" in text and "第1章への意見です。" not in text


def test_the_staff_page_of_another_municipality_is_not_found(closed_case, clerk_other_municipality):
    client = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert client.get(f"/staff/public-comment/{closed_case.uid}/").status_code == 404


def test_result_before_publication_is_not_found(iga_client, closed_case):
    assert iga_client.get(_url(closed_case, "result")).status_code == 404
    assert services.dataset_name(closed_case).startswith("public-comment-")
