"""Writes to the procedure catalog: import, draft, publish. Publishing always makes a new version."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.identity.models import Department, User
from idx.procedures.definition import DefinitionError, parse
from idx.procedures.models import Procedure, ProcedureVersion, remember_parsed

logger = logging.getLogger(__name__)

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"


def _search_text(data: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for key in ("name", "summary", "eligibility"):
        parts += [str(text) for text in (data.get(key) or {}).values()]
    return " ".join(parts).lower()


def _department(municipality: Municipality, code: str) -> Department:
    try:
        return Department.objects.get(municipality=municipality, code=code)
    except Department.DoesNotExist as exc:
        raise DefinitionError([f"department: no department '{code}' in {municipality}"]) from exc


class VersionNotPublishable(DomainError):
    """Only a draft becomes published (a published, retired or withdrawn version stays as it is)."""

    code = "version_not_publishable"
    http_status = 409
    message = gettext_lazy("Only a draft version can be published or scheduled.")


class ScheduleInvalid(DomainError):
    code = "schedule_invalid"
    field = "publish_at"
    message = gettext_lazy("Choose a moment in the future for publishing.")


class NotScheduled(DomainError):
    code = "not_scheduled"
    http_status = 409
    message = gettext_lazy("This version is not scheduled for publishing.")


class NothingToWithdraw(DomainError):
    """Withdrawing needs a published version and an earlier published one to return to."""

    code = "nothing_to_withdraw"
    http_status = 409
    message = gettext_lazy("There is no earlier published version to return to.")


class WithdrawalReasonInvalid(DomainError):
    code = "withdrawal_reason_invalid"
    field = "reason"
    message = gettext_lazy("Enter the reason for withdrawing, in 500 characters or fewer.")


WITHDRAWAL_REASON_MAX = 500


def _mirror_published(procedure: Procedure, version: ProcedureVersion) -> None:
    """The catalog entry shows what ``version`` says (name, summary, department...)."""
    data = version.definition
    procedure.published_version = version
    procedure.names = data["name"]
    procedure.summaries = data["summary"]
    procedure.category = data["category"]
    procedure.life_event = data["life_event"]
    procedure.department = _department(procedure.municipality, data["department"])
    procedure.search_text = _search_text(data)
    procedure.save(
        update_fields=[
            "published_version",
            "names",
            "summaries",
            "category",
            "life_event",
            "department",
            "search_text",
            "updated_at",
        ]
    )


def _locked(version: ProcedureVersion) -> tuple[Procedure, ProcedureVersion]:
    """The procedure locked for the change, and ``version`` as it is now (another request may have
    published or scheduled it meanwhile)."""
    procedure = (
        Procedure.objects.select_for_update().select_related("municipality").get(pk=version.procedure_id)
    )
    return procedure, ProcedureVersion.objects.get(pk=version.pk)


def _publish_locked(
    procedure: Procedure, version: ProcedureVersion, actor: User | None, *, scheduled: bool = False
) -> ProcedureVersion:
    if version.status != ProcedureVersion.Status.DRAFT:
        raise VersionNotPublishable()
    version.parsed  # noqa: B018 - checks the definition (parsed once per process and content)
    previous = procedure.published_version_id
    ProcedureVersion.objects.filter(procedure=procedure, status=ProcedureVersion.Status.PUBLISHED).update(
        status=ProcedureVersion.Status.RETIRED
    )
    scheduled_for = version.publish_at
    version.status = ProcedureVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = actor if actor is not None and actor.is_authenticated else None
    version.publish_at = None
    version.save(update_fields=["status", "published_at", "published_by", "publish_at"])
    _mirror_published(procedure, version)
    after: dict[str, Any] = {"version_id": version.pk, "number": version.number}
    if scheduled and scheduled_for is not None:
        after["scheduled_for"] = scheduled_for.isoformat()
        after["scheduled_by"] = version.scheduled_by_id
    audit_record(
        municipality=procedure.municipality,
        actor=actor,
        action="procedure.publish",
        target_type="procedure",
        target_id=procedure.pk,
        before={"version_id": previous},
        after=after,
    )
    return version


@transaction.atomic
def procedure_version_publish(*, version: ProcedureVersion, actor: User | None) -> ProcedureVersion:
    """Make the draft ``version`` the one new applications start on; earlier applications keep
    theirs (drafts included). A schedule the draft had is used up."""
    procedure, version = _locked(version)
    return _publish_locked(procedure, version, actor)


@transaction.atomic
def procedure_version_schedule(
    *, version: ProcedureVersion, publish_at: dt.datetime, actor: User | None
) -> ProcedureVersion:
    """Publish the draft ``version`` by itself at ``publish_at`` (公開予定, e.g. 4月1日 0時 for new
    rules); ``procedures_publish_due`` does it. Scheduling again moves the moment."""
    if timezone.is_naive(publish_at) or publish_at <= timezone.now():
        raise ScheduleInvalid()
    procedure, version = _locked(version)
    if version.status != ProcedureVersion.Status.DRAFT:
        raise VersionNotPublishable()
    version.parsed  # noqa: B018 - a draft with problems is refused now, not at midnight
    before = version.publish_at.isoformat() if version.publish_at else None
    version.publish_at = publish_at
    version.scheduled_by = actor if actor is not None and actor.is_authenticated else None
    version.save(update_fields=["publish_at", "scheduled_by"])
    audit_record(
        municipality=procedure.municipality,
        actor=actor,
        action="procedure.schedule",
        target_type="procedure",
        target_id=procedure.pk,
        before={"publish_at": before},
        after={"version_id": version.pk, "number": version.number, "publish_at": publish_at.isoformat()},
    )
    return version


@transaction.atomic
def procedure_version_unschedule(*, version: ProcedureVersion, actor: User | None) -> ProcedureVersion:
    """Cancel the schedule of a draft; it stays a draft."""
    procedure, version = _locked(version)
    if version.status != ProcedureVersion.Status.DRAFT or version.publish_at is None:
        raise NotScheduled()
    before = version.publish_at.isoformat()
    version.publish_at = None
    version.scheduled_by = None
    version.save(update_fields=["publish_at", "scheduled_by"])
    audit_record(
        municipality=procedure.municipality,
        actor=actor,
        action="procedure.unschedule",
        target_type="procedure",
        target_id=procedure.pk,
        before={"version_id": version.pk, "number": version.number, "publish_at": before},
    )
    return version


def procedure_version_publish_if_due(*, version_id: int, now: dt.datetime | None = None) -> bool:
    """Publish one scheduled draft whose moment has come; False when it is not (any more) due.

    Idempotent: a second run, or a run after staff cancelled or published by hand, changes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        version = ProcedureVersion.objects.filter(pk=version_id).first()
        if version is None:
            return False
        procedure, version = _locked(version)
        if (
            version.status != ProcedureVersion.Status.DRAFT
            or version.publish_at is None
            or version.publish_at > now
        ):
            return False
        _publish_locked(procedure, version, None, scheduled=True)
        return True


