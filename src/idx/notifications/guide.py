"""The disaster information page's guide: shelters, the hazard map and how to receive alerts.

Crisis-management staff keep it in the back office; shelters are entered as lines (one shelter
a line, fields separated by ``|`` or a tab, as pasted from the city's shelter list):
``name | address | disasters it is for | map link``. The lines give the Japanese; the other
languages of each shelter's name, address and disasters, and of how to receive alerts, are kept
in ``i18n`` (see ``idx.common.i18n``) and edited side by side, eight languages per text. A shelter
keeps its translations while its Japanese name stays the same; a translation typed for a Japanese
text that changes in the same save is kept, one left as it was is dropped (it translated the old text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.i18n import FALLBACK, language_map
from idx.common.models import Municipality
from idx.identity.models import User
from idx.notifications.models import DisasterGuide, Shelter

MAX_SHELTERS = 300


@dataclass(frozen=True)
class ShelterLine:
    name: str
    address: str
    hazards: str
    map_url: str


SHELTER_FIELDS = Shelter.TRANSLATED_FIELDS
# Each text's longest Japanese; the other languages may run to twice that (translations run longer).
LIMITS = {"how_to_receive": 3000, "name": 100, "address": 200, "hazards": 200}

# {language: text} of one text; {field: {language: text}} of one shelter.
Texts = dict[str, str]
ShelterTexts = dict[str, Texts]


class GuideInvalid(DomainError):
    """Input that cannot be saved; ``errors`` maps a field to a translated message."""

    code = "guide_invalid"
    http_status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def guide_for(municipality: Municipality) -> DisasterGuide | None:
    return DisasterGuide.objects.filter(municipality=municipality).first()


def shelters_for(municipality: Municipality) -> list[Shelter]:
    return list(Shelter.objects.filter(municipality=municipality).order_by("order", "name"))


def field_labels() -> dict[str, str]:
    return {
        "how_to_receive": _("How residents receive alerts (besides this portal)"),
        "name": _("Name"),
        "address": _("Address"),
        "hazards": _("For these disasters"),
    }


def limit(field: str, language: str) -> int:
    return LIMITS[field] if language == FALLBACK else 2 * LIMITS[field]


def texts_of(record: DisasterGuide | Shelter | None, field: str) -> Texts:
    """``record.field`` in all eight languages (empty where none is kept)."""
    texts = language_map(record, field) if record is not None else {}
    return {code: texts.get(code, "") for code, _name in settings.LANGUAGES}


def shelters_as_lines(shelters: list[Shelter]) -> str:
    return "\n".join(
        " | ".join(part for part in (s.name, s.address, s.hazards, s.map_url)).rstrip(" |") for s in shelters
    )


def _https_url(value: str) -> bool:
    try:
        URLValidator(schemes=["https", "http"])(value)
    except ValidationError:
        return False
    return True


def parse_shelter_lines(text: str) -> list[ShelterLine]:
    """The shelters of ``text``; raises :class:`GuideInvalid` naming the first bad line."""
    shelters: list[ShelterLine] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.replace("\t", "|").split("|")]
        parts += [""] * (4 - len(parts))
        name, address, hazards, map_url = parts[0], parts[1], parts[2], "|".join(parts[3:]).strip("| ")
        if not name or not address:
            raise GuideInvalid(
                {"shelters": _("Line %(line)s: give at least the name and the address.") % {"line": number}}
            )
        if len(name) > 100 or len(address) > 200 or len(hazards) > 200:
            raise GuideInvalid({"shelters": _("Line %(line)s is too long.") % {"line": number}})
        if map_url and not _https_url(map_url):
            raise GuideInvalid(
                {"shelters": _("Line %(line)s: the map link is not a web address.") % {"line": number}}
            )
        shelters.append(ShelterLine(name=name, address=address, hazards=hazards, map_url=map_url))
    if len(shelters) > MAX_SHELTERS:
        raise GuideInvalid({"shelters": _("At most %(count)s shelters.") % {"count": MAX_SHELTERS}})
    return shelters


def _clean(text: str, *, multiline: bool) -> str:
    if multiline:
        return "\n".join(line.strip() for line in text.strip().splitlines())
    return " ".join(text.split())


def _check_length(errors: dict[str, str], key: str, label: str, field: str, language: str, text: str) -> None:
    languages = dict(settings.LANGUAGES)
    if len(text) > limit(field, language):
        errors[key] = _("%(field)s (%(language)s): use at most %(limit)d characters.") % {
            "field": label,
            "language": languages.get(language, language),
            "limit": limit(field, language),
        }


def _shelter_i18n(
    current: Shelter, line: ShelterLine, posted: ShelterTexts | None
) -> dict[str, dict[str, str]]:
    """The other languages ``current`` keeps once its Japanese becomes ``line``'s."""
    kept: dict[str, dict[str, str]] = {}
    for field in SHELTER_FIELDS:
        stored = {code: text for code, text in ((current.i18n or {}).get(field) or {}).items() if text}
        texts = stored
        if posted is not None:
            texts = {code: text for code, text in posted.get(field, {}).items() if text and code != FALLBACK}
        if getattr(current, field) != getattr(line, field) and texts == stored:
            texts = {}  # the Japanese changed and its translations did not: they translated the old text
        if texts:
            kept[field] = texts
    return kept


