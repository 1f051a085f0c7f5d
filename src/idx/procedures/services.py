"""Writes to the procedure catalog: import, draft, publish. Publishing always makes a new version."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from idx.audit.services import audit_record
from idx.common.models import Municipality
from idx.identity.models import Department, User
from idx.procedures.definition import DefinitionError, parse
from idx.procedures.models import Procedure, ProcedureVersion

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


@transaction.atomic
def procedure_version_publish(*, version: ProcedureVersion, actor: User | None) -> ProcedureVersion:
    """Make ``version`` the one new applications start on; earlier applications keep theirs."""
    procedure = Procedure.objects.select_for_update().get(pk=version.procedure_id)
    data = version.definition
    parse(data)
    previous = procedure.published_version_id
    ProcedureVersion.objects.filter(procedure=procedure, status=ProcedureVersion.Status.PUBLISHED).update(
        status=ProcedureVersion.Status.RETIRED
    )
    version.status = ProcedureVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
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
    audit_record(
        municipality=procedure.municipality,
        actor=actor,
        action="procedure.publish",
        target_type="procedure",
        target_id=procedure.pk,
        before={"version_id": previous},
        after={"version_id": version.pk, "number": version.number},
    )
    return version


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
    draft.definition = dict(data)
    draft.created_by = actor if actor is not None and actor.is_authenticated else None
    draft.save()
    audit_record(
        municipality=procedure.municipality,
        actor=actor,
        action="procedure.save_draft",
        target_type="procedure",
        target_id=procedure.pk,
        after={"version_id": draft.pk, "number": draft.number},
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
