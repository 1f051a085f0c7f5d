"""Staff writes of a participation theme (テーマ) and its phases: drafted, edited, then published.

Every text residents read is a language map over the portal's eight languages
(``settings.LANGUAGES``); only the Japanese title is required, every other language falls back to
Japanese (``idx.common.i18n.pick``) and is listed as missing where staff look before publishing.

Rules the services keep, whatever front door calls them:

* only staff with ``MANAGE_PARTICIPATION`` over the theme's department (anything else: not found);
* the address (slug) is unique per municipality and fixed once the theme is published;
* a phase ends on or after its first day; the phases of one theme do not overlap and follow the
  order information → proposals → debate → supports or voting → results → follow-up;
* once the theme is published, what residents have already lived through stays as it was: a phase
  that has ended is neither changed nor removed, a phase that has begun keeps its kind and first
  day, and no phase is added or moved into the past;
* a budgeting phase says how much money residents distribute (``budget_total``, yen).

Each service owns its transaction, locks the theme's row while it checks the phases against each
other, and writes one audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.identity.models import Department, User
from idx.identity.policy import Action, can
from idx.participation import services
from idx.participation.models import TITLE_MAX, Phase, PhaseKind, Process, ProcessStatus

DESCRIPTION_MAX = 5000
RULES_MAX = 2000
SUPPORTS_PER_RESIDENT_MAX = 1000
BUDGET_MAX = 10**13  # yen: far above any municipal budget, below the column's limit
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")

# The order phases follow; supports and a budgeting vote are the same step.
KIND_ORDER: dict[str, int] = {
    PhaseKind.INFORMATION: 0,
    PhaseKind.PROPOSALS: 1,
    PhaseKind.DEBATE: 2,
    PhaseKind.SUPPORTS: 3,
    PhaseKind.BUDGETING: 3,
    PhaseKind.RESULTS: 4,
    PhaseKind.FOLLOW_UP: 5,
}


class ProcessEditRefused(DomainError):
    """A wrong input, naming its field (``title-ja``, ``slug``, ``ends_on`` …): 422 in the API."""

    code = "invalid"
    http_status = 422


class PhaseLocked(ProcessEditRefused):
    """A change to what residents have already seen happen (a published theme's past): 409."""

    code = "phase_past"
    http_status = 409


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _today() -> dt.date:
    return timezone.localdate()


def _long(day: dt.date) -> str:
    return date_format(day, "DATE_FORMAT")


def _clean(text: str) -> str:
    """Plain text as typed: line ends normalised, outer blanks removed, NULs dropped."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def _require(staff: User, department: Department) -> None:
    if not can(staff, Action.MANAGE_PARTICIPATION, department):
        raise services.NotFound(message=_("Not found."))


def _texts(
    texts: dict[str, str], *, name: str, limit: int, required: bool, message: str | Promise
) -> dict[str, str]:
    """The language map as stored: known languages only, line ends normalised, empty ones left out."""
    codes = language_codes()
    for code in texts:
        if code not in codes:
            raise ProcessEditRefused(
                message=_("Use the languages of the portal: %(codes)s."),
                params={"codes": ", ".join(codes)},
                field=f"{name}-{str(code)[:20]}",
            )
    cleaned: dict[str, str] = {}
    for code in codes:
        text = _clean(str(texts.get(code) or ""))
        if not text:
            continue
        if len(text) > limit:
            raise ProcessEditRefused(
                message=_("Shorten this text to %(limit)s characters (it has %(count)s)."),
                params={"limit": limit, "count": len(text)},
                field=f"{name}-{code}",
            )
        cleaned[code] = text
    if required and not cleaned.get("ja"):
        raise ProcessEditRefused(message=message, field=f"{name}-ja")
    return cleaned


def _titles(titles: dict[str, str]) -> dict[str, str]:
    return _texts(
        titles, name="title", limit=TITLE_MAX, required=True, message=_("Enter the title in Japanese.")
    )


def _descriptions(descriptions: dict[str, str]) -> dict[str, str]:
    return _texts(descriptions, name="description", limit=DESCRIPTION_MAX, required=False, message="")


def _slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise ProcessEditRefused(
            message=_(
                "Write the address with lowercase letters a–z, digits and hyphens, 1 to 60 characters, "
                "e.g. ueno-akiya."
            ),
            field="slug",
        )
    return slug


def _limit(supports_per_resident: int) -> int:
    if not 0 <= supports_per_resident <= SUPPORTS_PER_RESIDENT_MAX:
        raise ProcessEditRefused(
            message=_("Enter a number from 0 (no limit) to %(max)s."),
            params={"max": SUPPORTS_PER_RESIDENT_MAX},
            field="supports_per_resident",
        )
    return supports_per_resident


def _slug_free(process_pk: int | None, municipality_id: int, slug: str) -> None:
    taken = Process.objects.filter(municipality_id=municipality_id, slug=slug)
    if process_pk is not None:
        taken = taken.exclude(pk=process_pk)
    if taken.exists():
        raise ProcessEditRefused(message=_("This address is already used by another process."), field="slug")


def process_draft_create(
    *,
    staff: User,
    department: Department,
    slug: str,
    titles: dict[str, str],
    descriptions: dict[str, str],
    supports_need_card: bool = False,
    supports_per_resident: int = 10,
) -> Process:
    """A new theme as a draft without phases (residents see nothing of it until it is published)."""
    _require(staff, department)
    slug = _slug(slug)
    cleaned_titles = _titles(titles)
    cleaned_descriptions = _descriptions(descriptions)
    limit = _limit(supports_per_resident)
    _slug_free(None, staff.municipality_id, slug)
    try:
        return services.process_create(
            staff=staff,
            department=department,
            slug=slug,
            titles=cleaned_titles,
            descriptions=cleaned_descriptions,
            phases=[],
            supports_need_card=supports_need_card,
            supports_per_resident=limit,
        )
    except services.ParticipationRefused as exc:  # the address was taken meanwhile
        raise ProcessEditRefused(message=exc.message, field=exc.field or "slug") from exc


def _locked(staff: User, process: Process) -> Process:
    """The theme's row, locked for the transaction, within the staff member's reach."""
    if process.municipality_id != staff.municipality_id:
        raise services.NotFound(message=_("Not found."))
    locked = Process.objects.select_for_update().select_related("department").filter(pk=process.pk).first()
    if locked is None:
        raise services.NotFound(message=_("Not found."))
    _require(staff, locked.department)
    return locked


def process_update(
    *,
    staff: User,
    process: Process,
    titles: dict[str, str],
    descriptions: dict[str, str],
    slug: str | None = None,
    supports_need_card: bool | None = None,
    supports_per_resident: int | None = None,
) -> Process:
    """Change the theme's texts and settings; the address only while it is a draft."""
    _require(staff, process.department)
    cleaned_titles = _titles(titles)
    cleaned_descriptions = _descriptions(descriptions)
    new_slug = _slug(slug) if slug is not None else None
    limit = _limit(supports_per_resident) if supports_per_resident is not None else None
    with transaction.atomic(durable=True):
        locked = _locked(staff, process)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}

        def change(name: str, value: Any) -> None:
            if getattr(locked, name) != value:
                before[name] = getattr(locked, name)
                after[name] = value
                setattr(locked, name, value)

        if new_slug is not None and new_slug != locked.slug:
            if locked.status == ProcessStatus.PUBLISHED:
                raise PhaseLocked(
                    message=_("A published theme keeps its address: residents and links already use it."),
                    field="slug",
                )
            _slug_free(locked.pk, locked.municipality_id, new_slug)
            change("slug", new_slug)
        change("titles", cleaned_titles)
        change("descriptions", cleaned_descriptions)
        if supports_need_card is not None:
            change("supports_need_card", supports_need_card)
        if limit is not None:
            change("supports_per_resident", limit)
        if after:
            locked.save(update_fields=[*after, "updated_at"])
            audit_record(
                municipality=locked.municipality,
                actor=staff,
                action="participation.process_update",
                target_type="participation_process",
                target_id=locked.pk,
                before=before,
                after=after,
            )
    process.refresh_from_db()
    return process


