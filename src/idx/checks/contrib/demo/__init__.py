"""The demo core system: a small fictional 住民記録 of 伊賀市 (``records.json``), for the demo and tests.

The households, names and addresses are invented; some match the demo residents and the example
answers of the shipped definitions, so that the demo shows a confirmed and a differing record.
Refused in production (settings/production.py).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from idx.checks.adapters import (
    AdapterUnavailable,
    CoreSystemAdapter,
    HouseholdMember,
    ResidentRecord,
    adapters,
    same_name,
)

RECORDS = Path(__file__).with_name("records.json")
# A name the demo core system answers "unavailable" for, to show the clerk that outcome.
UNAVAILABLE_NAME = "応答 なし"


@lru_cache(maxsize=1)
def _records() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RECORDS.read_text(encoding="utf-8"))
    return data


def households(municipality_code: str) -> list[dict[str, Any]]:
    return list(_records().get(municipality_code, []))


@adapters.register("demo")
class DemoCoreSystem(CoreSystemAdapter):
    id = "demo"
    name = "Demo 住民記録"

    def check_config(self) -> list[str]:
        return [] if RECORDS.exists() else [f"{RECORDS.name} is missing"]

    def find_residents(self, *, name: str, birth_date: dt.date | None) -> list[ResidentRecord]:
        if same_name(name, UNAVAILABLE_NAME):
            raise AdapterUnavailable("the demo core system does not answer for this name")
        found: list[ResidentRecord] = []
        for household in households(self.municipality.code):
            members = tuple(
                HouseholdMember(name=member["name"], birth_date=dt.date.fromisoformat(member["birth_date"]))
                for member in household["members"]
            )
            for member in members:
                if same_name(member.name, name) and (birth_date is None or member.birth_date == birth_date):
                    found.append(
                        ResidentRecord(
                            name=member.name,
                            birth_date=member.birth_date,
                            address=household["address"],
                            household=members,
                        )
                    )
        return found
