"""Once-only (ワンスオンリー): the applicant's details offered from what the city already has.

A new form asks again for the name, address and phone number the resident typed a few minutes
earlier in another application. The step holding the applicant's details offers them, from the
resident's last application and their account, and fills them in only when the resident says so
(a button, the consent); every value stays editable. A value already typed is never replaced, and
nothing crosses residents or municipalities: the sources are the resident's own records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from idx.applications.models import Application
from idx.identity.models import User
from idx.procedures.definition import Definition, Item

# The applicant's details that mean the same in every form (the fieldset's item names).
SHARED_DETAILS = ("name", "name_kana", "birth_date", "gender", "postal_code", "address", "phone", "email")
RECENT = 20  # the last applications looked at for a source


@dataclass(frozen=True)
class PrefillOffer:
    """Values for the applicant's fieldset ``group`` of a draft, and where they come from."""

    group: str
    values: dict[str, Any]
    source: Application | None = None  # None: from the resident's account only
    items: list[Item] = field(default_factory=list)


def applicant_group(definition: Definition) -> Item | None:
    """The fieldset describing the applicant (請求者・申請者・届出人), as the card's facts use it."""
    from idx.procedures.rendering import identity_fact_paths

    paths = identity_fact_paths(definition)
    if not paths:
        return None
    group = next(iter(paths)).split(".")[0]
    return next((item for step in definition.steps for item in step.items if item.field == group), None)


def _usable(item: Item, value: Any) -> bool:
    if value is None or value == "" or isinstance(value, (dict, list)):
        return False
    return not item.options or value in [option["value"] for option in item.options]


def prefill_offer(*, application: Application, resident: User) -> PrefillOffer | None:
    """What could be filled into the draft's applicant details now (None: nothing to offer)."""
    if application.applicant_id != resident.pk or application.municipality_id != resident.municipality_id:
        return None
    definition = application.procedure_version.parsed
    group = applicant_group(definition)
    if group is None:
        return None
    wanted = {child.field: child for child in group.children if child.field in SHARED_DETAILS}
    current = application.answers.get(group.field)
    typed = current if isinstance(current, Mapping) else {}
    values: dict[str, Any] = {}
    source: Application | None = None
    earlier = (
        Application.objects.filter(applicant=resident, municipality_id=resident.municipality_id)
        .exclude(pk=application.pk)
        .select_related("procedure_version")
        .order_by("-updated_at")[:RECENT]
    )
    for previous in earlier:
        previous_group = applicant_group(previous.procedure_version.parsed)
        answers = previous.answers.get(previous_group.field) if previous_group else None
        if not isinstance(answers, Mapping):
            continue
        found = {name: answers[name] for name, item in wanted.items() if _usable(item, answers.get(name))}
        if found:
            values, source = found, previous
            break
    account = {"name": resident.full_name, "name_kana": resident.full_name_kana, "email": resident.email}
    for name, value in account.items():
        if name in wanted and name not in values and _usable(wanted[name], value):
            values[name] = value
    values = {name: value for name, value in values.items() if typed.get(name) in (None, "")}
    if not values:
        return None
    return PrefillOffer(
        group=group.field, values=values, source=source, items=[wanted[name] for name in values]
    )