# ---- phases --------------------------------------------------------------------------------------


@dataclass
class PhaseInput:
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    rules: dict[str, str] = field(default_factory=dict)
    budget_total: int | None = None


def _phase_input(
    kind: str, starts_on: dt.date, ends_on: dt.date, rules: dict[str, str], budget_total: int | None
) -> PhaseInput:
    if kind not in PhaseKind.values:
        raise ProcessEditRefused(message=_("Choose a kind of phase."), field="kind")
    if ends_on < starts_on:
        raise ProcessEditRefused(
            message=_("A phase cannot end before it starts (it starts on %(date)s)."),
            params={"date": _long(starts_on)},
            field="ends_on",
        )
    if kind == PhaseKind.BUDGETING:
        if budget_total is None or budget_total <= 0:
            raise ProcessEditRefused(
                message=_("Enter the budget residents distribute, in yen."), field="budget_total"
            )
        if budget_total > BUDGET_MAX:
            raise ProcessEditRefused(
                message=_("Enter a budget of at most %(max)s yen."),
                params={"max": f"{BUDGET_MAX:,}"},
                field="budget_total",
            )
    else:
        budget_total = None
    cleaned_rules = _texts(rules, name="rules", limit=RULES_MAX, required=False, message="")
    return PhaseInput(kind, starts_on, ends_on, cleaned_rules, budget_total)


