"""書かない窓口: a clerk fills in an application for a resident; the resident confirms it on the
counter's screen with a code or the QR link; the audit log records who assisted and the confirmation."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from idx.applications.models import Application, CounterConfirmation, Status
from idx.audit.models import AuditEntry
from idx.identity.models import User
from tests.conftest import IGA_HOST, example_answers, procedure, signed_in

pytestmark = pytest.mark.django_db

PROCEDURE = "child-allowance-donation"
CARD = {
    "full_name": "窓口 花子",
    "birthdate": "昭和60年4月1日",
    "address": "三重県伊賀市上野丸之内116番地",
    "gender": "female",
}


def start(clerk_client: Client, code: str = PROCEDURE, **extra: str):
    return clerk_client.post(
        "/staff/counter/", {"procedure": code, **CARD, "identity_checked": "yes", **extra}
    )


def fill_all_steps(clerk_client: Client, application: Application) -> None:
    """Post every step with the definition's example (the verified facts stay the card's)."""
    from idx.applications import services

    answers = example_answers(procedure(application.municipality, application.procedure.code))
    clerk = User.objects.get(pk=application.assisted_by_id)
    services.application_save_answers(application=application, actor=clerk, answers=answers)


def test_counter_start_makes_a_verified_resident_and_a_prefilled_draft(clerk_client, clerk):
    response = start(clerk_client)
    assert response.status_code == 302
    application = Application.objects.get(assisted_by=clerk)
    assert response["Location"].startswith(f"/staff/counter/{application.public_id}/steps/")
    resident = application.applicant
    assert resident.is_resident and resident.email == "" and resident.identity_verified_at is not None
    assert str(resident.verified_birthdate) == "1985-04-01"
    page = clerk_client.get(response["Location"]).content.decode()
    assert "窓口 花子" in page
    assert AuditEntry.objects.filter(action="application.assisted_start", actor=clerk).exists()


def test_clerk_of_another_department_cannot_start_it(clerk_other_department):
    client = signed_in(clerk_other_department)
    response = start(client, code="child-allowance-certification")
    assert response.status_code == 422
    assert not Application.objects.filter(assisted_by=clerk_other_department).exists()


def test_errors_are_summarized_and_nothing_is_made(clerk_client, clerk):
    response = clerk_client.post("/staff/counter/", {"procedure": "", "full_name": "", "birthdate": "x"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="error-summary"' in page and 'href="#counter-procedure"' in page
    assert not Application.objects.filter(assisted_by=clerk).exists()


def _shown(clerk_client, application) -> tuple[str, str]:
    response = clerk_client.post(f"/staff/counter/{application.public_id}/show/")
    assert response.status_code == 200, response.content[:300]
    page = response.content.decode()
    code = re.search(r'id="counter-code">(\d{3}) (\d{3})<', page)
    assert code, page[:2000]
    link = re.search(r"(/counter/t/[A-Za-z0-9_-]+/)", page)
    assert link and "<svg" in page
    return code.group(1) + code.group(2), link.group(1)


def test_resident_confirms_with_the_code(clerk_client, clerk):
    start(clerk_client)
    application = Application.objects.get(assisted_by=clerk)
    fill_all_steps(clerk_client, application)
    code, _link = _shown(clerk_client, application)
    tablet = Client(HTTP_HOST=IGA_HOST)
    assert tablet.post("/counter/", {"code": "000000" if code != "000000" else "111111"}).status_code == 422
    opened = tablet.post("/counter/", {"code": code})
    assert opened["Location"] == "/counter/confirm/"
    summary = tablet.get("/counter/confirm/").content.decode()
    assert "窓口 花子" in summary and clerk.full_name in summary
    missing = tablet.post("/counter/confirm/", {"action": "confirm"})
    assert missing.status_code == 422
    done = tablet.post("/counter/confirm/", {"action": "confirm", "declaration": "yes"})
    assert done["Location"] == "/counter/done/"
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.resident_confirmed_at is not None
    assert application.receipt_number in tablet.get("/counter/done/").content.decode()
    entry = AuditEntry.objects.get(action="application.submit", target_id=str(application.public_id))
    assert entry.after["assisted_by"] == clerk.pk and entry.after["resident_confirmed"] == "counter_screen"
    # Single use: the code and the tablet's session are spent.
    assert Client(HTTP_HOST=IGA_HOST).post("/counter/", {"code": code}).status_code == 422
    case = clerk_client.get(f"/staff/cases/{application.public_id}/").content.decode()
    assert 'class="assisted-status"' in case


def test_signature_procedures_are_confirmed_at_the_counter_without_a_card_signature(clerk_client, clerk):
    start(clerk_client, code="child-allowance-certification")
    application = Application.objects.get(assisted_by=clerk)
    fill_all_steps(clerk_client, application)
    _code, link = _shown(clerk_client, application)
    tablet = Client(HTTP_HOST=IGA_HOST)
    assert tablet.get(link)["Location"] == "/counter/confirm/"
    tablet.post("/counter/confirm/", {"action": "confirm", "declaration": "yes"})
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert not hasattr(application, "signature") or application.signature is None


def test_not_correct_submits_nothing(clerk_client, clerk):
    start(clerk_client)
    application = Application.objects.get(assisted_by=clerk)
    fill_all_steps(clerk_client, application)
    _code, link = _shown(clerk_client, application)
    tablet = Client(HTTP_HOST=IGA_HOST)
    tablet.get(link)
    response = tablet.post("/counter/confirm/", {"action": "not_correct"})
    assert response.status_code == 200
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT


def test_expired_or_replaced_codes_do_not_open(clerk_client, clerk):
    start(clerk_client)
    application = Application.objects.get(assisted_by=clerk)
    fill_all_steps(clerk_client, application)
    first_code, first_link = _shown(clerk_client, application)
    _second_code, _second_link = _shown(clerk_client, application)  # a new code closes the first
    tablet = Client(HTTP_HOST=IGA_HOST)
    assert tablet.post("/counter/", {"code": first_code}).status_code == 422
    assert tablet.get(first_link).status_code == 404
    CounterConfirmation.objects.update(expires_at="2000-01-01T00:00:00Z")
    assert tablet.post("/counter/", {"code": _second_code}).status_code == 422


def test_incomplete_answers_are_not_shown(clerk_client, clerk):
    start(clerk_client)
    application = Application.objects.get(assisted_by=clerk)
    response = clerk_client.post(f"/staff/counter/{application.public_id}/show/")
    assert response.status_code == 302 and "/steps/" in response["Location"]
    assert not CounterConfirmation.objects.filter(application=application).exists()


def test_another_clerk_cannot_continue_it(clerk_client, clerk, supervisor_client):
    start(clerk_client)
    application = Application.objects.get(assisted_by=clerk)
    assert supervisor_client.get(f"/staff/counter/{application.public_id}/review/").status_code == 404
    assert supervisor_client.post(f"/staff/counter/{application.public_id}/show/").status_code == 404


def test_a_resident_cannot_open_the_counter_pages(resident_client):
    assert resident_client.get("/staff/counter/")["Location"].startswith("/staff/login/")


def test_counter_for_an_existing_account_by_email(clerk_client, clerk, resident):
    start(clerk_client, email=resident.email)
    application = Application.objects.get(assisted_by=clerk)
    assert application.applicant == resident
    # The resident sees it among their applications, and cannot be mistaken for its author.
    page = signed_in(resident).get("/my/applications/").content.decode()
    assert str(application.public_id) in page
