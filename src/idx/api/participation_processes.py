"""Participation themes (テーマ) and their phases for staff in the JSON API: list, draft, edit, add,
change or remove phases, and publish (irreversible: ``"confirm": true``).

Only staff with ``MANAGE_PARTICIPATION`` over a theme's department see it (anything else is 404).
Texts are language maps over the portal's languages (``ja``, ``ja-easy``, ``en``, ``pt-br``,
``vi``, ``zh-hans``, ``es``, ``fil``); only the Japanese title is required. A wrong input answers
422 naming its field (``title-ja``, ``slug``, ``ends_on`` …); a change to what residents of a
published theme have already lived through (an ended phase, the first day of an open one) 409.

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus

from idx.api.base import ApiRequest, ErrorOut, require_staff
from idx.api.fields import IsoDate, StrictBool, StrictInt
from idx.identity.models import Department, User
from idx.identity.policy import Action, can
from idx.participation import process_editing, selectors
from idx.participation.models import Phase, Process
from idx.participation.services import NotFound

staff: Router = Router(tags=["staff"])

LANGUAGE_MAP = "Texts per language: keys ja, ja-easy, en, pt-br, vi, zh-hans, es, fil"


class ParticipationThemePhaseOut(Schema):
    id: int
    kind: str = Field(description="information, proposals, debate, supports, budgeting, results or follow_up")
    starts_on: dt.date
    ends_on: dt.date
    rules: dict[str, str] = Field(description=LANGUAGE_MAP)
    budget_total: int | None = Field(description="Yen residents distribute (budgeting phases only)")


class ParticipationThemeMissingOut(Schema):
    language: str
    texts: list[str] = Field(description="The texts written in Japanese but not in this language")


class ParticipationThemeOut(Schema):
    id: int
    slug: str
    department: str = Field(description="The department's code")
    status: str = Field(description="draft or published")
    titles: dict[str, str] = Field(description=LANGUAGE_MAP)
    descriptions: dict[str, str] = Field(description=LANGUAGE_MAP)
    supports_need_card: bool
    supports_per_resident: int = Field(description="0 = no limit")
    published_at: dt.datetime | None
    phases: list[ParticipationThemePhaseOut]
    missing_translations: list[ParticipationThemeMissingOut]
    publish_problems: list[str] = Field(
        description="What stops a draft from being published (empty: nothing)"
    )


class ParticipationThemeIn(Schema):
    department: str = Field(
        max_length=100, description="The code of a department you manage participation for"
    )
    slug: str = Field(max_length=100, description="The address on the portal, e.g. ueno-akiya")
    titles: dict[str, str] = Field(description=LANGUAGE_MAP + "; ja required")
    descriptions: dict[str, str] = Field(default_factory=dict, description=LANGUAGE_MAP)
    supports_need_card: StrictBool = False
    supports_per_resident: StrictInt = Field(default=10, description="0 to 1000; 0 = no limit")


class ParticipationThemeUpdateIn(Schema):
    slug: str | None = Field(
        default=None, max_length=100, description="Omit to keep; a published theme keeps its address"
    )
    titles: dict[str, str] = Field(description=LANGUAGE_MAP + "; ja required")
    descriptions: dict[str, str] = Field(default_factory=dict, description=LANGUAGE_MAP)
    supports_need_card: StrictBool | None = None
    supports_per_resident: StrictInt | None = None


class ParticipationThemePhaseIn(Schema):
    kind: str = Field(
        max_length=40, description="information, proposals, debate, supports, budgeting, results or follow_up"
    )
    starts_on: IsoDate
    ends_on: IsoDate
    rules: dict[str, str] = Field(default_factory=dict, description=LANGUAGE_MAP)
    budget_total: StrictInt | None = Field(default=None, description="Yen; required for a budgeting phase")


class ParticipationThemePublishIn(Schema):
    confirm: StrictBool = Field(description="Must be true: publishing cannot be undone")


def _phase(phase: Phase) -> dict[str, Any]:
    return {
        "id": phase.pk,
        "kind": phase.kind,
        "starts_on": phase.starts_on,
        "ends_on": phase.ends_on,
        "rules": phase.rules,
        "budget_total": phase.budget_total,
    }


def _theme(process: Process) -> dict[str, Any]:
    phases = list(process.phases.all())  # prefetched by the selector
    return {
        "id": process.pk,
        "slug": process.slug,
        "department": process.department.code,
        "status": process.status,
        "titles": process.titles,
        "descriptions": process.descriptions,
        "supports_need_card": process.supports_need_card,
        "supports_per_resident": process.supports_per_resident,
        "published_at": process.published_at,
        "phases": [_phase(phase) for phase in phases],
        "missing_translations": [
            {"language": row.code, "texts": row.texts}
            for row in process_editing.missing_translations(process, phases)
        ],
        "publish_problems": process_editing.publish_problems(process, phases)
        if process.status == "draft"
        else [],
    }


def _manager(request: ApiRequest) -> User:
    member = require_staff(request)
    if not can(member, Action.MANAGE_PARTICIPATION):
        raise NotFound(message="Not found.")
    return member


def _get(request: ApiRequest, theme_id: int) -> Process:
    member = _manager(request)
    process = selectors.process_get_for_staff(staff=member, pk=theme_id)
    if process is None or not can(member, Action.MANAGE_PARTICIPATION, process.department):
        raise NotFound(message="Not found.")
    return process


def _get_phase(process: Process, phase_id: int) -> Phase:
    phase = Phase.objects.filter(process=process, pk=phase_id).select_related("process__department").first()
    if phase is None:
        raise NotFound(message="Not found.")
    return phase


WRITE_ANSWERS: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@staff.get(
    "/participation/themes",
    response={200: list[ParticipationThemeOut], 404: ErrorOut},
    url_name="staff_participation_themes",
)
def theme_list(request: ApiRequest) -> Any:
    """The themes of the departments you manage participation for, newest first (at most 200)."""
    member = _manager(request)
    processes = [
        process
        for process in selectors.process_list_for_staff(staff=member)
        .prefetch_related("phases")
        .order_by("-created_at")[:200]
        if can(member, Action.MANAGE_PARTICIPATION, process.department)
    ]
    return [_theme(process) for process in processes]


@staff.post(
    "/participation/themes",
    response={201: ParticipationThemeOut, **WRITE_ANSWERS},
    url_name="staff_participation_theme_create",
)
def theme_create(request: ApiRequest, payload: ParticipationThemeIn) -> Any:
    """Draft a theme (no phases yet; residents see nothing until it is published)."""
    member = _manager(request)
    department = Department.objects.filter(municipality=member.municipality, code=payload.department).first()
    if department is None or not can(member, Action.MANAGE_PARTICIPATION, department):
        raise process_editing.ProcessEditRefused(
            message="Choose a department you manage participation for.", field="department"
        )
    process = process_editing.process_draft_create(
        staff=member,
        department=department,
        slug=payload.slug,
        titles=payload.titles,
        descriptions=payload.descriptions,
        supports_need_card=payload.supports_need_card,
        supports_per_resident=payload.supports_per_resident,
    )
    return HttpStatus(201, _theme(_get(request, process.pk)))


@staff.get(
    "/participation/themes/{theme_id}",
    response={200: ParticipationThemeOut, 404: ErrorOut},
    url_name="staff_participation_theme",
)
def theme_detail(request: ApiRequest, theme_id: int) -> Any:
    return _theme(_get(request, theme_id))


@staff.put(
    "/participation/themes/{theme_id}",
    response={200: ParticipationThemeOut, **WRITE_ANSWERS},
    url_name="staff_participation_theme_update",
)
def theme_update(request: ApiRequest, theme_id: int, payload: ParticipationThemeUpdateIn) -> Any:
    """Replace the theme's texts (every language sent; one left out is removed) and settings."""
    process = _get(request, theme_id)
    process_editing.process_update(
        staff=request.auth,
        process=process,
        titles=payload.titles,
        descriptions=payload.descriptions,
        slug=payload.slug,
        supports_need_card=payload.supports_need_card,
        supports_per_resident=payload.supports_per_resident,
    )
    return _theme(_get(request, theme_id))