def guide_save(
    *,
    municipality: Municipality,
    actor: User,
    hazard_map_url: str,
    how_to_receive: Texts,
    shelters_text: str,
    shelter_texts: dict[int, ShelterTexts] | None = None,
) -> DisasterGuide:
    """Replace the municipality's guide and shelter list in one transaction (audited).

    ``how_to_receive`` holds every language (``ja`` the Japanese); ``shelter_texts`` the other
    languages of existing shelters by id (a shelter left out keeps its translations)."""
    labels = field_labels()
    errors: dict[str, str] = {}
    hazard_map_url = hazard_map_url.strip()
    if hazard_map_url and (len(hazard_map_url) > 500 or not _https_url(hazard_map_url)):
        errors["hazard_map_url"] = _("The hazard map link is not a web address.")
    how = {code: _clean(how_to_receive.get(code, ""), multiline=True) for code, _name in settings.LANGUAGES}
    for code, text in how.items():
        _check_length(
            errors, f"how_to_receive-{code}", labels["how_to_receive"], "how_to_receive", code, text
        )
    try:
        shelters = parse_shelter_lines(shelters_text)
    except GuideInvalid as exc:
        errors.update(exc.errors)
        shelters = []
    current = {shelter.pk: shelter for shelter in shelters_for(municipality)}
    cleaned: dict[int, ShelterTexts] = {}
    for pk, by_field in (shelter_texts or {}).items():
        if pk not in current:
            continue  # another municipality's shelter, or one deleted meanwhile
        cleaned[pk] = {}
        for field in SHELTER_FIELDS:
            cleaned[pk][field] = {}
            for code, text in by_field.get(field, {}).items():
                if code == FALLBACK or code not in dict(settings.LANGUAGES):
                    continue
                text = _clean(text, multiline=False)
                label = f"{current[pk].name}: {labels[field]}"
                _check_length(errors, f"shelter-{pk}-{field}-{code}", label, field, code, text)
                cleaned[pk][field][code] = text
    if errors:
        raise GuideInvalid(errors)
    with transaction.atomic():
        existing = {
            shelter.pk: shelter
            for shelter in Shelter.objects.select_for_update().filter(municipality=municipality)
        }
        guide = DisasterGuide.objects.select_for_update().filter(municipality=municipality).first()
        before = _audit_view(guide, list(existing.values()))
        unmatched = sorted(existing.values(), key=lambda shelter: (shelter.order, shelter.pk))
        kept: list[Shelter] = []
        made: list[Shelter] = []
        for index, line in enumerate(shelters):
            match = next((shelter for shelter in unmatched if shelter.name == line.name), None)
            if match is None:
                made.append(
                    Shelter(
                        municipality=municipality,
                        name=line.name,
                        address=line.address,
                        hazards=line.hazards,
                        map_url=line.map_url,
                        order=index,
                    )
                )
                continue
            unmatched.remove(match)
            match.i18n = _shelter_i18n(match, line, cleaned.get(match.pk))
            match.address, match.hazards, match.map_url, match.order = (
                line.address,
                line.hazards,
                line.map_url,
                index,
            )
            kept.append(match)
        Shelter.objects.filter(pk__in=[shelter.pk for shelter in unmatched]).delete()
        Shelter.objects.bulk_update(kept, ["address", "hazards", "map_url", "order", "i18n"])
        Shelter.objects.bulk_create(made)
        others = {code: text for code, text in how.items() if code != FALLBACK and text}
        guide, _made = DisasterGuide.objects.update_or_create(
            municipality=municipality,
            defaults={
                "hazard_map_url": hazard_map_url,
                "how_to_receive": how[FALLBACK],
                "i18n": {"how_to_receive": others} if others else {},
            },
        )
        after = _audit_view(guide, [*kept, *made])
        audit_record(
            municipality=municipality,
            actor=actor,
            action="disaster_guide.save",
            target_type="disaster_guide",
            target_id=guide.pk,
            before={key: value for key, value in before.items() if after.get(key) != value},
            after={"shelters": len(shelters), **{k: v for k, v in after.items() if before.get(k) != v}},
        )
    return guide


def _audit_view(guide: DisasterGuide | None, shelters: list[Shelter]) -> dict[str, Any]:
    """What an audit entry shows of the guide: the link, how to receive alerts and every shelter's
    texts, each in every language kept."""
    return {
        "hazard_map_url": guide.hazard_map_url if guide else "",
        "how_to_receive": language_map(guide, "how_to_receive") if guide else {},
        "shelter_texts": {
            shelter.name: {field: language_map(shelter, field) for field in SHELTER_FIELDS}
            for shelter in sorted(shelters, key=lambda shelter: shelter.order)
        },
    }
