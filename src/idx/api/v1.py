"""The JSON API, version 1: everything the portal and the back office offer, for other systems.

Authentication: ``Authorization: Bearer idx_...`` (an API token of a resident or staff member)
or the browser session (its cookie, and the ``X-CSRFToken`` header on unsafe methods). Errors are
``{"code": ..., "message": ..., "errors": [...]}``. Request bodies are JSON
(``Content-Type: application/json``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import translation
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from idx.api.base import (
    ApiRequest,
    ErrorItem,
    ErrorOut,
    TokenAuth,
    api,
    domain_error,
    error_response,
    idempotency_key,
    idempotency_key_reused,
    require_resident,
    require_staff,
)
from idx.api.fields import StrictBool, StrictInt
from idx.applications import services
from idx.applications.answers import visible_answers
from idx.applications.exports import ExportLayout, export_csv_rows, export_json_chunks, export_zip_chunks
from idx.applications.models import Application
from idx.applications.selectors import (
    CaseFilters,
    application_get_for_resident,
    applications_for_resident,
    case_get_for_staff,
    case_list_for_staff,
    decided_cases_for_export,
)
from idx.applications.signing import (
    MAX_CERTIFICATE_BYTES,
    SignatureRefused,
    decode_b64,
    requires_signature,
    signature_verify,
    signing_payload,
)
from idx.applications.workflow import Event, InvalidTransition
from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.i18n import pick
from idx.common.replica import chunks_from_replica
from idx.identity.policy import Action, can
from idx.identity.reauth import has_recent_reauth
from idx.payments.selectors import fee_paid_for
from idx.procedures.definition import AnswerError, validate_answers
from idx.procedures.rendering import error_message
from idx.procedures.selectors import procedure_catalog, procedure_get_published


def _answer_errors(definition: Any, errors: list[AnswerError]) -> list[ErrorItem]:

    return [
        ErrorItem(
            path=error.path,
            code=error.code,
            message=error_message(error, definition.item(error.path)),
        )
        for error in errors
    ]


def _service_error(
    request: HttpRequest, exc: DomainError, application: Application | None = None
) -> HttpResponse:
    """A refusal of the application services; answer problems are worded by the procedure's definition."""
    if isinstance(exc, services.AnswersInvalid):
        definition = application.procedure_version.parsed if application else None
        items = _answer_errors(definition, exc.errors) if definition else []
        return error_response(request, exc.http_status, exc.code, exc.text(), items)
    return domain_error(request, exc)


# ---- catalog (public) --------------------------------------------------------------------


class ProcedureOut(Schema):
    code: str
    name: str
    summary: str
    category: str
    life_event: str
    department: str
    version: int


class ProcedureDetailOut(ProcedureOut):
    definition: dict[str, Any]


catalog = Router(tags=["catalog"], auth=None)


def _procedure_out(procedure: Any) -> dict[str, Any]:
    return {
        "code": procedure.code,
        "name": pick(procedure.names),
        "summary": pick(procedure.summaries),
        "category": procedure.category,
        "life_event": procedure.life_event,
        "department": procedure.department.code,
        "version": procedure.published_version.number,
    }


@catalog.get("/procedures", response=list[ProcedureOut])
def list_procedures(request: ApiRequest, q: str = "", category: str = "", life_event: str = "") -> Any:
    procedures = procedure_catalog(
        municipality=request.municipality, query=q[:100], category=category, life_event=life_event
    )
    return [_procedure_out(procedure) for procedure in procedures]


@catalog.get("/procedures/{code}", response={200: ProcedureDetailOut, 404: ErrorOut})
def get_procedure(request: ApiRequest, code: str) -> Any:
    procedure = procedure_get_published(municipality=request.municipality, code=code)
    if procedure is None:
        raise HttpError(404, "No such procedure.")
    assert procedure.published_version is not None
    return {**_procedure_out(procedure), "definition": procedure.published_version.definition}


