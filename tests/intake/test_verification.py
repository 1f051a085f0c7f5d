"""Verifying a read paper form: it becomes one submitted case on paper, once, with its scans and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from idx.applications.models import Application, Channel, Status
from idx.applications.paper import PAPER_SCAN_PATH
from idx.applications.services import AnswersInvalid
from idx.audit.models import AuditEntry
from idx.identity.models import User
from idx.intake import selectors, services
from idx.intake.models import FormVerification
from idx.intake.verification import verify_items
from tests.conftest import example_answers, procedure
from tests.intake.conftest import read_form

pytestmark = pytest.mark.django_db


def test_accepting_a_read_form_makes_one_submitted_paper_case_with_its_scans(clerk):
    answers = example_answers(procedure(clerk.municipality))
    batch = read_form(clerk, answers, misread={"bank_account.account_number": "1284567"})
    form, record = services.paper_form_open(staff=clerk, batch=batch, first_page=1)
    assert record.started_at is not None and record.started_by == clerk
    corrected = example_answers(procedure(clerk.municipality))
    corrected["claimant"]["phone"] = "0595229999"  # as the boxes hold it
    application = services.paper_form_accept(staff=clerk, batch=batch, first_page=1, answers=corrected)

    assert application.channel == Channel.PAPER and application.status == Status.SUBMITTED
    assert application.receipt_number and application.due_date is not None
    assert application.answers["claimant"]["name"] == "伊賀 太郎"
    scans = list(application.attachments.all())
    assert len(scans) == len(form.pages) and {scan.field_path for scan in scans} == {PAPER_SCAN_PATH}
    assert all(scan.content_type == "image/png" for scan in scans)
    applicant = application.applicant
    assert applicant.email == "" and not applicant.has_usable_password() and applicant.is_resident

    record.refresh_from_db()
    assert record.application == application and record.verified_by == clerk
    assert record.reading_seconds == pytest.approx(1.5 * len(form.pages))
    assert record.corrections == [
        {"path": "bank_account.account_number", "read": "1284567", "accepted": "1234567", "confidence": 0.98}
    ]
    audit = AuditEntry.objects.get(action="intake.form.verified", target_id=str(application.public_id))
    assert audit.after["corrections"] == record.corrections
    assert {"path": "claimant.name", "value": "伊賀 太郎", "confidence": 0.98} in audit.after["reading"]

    # The verifying time, summed per channel by the nightly facts (idx.insights.facts).
    assert record.verifying_seconds is not None and record.verifying_seconds >= 0

    # A second acceptance is refused and makes nothing.
    with pytest.raises(services.FormAlreadyVerified):
        services.paper_form_accept(staff=clerk, batch=batch, first_page=1, answers=corrected)
    assert Application.objects.filter(channel=Channel.PAPER, applicant=applicant).count() == 1
    assert selectors.forms_waiting(staff=clerk) == []


def test_the_one_resident_with_the_name_and_birth_date_is_the_applicant(clerk, resident):
    User.objects.filter(pk=resident.pk).update(full_name="伊賀 太郎", verified_birthdate=dt.date(1988, 6, 15))
    answers = example_answers(procedure(clerk.municipality))
    batch = read_form(clerk, answers)
    application = services.paper_form_accept(staff=clerk, batch=batch, first_page=1, answers=answers)
    assert application.applicant_id == resident.pk


def test_unsure_and_refused_items_come_first_and_bad_answers_are_refused(clerk):
    answers = example_answers(procedure(clerk.municipality))
    batch = read_form(
        clerk,
        answers,
        confidence={"claimant.phone": 0.41, "children[1].name": 0.7},
        misread={"claimant.postal_code": None},
    )
    form = selectors.paper_form_get(batch=batch, first_page=1)
    items = verify_items(form)
    assert [item.path for item in items[:3]] == ["claimant.postal_code", "claimant.phone", "children[1].name"]
    assert items[0].problems and not items[3].needs_look
    broken = example_answers(procedure(clerk.municipality))
    broken["claimant"]["birth_date"] = "1988-02-31"
    with pytest.raises(AnswersInvalid) as refused:
        services.paper_form_accept(staff=clerk, batch=batch, first_page=1, answers=broken)
    assert [error.path for error in refused.value.errors] == ["claimant.birth_date"]
    assert not Application.objects.filter(channel=Channel.PAPER).exists()
    assert not FormVerification.objects.filter(verified_at__isnull=False).exists()


def test_staff_of_another_municipality_or_department_cannot_verify(
    clerk, clerk_other_municipality, clerk_other_department
):
    answers = example_answers(procedure(clerk.municipality))
    batch = read_form(clerk, answers)
    for outsider in (clerk_other_municipality, clerk_other_department):
        with pytest.raises(services.FormNotFound):
            services.paper_form_open(staff=outsider, batch=batch, first_page=1)
        with pytest.raises(services.FormNotFound):
            services.paper_form_accept(staff=outsider, batch=batch, first_page=1, answers=answers)
        assert selectors.forms_waiting(staff=outsider) == []
    assert [waiting.form.first_page for waiting in selectors.forms_waiting(staff=clerk)] == [1]
    assert not Application.objects.filter(channel=Channel.PAPER).exists()
