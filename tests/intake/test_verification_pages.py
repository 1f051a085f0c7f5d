"""The verification screen: cut images beside the values read, corrections typed, Enter accepts; the
case then shows in the queue as made on paper, with its scans."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from idx.applications.models import Application, Channel
from idx.procedures.rendering import html_id, html_name
from tests.conftest import example_answers, procedure, signed_in
from tests.intake.conftest import read_form

pytestmark = pytest.mark.django_db


def test_a_clerk_corrects_an_item_and_accepts_the_form(clerk):
    answers = example_answers(procedure(clerk.municipality))
    batch = read_form(
        clerk, answers, misread={"claimant.postal_code": None}, confidence={"children[0].birth_date": 0.5}
    )
    client = signed_in(clerk)
    assert (
        f"/staff/intake/{batch.public_id}/forms/1/"
        in client.get(f"/staff/intake/{batch.public_id}/").content.decode()
    )
    assert f"/staff/intake/{batch.public_id}/forms/1/" in client.get("/staff/intake/").content.decode()
    url = f"/staff/intake/{batch.public_id}/forms/1/"
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    # The items to look at first lead the form: the postal code (refused) before the birth date (unsure).
    first = text.index(f'id="{html_id("claimant.postal_code")}"')
    assert (
        first
        < text.index(f'id="{html_id("children[0].birth_date")}"')
        < text.index(f'id="{html_id("claimant.name")}"')
    )
    assert 'value="2012年9月20日"' in text and "autofocus" in text
    cut = text.split(f"/staff/intake/{batch.public_id}/pages/")[1].split('"')[0]
    image = client.get(f"/staff/intake/{batch.public_id}/pages/{cut}")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")

    # The form as shown, with the postal code typed wrongly: refused, naming the item, nothing lost.
    form = form_as_shown(text)
    form[html_name("claimant.postal_code")] = "51808"
    form[html_name("claimant.phone")] = "0595229999"
    refused = client.post(url, form)
    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'id="error-summary"' in body and f'href="#{html_id("claimant.postal_code")}"' in body
    assert 'value="51808"' in body
    assert not Application.objects.filter(channel=Channel.PAPER).exists()

    form[html_name("claimant.postal_code")] = "518-0873"
    accepted = client.post(url, form)
    assert accepted.status_code == 302
    application = Application.objects.get(channel=Channel.PAPER)
    assert application.answers["claimant"]["postal_code"] == "518-0873"
    again = client.get(url)
    assert again.status_code == 200 and application.receipt_number in again.content.decode()
    assert client.post(url, form).status_code == 200
    assert Application.objects.filter(channel=Channel.PAPER).count() == 1

    queue = client.get("/staff/").content.decode()
    assert application.receipt_number in queue and "郵送・紙" in queue
    case = client.get(f"/staff/cases/{application.public_id}/").content.decode()
    assert "郵送・紙" in case and "paper-form-P0TEST-page-1.png" in case
    assert "スキャンした紙の申請書" in case and "紙の申請書の読み取り結果を確認・訂正しました" in case
    assert "不要（紙の申請書に署名・押印）" in case


def form_as_shown(text: str) -> dict[str, str]:
    """What a browser sends for the screen's form untouched: every input's value, every select's choice."""

    class Fields(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.data: dict[str, str] = {}
            self.select: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = {key: value or "" for key, value in attrs}
            if tag == "input" and found.get("type") == "text":
                self.data[found["name"]] = found.get("value", "")
            elif tag == "select":
                self.select = found["name"]
                self.data[self.select] = ""
            elif tag == "option" and self.select and "selected" in found:
                self.data[self.select] = found.get("value", "")

        def handle_endtag(self, tag: str) -> None:
            if tag == "select":
                self.select = None

    parser = Fields()
    parser.feed(text)
    return parser.data


def test_other_municipalities_fetch_no_screen_and_no_image(
    clerk, clerk_other_municipality, clerk_other_department
):
    batch = read_form(clerk, example_answers(procedure(clerk.municipality)))
    other = signed_in(clerk_other_municipality, host="watarai.localhost")
    for path in (
        f"/staff/intake/{batch.public_id}/forms/1/",
        f"/staff/intake/{batch.public_id}/pages/1.png",
        f"/staff/intake/{batch.public_id}/pages/1/items/0.png",
    ):
        assert other.get(path).status_code == 404, path
    # Another department of the city cannot verify a form of こども家庭課's procedure.
    assert (
        signed_in(clerk_other_department).get(f"/staff/intake/{batch.public_id}/forms/1/").status_code == 404
    )
    assert signed_in(clerk).get(f"/staff/intake/{batch.public_id}/pages/1/items/999.png").status_code == 404
