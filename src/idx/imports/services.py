"""Writes of bulk import: saving a source's mapping, checking a file (the dry run) and importing it.

All or nothing (docs/decisions/0031-bulk-import.md): the import runs in one durable transaction;
any row that fails, or a file that turns out cut short, rolls every application of the file
back, and the run is then recorded as not imported with each row's problems. A file already
imported for the source (same SHA-256) is refused as a duplicate.

Each imported row becomes an application submitted through the normal state machine
(``new_draft`` → ``application_save_answers`` → ``application_submit``) on the ``imported``
channel, in the name of the row's applicant (``idx.identity.services.offline_applicant``);
no notification is sent for it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from idx.applications import services as applications
from idx.applications.models import Channel
from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.identity.models import User
from idx.identity.services import offline_applicant
from idx.imports.models import ImportRowError, ImportRun, ImportSource
from idx.imports.reading import FileRefused, RowCut, Table, open_table
from idx.imports.rows import RowProblem, RowReader, RowResult, importable_items
from idx.imports.selectors import may_import
from idx.procedures.definition import Definition, fee_paid_before_submission
from idx.procedures.models import Procedure

MAX_STORED_PROBLEMS = 1000
HASH_CHUNK = 1024 * 1024


class ImportNotPermitted(DomainError):
    code = "not_permitted"
    http_status = 404  # outside the caller's scope reads as "not found"
    message = _("Not found.")


class SourceInvalid(DomainError):
    code = "source_invalid"
    http_status = 422


class RunNotReady(DomainError):
    code = "run_not_ready"
    http_status = 409
    message = _("This file was not checked without errors, or it has been imported already.")


def _definition(procedure: Procedure) -> Definition:
    if procedure.published_version is None:
        raise SourceInvalid(message=_("The procedure has no published form."), field="procedure")
    return procedure.published_version.parsed


def _check_procedure(definition: Definition) -> None:
    if definition.data.get("signature_required"):
        raise SourceInvalid(
            message=_(
                "This procedure needs an electronic signature, so its applications cannot be imported."
            ),
            field="procedure",
        )
    if definition.data.get("fee") and fee_paid_before_submission(definition):
        raise SourceInvalid(
            message=_("This procedure is paid before submission, so its applications cannot be imported."),
            field="procedure",
        )


def mapping_problems(definition: Definition, mapping: Mapping[str, str]) -> list[str]:
    """The mapped paths the definition cannot take (unknown, a 個人番号, a file, a repeat)."""
    allowed = {item.path for item in importable_items(definition)}
    return [path for path in mapping.values() if path not in allowed]


def import_source_save(
    *,
    staff: User,
    procedure: Procedure,
    name: str,
    mapping: Mapping[str, str],
    applicant_name_column: str,
    birthdate_column: str = "",
    source: ImportSource | None = None,
) -> ImportSource:
    """Create or change a source: its name and its mapping from file headers to answer paths."""
    if not may_import(staff, procedure) or (
        source is not None and source.municipality_id != staff.municipality_id
    ):
        raise ImportNotPermitted()
    definition = _definition(procedure)
    _check_procedure(definition)
    mapping = {header.strip(): path for header, path in mapping.items() if header.strip() and path}
    if not name.strip():
        raise SourceInvalid(message=_("Name: enter a name for the source."), field="name")
    if not applicant_name_column.strip():
        raise SourceInvalid(
            message=_("Applicant's name: choose the column that holds it."), field="applicant_name_column"
        )
    wrong = mapping_problems(definition, mapping)
    if wrong:
        raise SourceInvalid(
            message=_("The mapping names items the form cannot take from a file: %(paths)s."),
            field="mapping",
            params={"paths": ", ".join(wrong)},
        )
    if len(set(mapping.values())) != len(mapping):
        raise SourceInvalid(message=_("Two columns are mapped to the same item."), field="mapping")
    taken = ImportSource.objects.filter(
        municipality_id=staff.municipality_id, procedure=procedure, name=name.strip()
    )
    if source is not None:
        taken = taken.exclude(pk=source.pk)
    if taken.exists():
        raise SourceInvalid(message=_("Name: another source of this procedure has this name."), field="name")
    with transaction.atomic(durable=True):
        made = source is None
        before = (
            None
            if source is None
            else {"name": source.name, "mapping": dict(source.mapping), "columns": len(source.mapping)}
        )
        if source is None:
            source = ImportSource(
                municipality_id=staff.municipality_id, procedure=procedure, created_by=staff
            )
        source.name = name.strip()[:80]
        source.mapping = mapping
        source.applicant_name_column = applicant_name_column.strip()[:100]
        source.birthdate_column = birthdate_column.strip()[:100]
        source.save()
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="import_source.create" if made else "import_source.change",
            target_type="import_source",
            target_id=source.pk,
            before=before,
            after={
                "procedure": procedure.code,
                "name": source.name,
                "mapping": mapping,
                "columns": len(mapping),
            },
        )
    return source


@dataclass
class _Outcome:
    rows: int = 0
    error_rows: int = 0
    errors: int = 0
    imported: int = 0
    refusal: str = ""


def _sha256(upload: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    while chunk := upload.read(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def _is_duplicate(source: ImportSource, sha256: str) -> bool:
    return ImportRun.objects.filter(source=source, sha256=sha256, status=ImportRun.Status.IMPORTED).exists()


def _reader(source: ImportSource, definition: Definition, table: Table) -> RowReader:
    wrong = mapping_problems(definition, source.mapping)
    if wrong:
        raise SourceInvalid(
            message=_("The procedure's form has changed: edit the mapping of this source (%(paths)s)."),
            field="mapping",
            params={"paths": ", ".join(wrong)},
        )
    missing = [
        header
        for header in [*source.mapping, source.applicant_name_column, source.birthdate_column]
        if header and header not in table.headers
    ]
    if missing:
        raise FileRefused("missing_columns", headers="、".join(missing))
    return RowReader(
        definition=definition,
        headers=table.headers,
        mapping=source.mapping,
        applicant_name_column=source.applicant_name_column,
        birthdate_column=source.birthdate_column,
    )


def _rows(reader: RowReader, table: Table) -> Iterator[RowResult]:
    """Each non-blank row read; a file cut inside a row ends with that row's problem."""
    try:
        for number, cells in table.rows:
            result = reader.read(number, cells)
            if result is not None:
                yield result
    except RowCut as cut:
        yield RowResult(cut.row, {}, "", None, [RowProblem(cut.row, "", "", "cut", {})])