def _fits(process: Process, new: PhaseInput, *, replacing: Phase | None) -> None:
    """The new or changed phase among the theme's others: no overlap, the order of kinds kept."""
    others = [
        phase
        for phase in Phase.objects.filter(process=process)
        if replacing is None or phase.pk != replacing.pk
    ]
    for other in others:
        if new.starts_on <= other.ends_on and other.starts_on <= new.ends_on:
            raise ProcessEditRefused(
                message=_("The dates overlap the “%(kind)s” phase (%(start)s – %(end)s)."),
                params={
                    "kind": PhaseKind(other.kind).label,
                    "start": _long(other.starts_on),
                    "end": _long(other.ends_on),
                },
                field="starts_on",
            )
    rank = KIND_ORDER[new.kind]
    for other in others:
        other_rank = KIND_ORDER[other.kind]
        misplaced = (other.ends_on < new.starts_on and other_rank > rank) or (
            other.starts_on > new.ends_on and other_rank < rank
        )
        if misplaced:
            params = {"kind": PhaseKind(new.kind).label, "other": PhaseKind(other.kind).label}
            if other.ends_on < new.starts_on:
                message = _(
                    "Phases follow the order information, proposals, debate, supports or voting, results, "
                    "follow-up: a “%(kind)s” phase cannot come after the “%(other)s” phase."
                )
            else:
                message = _(
                    "Phases follow the order information, proposals, debate, supports or voting, results, "
                    "follow-up: a “%(kind)s” phase cannot come before the “%(other)s” phase."
                )
            raise ProcessEditRefused(message=message, params=params, field="kind")


def _not_into_the_past(process: Process, new: PhaseInput, today: dt.date) -> None:
    if process.status == ProcessStatus.PUBLISHED and new.starts_on < today:
        raise PhaseLocked(
            message=_("The theme is published: a new or moved phase starts today (%(today)s) or later."),
            params={"today": _long(today)},
            field="starts_on",
        )


def _phase_record(phase: Phase | PhaseInput) -> dict[str, Any]:
    return {
        "kind": phase.kind,
        "starts_on": phase.starts_on.isoformat(),
        "ends_on": phase.ends_on.isoformat(),
        "rules": phase.rules,
        "budget_total": phase.budget_total,
    }


def phase_add(
    *,
    staff: User,
    process: Process,
    kind: str,
    starts_on: dt.date,
    ends_on: dt.date,
    rules: dict[str, str],
    budget_total: int | None = None,
    today: dt.date | None = None,
) -> Phase:
    _require(staff, process.department)
    today = today or _today()
    new = _phase_input(kind, starts_on, ends_on, rules, budget_total)
    with transaction.atomic(durable=True):
        locked = _locked(staff, process)
        _not_into_the_past(locked, new, today)
        _fits(locked, new, replacing=None)
        phase = Phase.objects.create(
            municipality=locked.municipality,
            process=locked,
            kind=new.kind,
            starts_on=new.starts_on,
            ends_on=new.ends_on,
            rules=new.rules,
            budget_total=new.budget_total,
        )
        audit_record(
            municipality=locked.municipality,
            actor=staff,
            action="participation.phase_add",
            target_type="participation_process",
            target_id=locked.pk,
            after={"phase": phase.pk, **_phase_record(new)},
        )
    return phase


def _locked_phase(staff: User, phase: Phase) -> tuple[Process, Phase]:
    locked = _locked(staff, phase.process)
    current = Phase.objects.filter(pk=phase.pk, process=locked).first()
    if current is None:
        raise services.NotFound(message=_("Not found."))
    return locked, current