@catalog.get("/procedures/{code}/schema", response={200: dict[str, Any], 404: ErrorOut})
def get_procedure_schema(request: ApiRequest, code: str) -> Any:
    procedure = procedure_get_published(municipality=request.municipality, code=code)
    if procedure is None:
        raise HttpError(404, "No such procedure.")
    assert procedure.published_version is not None
    return procedure.published_version.definition["schema"]


# ---- the resident's own applications -------------------------------------------------------


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    at: dt.datetime
    reason: str


class FeePaidOut(Schema):
    paid_amount: int
    refunded_amount: int
    refund: str = Field(
        description="refunded, partly_refunded, or ask_department (no refund started by itself)"
    )


class ApplicationOut(Schema):
    id: uuid.UUID
    procedure: str
    version: int
    status: str
    receipt_number: str | None
    answers: dict[str, Any]
    submitted_at: dt.datetime | None
    due_date: dt.date | None
    decided_at: dt.datetime | None
    decision_reason: str
    correction_notes: dict[str, str]
    row_version: int
    updated_at: dt.datetime
    # The fee paid and what came back; given on one application's page and after a withdrawal.
    fee_paid: FeePaidOut | None = None


class ApplicationDetailOut(ApplicationOut):
    history: list[StatusChangeOut]


class ApplicationCreateIn(Schema):
    procedure: str = Field(min_length=1, max_length=80, description="the procedure's code")


class ApplicationUpdateIn(Schema):
    answers: dict[str, Any]


class SignatureIn(Schema):
    """A signature over the bytes of ``GET …/signing-payload``, made with the JPKI signing certificate."""

    value: str = Field(description="RSASSA-PKCS1-v1_5 SHA-256 signature, base64")
    certificate: str = Field(description="The signing certificate (DER, base64); it is not stored")
    intermediates: list[str] = Field(default_factory=list, max_length=4)


class SubmitIn(Schema):
    declaration_accepted: StrictBool
    signature: SignatureIn | None = Field(
        default=None, description="Required when the procedure has signature_required"
    )


class SigningPayloadOut(Schema):
    signature_required: bool
    payload: str = Field(description="The exact bytes to sign (canonical JSON, UTF-8), base64")
    digest_sha256: str = Field(description="SHA-256 of the payload, base64")
    algorithm: str


class WithdrawIn(Schema):
    reason: str = Field(default="", max_length=2000)


def _application_out(application: Application, history: bool = False, fee: bool = False) -> dict[str, Any]:
    data = {
        "id": application.public_id,
        "procedure": application.procedure.code,
        "version": application.procedure_version.number,
        "status": application.status,
        "receipt_number": application.receipt_number,
        "answers": application.answers,
        "submitted_at": application.submitted_at,
        "due_date": application.due_date,
        "decided_at": application.decided_at,
        "decision_reason": application.decision_reason,
        "correction_notes": application.correction_notes,
        "row_version": application.row_version,
        "updated_at": application.updated_at,
    }
    if history or fee:
        paid = fee_paid_for(application)
        data["fee_paid"] = (
            {"paid_amount": paid.paid_amount, "refunded_amount": paid.refunded_amount, "refund": paid.refund}
            if paid
            else None
        )
    if history:
        data["history"] = [
            {
                "from_status": change.from_status,
                "to_status": change.to_status,
                "at": change.created_at,
                "reason": change.reason,
            }
            for change in application.status_changes.all()
        ]
    return data


def _own(request: ApiRequest, application_id: uuid.UUID) -> Application:
    application = application_get_for_resident(resident=require_resident(request), public_id=application_id)
    if application is None:
        raise HttpError(404, "Not found.")
    return application


residents = Router(tags=["applications"])


