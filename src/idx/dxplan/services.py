"""Writes to the DX action plan: policies, initiatives, yearly targets, milestones, progress notes.

Every write is audited in its own transaction. Staff may write only with ``EDIT_DX_PLAN`` over the
initiative's owner department (the city administrator over all); ``actor=None`` is the system
(the demo loader). Publishing a progress note is irreversible: the note is then never changed in
place, and the plan's open dataset is regenerated after the commit.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.common.spreadsheet import csv_text
from idx.dxplan.models import BasicPolicy, FiscalYearTarget, Initiative, Milestone, ProgressNote, Status
from idx.identity.models import Department, User
from idx.identity.policy import Action, can
from idx.insights.models import Kpi
from idx.opendata.models import Dataset
from idx.opendata.services import GeneratedFile, generated_dataset_put

LANGUAGES = ("ja", "ja-easy", "en")
DATASET_NAME = "dx-action-plan-progress"
FIRST_FISCAL_YEAR = 2021  # the vision's first year (令和3年度)


class DxPlanRefused(DomainError):
    """The plan refuses the change as given; ``field`` names what to fix."""

    code = "dx_plan_refused"
    http_status = 422


class DxPlanForbidden(DomainError):
    """The actor may not change this initiative (it is another department's)."""

    code = "not_found"
    http_status = 404


def _texts(
    value: Mapping[str, Any] | None, field: str, *, required: bool = True, limit: int = 4000
) -> dict[str, str]:
    texts = {
        language: str(text).strip()
        for language, text in (value or {}).items()
        if language in LANGUAGES and str(text or "").strip()
    }
    if required and not texts.get("ja"):
        raise DxPlanRefused(message=_("Write it in Japanese at least."), field=field)
    if any(len(text) > limit for text in texts.values()):
        raise DxPlanRefused(
            message=_("Keep it to %(limit)s characters."), field=field, params={"limit": limit}
        )
    return texts


def _check_actor(actor: User | None, initiative: Initiative) -> None:
    if actor is None:
        return
    if actor.municipality_id != initiative.municipality_id or not can(
        actor, Action.EDIT_DX_PLAN, initiative.owner
    ):
        raise DxPlanForbidden(message=_("Not found."))


def _check_status(status: str, field: str = "status") -> None:
    if status not in Status.values:
        raise DxPlanRefused(message=_("Choose a status."), field=field)


def _check_year(fiscal_year: int, field: str = "fiscal_year") -> None:
    if not isinstance(fiscal_year, int) or not FIRST_FISCAL_YEAR <= fiscal_year <= 2100:
        raise DxPlanRefused(message=_("Choose a fiscal year."), field=field)


def fiscal_quarter_of(day: dt.date) -> tuple[int, int]:
    """The fiscal year (April to March) and its quarter (1 = April to June) that ``day`` falls in."""
    year = day.year if day.month >= 4 else day.year - 1
    return year, (day.month - 4) % 12 // 3 + 1


# ---- policies and initiatives ----------------------------------------------------------------


@transaction.atomic
def policy_put(
    *, municipality: Municipality, number: int, titles: Mapping[str, str], descriptions: Mapping[str, str]
) -> BasicPolicy:
    """A basic policy (基本方針) by its number, created or updated (the system sets these)."""
    if not 1 <= number <= 20:
        raise DxPlanRefused(message=_("Choose a number from 1 to 20."), field="number")
    policy, created = BasicPolicy.objects.update_or_create(
        municipality=municipality,
        number=number,
        defaults={
            "titles": _texts(titles, "titles"),
            "descriptions": _texts(descriptions, "descriptions", required=False),
        },
    )
    audit_record(
        municipality=municipality,
        actor=None,
        action="dxplan.policy_put",
        target_type="dx_policy",
        target_id=policy.pk,
        after={"number": number, "created": created},
    )
    return policy


def _kpis(municipality: Municipality, kpi_codes: Iterable[str]) -> list[Kpi]:
    codes = [code for code in kpi_codes if code]
    found = list(Kpi.objects.filter(municipality=municipality, code__in=codes))
    missing = set(codes) - {kpi.code for kpi in found}
    if missing:
        raise DxPlanRefused(
            message=_("There is no KPI %(code)s."), field="kpis", params={"code": ", ".join(sorted(missing))}
        )
    return found


@transaction.atomic
def initiative_create(
    *,
    municipality: Municipality,
    policy: BasicPolicy,
    owner: Department,
    code: str,
    titles: Mapping[str, str],
    descriptions: Mapping[str, str],
    actor: User | None,
    other_departments: Iterable[Department] = (),
    kpi_codes: Iterable[str] = (),
    status: str = Status.NOT_STARTED,
    position: int = 0,
) -> Initiative:
    if policy.municipality_id != municipality.pk:
        raise DxPlanRefused(message=_("Choose a basic policy."), field="policy")
    if owner.municipality_id != municipality.pk:
        raise DxPlanRefused(message=_("Choose a department of this municipality."), field="owner")
    if actor is not None and not can(actor, Action.EDIT_DX_PLAN, owner):
        raise DxPlanForbidden(message=_("Not found."))
    if not code or len(code) > 60 or not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in code):
        raise DxPlanRefused(message=_("Use lowercase letters, digits and hyphens."), field="code")
    if Initiative.objects.filter(municipality=municipality, code=code).exists():
        raise DxPlanRefused(message=_("Another initiative already uses this code."), field="code")
    _check_status(status)
    initiative = Initiative.objects.create(
        municipality=municipality,
        policy=policy,
        owner=owner,
        code=code,
        titles=_texts(titles, "titles", limit=200),
        descriptions=_texts(descriptions, "descriptions", required=False),
        status=status,
        position=position,
    )
    others = [department for department in other_departments if department.municipality_id == municipality.pk]
    initiative.other_departments.set([department for department in others if department.pk != owner.pk])
    initiative.kpis.set(_kpis(municipality, kpi_codes))
    audit_record(
        municipality=municipality,
        actor=actor,
        action="dxplan.initiative_create",
        target_type="dx_initiative",
        target_id=initiative.pk,
        after={"code": code, "owner": owner.code, "status": status},
    )
    return initiative


