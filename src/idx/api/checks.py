"""Automated checks in the staff API: a case's results, running them again, approval in bulk.

``GET /staff/cases/{id}/checks`` gives the latest results worded in the caller's language (and
``current``: whether they were made on the answers the case holds now); ``POST …/checks/run``
runs them again. ``GET /staff/checks/passed`` lists the department's open cases whose every check
passed, and ``POST /staff/checks/approve-in-bulk`` approves the chosen ones in one audited action,
all or none (``confirmed`` stands for the second look a person gives them).

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Router, Schema
from ninja.errors import HttpError

from idx.api.base import ApiRequest, ErrorOut, require_staff
from idx.api.fields import StrictBool, StrictInt
from idx.applications.models import Application
from idx.applications.selectors import case_get_for_staff
from idx.checks import selectors, services
from idx.checks.presentation import result_rows
from idx.common.i18n import pick

staff: Router = Router(tags=["staff"])

OUTCOMES = Literal["passed", "failed", "could_not_check", "not_applicable"]


class CheckResultOut(Schema):
    rule_id: str
    label: str = Field(description="the check as the procedure's definition names it")
    outcome: OUTCOMES
    outcome_label: str
    message: str = Field(description="what the check found, in the caller's language")
    details: list[str] = Field(description="what was compared, one line per answer or record item")


class CaseChecksOut(Schema):
    case: uuid.UUID
    ran_at: dt.datetime | None = Field(description="null while the checks have not run")
    all_passed: bool
    current: bool = Field(description="the results were made on the answers the case holds now")
    results: list[CheckResultOut]


class PassedCaseOut(Schema):
    id: uuid.UUID
    receipt_number: str | None
    procedure: str
    procedure_name: str
    applicant_name: str
    status: str
    submitted_at: dt.datetime | None
    row_version: int
    checks: int = Field(description="how many checks passed or did not apply")


class BulkCaseIn(Schema):
    id: uuid.UUID
    expected_version: StrictInt = Field(ge=1, le=2_147_483_647, description="the case's row_version as read")


class BulkApproveIn(Schema):
    cases: list[BulkCaseIn] = Field(min_length=1, max_length=services.MAX_BULK)
    confirmed: StrictBool = Field(description="true: a person looked at these cases and their checks")
    reason: str = Field(default="", max_length=2000, description="a note kept with each approval")


class BulkApproveOut(Schema):
    approved: int


def _case(request: ApiRequest, application_id: uuid.UUID) -> Application:
    application = case_get_for_staff(staff=require_staff(request), public_id=application_id)
    if application is None:
        raise HttpError(404, "Not found.")
    return application


def _checks_out(application: Application) -> dict[str, Any]:
    run = selectors.check_run_for_case(application=application)
    rows = result_rows(run, application.procedure_version.definition) if run is not None else []
    return {
        "case": application.public_id,
        "ran_at": run.ran_at if run else None,
        "all_passed": bool(run and run.all_passed),
        "current": bool(run and run.answers_sha256 == services.answers_digest(application.answers or {})),
        "results": [
            {
                "rule_id": row.rule_id,
                "label": row.label,
                "outcome": row.outcome,
                "outcome_label": row.outcome_label,
                "message": row.message,
                "details": row.details,
            }
            for row in rows
        ],
    }


@staff.get("/cases/{application_id}/checks", response={200: CaseChecksOut, 404: ErrorOut})
def case_checks(request: ApiRequest, application_id: uuid.UUID) -> Any:
    """The latest results of the case's automated checks."""
    return _checks_out(_case(request, application_id))


@staff.post("/cases/{application_id}/checks/run", response={200: CaseChecksOut, 404: ErrorOut})
def case_checks_run(request: ApiRequest, application_id: uuid.UUID) -> Any:
    """Run the case's checks again (staff who may work the case); the results replace the last ones."""
    application = _case(request, application_id)
    services.application_checks_run(application=application, actor=require_staff(request))
    return _checks_out(application)


@staff.get("/checks/passed", response=list[PassedCaseOut])
def checks_passed(request: ApiRequest, limit: int = 50, offset: int = 0) -> Any:
    """Open cases of the caller's department whose every check passed (empty without the right to approve in bulk)."""
    staff_member = require_staff(request)
    limit = max(1, min(limit, services.MAX_BULK))
    offset = max(0, min(offset, 1_000_000))
    cases = selectors.cases_passing_for_staff(staff=staff_member).select_related("procedure")
    return [
        {
            "id": case.public_id,
            "receipt_number": case.receipt_number,
            "procedure": case.procedure.code,
            "procedure_name": pick(case.procedure_version.definition.get("name")),
            "applicant_name": case.applicant_name,
            "status": case.status,
            "submitted_at": case.submitted_at,
            "row_version": case.row_version,
            "checks": case.check_run.rule_count,
        }
        for case in cases[offset : offset + limit]
    ]


@staff.post(
    "/checks/approve-in-bulk",
    response={200: BulkApproveOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def checks_approve_in_bulk(request: ApiRequest, payload: BulkApproveIn) -> Any:
    """Approve the chosen cases, all or none: ``404`` when one is not among the caller's passed
    cases, ``409`` (``not_all_passed``, ``changed_meanwhile``) when one changed since it was read,
    ``422`` (``not_confirmed``) without ``confirmed: true``."""
    staff_member = require_staff(request)
    wanted = {str(item.id): item.expected_version for item in payload.cases}
    cases = selectors.cases_for_bulk_approval(staff=staff_member, public_ids=list(wanted))
    if len(cases) != len(wanted):
        raise HttpError(404, "Not found.")
    done = services.cases_approve_in_bulk(
        staff=staff_member,
        cases=[(case, wanted[str(case.public_id)]) for case in cases],
        confirmed=payload.confirmed,
        reason=payload.reason,
    )
    return {"approved": done}
