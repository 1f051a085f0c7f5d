"""Demo content of the disaster information page: shelters, the hazard map, how alerts reach
residents; and the general desk for inquiries whose resident does not know where to ask."""

from __future__ import annotations

from idx.assist.models import InquiryDesk
from idx.common.models import Municipality
from idx.identity.models import Department
from idx.notifications.models import DisasterGuide, Shelter

# The national portal of hazard maps (国土交通省 ハザードマップポータルサイト) covers every city.
HAZARD_MAP_URL = "https://disaportal.gsi.go.jp/"

SHELTERS = {
    "iga": [
        ("ハイトピア伊賀", "三重県伊賀市上野丸之内500", "地震・大規模な火事"),
        ("伊賀市役所 本庁舎", "三重県伊賀市四十九町3184", "地震・洪水"),
        ("上野総合市民館", "三重県伊賀市上野丸之内116", "地震・洪水・土砂災害"),
    ],
    "watarai": [
        ("度会町役場", "三重県度会郡度会町棚橋1215番地1", "地震・洪水"),
        ("度会町中央公民館", "三重県度会郡度会町棚橋1215番地1", "地震・土砂災害"),
    ],
}

HOW_TO_RECEIVE = (
    "防災行政無線（屋外スピーカー）で避難の呼びかけをします。聞き取れなかったときは、市の電話で内容を確認できます。\n"
    "携帯電話には緊急速報メール（エリアメール）が届きます。"
)


def load_disaster_guide(municipality: Municipality) -> None:
    DisasterGuide.objects.update_or_create(
        municipality=municipality,
        defaults={"hazard_map_url": HAZARD_MAP_URL, "how_to_receive": HOW_TO_RECEIVE},
    )
    if not Shelter.objects.filter(municipality=municipality).exists():
        Shelter.objects.bulk_create(
            Shelter(
                municipality=municipality,
                name=name,
                address=address,
                hazards=hazards,
                map_url=f"https://www.google.com/maps/search/?api=1&query={address}",
                order=index,
            )
            for index, (name, address, hazards) in enumerate(SHELTERS.get(municipality.slug, []))
        )
    desk = Department.objects.filter(municipality=municipality, code="shimin-seikatsu").first()
    if desk is not None:
        InquiryDesk.objects.update_or_create(municipality=municipality, defaults={"department": desk})
