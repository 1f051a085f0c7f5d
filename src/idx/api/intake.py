"""Paper forms in the staff API: the read forms waiting for a clerk, and their verification.

``GET /staff/intake/forms`` lists the read forms of the caller's municipality that nobody has
verified yet, of procedures whose cases the caller may work, each with its items (least sure and
refused first) and the answers they make. ``GET /staff/intake/forms/{batch_id}/{first_page}``
gives one form and starts its verifying time; ``POST …/verification`` sends the answers as
verified: they are checked by the procedure's schema (``422`` names each item), and the form becomes
a submitted case on paper, once (``409`` ``already_verified`` after that).

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpResponse
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from idx.api.base import ApiRequest, ErrorItem, ErrorOut, error_response, require_staff
from idx.applications.services import AnswersInvalid
from idx.common.i18n import pick
from idx.identity.models import User
from idx.intake import selectors, services
from idx.intake.models import ScanBatch
from idx.intake.selectors import PaperForm
from idx.intake.verification import verify_items
from idx.procedures.rendering import error_message, item_label

staff: Router = Router(tags=["staff"])

MAX_FORMS = 50


class PaperFormItemOut(Schema):
    path: str = Field(description="the answer's path, e.g. children[1].birth_date")
    label: str
    value: Any = Field(description="the value read (null: blank, or characters that make no value)")
    text: str = Field(description="the characters or the ticked option as read")
    confidence: float = Field(ge=0, le=1)
    needs_look: bool = Field(description="unsure, unreadable or refused by the procedure's rules")
    problems: list[str] = Field(description="what the procedure's rules say about the value read")
    page: int = Field(description="the batch's page the item is on")


class PaperFormOut(Schema):
    batch_id: str
    first_page: int = Field(description="the batch's page the form starts at; with batch_id, the form's id")
    serial: str
    procedure: str
    procedure_name: str
    version: int
    pages: list[int] = Field(description="the batch's pages of this form, in the form's order")
    missing_pages: list[int] = Field(description="pages of the form (1, 2, …) not found in the batch")
    started_at: dt.datetime | None = Field(description="when a clerk first opened it; null before")
    answers: dict[str, Any] = Field(description="the answers the values read make")
    items: list[PaperFormItemOut]


class PaperVerificationIn(Schema):
    answers: dict[str, Any] = Field(
        description="the form's answers as verified (the procedure's JSON Schema)"
    )


class PaperVerificationOut(Schema):
    application: uuid.UUID
    receipt_number: str
    status: str
    due_date: dt.date
    corrections: int = Field(description="how many items differ from the values read")


def _form_out(batch: ScanBatch, form: PaperForm, started_at: dt.datetime | None) -> dict[str, Any]:
    return {
        "batch_id": batch.public_id,
        "first_page": form.first_page,
        "serial": form.serial,
        "procedure": form.version.procedure.code,
        "procedure_name": pick(form.version.definition["name"]),
        "version": form.version.number,
        "pages": [page.number for page in form.pages],
        "missing_pages": form.missing_pages,
        "started_at": started_at,
        "answers": form.answers,
        "items": [
            {
                "path": item.path,
                "label": item.label,
                "value": item.value_read,
                "text": item.text_read,
                "confidence": min(max(item.confidence, 0.0), 1.0),
                "needs_look": item.needs_look,
                "problems": item.problems,
                "page": item.page_number,
            }
            for item in verify_items(form)
        ],
    }


def _batch(staff_member: User, batch_id: str) -> ScanBatch:
    batch = selectors.batch_get(municipality=staff_member.municipality, public_id=batch_id[:40])
    if batch is None:
        raise HttpError(404, "Not found.")
    return batch


@staff.get("/intake/forms", response=list[PaperFormOut])
def paper_forms_waiting(request: ApiRequest, limit: int = MAX_FORMS, offset: int = 0) -> Any:
    """Read paper forms waiting for verification (recent batches, oldest first)."""
    staff_member = require_staff(request)
    limit = max(1, min(limit, MAX_FORMS))
    offset = max(0, min(offset, 100_000))
    waiting = selectors.forms_waiting(staff=staff_member)[offset : offset + limit]
    return [_form_out(entry.batch, entry.form, entry.started_at) for entry in waiting]


@staff.get("/intake/forms/{batch_id}/{first_page}", response={200: PaperFormOut, 404: ErrorOut})
def paper_form_get(request: ApiRequest, batch_id: str, first_page: int) -> Any:
    """One read form; the first look starts its verifying time (as the back office's screen does)."""
    staff_member = require_staff(request)
    batch = _batch(staff_member, batch_id)
    form, record = services.paper_form_open(staff=staff_member, batch=batch, first_page=first_page)
    return _form_out(batch, form, record.started_at)


@staff.post(
    "/intake/forms/{batch_id}/{first_page}/verification",
    response={201: PaperVerificationOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def paper_form_verify(
    request: ApiRequest, batch_id: str, first_page: int, payload: PaperVerificationIn
) -> Any:
    """Accept the answers of a read form: it becomes a submitted case on paper with the scans attached.

    ``422`` (``answers_invalid``) names each item the procedure's schema refuses; ``409``
    ``already_verified`` when the form became a case already, ``form_outdated`` when it was printed
    for an earlier version of the procedure."""
    staff_member = require_staff(request)
    batch = _batch(staff_member, batch_id)
    try:
        application = services.paper_form_accept(
            staff=staff_member, batch=batch, first_page=first_page, answers=payload.answers
        )
    except AnswersInvalid as exc:
        return _answers_refused(request, batch, first_page, exc)
    record = selectors.verification_get(batch=batch, first_page=first_page)
    assert application.due_date is not None
    return Status(
        201,
        {
            "application": application.public_id,
            "receipt_number": application.receipt_number or "",
            "status": application.status,
            "due_date": application.due_date,
            "corrections": len(record.corrections) if record is not None else 0,
        },
    )


def _answers_refused(
    request: ApiRequest, batch: ScanBatch, first_page: int, exc: AnswersInvalid
) -> HttpResponse:
    form = selectors.paper_form_get(batch=batch, first_page=first_page)
    definition = form.version.parsed if form is not None else None
    items = [
        ErrorItem(
            path=f"answers.{error.path}",
            code=error.code,
            message=error_message(
                error,
                definition.item(error.path) if definition else None,
                item_label(definition, definition.item(error.path), error.path) if definition else None,
            ),
        )
        for error in exc.errors
    ]
    return error_response(request, 422, "answers_invalid", exc.text(), items)