@transaction.atomic
def initiative_update(
    *,
    initiative: Initiative,
    actor: User | None,
    titles: Mapping[str, str],
    descriptions: Mapping[str, str],
    status: str,
    kpi_codes: Iterable[str] | None = None,
) -> Initiative:
    """Change an initiative's texts, status and linked KPIs (its owner stays)."""
    _check_actor(actor, initiative)
    _check_status(status)
    before = {"titles": initiative.titles, "status": initiative.status}
    initiative.titles = _texts(titles, "titles", limit=200)
    initiative.descriptions = _texts(descriptions, "descriptions", required=False)
    initiative.status = status
    initiative.save(update_fields=["titles", "descriptions", "status", "updated_at"])
    if kpi_codes is not None:
        initiative.kpis.set(_kpis(initiative.municipality, kpi_codes))
    audit_record(
        municipality=initiative.municipality,
        actor=actor,
        action="dxplan.initiative_update",
        target_type="dx_initiative",
        target_id=initiative.pk,
        before=before,
        after={"titles": initiative.titles, "status": status},
    )
    return initiative


# ---- targets and milestones ------------------------------------------------------------------


@transaction.atomic
def target_put(
    *,
    initiative: Initiative,
    fiscal_year: int,
    texts: Mapping[str, str],
    value: Decimal | str | None,
    unit: str,
    actor: User | None,
) -> FiscalYearTarget:
    """The initiative's target for a fiscal year, created or replaced."""
    _check_actor(actor, initiative)
    _check_year(fiscal_year)
    number: Decimal | None = None
    if value not in (None, ""):
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:
            raise DxPlanRefused(message=_("Write a number, or leave it empty."), field="value") from exc
        if not number.is_finite() or abs(number) >= Decimal("1e10"):
            raise DxPlanRefused(message=_("Write a number, or leave it empty."), field="value")
    if len(unit) > 20:
        raise DxPlanRefused(message=_("Keep it to %(limit)s characters."), field="unit", params={"limit": 20})
    target, created = FiscalYearTarget.objects.update_or_create(
        initiative=initiative,
        fiscal_year=fiscal_year,
        defaults={
            "municipality_id": initiative.municipality_id,
            "texts": _texts(texts, "texts", limit=500),
            "value": number,
            "unit": unit.strip(),
        },
    )
    audit_record(
        municipality=initiative.municipality,
        actor=actor,
        action="dxplan.target_put",
        target_type="dx_target",
        target_id=target.pk,
        after={"initiative": initiative.code, "fiscal_year": fiscal_year, "created": created},
    )
    return target


