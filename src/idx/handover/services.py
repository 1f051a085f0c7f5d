"""Hand-over runs and acknowledgements (docs/decisions/0032-handover.md).

A run, in order:

1. claims the target (a ``running`` run row; the database allows one per target, so a second run
   started meanwhile stops at once) and completes or fails a run a crash left ``running``;
2. selects the target's decided cases that no earlier run handed over, and keeps their ids and
   receipt numbers on the run;
3. writes the data file with the export functions of ``idx.applications.exports`` and a manifest
   (run, time, file name, count, SHA-256 of the data file, receipt numbers);
4. delivers both, each under a temporary name renamed when complete, data file first;
5. only then, in one transaction, records every case as handed over (``HandedOverCase``, unique
   per target and case) and the run as delivered, with its audit entry.

A failed delivery records the error and hands nothing over: the next run selects the same cases
again. A run with no new cases writes no file (the run is kept as "no new cases").
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from idx.applications.exports import (
    ExportLayout,
    decided_cases_of_procedure,
    export_csv_rows,
    export_json_chunks,
)
from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.handover import destinations
from idx.handover.destinations import DeliveryError, Destination, FolderDestination, SftpDestination
from idx.handover.models import (
    Cases,
    FileFormat,
    HandedOverCase,
    HandoverRun,
    HandoverTarget,
    RunStatus,
)
from idx.handover.models import (
    Destination as DestinationKind,
)

MAX_CASES_PER_RUN = 5000  # the rest go in the next run
STALE_AFTER = dt.timedelta(hours=1)  # a run still "running" after this was interrupted
FAILED_TRIES_PER_DAY = 3  # scheduled attempts after the daily time, then wait for tomorrow
GETA = "〓"  # stands for a character cp932 cannot write (the customary 下駄記号)


def _geta(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeEncodeError)
    return GETA, error.end


codecs.register_error("idx_handover_geta", _geta)


class HandoverBusy(DomainError):
    code = "handover_busy"
    message = _("A run of this target is already in progress. Try again in a few minutes.")
    http_status = 409


# ---- configuration ---------------------------------------------------------------------------


def target_destination(target: HandoverTarget) -> Destination:
    """Where ``target``'s files go (folder under IDX_HANDOVER_ROOT, or the SFTP server)."""
    if target.destination == DestinationKind.SFTP:
        return SftpDestination(
            host=target.sftp_host,
            port=target.sftp_port,
            user=target.sftp_user,
            directory=target.sftp_directory,
            key_file=Path(settings.IDX_HANDOVER_KEYS_DIR) / target.sftp_key_name,
            host_key=target.sftp_host_key,
        )
    root = Path(settings.IDX_HANDOVER_ROOT)
    return FolderDestination(path=root / target.folder)


def _target_facts(target: HandoverTarget) -> dict[str, Any]:
    return {
        "name": target.name,
        "procedure": target.procedure.code,
        "active": target.active,
        "format": target.file_format,
        "headers": target.headers,
        "values": target.values,
        "cases": target.cases,
        "daily_at": target.daily_at.strftime("%H:%M") if target.daily_at else "",
        **destinations.describe(target_destination(target)),
        "key_name": target.sftp_key_name if target.destination == DestinationKind.SFTP else "",
    }


def target_save(
    *, target: HandoverTarget, actor: Any, before: dict[str, Any] | None = None
) -> HandoverTarget:
    """Create or change a target (the form has checked it), audited with what changed."""
    created = target.pk is None
    with transaction.atomic(durable=True):
        target.save()
        audit_record(
            municipality=target.municipality,
            actor=actor,
            action="handover.target_created" if created else "handover.target_changed",
            target_type="handover_target",
            target_id=target.pk,
            before=before,
            after=_target_facts(target),
        )
    return target


def target_facts(target: HandoverTarget) -> dict[str, Any]:
    """The target's settings as the audit log keeps them (for ``before`` of a change)."""
    return _target_facts(target)


# ---- a run -----------------------------------------------------------------------------------


def new_cases(target: HandoverTarget) -> Any:
    """The target's decided cases that no run has handed over yet, oldest first."""
    return decided_cases_of_procedure(
        procedure_id=target.procedure_id,
        municipality_id=target.municipality_id,
        approved_only=target.cases == Cases.APPROVED,
    ).exclude(pk__in=HandedOverCase.objects.filter(target=target).values("application_id"))


def _extension(target: HandoverTarget) -> str:
    return "json" if target.file_format == FileFormat.JSON else "csv"


def _file_name(target: HandoverTarget, run: HandoverRun) -> str:
    moment = timezone.localtime(run.started_at).strftime("%Y%m%d%H%M%S")
    return f"{target.municipality.code}_{target.procedure.code}_{moment}_{run.pk}.{_extension(target)}"


