"""The demo's open data: four standard municipal datasets of 伊賀市 (fictional figures, real shapes).

Each goes the way a department's would: created as a draft, its files added, sent for review
and published by a second person. The evacuation sites also come as GeoJSON points for maps.
Every CSV follows its standard's Table Schema (tests/opendata/test_standards.py checks them);
the events list was replaced once, so its earlier file is kept as version 1.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from idx.common.models import Municipality
from idx.identity.models import Department, User
from idx.opendata import services
from idx.opendata.models import Dataset

DATA_DIR = Path(__file__).resolve().parent / "data" / "opendata"

DATASETS: list[dict[str, Any]] = [
    {
        "name": "evacuation-sites",
        "department": "kiki-kanri",
        "standard": "03",
        "titles": {"ja": "指定緊急避難場所一覧", "en": "Designated emergency evacuation sites"},
        "descriptions": {
            "ja": "伊賀市が指定する緊急避難場所の一覧です。災害の種類ごとに使える場所を「1」で示します。",
            "en": "The emergency evacuation sites designated by Iga City; a 1 marks the kinds of disaster each site serves.",
        },
        "theme": "disaster",
        "tags": ["防災", "避難場所", "地図"],
        "frequency": "IRREG",
        "contact_name": "危機管理課",
        "contact_email": "kikikanri@city.iga.example.jp",
        "contact_phone": "0595-22-9640",
        "files": [
            (
                "evacuation-sites.csv",
                "CSV",
                {"ja": "指定緊急避難場所一覧（CSV）", "en": "Evacuation sites (CSV)"},
            )
        ],
        "geojson": {"ja": "指定緊急避難場所（地図用 GeoJSON）", "en": "Evacuation sites (GeoJSON for maps)"},
    },
    {
        "name": "aed-locations",
        "department": "kenko-suishin",
        "standard": "08",
        "titles": {"ja": "AED設置箇所一覧", "en": "AED locations"},
        "descriptions": {
            "ja": "市の施設に置いているAED（自動体外式除細動器）の場所と、使える曜日・時間です。",
            "en": "Where the AEDs (automated external defibrillators) in city facilities are, and when they can be reached.",
        },
        "theme": "health_welfare",
        "tags": ["AED", "救命", "地図"],
        "frequency": "ANNUAL",
        "contact_name": "健康推進課",
        "contact_email": "kenko@city.iga.example.jp",
        "contact_phone": "0595-22-9653",
        "files": [("aed.csv", "CSV", {"ja": "AED設置箇所一覧（CSV）", "en": "AED locations (CSV)"})],
    },
    {
        "name": "public-facilities",
        "department": "shimin-seikatsu",
        "standard": "01",
        "titles": {"ja": "公共施設一覧", "en": "Public facilities"},
        "descriptions": {
            "ja": "市役所・支所・図書館など、伊賀市の主な公共施設の所在地と開いている時間です。",
            "en": "Where Iga City's main public facilities are (city hall, branch offices, libraries) and when they are open.",
        },
        "theme": "facilities",
        "tags": ["施設", "地図"],
        "frequency": "ANNUAL",
        "contact_name": "市民生活課",
        "contact_email": "shiminseikatsu@city.iga.example.jp",
        "contact_phone": "0595-22-9638",
        "files": [
            ("public-facilities.csv", "CSV", {"ja": "公共施設一覧（CSV）", "en": "Public facilities (CSV)"})
        ],
    },
    {
        "name": "events",
        "department": "shimin-seikatsu",
        "standard": "12",
        "titles": {"ja": "イベント一覧", "en": "Events"},
        "descriptions": {
            "ja": "伊賀市内で開かれる祭り・講座・催しの一覧です。",
            "en": "Festivals, courses and other events held in Iga City.",
        },
        "theme": "tourism_events",
        "tags": ["イベント", "観光", "子育て"],
        "frequency": "MONTHLY",
        "contact_name": "市民生活課",
        "contact_email": "shiminseikatsu@city.iga.example.jp",
        "contact_phone": "0595-22-9638",
        "files": [("events.csv", "CSV", {"ja": "イベント一覧（CSV）", "en": "Events (CSV)"})],
        # Last month's list, replaced by this month's: the catalog keeps it as version 1.
        "previous": "events-previous.csv",
    },
]


def _points(csv_bytes: bytes) -> bytes:
    """The CSV's rows as GeoJSON points (longitude first, as GeoJSON has it)."""
    rows = csv.DictReader(io.StringIO(csv_bytes.decode("utf-8")))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(row["経度"]), float(row["緯度"])]},
            "properties": {
                "ID": row["ID"],
                "名称": row["名称"],
                "名称_英字": row["名称_英字"],
                "想定収容人数": row["想定収容人数"],
            },
        }
        for row in rows
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")


def load_open_data(municipality: Municipality, *, author: User | None, reviewer: User | None) -> int:
    """Publish the demo datasets that are not there yet; answers how many were added."""
    if municipality.code != "242161":
        return 0
    added = 0
    for spec in DATASETS:
        if Dataset.objects.filter(municipality=municipality, name=spec["name"]).exists():
            continue
        department = Department.objects.get(municipality=municipality, code=spec["department"])
        data = {
            key: value
            for key, value in spec.items()
            if key not in ("department", "files", "geojson", "previous")
        }
        data["license_id"] = "cc-by-4.0" if spec["name"] == "events" else "pdl-1.0"
        data["spatial"] = "三重県伊賀市"
        dataset = services.dataset_create(
            municipality=municipality, department=department, data=data, actor=author
        )
        for filename, format, names in spec["files"]:
            body = (DATA_DIR / filename).read_bytes()
            first = (DATA_DIR / spec["previous"]).read_bytes() if spec.get("previous") else body
            resource = services.resource_add(
                dataset=dataset,
                names=names,
                format=format,
                filename=filename,
                content=io.BytesIO(first),
                actor=author,
            )
            if first != body:
                services.resource_replace(
                    resource=resource, filename=filename, content=io.BytesIO(body), actor=author
                )
            if spec.get("geojson"):
                services.resource_add(
                    dataset=dataset,
                    names=spec["geojson"],
                    format="GeoJSON",
                    filename=filename.replace(".csv", ".geojson"),
                    content=io.BytesIO(_points(body)),
                    actor=author,
                )
        services.dataset_submit_for_review(dataset=dataset, actor=author)
        services.dataset_publish(dataset=dataset, actor=reviewer)
        added += 1
    return added