def phase_update(
    *,
    staff: User,
    phase: Phase,
    kind: str,
    starts_on: dt.date,
    ends_on: dt.date,
    rules: dict[str, str],
    budget_total: int | None = None,
    today: dt.date | None = None,
) -> Phase:
    """Change a phase; of a published theme's phase that has begun, only its last day (not before
    today), its rules and budget; of one that has ended, nothing."""
    _require(staff, phase.process.department)
    today = today or _today()
    new = _phase_input(kind, starts_on, ends_on, rules, budget_total)
    with transaction.atomic(durable=True):
        process, current = _locked_phase(staff, phase)
        if process.status == ProcessStatus.PUBLISHED:
            if current.ends_on < today:
                raise PhaseLocked(
                    message=_("This phase ended on %(date)s; what residents took part in stays as it was."),
                    params={"date": _long(current.ends_on)},
                    field="starts_on",
                )
            if current.starts_on <= today:
                if new.kind != current.kind:
                    raise PhaseLocked(
                        message=_("This phase has begun: its kind stays as it is."), field="kind"
                    )
                if new.starts_on != current.starts_on:
                    raise PhaseLocked(
                        message=_("This phase has begun on %(date)s: its first day stays as it is."),
                        params={"date": _long(current.starts_on)},
                        field="starts_on",
                    )
                if new.ends_on < today:
                    raise PhaseLocked(
                        message=_("This phase is open: it can end today (%(today)s) at the earliest."),
                        params={"today": _long(today)},
                        field="ends_on",
                    )
            else:
                _not_into_the_past(process, new, today)
        _fits(process, new, replacing=current)
        before = _phase_record(current)
        current.kind = new.kind
        current.starts_on = new.starts_on
        current.ends_on = new.ends_on
        current.rules = new.rules
        current.budget_total = new.budget_total
        after = _phase_record(current)
        if after != before:
            current.save(
                update_fields=["kind", "starts_on", "ends_on", "rules", "budget_total", "updated_at"]
            )
            audit_record(
                municipality=process.municipality,
                actor=staff,
                action="participation.phase_update",
                target_type="participation_process",
                target_id=process.pk,
                before={"phase": current.pk, **before},
                after={"phase": current.pk, **after},
            )
    return current


def phase_remove(*, staff: User, phase: Phase, today: dt.date | None = None) -> None:
    """Remove a phase of a draft, or a published theme's phase that has not begun yet."""
    _require(staff, phase.process.department)
    today = today or _today()
    with transaction.atomic(durable=True):
        process, current = _locked_phase(staff, phase)
        if process.status == ProcessStatus.PUBLISHED and current.starts_on <= today:
            raise PhaseLocked(
                message=_("This phase began on %(date)s: residents have seen it, so it stays."),
                params={"date": _long(current.starts_on)},
                field="phase",
            )
        record = _phase_record(current)
        pk = current.pk
        current.delete()
        audit_record(
            municipality=process.municipality,
            actor=staff,
            action="participation.phase_remove",
            target_type="participation_process",
            target_id=process.pk,
            before={"phase": pk, **record},
        )


# ---- publishing ----------------------------------------------------------------------------------


def publish_problems(process: Process, phases: list[Phase] | None = None) -> list[str]:
    """What stops the theme from being published (empty: it may be); ``phases`` as read with it,
    else read fresh."""
    problems: list[str] = []
    if not process.titles.get("ja"):
        problems.append(str(_("Enter the title in Japanese.")))
    if not process.descriptions.get("ja"):
        problems.append(str(_("Enter the description in Japanese: residents read it first.")))
    if not (phases if phases is not None else Phase.objects.filter(process=process).exists()):
        problems.append(str(_("Add at least one phase with its dates.")))
    return problems


def process_publish(*, staff: User, process: Process) -> Process:
    """Publish a complete draft (irreversible: residents see it on the portal from now on)."""
    _require(staff, process.department)
    if process.status == ProcessStatus.PUBLISHED:
        raise PhaseLocked(message=_("This theme is already published."), field="status")
    problems = publish_problems(process)
    if problems:
        raise ProcessEditRefused(message=problems[0], code="incomplete", field="phases")
    return services.process_publish(staff=staff, process=process)


@dataclass
class Missing:
    """A language and the texts of the theme it has no version of (residents then read Japanese)."""

    code: str
    name: str
    texts: list[str]


def missing_translations(process: Process, phases: list[Phase]) -> list[Missing]:
    """Per language other than Japanese, the texts that are written in Japanese but not in it."""
    rows: list[Missing] = []
    for code, name in settings.LANGUAGES:
        if code == "ja":
            continue
        texts: list[str] = []
        if process.titles.get("ja") and not process.titles.get(code):
            texts.append(str(_("Title")))
        if process.descriptions.get("ja") and not process.descriptions.get(code):
            texts.append(str(_("Description")))
        for phase in phases:
            if phase.rules.get("ja") and not phase.rules.get(code):
                texts.append(str(_("Rules of the “%(kind)s” phase") % {"kind": PhaseKind(phase.kind).label}))
        if texts:
            rows.append(Missing(code=code, name=name, texts=texts))
    return rows
