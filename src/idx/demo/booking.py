"""Demo services, counters and opening hours for each demo municipality's departments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from idx.booking.models import OpeningHours, Resource, ResourceKind, Service
from idx.common.models import Municipality
from idx.demo.texts import SERVICE_TEXTS, place_texts
from idx.identity.models import Department

WEEKDAYS = range(5)  # 月〜金
MORNING = (dt.time(9, 0), dt.time(12, 0))
AFTERNOON = (dt.time(13, 0), dt.time(16, 30))
FULL_DAY = (dt.time(8, 30), dt.time(17, 0))

# (department, code, name, name_en, prefix, minutes, capacity, extra fields, periods, counters)
SERVICES: list[
    tuple[str, str, str, str, str, int, int, dict[str, Any], list[tuple[dt.time, dt.time]], list[str]]
] = [
    (
        "kodomo-katei",
        "kosodate-soudan",
        "子育て相談",
        "Child-rearing consultation",
        "K",
        30,
        2,
        {
            "online_possible": True,
            "description": "子育ての悩みや手当・支援制度について、保健師・相談員がお話を伺います。オンライン相談もできます。",
        },
        [MORNING, AFTERNOON],
        ["相談室1", "相談室2"],
    ),
    (
        "kaigo-koureifukushi",
        "kaigo-soudan",
        "介護相談",
        "Nursing care consultation",
        "C",
        30,
        1,
        {"description": "介護保険の申請やサービスの利用について相談できます。"},
        [MORNING, AFTERNOON],
        ["15番窓口"],
    ),
    (
        "jumin",
        "mynumber-card",
        "マイナンバーカード受取",
        "My Number Card pick-up",
        "M",
        15,
        3,
        {"description": "交付通知書（はがき）と本人確認書類をお持ちください。"},
        [FULL_DAY],
        ["1番窓口", "2番窓口"],
    ),
    (
        "jumin",
        "juminhyo",
        "住民票窓口",
        "Certificate of residence counter",
        "J",
        15,
        2,
        {
            "description": "住民票の写し・印鑑登録証明書などの交付です。予約なしでも番号札でお待ちいただけます。"
        },
        [FULL_DAY],
        ["1番窓口", "2番窓口"],
    ),
    (
        "zeimu",
        "zei-soudan",
        "税の相談",
        "Tax consultation",
        "Z",
        30,
        1,
        {"description": "市県民税・固定資産税などの相談です。"},
        [MORNING, AFTERNOON],
        ["8番窓口"],
    ),
]


def load_booking(municipality: Municipality) -> None:
    """Create (or bring back to the demo's state) the bookable services of ``municipality``."""
    departments = {
        department.code: department for department in Department.objects.filter(municipality=municipality)
    }
    for department_code, code, name, name_en, prefix, minutes, capacity, extra, periods, counters in SERVICES:
        department = departments.get(department_code)
        if department is None:
            continue
        fields = dict(extra)
        if fields.get("online_possible"):
            fields["meeting_url"] = f"https://meet.example.jp/{municipality.slug}/{code}"
        service, _made = Service.objects.update_or_create(
            municipality=municipality,
            code=code,
            defaults={
                "department": department,
                "name": name,
                "name_en": name_en,
                "ticket_prefix": prefix,
                "slot_minutes": minutes,
                "capacity": capacity,
                "i18n": SERVICE_TEXTS.get(code, {}),
                **fields,
            },
        )
        resources = [
            Resource.objects.update_or_create(
                municipality=municipality,
                department=department,
                name=counter,
                defaults={
                    "kind": ResourceKind.ROOM if "相談室" in counter else ResourceKind.COUNTER,
                    "i18n": {"name": place_texts(counter)},
                },
            )[0]
            for counter in counters
        ]
        service.resources.add(*resources)
        if not OpeningHours.objects.filter(service=service).exists():
            OpeningHours.objects.bulk_create(
                OpeningHours(
                    municipality=municipality, service=service, weekday=weekday, opens=opens, closes=closes
                )
                for weekday in WEEKDAYS
                for opens, closes in periods
            )
