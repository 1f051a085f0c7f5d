"""The languages of place data (the municipality's name and address; each department's name,
counter and opening hours), as city administrators type them in the back office.

Japanese stays in the record's ordinary field, English in ``<field>_en`` where the model has one,
every other language in ``record.i18n[field][language]`` (see ``idx.common.i18n``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.i18n import FALLBACK, fallback_order, language_map
from idx.common.models import Municipality
from idx.identity.models import Department, User
from idx.identity.policy import Action, Scope, can, scope_of

PlaceRecord = Municipality | Department


class NotPermitted(DomainError):
    """The staff member may not edit this record's texts (another municipality answers "not found")."""

    code = "not_permitted"
    http_status = 404


class PlaceTextsInvalid(DomainError):
    """Typed texts that cannot be saved; ``problems`` maps ``field:language`` to a translated message."""

    code = "place_texts_invalid"
    http_status = 422

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


def field_labels() -> dict[str, str]:
    return {
        "name": _("Name"),
        "address": _("Address"),
        "counter": _("Counter"),
        "counter_hours": _("Opening hours"),
    }


def _column_length(model: type[PlaceRecord], name: str) -> int:
    return int(getattr(model._meta.get_field(name), "max_length", 0) or 0)


def max_length(record: PlaceRecord, field: str, language: str) -> int:
    """The longest text a language may have: Japanese and English the length of their own columns;
    the other languages (kept in ``i18n``) twice the Japanese, as translations run longer."""
    model = type(record)
    length = _column_length(model, field)
    if language == FALLBACK:
        return length
    english = _column_length(model, f"{field}_en") if hasattr(record, f"{field}_en") else 0
    if language == "en" and english:
        return english
    return max(2 * length, english)


def _may_edit(staff: User, record: PlaceRecord) -> bool:
    if isinstance(record, Department):
        return can(staff, Action.EDIT_PLACE_TEXTS, record)
    return (
        can(staff, Action.EDIT_PLACE_TEXTS)
        and scope_of(staff.role, Action.EDIT_PLACE_TEXTS) == Scope.ALL_DEPARTMENTS
        and record.pk == staff.municipality_id
    )


def texts_of(record: PlaceRecord) -> dict[str, dict[str, str]]:
    """Every translatable field of ``record`` as ``{field: {language: text}}`` (all eight languages)."""
    result = {}
    for field in record.TRANSLATED_FIELDS:
        texts = language_map(record, field)
        result[field] = {code: texts.get(code, "") for code, _name in settings.LANGUAGES}
    return result


def shown_from(texts: dict[str, str], language: str) -> str:
    """The language whose text a resident reading ``language`` sees ("" when none is filled)."""
    return next((candidate for candidate in fallback_order(language) if texts.get(candidate)), "")


def place_texts_save(*, staff: User, record: PlaceRecord, texts: dict[str, dict[str, str]]) -> list[str]:
    """Store ``texts`` (``{field: {language: text}}``) on ``record`` with an audit entry in the same
    transaction; returns the fields that changed. Raises ``NotPermitted`` or ``PlaceTextsInvalid``."""
    if not _may_edit(staff, record):
        raise NotPermitted
    labels = field_labels()
    languages = dict(settings.LANGUAGES)
    problems: dict[str, str] = {}
    cleaned: dict[str, dict[str, str]] = {}
    for field in record.TRANSLATED_FIELDS:
        cleaned[field] = {}
        for code in languages:
            text = " ".join((texts.get(field, {}).get(code) or "").split())
            limit = max_length(record, field, code)
            key = f"{field}:{code}"
            if len(text) > limit:
                problems[key] = _("%(field)s (%(language)s): use at most %(limit)d characters.") % {
                    "field": labels[field],
                    "language": languages[code],
                    "limit": limit,
                }
            elif field == "name" and code == FALLBACK and not text:
                problems[key] = _("%(field)s (%(language)s): enter the Japanese name.") % {
                    "field": labels[field],
                    "language": languages[code],
                }
            cleaned[field][code] = text
    if problems:
        raise PlaceTextsInvalid(problems)
    with transaction.atomic():
        locked = type(record).objects.select_for_update().get(pk=record.pk)
        before = texts_of(locked)
        i18n: dict[str, Any] = dict(locked.i18n or {})
        for field, by_language in cleaned.items():
            setattr(locked, field, by_language[FALLBACK])
            others = {}
            for code, text in by_language.items():
                if code == FALLBACK:
                    continue
                if code == "en" and hasattr(locked, f"{field}_en"):
                    setattr(locked, f"{field}_en", text)
                elif text:
                    others[code] = text
            if others:
                i18n[field] = others
            else:
                i18n.pop(field, None)
        locked.i18n = i18n
        locked.save()
        after = texts_of(locked)
        changed = [field for field in record.TRANSLATED_FIELDS if before[field] != after[field]]
        if changed:
            audit_record(
                municipality=locked if isinstance(locked, Municipality) else locked.municipality,
                actor=staff,
                action="place_texts.update",
                target_type=type(locked).__name__.lower(),
                target_id=locked.code,
                before={field: before[field] for field in changed},
                after={field: after[field] for field in changed},
            )
    for field in (*record.TRANSLATED_FIELDS, "i18n"):
        setattr(record, field, getattr(locked, field))
        if hasattr(locked, f"{field}_en"):
            setattr(record, f"{field}_en", getattr(locked, f"{field}_en"))
    return changed