def _store_problems(run: ImportRun, problems: list[RowProblem]) -> None:
    ImportRowError.objects.bulk_create(
        [
            ImportRowError(
                run=run,
                row=problem.row,
                column=problem.column[:100],
                path=problem.path[:120],
                code=problem.code[:40],
                params=dict(problem.params),
            )
            for problem in problems[:MAX_STORED_PROBLEMS]
        ],
        batch_size=500,
    )


def _new_run(*, staff: User, source: ImportSource, name: str, sha256: str, size: int) -> ImportRun:
    return ImportRun(
        municipality_id=staff.municipality_id,
        public_id=f"imp_{secrets.token_hex(12)}",
        source=source,
        original_name=(name or "upload")[-200:],
        size=size,
        sha256=sha256,
        file_type="",
        uploaded_by=staff,
    )


def import_check(*, staff: User, source: ImportSource, upload: IO[bytes], name: str = "") -> ImportRun:
    """The dry run: read every row of ``upload`` as the import would, and record the run with its
    counts and every row's problems (nothing else is written). A run without problems keeps the
    file for :func:`import_execute`."""
    procedure = source.procedure
    if not may_import(staff, procedure) or source.municipality_id != staff.municipality_id:
        raise ImportNotPermitted()
    definition = _definition(procedure)
    sha256, size = _sha256(upload)
    run = _new_run(staff=staff, source=source, name=name, sha256=sha256, size=size)
    outcome = _Outcome()
    problems: list[RowProblem] = []
    try:
        if _is_duplicate(source, sha256):
            raise FileRefused("duplicate_file")
        with open_table(upload, name) as table:
            run.file_type, run.encoding = table.file_type, table.encoding
            reader = _reader(source, definition, table)
            for result in _rows(reader, table):
                outcome.rows += 1
                if result.problems:
                    outcome.error_rows += 1
                    outcome.errors += len(result.problems)
                    if len(problems) < MAX_STORED_PROBLEMS:
                        problems.extend(result.problems)
    except FileRefused as refused:
        outcome.refusal = refused.reason
        run.refusal_params = dict(refused.params)
    run.row_count, run.error_row_count, run.error_count = outcome.rows, outcome.error_rows, outcome.errors
    run.refusal = outcome.refusal
    run.status = (
        ImportRun.Status.CHECKED
        if not outcome.refusal and not outcome.errors and outcome.rows
        else ImportRun.Status.REFUSED
    )
    if not outcome.refusal and not outcome.rows:
        run.refusal = "no_rows"
    with transaction.atomic(durable=True):
        if run.status == ImportRun.Status.CHECKED:
            upload.seek(0)
            run.file.save("upload", File(upload), save=False)
        run.save()
        _store_problems(run, problems)
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="import.check",
            target_type="import_run",
            target_id=run.public_id,
            after=_audit_counts(run),
        )
    return run


def _audit_counts(run: ImportRun) -> dict[str, Any]:
    return {
        "source": run.source_id,
        "file_sha256": run.sha256,
        "file_type": run.file_type,
        "encoding": run.encoding,
        "rows": run.row_count,
        "error_rows": run.error_row_count,
        "errors": run.error_count,
        "imported": run.imported_count,
        "status": run.status,
        "refusal": run.refusal,
    }


class _RowsFailed(Exception):
    def __init__(self, outcome: _Outcome, problems: list[RowProblem]) -> None:
        self.outcome = outcome
        self.problems = problems
        super().__init__(outcome.errors)


