"""The disaster information page's guide: shelters, the hazard map and how to receive alerts.

Crisis-management staff keep it in the back office; shelters are entered as lines (one shelter
a line, fields separated by ``|`` or a tab, as pasted from the city's shelter list):
``name | address | disasters it is for | map link``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from idx.audit.services import audit_record
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


class GuideInvalid(Exception):
    """Input that cannot be saved; ``errors`` maps a field to a translated message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def guide_for(municipality: Municipality) -> DisasterGuide | None:
    return DisasterGuide.objects.filter(municipality=municipality).first()


def shelters_for(municipality: Municipality) -> list[Shelter]:
    return list(Shelter.objects.filter(municipality=municipality).order_by("order", "name"))


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


def guide_save(
    *, municipality: Municipality, actor: User, hazard_map_url: str, how_to_receive: str, shelters_text: str
) -> DisasterGuide:
    """Replace the municipality's guide and shelter list in one transaction (audited)."""
    errors: dict[str, str] = {}
    hazard_map_url = hazard_map_url.strip()
    if hazard_map_url and (len(hazard_map_url) > 500 or not _https_url(hazard_map_url)):
        errors["hazard_map_url"] = _("The hazard map link is not a web address.")
    if len(how_to_receive) > 3000:
        errors["how_to_receive"] = _("The text is too long (at most 3,000 characters).")
    try:
        shelters = parse_shelter_lines(shelters_text)
    except GuideInvalid as exc:
        errors.update(exc.errors)
        shelters = []
    if errors:
        raise GuideInvalid(errors)
    with transaction.atomic():
        guide, _made = DisasterGuide.objects.update_or_create(
            municipality=municipality,
            defaults={"hazard_map_url": hazard_map_url, "how_to_receive": how_to_receive.strip()},
        )
        Shelter.objects.filter(municipality=municipality).delete()
        Shelter.objects.bulk_create(
            Shelter(
                municipality=municipality,
                name=line.name,
                address=line.address,
                hazards=line.hazards,
                map_url=line.map_url,
                order=index,
            )
            for index, line in enumerate(shelters)
        )
        audit_record(
            municipality=municipality,
            actor=actor,
            action="disaster_guide.save",
            target_type="disaster_guide",
            target_id=guide.pk,
            after={"hazard_map_url": hazard_map_url, "shelters": len(shelters)},
        )
    return guide