def procedure_versions_publish_due(*, now: dt.datetime | None = None) -> list[int]:
    """Publish every scheduled draft that is due, each in its own transaction; the ids published.

    A draft that cannot be published any more (its department is gone, say) is left scheduled and
    the others go ahead; the error is logged.
    """
    now = now or timezone.now()
    due = ProcedureVersion.objects.filter(
        status=ProcedureVersion.Status.DRAFT, publish_at__isnull=False, publish_at__lte=now
    ).order_by("publish_at", "pk")
    published: list[int] = []
    for version_id in due.values_list("pk", flat=True):
        try:
            if procedure_version_publish_if_due(version_id=version_id, now=now):
                published.append(version_id)
        except DomainError:
            logger.exception("scheduled version %s could not be published", version_id)
    return published


@transaction.atomic
def procedure_version_withdraw(*, procedure: Procedure, actor: User | None, reason: str) -> ProcedureVersion:
    """Take back the published version (取り下げ): the version published before it is published
    again and returned. Applications stay on the version they started on, drafts included."""
    reason = (reason or "").strip()
    if not reason or len(reason) > WITHDRAWAL_REASON_MAX:
        raise WithdrawalReasonInvalid()
    procedure = Procedure.objects.select_for_update().select_related("municipality").get(pk=procedure.pk)
    current = procedure.published_version
    if current is None:
        raise NothingToWithdraw()
    previous = (
        procedure.versions.filter(
            number__lt=current.number, status=ProcedureVersion.Status.RETIRED, published_at__isnull=False
        )
        .order_by("-number")
        .first()
    )
    if previous is None:
        raise NothingToWithdraw()
    current.status = ProcedureVersion.Status.WITHDRAWN
    current.withdrawn_at = timezone.now()
    current.withdrawn_by = actor if actor is not None and actor.is_authenticated else None
    current.withdrawal_reason = reason
    current.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    previous.status = ProcedureVersion.Status.PUBLISHED
    previous.save(update_fields=["status"])
    _mirror_published(procedure, previous)
    audit_record(
        municipality=procedure.municipality,
        actor=actor,
        action="procedure.withdraw",
        target_type="procedure",
        target_id=procedure.pk,
        before={"version_id": current.pk, "number": current.number},
        after={"version_id": previous.pk, "number": previous.number, "reason": reason},
    )
    return previous