@staff.post(
    "/participation/themes/{theme_id}/phases",
    response={201: ParticipationThemePhaseOut, **WRITE_ANSWERS},
    url_name="staff_participation_phase_add",
)
def phase_add(request: ApiRequest, theme_id: int, payload: ParticipationThemePhaseIn) -> Any:
    process = _get(request, theme_id)
    phase = process_editing.phase_add(
        staff=request.auth,
        process=process,
        kind=payload.kind,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        rules=payload.rules,
        budget_total=payload.budget_total,
    )
    return HttpStatus(201, _phase(phase))


@staff.put(
    "/participation/themes/{theme_id}/phases/{phase_id}",
    response={200: ParticipationThemePhaseOut, **WRITE_ANSWERS},
    url_name="staff_participation_phase_update",
)
def phase_update(
    request: ApiRequest, theme_id: int, phase_id: int, payload: ParticipationThemePhaseIn
) -> Any:
    phase = _get_phase(_get(request, theme_id), phase_id)
    phase = process_editing.phase_update(
        staff=request.auth,
        phase=phase,
        kind=payload.kind,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        rules=payload.rules,
        budget_total=payload.budget_total,
    )
    return _phase(phase)


@staff.delete(
    "/participation/themes/{theme_id}/phases/{phase_id}",
    response={204: None, 404: ErrorOut, 409: ErrorOut},
    url_name="staff_participation_phase_remove",
)
def phase_remove(request: ApiRequest, theme_id: int, phase_id: int) -> Any:
    """Remove a draft's phase, or a published theme's phase that has not begun."""
    phase = _get_phase(_get(request, theme_id), phase_id)
    process_editing.phase_remove(staff=request.auth, phase=phase)
    return HttpStatus(204, None)


@staff.post(
    "/participation/themes/{theme_id}/publish",
    response={200: ParticipationThemeOut, **WRITE_ANSWERS},
    url_name="staff_participation_theme_publish",
)
def theme_publish(request: ApiRequest, theme_id: int, payload: ParticipationThemePublishIn) -> Any:
    """Publish a complete draft (a Japanese title and description, at least one phase); irreversible."""
    process = _get(request, theme_id)
    if not payload.confirm:
        raise process_editing.ProcessEditRefused(
            message="Send confirm: true to publish the theme.", code="confirm_required", field="confirm"
        )
    process_editing.process_publish(staff=request.auth, process=process)
    return _theme(_get(request, theme_id))