@residents.get("/applications", response=list[ApplicationOut])
def list_my_applications(request: ApiRequest, limit: int = 50, offset: int = 0) -> Any:
    limit = max(1, min(limit, 200))
    offset = max(0, min(offset, 1_000_000))  # a huge offset overflows the database's integer
    applications = applications_for_resident(resident=require_resident(request)).select_related(
        "procedure_version"
    )
    return [
        _application_out(application) for application in applications[max(0, offset) : max(0, offset) + limit]
    ]


@residents.post("/applications", response={201: ApplicationOut, 404: ErrorOut, 200: ApplicationOut})
def create_application(request: ApiRequest, payload: ApplicationCreateIn) -> Any:
    """Start a draft. Send an ``Idempotency-Key`` header so that a replayed request makes no second draft."""
    resident = require_resident(request)
    key = idempotency_key(request)
    before = (
        Application.objects.filter(applicant=resident, idempotency_key=key)
        .select_related("procedure")
        .first()
        if key
        else None
    )
    if before is not None and before.procedure.code != payload.procedure:
        return idempotency_key_reused(request)
    procedure = procedure_get_published(municipality=request.municipality, code=payload.procedure)
    if procedure is None:
        raise HttpError(404, "No such procedure.")
    application = services.application_start(
        resident=resident,
        procedure=procedure,
        language=translation.get_language() or "ja",
        idempotency_key=key,
    )
    return Status(200 if before is not None else 201, _application_out(application))


@residents.get("/applications/{application_id}", response={200: ApplicationDetailOut, 404: ErrorOut})
def get_application(request: ApiRequest, application_id: uuid.UUID) -> Any:
    return _application_out(_own(request, application_id), history=True)


@residents.patch(
    "/applications/{application_id}",
    response={200: ApplicationOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut},
)
def update_application(request: ApiRequest, application_id: uuid.UUID, payload: ApplicationUpdateIn) -> Any:
    """Replace the given top-level answers (a draft), or the flagged items (a correction request).

    A 個人番号 is sealed at once; the answers then hold its token, never the number. An invalid
    number answers 422 (``my_number_invalid``): nothing of it is stored, the other answers are.
    """
    application = _own(request, application_id)
    try:
        application = services.application_save_answers(
            application=application,
            actor=require_resident(request),
            answers=payload.answers,
            fields=list(payload.answers),
        )
    except services.ApplicationError as exc:
        return _service_error(request, exc, application)
    return _application_out(application)


@residents.get("/applications/{application_id}/validation", response={200: list[ErrorItem], 404: ErrorOut})
def validate_application(request: ApiRequest, application_id: uuid.UUID) -> Any:
    """What would stop a submission now (empty when the answers are complete)."""
    application = _own(request, application_id)
    definition = application.procedure_version.parsed
    return _answer_errors(
        definition, validate_answers(definition, visible_answers(definition, application.answers))
    )