@transaction.atomic
def procedure_version_save_draft(
    *, procedure: Procedure, data: Mapping[str, Any], actor: User | None
) -> ProcedureVersion:
    """Store a checked definition as the procedure's next draft version (replacing an unpublished draft)."""
    definition = parse(data)
    if definition.code != procedure.code:
        raise DefinitionError([f"code: must stay '{procedure.code}'"])
    _department(procedure.municipality, str(data["department"]))
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    draft = procedure.versions.filter(status=ProcedureVersion.Status.DRAFT).order_by("-number").first()
    if draft is None:
        last = procedure.versions.order_by("-number").first()
        draft = ProcedureVersion(procedure=procedure, number=(last.number + 1) if last else 1)
    # An edited draft needs a second look again: a schedule made for the old content is cancelled.
    unscheduled = draft.publish_at is not None and draft.definition != dict(data)
    draft.definition = dict(data)
    draft.created_by = actor if actor is not None and actor.is_authenticated else None
    if unscheduled:
        draft.publish_at = None
        draft.scheduled_by = None
    draft.save()
    remember_parsed(draft.definition, definition)
    audit_record(
        municipality=procedure.municipality,
        actor=actor,
        action="procedure.save_draft",
        target_type="procedure",
        target_id=procedure.pk,
        after={
            "version_id": draft.pk,
            "number": draft.number,
            **({"unscheduled": True} if unscheduled else {}),
        },
    )
    return draft


@transaction.atomic
def procedure_import(
    *, municipality: Municipality, data: Mapping[str, Any], actor: User | None = None
) -> Procedure:
    """Create or update a procedure from a definition; a changed definition becomes a new published version."""
    definition = parse(data)
    department = _department(municipality, str(data["department"]))
    procedure, _created = Procedure.objects.get_or_create(
        municipality=municipality,
        code=definition.code,
        defaults={
            "department": department,
            "category": data["category"],
            "life_event": data["life_event"],
            "names": data["name"],
            "summaries": data["summary"],
        },
    )
    current = procedure.published_version
    if current is not None and current.definition == dict(data):
        return procedure
    version = procedure_version_save_draft(procedure=procedure, data=data, actor=actor)
    procedure_version_publish(version=version, actor=actor)
    procedure.refresh_from_db()
    return procedure


@transaction.atomic
def procedure_create(*, municipality: Municipality, data: Mapping[str, Any], actor: User) -> Procedure:
    """A new procedure with its first version as an unpublished draft (not yet in the catalog)."""
    definition = parse(data)
    department = _department(municipality, str(data["department"]))
    if Procedure.objects.filter(municipality=municipality, code=definition.code).exists():
        raise DefinitionError([f"code: a procedure '{definition.code}' already exists"])
    procedure = Procedure.objects.create(
        municipality=municipality,
        code=definition.code,
        department=department,
        category=data["category"],
        life_event=data["life_event"],
        names=data["name"],
        summaries=data["summary"],
        search_text=_search_text(data),
    )
    audit_record(
        municipality=municipality,
        actor=actor,
        action="procedure.create",
        target_type="procedure",
        target_id=procedure.pk,
        after={"code": procedure.code},
    )
    procedure_version_save_draft(procedure=procedure, data=data, actor=actor)
    return procedure


def shipped_definitions() -> list[dict[str, Any]]:
    """The definitions shipped with IDX (demo content; each city adapts them)."""
    return [
        yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(DEFINITIONS_DIR.glob("*.yaml"))
    ]