@transaction.atomic
def milestone_add(
    *, initiative: Initiative, titles: Mapping[str, str], due_on: dt.date | None, actor: User | None
) -> Milestone:
    _check_actor(actor, initiative)
    if due_on is None:
        raise DxPlanRefused(message=_("Enter the date it is due."), field="due_on")
    milestone = Milestone.objects.create(
        municipality_id=initiative.municipality_id,
        initiative=initiative,
        titles=_texts(titles, "titles", limit=200),
        due_on=due_on,
    )
    audit_record(
        municipality=initiative.municipality,
        actor=actor,
        action="dxplan.milestone_add",
        target_type="dx_milestone",
        target_id=milestone.pk,
        after={"initiative": initiative.code, "due_on": due_on.isoformat()},
    )
    return milestone


@transaction.atomic
def milestone_update(
    *, milestone: Milestone, due_on: dt.date | None, done_on: dt.date | None, actor: User | None
) -> Milestone:
    """Move a milestone's due date or record when it was reached (not in the future)."""
    _check_actor(actor, milestone.initiative)
    if due_on is None:
        raise DxPlanRefused(message=_("Enter the date it is due."), field="due_on")
    if done_on is not None and done_on > timezone.localdate():
        raise DxPlanRefused(message=_("The date it was done cannot be in the future."), field="done_on")
    before = {
        "due_on": milestone.due_on.isoformat(),
        "done_on": milestone.done_on.isoformat() if milestone.done_on else None,
    }
    milestone.due_on = due_on
    milestone.done_on = done_on
    milestone.save(update_fields=["due_on", "done_on", "updated_at"])
    audit_record(
        municipality=milestone.initiative.municipality,
        actor=actor,
        action="dxplan.milestone_update",
        target_type="dx_milestone",
        target_id=milestone.pk,
        before=before,
        after={"due_on": due_on.isoformat(), "done_on": done_on.isoformat() if done_on else None},
    )
    return milestone


# ---- progress notes --------------------------------------------------------------------------


def _check_quarter(fiscal_year: int, quarter: int) -> None:
    _check_year(fiscal_year)
    if quarter not in (1, 2, 3, 4):
        raise DxPlanRefused(message=_("Choose a quarter."), field="quarter")
    if (fiscal_year, quarter) > fiscal_quarter_of(timezone.localdate()):
        raise DxPlanRefused(message=_("A note reports a quarter that has begun."), field="quarter")


@transaction.atomic
def note_create(
    *,
    initiative: Initiative,
    fiscal_year: int,
    quarter: int,
    status: str,
    texts: Mapping[str, str],
    actor: User | None,
    corrects: ProgressNote | None = None,
) -> ProgressNote:
    """A quarter's progress note as a draft (nothing is public until it is published)."""
    _check_actor(actor, initiative)
    _check_quarter(fiscal_year, quarter)
    _check_status(status)
    if corrects is not None and (corrects.initiative_id != initiative.pk or not corrects.is_published):
        raise DxPlanRefused(message=_("Choose a published note of this initiative."), field="corrects")
    note = ProgressNote.objects.create(
        municipality_id=initiative.municipality_id,
        initiative=initiative,
        fiscal_year=fiscal_year,
        quarter=quarter,
        status=status,
        texts=_texts(texts, "texts"),
        author=actor,
        corrects=corrects,
    )
    audit_record(
        municipality=initiative.municipality,
        actor=actor,
        action="dxplan.note_create",
        target_type="dx_note",
        target_id=note.pk,
        after={
            "initiative": initiative.code,
            "fiscal_year": fiscal_year,
            "quarter": quarter,
            "status": status,
        },
    )
    return note


@transaction.atomic
def note_update(
    *,
    note: ProgressNote,
    fiscal_year: int,
    quarter: int,
    status: str,
    texts: Mapping[str, str],
    actor: User | None,
) -> ProgressNote:
    """Change a draft note; a published one is never changed (write a correction instead)."""
    _check_actor(actor, note.initiative)
    locked = ProgressNote.objects.select_for_update().get(pk=note.pk)
    if locked.is_published:
        raise DxPlanRefused(
            message=_("A published note is not changed. Write a new note that corrects it."), field="texts"
        )
    _check_quarter(fiscal_year, quarter)
    _check_status(status)
    locked.fiscal_year, locked.quarter, locked.status = fiscal_year, quarter, status
    locked.texts = _texts(texts, "texts")
    locked.save(update_fields=["fiscal_year", "quarter", "status", "texts", "updated_at"])
    audit_record(
        municipality=note.initiative.municipality,
        actor=actor,
        action="dxplan.note_update",
        target_type="dx_note",
        target_id=note.pk,
        after={"fiscal_year": fiscal_year, "quarter": quarter, "status": status},
    )
    return locked


