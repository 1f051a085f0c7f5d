"""Demo content of the disaster information page: shelters, the hazard map, how alerts reach
residents, in every interface language (``data/disaster_guide.yaml``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from idx.common.i18n import FALLBACK
from idx.common.models import Municipality
from idx.notifications.models import DisasterGuide, Shelter

# The national portal of hazard maps (国土交通省 ハザードマップポータルサイト) covers every city.
HAZARD_MAP_URL = "https://disaportal.gsi.go.jp/"
DATA = Path(__file__).resolve().parent / "data" / "disaster_guide.yaml"


@cache
def guide_data() -> dict[str, Any]:
    return dict(yaml.safe_load(DATA.read_text(encoding="utf-8")))


def _split(texts: dict[str, dict[str, str]]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(Japanese of each field, ``i18n`` of the other languages) of ``{field: {language: text}}``."""
    japanese = {field: by_language[FALLBACK] for field, by_language in texts.items()}
    others = {
        field: {code: text for code, text in by_language.items() if code != FALLBACK}
        for field, by_language in texts.items()
    }
    return japanese, others


def load_disaster_guide(municipality: Municipality) -> None:
    data = guide_data()
    how = data["how_to_receive"].get(municipality.slug) or data["how_to_receive"]["iga"]
    japanese, others = _split({"how_to_receive": how})
    DisasterGuide.objects.update_or_create(
        municipality=municipality,
        defaults={
            "hazard_map_url": HAZARD_MAP_URL,
            "how_to_receive": japanese["how_to_receive"],
            "i18n": others,
        },
    )
    shelters = [_split(texts) for texts in data["shelters"].get(municipality.slug, [])]
    existing = {shelter.name: shelter for shelter in Shelter.objects.filter(municipality=municipality)}
    if not existing:
        Shelter.objects.bulk_create(
            Shelter(
                municipality=municipality,
                **fields,
                map_url=f"https://www.google.com/maps/search/?api=1&query={fields['address']}",
                order=index,
                i18n=i18n,
            )
            for index, (fields, i18n) in enumerate(shelters)
        )
        return
    for fields, i18n in shelters:  # a database loaded before the translations: add them
        shelter = existing.get(fields["name"])
        if shelter is not None and not shelter.i18n:
            shelter.i18n = i18n
            shelter.save(update_fields=["i18n"])
