"""Bulk import fixtures: a clerk of 健康推進課, a source for 妊娠の届出 and files in every form."""

from __future__ import annotations

import io

import pytest

from tests.conftest import procedure, signed_in

PREGNANCY = "pregnancy-notification"

MAPPING = {
    "氏名": "pregnant_person.name",
    "フリガナ": "pregnant_person.name_kana",
    "生年月日": "pregnant_person.birth_date",
    "郵便番号": "pregnant_person.postal_code",
    "住所": "pregnant_person.address",
    "電話番号": "pregnant_person.phone",
    "出産予定日": "expected_delivery_date",
    "診断日": "diagnosis_date",
    "妊娠週数": "weeks_at_diagnosis",
    "胎児数": "number_of_babies",
    "医療機関": "diagnosis_institution",
    "初産": "first_pregnancy",
    "喫煙": "smoking",
    "飲酒": "drinking",
    "同居者喫煙": "household_smoking",
    "支援者": "has_support_person",
    "訪問希望": "wants_consultation_visit",
    "希望言語": "preferred_language",
}
HEADERS = list(MAPPING)


def row(number: int = 1, **changes: str) -> list[str]:
    """One good row (each value written as another system might), with ``changes`` by header."""
    values = {
        "氏名": f"伊賀 花子{number}",
        "フリガナ": "イガ ハナコ",
        "生年月日": "1995/4/1",
        "郵便番号": "5188501",
        "住所": "伊賀市上野丸之内116",
        "電話番号": "0595-22-9611",
        "出産予定日": "令和8年10月1日",
        "診断日": "2026-03-02",
        "妊娠週数": "８",
        "胎児数": "2人（双子）",
        "医療機関": "上野総合市民病院",
        "初産": "はい",
        "喫煙": "いいえ",
        "飲酒": "0",
        "同居者喫煙": "0",
        "支援者": "1",
        "訪問希望": "はい",
        "希望言語": "ja",
    }
    values.update(changes)
    return [values[header] for header in HEADERS]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", headers: list[str] | None = None) -> bytes:
    from idx.common.spreadsheet import csv_text

    text = csv_text([headers or HEADERS, *rows])
    if encoding == "utf-8-sig":
        return "\ufeff".encode() + text.encode()
    return text.encode(encoding)


def xlsx_bytes(rows: list[list[object]], headers: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("申請")
    sheet.append(headers or HEADERS)
    for cells in rows:
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def health_clerk(iga):
    from idx.identity.models import User

    return User.objects.select_related("department", "municipality").get(
        municipality=iga, email="kenko-suishin@staff.iga.example.jp"
    )


@pytest.fixture
def health_clerk_client(health_clerk):
    return signed_in(health_clerk)


@pytest.fixture
def pregnancy(iga):
    return procedure(iga, PREGNANCY)


@pytest.fixture
def source(health_clerk, pregnancy):
    from idx.imports.services import import_source_save

    return import_source_save(
        staff=health_clerk,
        procedure=pregnancy,
        name="母子保健システム",
        mapping=MAPPING,
        applicant_name_column="氏名",
        birthdate_column="生年月日",
    )
