"""The DX action plan in the JSON API.

Public (no sign-in): the plan with published progress notes only, never a staff member's name.
Staff (``VIEW_DASHBOARDS``): the whole plan with drafts, authors and the linked KPIs' current
values; those with ``EDIT_DX_PLAN`` over an initiative's owner department write quarterly notes
and publish them (irreversible: the request must say ``"confirm": true``).

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status as HttpStatus

from idx.api.base import ApiRequest, ErrorOut, require_staff
from idx.api.fields import IsoDate, StrictBool, StrictInt
from idx.common.models import Municipality
from idx.dxplan import selectors, services
from idx.dxplan.models import Initiative, ProgressNote, Status
from idx.identity.models import User
from idx.identity.policy import Action, can

router: Router = Router(tags=["dxplan"], auth=None)
staff: Router = Router(tags=["staff"])


class PlanDepartmentOut(Schema):
    code: str
    name: str
    name_en: str


class TargetOut(Schema):
    fiscal_year: int
    texts: dict[str, str]
    value: str | None = Field(
        description="The figure aimed at, as a decimal string; null when the target is in words only"
    )
    unit: str


class MilestoneOut(Schema):
    titles: dict[str, str]
    due_on: dt.date
    done_on: dt.date | None


class NoteOut(Schema):
    id: int
    fiscal_year: int
    quarter: int = Field(description="1 = April to June … 4 = January to March")
    status: str
    texts: dict[str, str]
    published_at: dt.datetime | None
    corrects: int | None = Field(description="The id of the published note this one corrects")


class StaffNoteOut(NoteOut):
    author: str | None
    may_publish: bool


class PlanKpiOut(Schema):
    code: str
    names: dict[str, str]
    value: str | None
    target: str | None
    on_track: bool | None


class InitiativeOut(Schema):
    code: str
    policy: int
    titles: dict[str, str]
    descriptions: dict[str, str]
    owner: PlanDepartmentOut
    other_departments: list[PlanDepartmentOut]
    status: str = Field(description="not_started, on_track, delayed, at_risk or done")
    status_label: str
    kpis: list[str]
    targets: list[TargetOut]
    milestones: list[MilestoneOut]
    notes: list[NoteOut] = Field(description="Published notes, the latest quarter first")


class StaffInitiativeOut(InitiativeOut):
    kpi_values: list[PlanKpiOut]
    notes: list[StaffNoteOut] = Field(description="All notes, drafts too, the latest quarter first")  # type: ignore[assignment]
    may_edit: bool


class PolicyOut(Schema):
    number: int
    titles: dict[str, str]
    descriptions: dict[str, str]
    initiatives: list[InitiativeOut]


class StaffPolicyOut(PolicyOut):
    initiatives: list[StaffInitiativeOut]  # type: ignore[assignment]


class PlanOut(Schema):
    municipality: str
    dataset: str | None = Field(description="The plan's open dataset (name in the catalog), once published")
    policies: list[PolicyOut]


class StaffPlanOut(PlanOut):
    policies: list[StaffPolicyOut]  # type: ignore[assignment]


class NoteIn(Schema):
    fiscal_year: StrictInt = Field(ge=2021, le=2100)
    quarter: StrictInt = Field(ge=1, le=4)
    status: str = Field(description="not_started, on_track, delayed, at_risk or done")
    texts: dict[str, str] = Field(description='{"ja": …, "en": …}; Japanese required')
    corrects: StrictInt | None = Field(
        default=None, description="A published note of the initiative this one corrects"
    )


class InitiativeIn(Schema):
    titles: dict[str, str] = Field(description='{"ja": …, "ja-easy": …, "en": …}; Japanese required')
    descriptions: dict[str, str] = {}
    status: str = Field(description="not_started, on_track, delayed, at_risk or done")
    kpis: list[str] | None = Field(
        default=None, description="KPI codes to link; null leaves them as they are"
    )


class TargetIn(Schema):
    texts: dict[str, str] = Field(description='{"ja": …, "en": …}; Japanese required')
    value: str | None = Field(default=None, description="The figure aimed at, as a decimal string, or null")
    unit: str = Field(default="", max_length=20)


class MilestoneIn(Schema):
    titles: dict[str, str] = Field(description='{"ja": …, "en": …}; Japanese required')
    due_on: IsoDate


class MilestoneUpdateIn(Schema):
    due_on: IsoDate
    done_on: IsoDate | None = Field(
        default=None, description="When it was reached (not in the future), or null"
    )


class MilestoneIdOut(MilestoneOut):
    id: int


class PublishIn(Schema):
    confirm: StrictBool = Field(description="Must be true: a published note is public for good")


def _department(department: Any) -> dict[str, str]:
    return {"code": department.code, "name": department.name, "name_en": department.name_en}


def _number(value: Any) -> str | None:
    return None if value is None else str(value)


def _note(note: ProgressNote) -> dict[str, Any]:
    return {
        "id": note.pk,
        "fiscal_year": note.fiscal_year,
        "quarter": note.quarter,
        "status": note.status,
        "texts": note.texts,
        "published_at": note.published_at,
        "corrects": note.corrects_id,
    }


def _staff_note(note: ProgressNote, may_edit: bool) -> dict[str, Any]:
    return {
        **_note(note),
        "author": note.author.full_name if note.author else None,
        "may_publish": may_edit and not note.is_published,
    }


def _initiative(item: selectors.InitiativeView, *, for_staff: bool) -> dict[str, Any]:
    initiative: Initiative = item.initiative
    out: dict[str, Any] = {
        "code": initiative.code,
        "policy": initiative.policy.number,
        "titles": initiative.titles,
        "descriptions": initiative.descriptions,
        "owner": _department(initiative.owner),
        "other_departments": [_department(department) for department in initiative.other_departments.all()],
        "status": initiative.status,
        "status_label": str(Status(initiative.status).label),
        "kpis": [kpi.code for kpi in initiative.kpis.all() if for_staff or kpi.is_public],
        "targets": [
            {
                "fiscal_year": target.fiscal_year,
                "texts": target.texts,
                "value": _number(target.value),
                "unit": target.unit,
            }
            for target in initiative.targets.all()
        ],
        "milestones": [
            {"titles": milestone.titles, "due_on": milestone.due_on, "done_on": milestone.done_on}
            for milestone in initiative.milestones.all()
        ],
    }
    if for_staff:
        out["notes"] = [_staff_note(note, item.may_edit) for note in initiative.notes.all()]
        out["may_edit"] = item.may_edit
        out["kpi_values"] = [
            {
                "code": line.kpi.code,
                "names": line.kpi.names,
                "value": _number(line.value),
                "target": _number(line.target),
                "on_track": line.on_track,
            }
            for line in item.kpis
        ]
    else:
        out["notes"] = [_note(note) for note in initiative.notes.all() if note.is_published]
    return out


def _plan(
    municipality: Municipality, groups: list[selectors.PolicyView], *, for_staff: bool
) -> dict[str, Any]:
    return {
        "municipality": municipality.code,
        "dataset": selectors.plan_dataset_name()
        if selectors.plan_dataset_published(municipality=municipality)
        else None,
        "policies": [
            {
                "number": group.policy.number,
                "titles": group.policy.titles,
                "descriptions": group.policy.descriptions,
                "initiatives": [_initiative(item, for_staff=for_staff) for item in group.initiatives],
            }
            for group in groups
        ],
    }


@router.get("/dx-plan", response=PlanOut, auth=None)
def public_plan(request: ApiRequest) -> Any:
    """The DX action plan: basic policies, initiatives, targets, milestones and published progress."""
    groups = selectors.plan_overview(
        municipality=request.municipality, published_only=True, with_kpi_values=False
    )
    return _plan(request.municipality, groups, for_staff=False)


@router.get("/dx-plan/initiatives/{code}", response={200: InitiativeOut, 404: ErrorOut}, auth=None)
def public_initiative(request: ApiRequest, code: str) -> Any:
    item = selectors.initiative_detail(municipality=request.municipality, code=code[:60], published_only=True)
    if item is None:
        raise HttpError(404, "No such initiative.")
    return _initiative(item, for_staff=False)


def _viewer(request: ApiRequest) -> User:
    user = require_staff(request)
    if not can(user, Action.VIEW_DASHBOARDS):
        raise HttpError(404, "Not found.")
    return user


@staff.get("/dx-plan", response={200: StaffPlanOut, 404: ErrorOut})
def staff_plan(request: ApiRequest, policy: int | None = None, department: str = "", status: str = "") -> Any:
    """The whole plan of the municipality for the 推進本部: drafts, authors, KPI values; filters as on the page."""
    user = _viewer(request)
    filters = selectors.Filters(
        policy=policy, department=department[:40], status=status if status in Status.values else ""
    )
    groups = selectors.plan_overview(municipality=request.municipality, filters=filters, staff=user)
    return _plan(request.municipality, groups, for_staff=True)


@staff.get("/dx-plan/initiatives/{code}", response={200: StaffInitiativeOut, 404: ErrorOut})
def staff_initiative(request: ApiRequest, code: str) -> Any:
    user = _viewer(request)
    item = selectors.initiative_detail(
        municipality=request.municipality, code=code[:60], published_only=False, staff=user
    )
    if item is None:
        raise HttpError(404, "No such initiative.")
    return _initiative(item, for_staff=True)


def _editable(request: ApiRequest, code: str) -> Initiative:
    initiative = selectors.initiative_for_edit(staff=require_staff(request), code=code[:60])
    if initiative is None:
        raise HttpError(404, "Not found.")
    return initiative


@staff.post("/dx-plan/initiatives/{code}/notes", response={201: StaffNoteOut, 404: ErrorOut, 422: ErrorOut})
def staff_note_create(request: ApiRequest, code: str, payload: NoteIn) -> Any:
    """A quarterly progress note as a draft (publish it with …/publish)."""
    initiative = _editable(request, code)
    corrects = None
    if payload.corrects is not None:
        corrects = ProgressNote.objects.filter(initiative=initiative, pk=payload.corrects).first()
        if corrects is None:
            raise HttpError(404, "No such note.")
    note = services.note_create(
        initiative=initiative,
        fiscal_year=payload.fiscal_year,
        quarter=payload.quarter,
        status=payload.status,
        texts=payload.texts,
        actor=request.auth,
        corrects=corrects,
    )
    return HttpStatus(201, _staff_note(note, True))


@staff.post(
    "/dx-plan/initiatives/{code}/notes/{note_id}/publish",
    response={200: StaffNoteOut, 404: ErrorOut, 422: ErrorOut},
)
def staff_note_publish(request: ApiRequest, code: str, note_id: int, payload: PublishIn) -> Any:
    """Publish a draft note: public for good (a mistake is fixed by a correcting note)."""
    note = selectors.note_for_edit(staff=require_staff(request), code=code[:60], note_id=note_id)
    if note is None:
        raise HttpError(404, "No such note.")
    if not payload.confirm:
        raise services.DxPlanRefused(
            message="Publishing cannot be undone: send confirm: true.", field="confirm"
        )
    note = services.note_publish(note=note, actor=request.auth)
    return _staff_note(note, True)


@staff.put("/dx-plan/initiatives/{code}", response={200: StaffInitiativeOut, 404: ErrorOut, 422: ErrorOut})
def staff_initiative_update(request: ApiRequest, code: str, payload: InitiativeIn) -> Any:
    """Change an initiative's texts, status and linked KPIs (its owner department, or the city administrator)."""
    initiative = _editable(request, code)
    services.initiative_update(
        initiative=initiative,
        actor=request.auth,
        titles=payload.titles,
        descriptions=payload.descriptions,
        status=payload.status,
        kpi_codes=payload.kpis,
    )
    return staff_initiative(request, code)