@residents.post(
    "/applications/{application_id}/submit",
    response={200: ApplicationOut, 402: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def submit_application(request: ApiRequest, application_id: uuid.UUID, payload: SubmitIn) -> Any:
    application = _own(request, application_id)
    try:
        if application.status == "draft":
            evidence = None
            if payload.signature is not None:
                evidence = signature_verify(
                    application=application,
                    signature=decode_b64(payload.signature.value, limit=2048),
                    certificate_der=decode_b64(payload.signature.certificate, limit=MAX_CERTIFICATE_BYTES),
                    intermediates=[
                        decode_b64(item, limit=MAX_CERTIFICATE_BYTES)
                        for item in payload.signature.intermediates
                    ],
                )
            application = services.application_submit(
                application=application,
                actor=require_resident(request),
                declaration_accepted=payload.declaration_accepted,
                signature=evidence,
            )
        else:
            application = services.application_resubmit(
                application=application, actor=require_resident(request)
            )
    except (services.ApplicationError, InvalidTransition, SignatureRefused) as exc:
        return _service_error(request, exc, application)
    return _application_out(application)


@residents.get(
    "/applications/{application_id}/signing-payload", response={200: SigningPayloadOut, 404: ErrorOut}
)
def signing_payload_of(request: ApiRequest, application_id: uuid.UUID) -> Any:
    """What to sign for submission: the canonical bytes of this application and its current answers.

    Saving answers afterwards changes the payload; a signature over an older payload is refused.
    """
    application = _own(request, application_id)
    payload = signing_payload(application)
    return {
        "signature_required": requires_signature(application),
        "payload": base64.b64encode(payload).decode(),
        "digest_sha256": base64.b64encode(hashlib.sha256(payload).digest()).decode(),
        "algorithm": "RSASSA-PKCS1-v1_5 SHA-256",
    }


@residents.post(
    "/applications/{application_id}/withdraw", response={200: ApplicationOut, 404: ErrorOut, 409: ErrorOut}
)
def withdraw_application(request: ApiRequest, application_id: uuid.UUID, payload: WithdrawIn) -> Any:
    application = _own(request, application_id)
    try:
        application = services.application_withdraw(
            application=application, actor=require_resident(request), reason=payload.reason
        )
    except (services.ApplicationError, InvalidTransition) as exc:
        return _service_error(request, exc, application)
    return _application_out(application, fee=True)


# ---- staff ---------------------------------------------------------------------------------


class CaseOut(Schema):
    id: uuid.UUID
    receipt_number: str | None
    procedure: str
    department: str
    applicant_name: str
    status: str
    due_date: dt.date | None
    assignee: int | None
    row_version: int


class CaseDetailOut(CaseOut):
    answers: dict[str, Any]
    correction_notes: dict[str, str]
    history: list[StatusChangeOut]


class TransitionIn(Schema):
    event: Literal["start_review", "request_correction", "approve", "reject"]
    expected_version: StrictInt = Field(ge=1, le=2_147_483_647, description="the case's row_version as read")
    reason: str = Field(default="", max_length=2000)
    notes: dict[str, str] = Field(
        default_factory=dict, description="request_correction: the answer's path -> what to correct"
    )


staff_router = Router(tags=["staff"])


def _case_out(application: Application) -> dict[str, Any]:
    return {
        "id": application.public_id,
        "receipt_number": application.receipt_number,
        "procedure": application.procedure.code,
        "department": application.department.code,
        "applicant_name": application.applicant_name,
        "status": application.status,
        "due_date": application.due_date,
        "assignee": application.assignee_id,
        "row_version": application.row_version,
    }


@staff_router.get("/cases", response=list[CaseOut])
def list_cases(
    request: ApiRequest,
    procedure: str = "",
    status: str = "open",
    assignee: str = "",
    due: str = "",
    q: str = "",
    department: str = "",
    limit: int = 50,
    offset: int = 0,
) -> Any:
    staff = require_staff(request)
    filters = CaseFilters(
        procedure=procedure, status=status, assignee=assignee, due=due, query=q[:60], department=department
    )
    limit = max(1, min(limit, 200))
    offset = max(0, min(offset, 1_000_000))
    return [
        _case_out(case) for case in case_list_for_staff(staff=staff, filters=filters)[offset : offset + limit]
    ]


def _case(request: ApiRequest, application_id: uuid.UUID) -> Application:
    application = case_get_for_staff(staff=require_staff(request), public_id=application_id)
    if application is None:
        raise HttpError(404, "Not found.")
    return application


@staff_router.get("/cases/{application_id}", response={200: CaseDetailOut, 404: ErrorOut})
def get_case(request: ApiRequest, application_id: uuid.UUID) -> Any:
    application = _case(request, application_id)
    services.case_record_view(application=application, staff=require_staff(request), what="api")
    return {
        **_case_out(application),
        "answers": application.answers,
        "correction_notes": application.correction_notes,
        "history": _application_out(application, history=True)["history"],
    }


@staff_router.post(
    "/cases/{application_id}/transitions",
    response={200: CaseOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def transition_case(request: ApiRequest, application_id: uuid.UUID, payload: TransitionIn) -> Any:
    """Move a case: ``start_review``, ``request_correction`` (with ``notes``), ``approve`` or ``reject`` (with ``reason``)."""
    staff = require_staff(request)
    application = _case(request, application_id)
    try:
        if payload.event == Event.START_REVIEW:
            application = services.case_start_review(
                application=application, staff=staff, expected_version=payload.expected_version
            )
        elif payload.event == Event.REQUEST_CORRECTION:
            application = services.case_request_correction(
                application=application,
                staff=staff,
                notes=payload.notes,
                message=payload.reason,
                expected_version=payload.expected_version,
            )
        elif payload.event in (Event.APPROVE, Event.REJECT):
            application = services.case_decide(
                application=application,
                staff=staff,
                approve=payload.event == Event.APPROVE,
                reason=payload.reason,
                expected_version=payload.expected_version,
            )
        else:
            return error_response(
                request, 422, "unknown_event", "Use start_review, request_correction, approve or reject."
            )
    except (services.ApplicationError, InvalidTransition) as exc:
        return _service_error(request, exc, application)
    return _case_out(application)


@staff_router.get(
    "/exports/{procedure_code}",
    response={403: ErrorOut, 404: ErrorOut},
    openapi_extra={
        "responses": {
            "200": {
                "description": (
                    "The decided cases, streamed: CSV (UTF-8 with a BOM, a header row), a ZIP of "
                    "data.csv, codes.csv (列名, コード, 表示名) and README.txt, or a JSON object"
                ),
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/zip": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["procedure", "standard_items", "cases"],
                            "properties": {
                                "procedure": {"type": "string"},
                                "standard_items": {"type": "object"},
                                "cases": {"type": "array", "items": {"type": "object"}},
                            },
                        }
                    },
                },
            }
        }
    },
)
def export_cases(
    request: ApiRequest,
    procedure_code: str,
    format: Literal["csv", "zip", "json"] = "csv",  # noqa: A002
    headers: Literal["standard", "label"] = "standard",
    values: Literal["codes", "labels"] = "codes",
) -> Any:
    """Decided cases of a procedure as CSV, a ZIP (data, code list, README) or JSON, streamed.

    ``headers`` names the CSV columns by the national standard data-item names or by the form's
    item labels; ``values`` writes codes (1/0, ISO dates) or labels (はい/いいえ, 2026年6月10日).
    Repeats become numbered columns up to the largest case. Both apply to CSV and ZIP, not JSON.

    Called with the browser session, it needs a recent re-authentication (``/staff/reauth/``) like
    the back-office export page. Called with an API token it does not: tokens belong to machines
    (an import job of the city), are issued by an administrator and revoked when no longer needed.
    """
    staff = require_staff(request)
    procedure = procedure_get_published(municipality=request.municipality, code=procedure_code)
    if procedure is None or not can(staff, Action.EXPORT_CASES):
        raise HttpError(404, "Not found.")
    if TokenAuth()(request) is None and not has_recent_reauth(request):
        return error_response(
            request,
            403,
            "reauthentication_required",
            "Confirm your identity again at /staff/reauth/ before exporting, or use an API token.",
        )
    audit_record(
        municipality=staff.municipality,
        actor=staff,
        action="cases.export",
        target_type="procedure",
        target_id=procedure.code,
        after={"format": format, "headers": headers, "values": values, "via": "api"},
    )
    cases = decided_cases_for_export(staff=staff, procedure_code=procedure_code)
    assert procedure.published_version is not None
    definition = procedure.published_version.parsed
    layout = ExportLayout(headers=headers, values=values)
    if format == "csv":
        return StreamingHttpResponse(
            chunks_from_replica(export_csv_rows(cases, definition, layout=layout)),
            content_type="text/csv; charset=utf-8",
        )
    if format == "zip":
        return StreamingHttpResponse(
            chunks_from_replica(export_zip_chunks(cases, definition, layout=layout)),
            content_type="application/zip",
        )
    return StreamingHttpResponse(
        chunks_from_replica(export_json_chunks(cases, definition)), content_type="application/json"
    )


# ---- disaster alerts -------------------------------------------------------------------------


class ImportedAlertOut(Schema):
    id: int
    sender: str
    identifier: str
    status: str
    msg_type: str
    headline: str
    created: bool


@staff_router.post(
    "/alerts/import",
    response={200: ImportedAlertOut, 201: ImportedAlertOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra={
        "requestBody": {"content": {"application/cap+xml": {"schema": {"type": "string"}}}, "required": True}
    },
)
def import_cap_alert(request: ApiRequest) -> Any:
    """Receive a CAP 1.2 alert from another sender (crisis-management staff tokens only).

    The body is the CAP XML document. A document already received (same sender and identifier)
    answers 200 and changes nothing; a new one 201.
    """
    from idx.notifications.alerts import may_issue
    from idx.notifications.cap_import import CapRejected, cap_import

    staff = require_staff(request)
    if not may_issue(staff):
        return error_response(request, 404, "not_found", "Not found.")
    try:
        result = cap_import(municipality=staff.municipality, document=request.body, source="api")
    except CapRejected as exc:
        return error_response(request, 422, "cap_rejected", f"The CAP document was rejected: {exc.reason}.")
    imported = result.alert
    body = {
        "id": imported.pk,
        "sender": imported.sender,
        "identifier": imported.identifier,
        "status": imported.status,
        "msg_type": imported.msg_type,
        "headline": imported.headline,
        "created": result.created,
    }
    return Status(201 if result.created else 200, body)


api.add_router("/", catalog)
api.add_router("/", residents)
api.add_router("/staff", staff_router)

from idx.api import assist as _assist_api  # noqa: E402  (routers of further domains, after the core)

api.add_router("/", _assist_api.router)
api.add_router("/", _assist_api.inquiries)
api.add_router("/staff", _assist_api.staff)

from idx.api import booking as _booking_api  # noqa: E402

api.add_router("/", _booking_api.router)
api.add_router("/staff", _booking_api.staff)

from idx.api import payments as _payments_api  # noqa: E402

api.add_router("/", _payments_api.router)
api.add_router("/staff", _payments_api.staff)

from idx.api import tokens as _tokens_api  # noqa: E402

api.add_router("/", _tokens_api.router)

from idx.api import insights as _insights_api  # noqa: E402

api.add_router("/", _insights_api.router)
api.add_router("/staff", _insights_api.staff)

from idx.api import dxplan as _dxplan_api  # noqa: E402

api.add_router("/", _dxplan_api.router)
api.add_router("/staff", _dxplan_api.staff)

from idx.api import participation as _participation_api  # noqa: E402

api.add_router("/", _participation_api.router)
api.add_router("/staff", _participation_api.staff)

from idx.api import public_comment as _public_comment_api  # noqa: E402

api.add_router("/", _public_comment_api.router)
api.add_router("/staff", _public_comment_api.staff)

from idx.api import surveys as _surveys_api  # noqa: E402

api.add_router("/", _surveys_api.router)
api.add_router("/staff", _surveys_api.staff)

from idx.api import events as _events_api  # noqa: E402

api.add_router("/", _events_api.router)
api.add_router("/staff", _events_api.staff)

from idx.api import participation_processes as _participation_processes_api  # noqa: E402

api.add_router("/staff", _participation_processes_api.staff)

from idx.api import checks as _checks_api  # noqa: E402

api.add_router("/staff", _checks_api.staff)

from idx.api import handover as _handover_api  # noqa: E402

api.add_router("/staff", _handover_api.staff)

from idx.api import imports as _imports_api  # noqa: E402

api.add_router("/staff", _imports_api.staff)

from idx.api import intake as _intake_api  # noqa: E402

api.add_router("/staff", _intake_api.staff)