@transaction.atomic
def note_publish(
    *, note: ProgressNote, actor: User | None, at: dt.datetime | None = None, refresh_dataset: bool = True
) -> ProgressNote:
    """Publish a draft note for everyone (irreversible); the initiative takes the note's status
    when the note is its latest quarter's.

    The plan's open dataset is regenerated after the commit (a loader publishing many notes passes
    ``refresh_dataset=False`` and refreshes once at the end).
    """
    _check_actor(actor, note.initiative)
    locked = ProgressNote.objects.select_for_update().get(pk=note.pk)
    if locked.is_published:
        raise DxPlanRefused(message=_("This note is already published."), field="texts")
    locked.published_at = at or timezone.now()
    locked.save(update_fields=["published_at", "updated_at"])
    initiative = locked.initiative
    before = initiative.status
    latest = (
        ProgressNote.objects.filter(initiative=initiative, published_at__isnull=False)
        .order_by("-fiscal_year", "-quarter", "-published_at", "-id")
        .first()
    )
    # Only the latest quarter's note sets the current status (a late note on an old quarter does not).
    if latest is not None and latest.pk == locked.pk and initiative.status != locked.status:
        initiative.status = locked.status
        initiative.save(update_fields=["status", "updated_at"])
    audit_record(
        municipality=initiative.municipality,
        actor=actor,
        action="dxplan.note_publish",
        target_type="dx_note",
        target_id=locked.pk,
        before={"initiative_status": before},
        after={"initiative_status": initiative.status, "published_at": locked.published_at.isoformat()},
    )
    municipality_id = initiative.municipality_id
    if refresh_dataset:
        transaction.on_commit(lambda: _enqueue_dataset_refresh(municipality_id))
    return locked


# ---- the plan as open data -------------------------------------------------------------------


CSV_COLUMNS = [
    "基本方針番号",
    "基本方針",
    "施策コード",
    "施策名",
    "施策名（英語）",
    "担当課",
    "関係課",
    "状況",
    "2025年度目標",
    "2026年度目標",
    "2027年度目標",
    "最新の進捗（年度）",
    "最新の進捗（四半期）",
    "最新の進捗",
]


def plan_document(*, municipality: Municipality) -> dict[str, Any]:
    """The whole plan as published: policies, initiatives, targets, milestones, published notes.

    Texts in every language kept; no staff names (authors are not published).
    """
    policies = BasicPolicy.objects.filter(municipality=municipality).prefetch_related(
        "initiatives__owner",
        "initiatives__other_departments",
        "initiatives__kpis",
        "initiatives__targets",
        "initiatives__milestones",
    )
    notes: dict[int, list[ProgressNote]] = {}
    for note in ProgressNote.objects.filter(municipality=municipality, published_at__isnull=False).order_by(
        "fiscal_year", "quarter", "published_at", "id"
    ):
        notes.setdefault(note.initiative_id, []).append(note)
    return {
        "municipality": {"code": municipality.code, "name": municipality.name},
        "policies": [
            {
                "number": policy.number,
                "titles": policy.titles,
                "descriptions": policy.descriptions,
                "initiatives": [
                    {
                        "code": initiative.code,
                        "titles": initiative.titles,
                        "descriptions": initiative.descriptions,
                        "owner": {
                            "code": initiative.owner.code,
                            "name": initiative.owner.name,
                            "name_en": initiative.owner.name_en,
                        },
                        "other_departments": [
                            {"code": department.code, "name": department.name, "name_en": department.name_en}
                            for department in initiative.other_departments.all()
                        ],
                        "kpis": [kpi.code for kpi in initiative.kpis.all()],
                        "status": initiative.status,
                        "targets": [
                            {
                                "fiscal_year": target.fiscal_year,
                                "texts": target.texts,
                                "value": None if target.value is None else str(target.value),
                                "unit": target.unit,
                            }
                            for target in initiative.targets.all()
                        ],
                        "milestones": [
                            {
                                "titles": milestone.titles,
                                "due_on": milestone.due_on.isoformat(),
                                "done_on": milestone.done_on.isoformat() if milestone.done_on else None,
                            }
                            for milestone in initiative.milestones.all()
                        ],
                        "progress": [
                            {
                                "fiscal_year": note.fiscal_year,
                                "quarter": note.quarter,
                                "status": note.status,
                                "texts": note.texts,
                                "published_at": note.published_at.isoformat() if note.published_at else None,
                                "corrects_published_at": (
                                    note.corrects.published_at.isoformat()
                                    if note.corrects and note.corrects.published_at
                                    else None
                                ),
                            }
                            for note in notes.get(initiative.pk, [])
                        ],
                    }
                    for initiative in policy.initiatives.all()
                ],
            }
            for policy in policies
        ],
    }