@staff.put(
    "/dx-plan/initiatives/{code}/targets/{fiscal_year}",
    response={200: TargetOut, 404: ErrorOut, 422: ErrorOut},
)
def staff_target_put(request: ApiRequest, code: str, fiscal_year: int, payload: TargetIn) -> Any:
    """The initiative's target for a fiscal year, created or replaced."""
    target = services.target_put(
        initiative=_editable(request, code),
        fiscal_year=fiscal_year,
        texts=payload.texts,
        value=payload.value,
        unit=payload.unit,
        actor=request.auth,
    )
    return {
        "fiscal_year": target.fiscal_year,
        "texts": target.texts,
        "value": _number(target.value),
        "unit": target.unit,
    }


def _milestone(milestone: Any) -> dict[str, Any]:
    return {
        "id": milestone.pk,
        "titles": milestone.titles,
        "due_on": milestone.due_on,
        "done_on": milestone.done_on,
    }


@staff.post(
    "/dx-plan/initiatives/{code}/milestones", response={201: MilestoneIdOut, 404: ErrorOut, 422: ErrorOut}
)
def staff_milestone_add(request: ApiRequest, code: str, payload: MilestoneIn) -> Any:
    milestone = services.milestone_add(
        initiative=_editable(request, code), titles=payload.titles, due_on=payload.due_on, actor=request.auth
    )
    return HttpStatus(201, _milestone(milestone))


@staff.put(
    "/dx-plan/initiatives/{code}/milestones/{milestone_id}",
    response={200: MilestoneIdOut, 404: ErrorOut, 422: ErrorOut},
)
def staff_milestone_update(
    request: ApiRequest, code: str, milestone_id: int, payload: MilestoneUpdateIn
) -> Any:
    """Move a milestone's due date, or record when it was reached."""
    milestone = selectors.milestone_for_edit(
        staff=require_staff(request), code=code[:60], milestone_id=milestone_id
    )
    if milestone is None:
        raise HttpError(404, "No such milestone.")
    milestone = services.milestone_update(
        milestone=milestone, due_on=payload.due_on, done_on=payload.done_on, actor=request.auth
    )
    return _milestone(milestone)