def _submit_row(*, staff: User, procedure: Procedure, run: ImportRun, result: RowResult) -> list[RowProblem]:
    """One row as a submitted application in the applicant's name; its problems when refused."""
    applicant = offline_applicant(
        municipality=staff.municipality,
        full_name=result.applicant_name,
        birthdate=result.birthdate,
        actor=staff,
        source="import",
        audit=False,  # the run's audit entry names the file; each application has its own entry
    )
    try:
        with transaction.atomic():
            application = applications.new_draft(
                resident=applicant,
                procedure=procedure,
                language="ja",
                actor=staff,
                action="application.import",
                audit_after={"procedure": procedure.code, "import_run": run.public_id, "row": result.number},
                channel=Channel.IMPORTED,
            )
            application = applications.application_save_answers(
                application=application, actor=applicant, answers=result.answers
            )
            applications.application_submit(
                application=application, actor=applicant, declaration_accepted=True
            )
    except applications.AnswersInvalid as invalid:
        return [
            RowProblem(result.number, "", error.path, error.code, dict(error.params))
            for error in invalid.errors
        ]
    except DomainError as refused:
        with translation.override("ja"):
            return [RowProblem(result.number, "", "", "refused", {"text": refused.text()})]
    return []


def import_execute(*, staff: User, run: ImportRun) -> ImportRun:
    """Import a checked run's file: every row becomes a submitted application, or none does.

    The second look: the file is read again from storage inside one durable transaction; a row
    that fails now (a resident changed meanwhile, the file on disk cut short) rolls everything
    back and the run is recorded as not imported, with its problems.
    """
    source = run.source
    procedure = source.procedure
    if not may_import(staff, procedure) or run.municipality_id != staff.municipality_id:
        raise ImportNotPermitted()
    definition = _definition(procedure)
    _check_procedure(definition)
    outcome = _Outcome()
    try:
        with transaction.atomic(durable=True), applications.notifications_muted():
            locked = ImportRun.objects.select_for_update().get(pk=run.pk)
            if locked.status != ImportRun.Status.CHECKED:
                raise RunNotReady()
            if _is_duplicate(source, locked.sha256):
                raise FileRefused("duplicate_file")
            problems: list[RowProblem] = []
            with locked.file.open("rb") as stored, open_table(stored.file, locked.original_name) as table:
                reader = _reader(source, definition, table)
                for result in _rows(reader, table):
                    outcome.rows += 1
                    row_problems = result.problems
                    if not row_problems and not problems:
                        row_problems = _submit_row(
                            staff=staff, procedure=procedure, run=locked, result=result
                        )
                        if not row_problems:
                            outcome.imported += 1
                    if row_problems:
                        outcome.error_rows += 1
                        outcome.errors += len(row_problems)
                        if len(problems) < MAX_STORED_PROBLEMS:
                            problems.extend(row_problems)
            if problems:
                raise _RowsFailed(outcome, problems)
            locked.status = ImportRun.Status.IMPORTED
            locked.row_count = outcome.rows
            locked.imported_count = outcome.imported
            locked.imported_by = staff
            locked.imported_at = timezone.now()
            locked.save(
                update_fields=[
                    "status",
                    "row_count",
                    "imported_count",
                    "imported_by",
                    "imported_at",
                    "updated_at",
                ]
            )
            audit_record(
                municipality=staff.municipality,
                actor=staff,
                action="import.run",
                target_type="import_run",
                target_id=locked.public_id,
                after=_audit_counts(locked),
            )
            return locked
    except (_RowsFailed, FileRefused) as failure:
        with transaction.atomic(durable=True):
            failed = ImportRun.objects.select_for_update().get(pk=run.pk)
            failed.status = ImportRun.Status.FAILED
            if isinstance(failure, _RowsFailed):
                failed.row_count = failure.outcome.rows
                failed.error_row_count = failure.outcome.error_rows
                failed.error_count = failure.outcome.errors
                failed.errors.all().delete()
                _store_problems(failed, failure.problems)
            else:
                failed.refusal = failure.reason
                failed.refusal_params = dict(failure.params)
            failed.imported_count = 0
            failed.save(
                update_fields=[
                    "status",
                    "row_count",
                    "error_row_count",
                    "error_count",
                    "refusal",
                    "refusal_params",
                    "imported_count",
                    "updated_at",
                ]
            )
            audit_record(
                municipality=staff.municipality,
                actor=staff,
                action="import.failed",
                target_type="import_run",
                target_id=failed.public_id,
                after=_audit_counts(failed),
            )
        return failed


def import_file(*, staff: User, source: ImportSource, upload: IO[bytes], name: str = "") -> ImportRun:
    """Check ``upload`` and, when no row has a problem, import it at once (the API's import)."""
    run = import_check(staff=staff, source=source, upload=upload, name=name)
    if run.status != ImportRun.Status.CHECKED:
        return run
    return import_execute(staff=staff, run=run)