def _data_chunks(target: HandoverTarget, application_ids: list[int]) -> Iterator[bytes]:
    """The data file of these cases, encoded, from the export functions of the applications app."""
    procedure = target.procedure
    version = procedure.published_version or procedure.versions.order_by("-number").first()
    if version is None:
        raise ValueError("the procedure has no version")
    definition = version.parsed
    cases = decided_cases_of_procedure(
        procedure_id=target.procedure_id,
        municipality_id=target.municipality_id,
        approved_only=target.cases == Cases.APPROVED,
    ).filter(pk__in=application_ids)
    if target.file_format == FileFormat.JSON:
        for text in export_json_chunks(cases, definition):
            yield text.encode("utf-8")
        return
    layout = ExportLayout(headers=target.headers, values=target.values)  # type: ignore[arg-type]
    for text in export_csv_rows(cases, definition, layout=layout):
        if target.file_format == FileFormat.CSV_CP932:
            # No BOM in Shift_JIS; a character cp932 lacks becomes 〓 (the README of 0032 says so).
            yield text.replace("\ufeff", "").encode("cp932", errors="idx_handover_geta")
        else:
            yield text.encode("utf-8")


def _write(path: Path, chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as writer:
        for chunk in chunks:
            digest.update(chunk)
            writer.write(chunk)
    return digest.hexdigest()


def _manifest(target: HandoverTarget, run: HandoverRun) -> str:
    return (
        json.dumps(
            {
                "target": {"id": target.pk, "name": target.name},
                "municipality": target.municipality.code,
                "procedure": target.procedure.code,
                "run_id": run.pk,
                "created_at": timezone.localtime(run.started_at).isoformat(),
                "file_name": run.file_name,
                "format": target.file_format,
                "encoding": "cp932" if target.file_format == FileFormat.CSV_CP932 else "utf-8",
                "count": run.case_count,
                "sha256": run.sha256,
                "receipts": run.receipts,
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n"
    )


def _audit(run: HandoverRun, actor: Any, action: str, **after: Any) -> None:
    audit_record(
        municipality=run.target.municipality,
        actor=actor,
        action=action,
        target_type="handover_run",
        target_id=run.pk,
        after={"target": run.target_id, "file": run.file_name, "cases": run.case_count, **after},
    )


def _fail(run: HandoverRun, actor: Any, error: str) -> HandoverRun:
    with transaction.atomic(durable=True):
        run.status = RunStatus.FAILED
        run.error = error[:500]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        _audit(run, actor, "handover.delivery_failed", error=run.error)
    return run


def _complete(run: HandoverRun, actor: Any) -> HandoverRun:
    """Record the run's cases as handed over and the run as delivered: one transaction."""
    with transaction.atomic(durable=True):
        HandedOverCase.objects.bulk_create(
            [
                HandedOverCase(target_id=run.target_id, application_id=pk, run=run)
                for pk in run.application_ids
            ]
        )
        run.status = RunStatus.DELIVERED
        run.finished_at = timezone.now()
        run.error = ""
        run.save(update_fields=["status", "finished_at", "error"])
        _audit(
            run,
            actor,
            "handover.delivered",
            sha256=run.sha256,
            **destinations.describe(target_destination(run.target)),
        )
    return run


def _recover(target: HandoverTarget) -> None:
    """A run a crash left ``running``: delivered when its manifest is at the destination as written
    (then its cases are recorded now), failed otherwise. Its cases are never sent twice."""
    stale = timezone.now() - STALE_AFTER
    for run in HandoverRun.objects.filter(target=target, status=RunStatus.RUNNING, started_at__lt=stale):
        run.target = target
        found: bytes | None = None
        if run.manifest:
            try:
                found = destinations.file_read(target_destination(target), run.manifest_name)
            except DeliveryError:
                continue  # the destination cannot say: ask again next time
        if found is not None and found == run.manifest.encode("utf-8"):
            _complete(run, None)
        else:
            _fail(run, None, "interrupted before its files were delivered")


def handover_run(*, target: HandoverTarget, actor: Any = None) -> HandoverRun:
    """One run of ``target`` (the steps are in the module's text). Raises ``HandoverBusy`` when
    another run of the target is in progress."""
    _recover(target)
    try:
        with transaction.atomic(durable=True):
            run = HandoverRun.objects.create(target=target, started_at=timezone.now(), started_by=actor)
    except IntegrityError:
        raise HandoverBusy() from None
    run.target = target
    # Selected after the claim: a run that finished meanwhile has recorded its cases.
    picked = list(new_cases(target).values_list("id", "receipt_number")[:MAX_CASES_PER_RUN])
    if not picked:
        with transaction.atomic(durable=True):
            run.status = RunStatus.NOTHING_NEW
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "finished_at"])
            _audit(run, actor, "handover.run", status=run.status)
        return run
    run.application_ids = [pk for pk, _receipt in picked]
    run.receipts = [receipt or "" for _pk, receipt in picked]
    run.case_count = len(picked)
    run.file_name = _file_name(target, run)
    with tempfile.TemporaryDirectory(prefix="idx-handover-") as staging:
        data_path = Path(staging) / run.file_name
        manifest_path = Path(staging) / run.manifest_name
        try:
            run.sha256 = _write(data_path, _data_chunks(target, run.application_ids))
        except Exception as exc:  # the data could not be written: nothing was sent
            return _fail(run, actor, f"the data file could not be written: {type(exc).__name__}")
        run.manifest = _manifest(target, run)
        manifest_path.write_text(run.manifest, encoding="utf-8")
        with transaction.atomic(durable=True):
            run.save(
                update_fields=["application_ids", "receipts", "case_count", "file_name", "sha256", "manifest"]
            )
            _audit(run, actor, "handover.run", status=run.status, sha256=run.sha256)
        try:
            destinations.deliver(
                target_destination(target),
                [(run.file_name, data_path), (run.manifest_name, manifest_path)],
            )
        except DeliveryError as exc:
            return _fail(run, actor, str(exc))
    return _complete(run, actor)


# ---- the schedule ------------------------------------------------------------------------------


def targets_due(now: dt.datetime | None = None) -> list[HandoverTarget]:
    """Active targets whose daily time has passed today and that have not run since (a failed run
    is tried again on the next call, up to ``FAILED_TRIES_PER_DAY`` times a day)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    due: list[HandoverTarget] = []
    targets = HandoverTarget.objects.filter(active=True).select_related("municipality", "procedure")
    for target in targets:
        moment = timezone.make_aware(dt.datetime.combine(local.date(), target.daily_at), local.tzinfo)
        if now < moment:
            continue
        since = list(target.runs.filter(started_at__gte=moment).values_list("status", flat=True))
        if any(status != RunStatus.FAILED for status in since):
            continue
        if len(since) >= FAILED_TRIES_PER_DAY:
            continue
        due.append(target)
    return due


# ---- acknowledgements ----------------------------------------------------------------------------


@dataclass
class AckOutcome:
    accepted: int = 0  # acknowledgement files trusted
    cases: int = 0  # cases marked as taken in
    rejected: list[str] = field(default_factory=list)  # "<file>: <reason>"


def _ack_problem(
    target: HandoverTarget, name: str, content: bytes
) -> tuple[str, HandoverRun | None, list[str]]:
    """Why the acknowledgement ``name`` cannot be trusted ("" when it can), its run and receipts."""
    data_name = name[: -len(destinations.ACK_SUFFIX)]
    run = HandoverRun.objects.filter(target=target, file_name=data_name, status=RunStatus.DELIVERED).first()
    if run is None:
        return "no delivered file of this target has that name", None, []
    if len(content) > destinations.MAX_ACK_BYTES:
        return "the acknowledgement is too large", run, []
    try:
        ack = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return "the acknowledgement is not JSON", run, []
    if not isinstance(ack, dict):
        return "the acknowledgement is not a JSON object", run, []
    if ack.get("file") not in (None, data_name):
        return "the acknowledgement names another file", run, []
    if ack.get("sha256") != run.sha256:
        return "the SHA-256 does not match the delivered file", run, []
    receipts = ack.get("receipts", run.receipts)
    if not isinstance(receipts, list) or not all(isinstance(item, str) for item in receipts):
        return "receipts must be a list of receipt numbers", run, []
    unknown = sorted(set(receipts) - set(run.receipts))
    if unknown:
        return f"{len(unknown)} receipt numbers were not in the file", run, []
    return "", run, receipts


def handover_acks_poll(*, target: HandoverTarget) -> AckOutcome:
    """Read the acknowledgements (``<data file>.ack``) the core system left at the destination.

    A trusted one marks its cases as taken in (``acknowledged_at``) and is renamed ``….ack.done``;
    one naming an unknown file, another SHA-256 or receipts that were not in the file is reported
    (on the target and in the audit log), trusts nothing and is renamed ``….ack.rejected``.
    """
    destination = target_destination(target)
    outcome = AckOutcome()
    renames: list[tuple[str, str]] = []
    for name, content in destinations.acks_collect(destination):
        problem, run, receipts = _ack_problem(target, name, content)
        now = timezone.now()
        if problem:
            outcome.rejected.append(f"{name}: {problem}")
            with transaction.atomic(durable=True):
                target.ack_problem = f"{name}: {problem}"[:300]
                target.ack_problem_at = now
                target.save(update_fields=["ack_problem", "ack_problem_at"])
                audit_record(
                    municipality=target.municipality,
                    actor=None,
                    action="handover.ack_rejected",
                    target_type="handover_target",
                    target_id=target.pk,
                    after={"file": name, "reason": problem, "run": run.pk if run else None},
                )
            renames.append((name, name + destinations.ACK_REJECTED_SUFFIX))
            continue
        assert run is not None
        with transaction.atomic(durable=True):
            marked = HandedOverCase.objects.filter(
                run=run, acknowledged_at__isnull=True, application__receipt_number__in=receipts
            ).update(acknowledged_at=now)
            waiting = HandedOverCase.objects.filter(run=run, acknowledged_at__isnull=True).exists()
            if not waiting and run.acknowledged_at is None:
                run.acknowledged_at = now
                run.save(update_fields=["acknowledged_at"])
            if marked:
                _audit(run, None, "handover.acknowledged", acknowledged=marked, ack=name)
        outcome.accepted += 1
        outcome.cases += marked
        renames.append((name, name + destinations.ACK_DONE_SUFFIX))
    destinations.acks_mark(destination, renames)
    return outcome
