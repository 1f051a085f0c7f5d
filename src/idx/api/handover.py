"""Hand-over to core systems in the staff API: the targets, their runs, and a run started now.

``GET /staff/handover/targets`` lists the targets of the procedures the caller may export, with
their counts; ``GET /staff/handover/targets/{id}/runs`` their run history (newest first);
``POST /staff/handover/targets/{id}/runs`` runs the target now and answers with the run: a failed
delivery is a run with ``status: failed`` and its ``error`` (nothing was handed over), ``409``
(``handover_busy``) while another run of the target is in progress.

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from idx.api.base import ApiRequest, ErrorOut, require_staff
from idx.handover import selectors, services
from idx.handover.models import HandoverRun, HandoverTarget

staff: Router = Router(tags=["staff"])


class HandoverTargetOut(Schema):
    id: int
    name: str
    procedure: str = Field(description="the procedure's code")
    active: bool = Field(description="false: paused, the daily run skips it")
    format: Literal["csv_utf8", "csv_cp932", "json"]
    headers: Literal["standard", "label"]
    values: Literal["codes", "labels"]
    cases: Literal["decided", "approved"]
    destination: Literal["folder", "sftp"]
    daily_at: str = Field(description="local time of the daily run, HH:MM")
    handed_over: int = Field(description="cases handed over to this target so far")
    unacknowledged: int = Field(description="cases handed over that the core system has not acknowledged")
    last_run_at: dt.datetime | None
    last_run_status: Literal["running", "delivered", "failed", "nothing_new"] | None
    ack_problem: str = Field(description="the last acknowledgement that could not be trusted, and why")


class HandoverRunOut(Schema):
    id: int
    target: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: Literal["running", "delivered", "failed", "nothing_new"]
    file_name: str = Field(description="empty when no file was written")
    manifest_name: str
    case_count: int
    sha256: str = Field(description="SHA-256 of the data file (hex)")
    receipts: list[str] = Field(description="receipt numbers of the cases in the file")
    error: str
    acknowledged_at: dt.datetime | None = Field(description="when the core system acknowledged every case")


def _target_out(target: HandoverTarget, last: HandoverRun | None) -> dict[str, Any]:
    return {
        "id": target.pk,
        "name": target.name,
        "procedure": target.procedure.code,
        "active": target.active,
        "format": target.file_format,
        "headers": target.headers,
        "values": target.values,
        "cases": target.cases,
        "destination": target.destination,
        "daily_at": target.daily_at.strftime("%H:%M"),
        "handed_over": getattr(target, "handed_over_count", 0),
        "unacknowledged": getattr(target, "unacknowledged_count", 0),
        "last_run_at": last.started_at if last else None,
        "last_run_status": last.status if last else None,
        "ack_problem": target.ack_problem,
    }


def _run_out(run: HandoverRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "target": run.target_id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "status": run.status,
        "file_name": run.file_name,
        "manifest_name": run.manifest_name,
        "case_count": run.case_count,
        "sha256": run.sha256,
        "receipts": run.receipts,
        "error": run.error,
        "acknowledged_at": run.acknowledged_at,
    }


def _target(request: ApiRequest, target_id: int) -> HandoverTarget:
    target = selectors.target_get_for_staff(staff=require_staff(request), pk=target_id)
    if target is None:
        raise HttpError(404, "Not found.")
    return target


@staff.get("/handover/targets", response=list[HandoverTargetOut])
def handover_targets(request: ApiRequest) -> Any:
    """The hand-over targets of the procedures the caller may export (empty without the right)."""
    targets = list(selectors.targets_for_staff(staff=require_staff(request)))
    latest = selectors.last_runs(targets)
    return [_target_out(target, latest.get(target.pk)) for target in targets]


@staff.get("/handover/targets/{target_id}/runs", response={200: list[HandoverRunOut], 404: ErrorOut})
def handover_runs(request: ApiRequest, target_id: int, limit: int = 50, offset: int = 0) -> Any:
    """The target's runs, newest first."""
    target = _target(request, target_id)
    limit = max(1, min(limit, 200))
    offset = max(0, min(offset, 1_000_000))
    return [_run_out(run) for run in selectors.runs_of_target(target=target)[offset : offset + limit]]


@staff.post(
    "/handover/targets/{target_id}/runs", response={201: HandoverRunOut, 404: ErrorOut, 409: ErrorOut}
)
def handover_run_now(request: ApiRequest, target_id: int) -> Any:
    """Run the target now: the cases no run has handed over go in one file with its manifest."""
    target = _target(request, target_id)
    run = services.handover_run(target=target, actor=require_staff(request))
    return Status(201, _run_out(run))
