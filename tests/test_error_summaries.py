"""Every refused form of the portal answers with the error summary at the top of the page: focused
when the page opens (``autofocus``, so also without JavaScript), and each message a link to an
element that is on the page (GOV.UK pattern)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import IGA_HOST, make_draft, signed_in

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r'<div class="error-summary"[^>]*id="error-summary"[^>]*>(.*?)</div>', re.S)


def assert_summary_leads(response, *, statuses=(400, 404, 422)) -> None:
    assert response.status_code in statuses, response.status_code
    page = response.content.decode()
    main = page[page.index("<main") :]
    opening = re.search(r'<div class="error-summary"[^>]*>', main)
    assert opening is not None, "no error summary"
    assert "autofocus" in opening.group(0), "the summary is not focused when the page opens"
    # It comes before the form the resident filled in.
    first_post_form = main.find('method="post"')
    assert first_post_form == -1 or opening.start() < first_post_form, "the summary is below the form"
    body = SUMMARY.search(main)
    assert body is not None
    targets = re.findall(r'href="#([^"]+)"', body.group(1))
    assert targets, "the summary links to no field"
    for target in targets:
        assert f'id="{target}"' in page, f"#{target} is not on the page"


def test_inquiry_form(iga):
    response = Client(HTTP_HOST=IGA_HOST).post(
        "/inquiries/new/", {"department": "", "subject": "", "body": ""}
    )
    assert_summary_leads(response)


def test_inquiry_reply(resident):
    from idx.assist.services.inquiries import inquiry_create
    from idx.identity.models import Department

    inquiry, _token = inquiry_create(
        municipality=resident.municipality,
        department=Department.objects.get(municipality=resident.municipality, code="kodomo-katei"),
        resident=resident,
        name="",
        email="",
        subject="保育園の見学",
        body="見学はできますか。",
        language="ja",
    )
    response = signed_in(resident).post(f"/inquiries/{inquiry.public_id}/reply/", {"body": ""})
    assert_summary_leads(response)


def test_ticket_lookup(iga):
    response = Client(HTTP_HOST=IGA_HOST).get("/booking/ticket/", {"code": "ZZZ-999"})
    assert_summary_leads(response)


def test_booking_without_a_time(resident):
    response = signed_in(resident).post("/booking/kosodate-soudan/", {"starts_at": ""})
    assert_summary_leads(response, statuses=(400, 409, 422))


def test_paying_without_a_way_to_pay(resident):
    draft = make_draft(resident, "residence-certificate-request")
    response = signed_in(resident).post(f"/my/applications/{draft.public_id}/pay/", {"provider": "nothing"})
    assert_summary_leads(response)


def test_quiet_hours_with_one_end(resident):
    response = signed_in(resident).post(
        "/my/notifications/settings/", {"quiet_start": "22:00", "quiet_end": ""}
    )
    assert_summary_leads(response)
