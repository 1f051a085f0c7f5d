"""Bulk import in the staff API: sources, a dry run, the import of a file, a run's status.

``POST /staff/imports/sources/{id}/dry-run`` reads a file (multipart, field ``file``) as the import
would and answers the report: counts and each row's problem, worded in the caller's language.
``POST /staff/imports/sources/{id}/import`` checks and imports at once, all or nothing: ``201``
with the run when every row became a submitted application, ``422`` naming each problem
(``path`` is ``file`` for the whole file, ``file:<row>:<column header>`` for a cell) when none did.
``GET /staff/imports/runs/{id}`` gives a run's status and problems.

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from ninja import Field, File, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status

from idx.api.base import ApiRequest, ErrorItem, ErrorOut, error_response, require_staff
from idx.common.i18n import pick
from idx.imports import selectors, services
from idx.imports.models import ImportRun
from idx.imports.presentation import problem_lines, refusal_text

staff: Router = Router(tags=["staff"])

MAX_PROBLEMS_SHOWN = 200


class ImportSourceOut(Schema):
    id: int
    name: str
    procedure: str = Field(description="the procedure's code")
    procedure_name: str
    mapping: dict[str, str] = Field(description="file column header → answer path of the current form")
    applicant_name_column: str
    birthdate_column: str = Field(description="blank when the file has no birth date column")


class ImportRowProblemOut(Schema):
    row: int = Field(description="the row's number in the file; the header is row 1")
    column: str = Field(description="the column's header as in the file; blank for the whole row")
    code: str
    message: str = Field(description="what is wrong, in the caller's language")


class ImportRunOut(Schema):
    id: str
    source: int
    file_name: str
    sha256: str
    file_type: str = Field(description="csv or xlsx; blank when the file was refused before it was read")
    encoding: str = Field(description="utf-8, utf-8-sig or cp932 for CSV; blank for xlsx")
    status: str = Field(description="checked, refused, imported or failed (nothing imported)")
    status_label: str
    refusal: str = Field(description="why the whole file was refused (a stable code), or blank")
    refusal_message: str
    rows: int
    error_rows: int
    error_count: int
    imported: int
    uploaded_at: dt.datetime
    imported_at: dt.datetime | None
    problems: list[ImportRowProblemOut] = Field(description="the first 200 problems, by row")


def _source_out(source: Any) -> dict[str, Any]:
    return {
        "id": source.pk,
        "name": source.name,
        "procedure": source.procedure.code,
        "procedure_name": pick(source.procedure.names),
        "mapping": source.mapping,
        "applicant_name_column": source.applicant_name_column,
        "birthdate_column": source.birthdate_column,
    }


def _run_out(run: ImportRun) -> dict[str, Any]:
    lines = problem_lines(run, list(run.errors.all()[:MAX_PROBLEMS_SHOWN]))
    return {
        "id": run.public_id,
        "source": run.source_id,
        "file_name": run.original_name,
        "sha256": run.sha256,
        "file_type": run.file_type,
        "encoding": run.encoding,
        "status": run.status,
        "status_label": run.get_status_display(),
        "refusal": run.refusal,
        "refusal_message": refusal_text(run),
        "rows": run.row_count,
        "error_rows": run.error_row_count,
        "error_count": run.error_count,
        "imported": run.imported_count,
        "uploaded_at": run.created_at,
        "imported_at": run.imported_at,
        "problems": [line.__dict__ for line in lines],
    }


def _source(request: ApiRequest, source_id: int) -> Any:
    source = selectors.source_get(staff=require_staff(request), pk=source_id)
    if source is None:
        raise HttpError(404, "Not found.")
    return source


@staff.get("/imports/sources", response=list[ImportSourceOut])
def import_sources(request: ApiRequest) -> Any:
    """The import sources of the procedures the caller may work (their column mappings)."""
    return [_source_out(source) for source in selectors.source_list(staff=require_staff(request))]


@staff.post("/imports/sources/{source_id}/dry-run", response={200: ImportRunOut, 404: ErrorOut})
def import_dry_run(request: ApiRequest, source_id: int, file: File[UploadedFile]) -> Any:
    """Read the file as the import would and report every problem; nothing is imported. A run
    with status ``checked`` had no problem."""
    source = _source(request, source_id)
    run = services.import_check(
        staff=require_staff(request), source=source, upload=file, name=file.name or ""
    )
    return _run_out(run)


@staff.post("/imports/sources/{source_id}/import", response={201: ImportRunOut, 404: ErrorOut, 422: ErrorOut})
def import_run(request: ApiRequest, source_id: int, file: File[UploadedFile]) -> Any:
    """Check and import the file, all or nothing: every row becomes a submitted application on
    the ``imported`` channel, or none does (``422`` with each problem). A file imported before
    for the source is refused (``refusal``: ``duplicate_file``)."""
    source = _source(request, source_id)
    run = services.import_file(staff=require_staff(request), source=source, upload=file, name=file.name or "")
    if run.status == ImportRun.Status.IMPORTED:
        return Status(201, _run_out(run))
    return _refused(request, run)


def _refused(request: ApiRequest, run: ImportRun) -> HttpResponse:
    refusal = refusal_text(run)
    items = [ErrorItem(path="file", code=run.refusal, message=refusal)] if refusal else []
    items += [
        ErrorItem(path=f"file:{line.row}:{line.column}", code=line.code, message=line.message)
        for line in problem_lines(run, list(run.errors.all()[:MAX_PROBLEMS_SHOWN]))
    ]
    message = f"Nothing was imported (run {run.public_id}): {run.error_row_count} rows have problems."
    if refusal:
        message = f"Nothing was imported (run {run.public_id}): {refusal}"
    return error_response(request, 422, "import_refused", message, items)


@staff.get("/imports/runs/{run_id}", response={200: ImportRunOut, 404: ErrorOut})
def import_run_status(request: ApiRequest, run_id: str) -> Any:
    """A run's status, counts and problems."""
    run = selectors.run_get(staff=require_staff(request), public_id=run_id)
    if run is None:
        raise HttpError(404, "Not found.")
    return _run_out(run)