STATUS_JA = {
    Status.NOT_STARTED: "未着手",
    Status.ON_TRACK: "順調",
    Status.DELAYED: "遅れ",
    Status.AT_RISK: "要注意",
    Status.DONE: "完了",
}


def plan_csv(document: Mapping[str, Any]) -> bytes:
    """One row per initiative, in Japanese, UTF-8 with BOM (opens in Excel as it is)."""
    rows: list[list[Any]] = [list(CSV_COLUMNS)]
    for policy in document["policies"]:
        for initiative in policy["initiatives"]:
            targets = {target["fiscal_year"]: target for target in initiative["targets"]}
            latest = initiative["progress"][-1] if initiative["progress"] else None

            def target_text(year: int, targets: dict[int, Any] = targets) -> str:
                target = targets.get(year)
                return target["texts"].get("ja", "") if target else ""

            row = [
                policy["number"],
                policy["titles"].get("ja", ""),
                initiative["code"],
                initiative["titles"].get("ja", ""),
                initiative["titles"].get("en", ""),
                initiative["owner"]["name"],
                "・".join(department["name"] for department in initiative["other_departments"]),
                STATUS_JA[Status(initiative["status"])],
                target_text(2025),
                target_text(2026),
                target_text(2027),
                latest["fiscal_year"] if latest else "",
                latest["quarter"] if latest else "",
                latest["texts"].get("ja", "") if latest else "",
            ]
            rows.append(row)
    # csv_text keeps a cell beginning like a formula as text (spreadsheets would run it).
    return csv_text(rows, bom=True).encode("utf-8")


def _publisher(municipality: Municipality) -> Department | None:
    first = (
        Initiative.objects.filter(municipality=municipality, policy__number=3)
        .select_related("owner")
        .order_by("position", "id")
        .first()
    ) or Initiative.objects.filter(municipality=municipality).select_related("owner").first()
    return first.owner if first else None


def plan_dataset_refresh(*, municipality: Municipality) -> Dataset | None:
    """Publish (or update) the plan's open dataset: a CSV of the initiatives and the whole plan as JSON.

    Returns the dataset, or None when there is no plan yet.
    """
    department = _publisher(municipality)
    if department is None:
        return None
    document = plan_document(municipality=municipality)
    files = [
        GeneratedFile(
            names={"ja": "施策ごとの進捗（CSV）", "en": "Progress by initiative (CSV)"},
            filename="dx-action-plan-progress.csv",
            format="CSV",
            content=plan_csv(document),
        ),
        GeneratedFile(
            names={"ja": "計画の全体（JSON）", "en": "The whole plan (JSON)"},
            filename="dx-action-plan.json",
            format="JSON",
            content=json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"),
        ),
    ]
    return generated_dataset_put(
        municipality=municipality,
        name=DATASET_NAME,
        titles={"ja": f"{municipality.name} DX実行計画の進捗状況", "en": "Progress of the DX action plan"},
        descriptions={
            "ja": (
                "DX基本方針（IDXビジョン）の3つの基本方針に基づく施策ごとに、担当課、状況、年度ごとの目標、"
                "マイルストーン、公表した四半期ごとの進捗を載せています。進捗を公表するたびに更新します。"
            ),
            "en": (
                "For each initiative under the three basic policies of the city's DX vision: the owner "
                "department, status, yearly targets, milestones and the published quarterly progress. "
                "Updated whenever progress is published."
            ),
        },
        department=department,
        theme="administration",
        tags=["DX", "行政計画", "進捗管理"],
        license_id="cc-by-4.0",
        frequency="QUARTERLY",
        files=files,
    )


def _enqueue_dataset_refresh(municipality_id: int) -> None:
    """After a note is published (and committed): the dataset is regenerated as a task, so a
    failure there never undoes the note; the next publication, or ``plan_dataset_refresh``,
    brings the dataset up to date."""
    import logging

    from idx.dxplan.tasks import plan_dataset_refresh as refresh_task

    try:
        refresh_task.enqueue(municipality_id)
    except Exception:  # the note stays published; the dataset catches up next time
        logging.getLogger(__name__).exception("could not queue the DX plan's open dataset refresh")
