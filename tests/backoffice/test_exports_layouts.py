"""Export layouts: standard names or form labels as headers, codes or labels as values, numbered
repeat columns up to the largest case, and the code list (CSV alone or in a ZIP with a README)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from idx.applications import services
from idx.applications.exports import FIXED_COLUMNS
from idx.audit.models import AuditEntry
from idx.identity.models import Department, Role
from tests.conftest import example_answers, make_submitted, procedure, reauthenticated, signed_in
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

CHILD = "child-allowance-certification"
BULKY = "bulky-waste-collection"


def _decide(application, staff, *, approve=True, reason=""):
    application = services.case_start_review(
        application=application, staff=staff, expected_version=application.row_version
    )
    return services.case_decide(
        application=application,
        staff=staff,
        approve=approve,
        reason=reason,
        expected_version=application.row_version,
    )


@pytest.fixture
def child_cases(resident, other_resident, clerk):
    proc = procedure(resident.municipality, CHILD)
    three = example_answers(proc)
    three["children"].append(
        {
            "name": "伊賀 みらい",
            "name_kana": "イガ ミライ",
            "birth_date": "2025-04-01",
            "relationship": "adopted_child",
            "living_with_claimant": False,
            "address_if_separate": "三重県伊賀市上野丸之内1番地",
        }
    )
    first = _decide(make_submitted(resident, CHILD, answers=three), clerk)
    second = _decide(make_submitted(other_resident, CHILD), clerk, approve=False, reason="要件外")
    make_submitted(resident, CHILD)  # still open: not exported
    return first, second


@pytest.fixture
def bulky_supervisor(iga):
    return StaffFactory(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="haikibutsu"),
        role=Role.SUPERVISOR,
        full_name="廃棄物対策課 係長",
    )


@pytest.fixture
def bulky_case(resident, bulky_supervisor):
    return _decide(make_submitted(resident, BULKY), bulky_supervisor)


def _download(client, **params):
    response = client.get("/staff/exports/", params)
    assert response.status_code == 200, response.content[:500]
    return response, b"".join(response.streaming_content)


def _rows(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _records(body: bytes) -> list[dict[str, str]]:
    header, *rows = _rows(body)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_standard_names_and_codes(child_cases, supervisor_client):
    reauthenticated(supervisor_client)
    _response, body = _download(
        supervisor_client, procedure=CHILD, format="csv", headers="standard", values="codes"
    )
    header = _rows(body)[0]
    assert header[: len(FIXED_COLUMNS)] == FIXED_COLUMNS
    # three children in the largest case: three numbered columns, the entry's number after the group
    assert [name for name in header if name.endswith("_氏名") and name.startswith("児童")] == [
        "児童1_氏名",
        "児童2_氏名",
        "児童3_氏名",
    ]
    assert "児童4_氏名" not in header
    assert "remarks" in header  # no standard name: the field's path
    first, second = _records(body)
    assert first["受付番号"] == child_cases[0].receipt_number
    assert first["状態"] == "approved"
    assert first["請求者_性別"] == "male"
    assert first["請求者_生年月日"] == "1988-06-15"
    assert first["請求者_加入年金区分"] == "kosei_nenkin"
    assert first["児童3_氏名"] == "伊賀 みらい"
    assert first["児童3_続柄"] == "adopted_child"
    assert first["児童3_同居区分"] == "0"
    assert first["児童1_同居区分"] == "1"
    assert first["児童3_生年月日"] == "2025-04-01"
    assert second["状態"] == "rejected"
    assert second["決定理由"] == "要件外"
    assert second["児童3_氏名"] == ""


def test_form_labels_and_labels(child_cases, supervisor_client):
    reauthenticated(supervisor_client)
    _response, body = _download(
        supervisor_client, procedure=CHILD, format="csv", headers="label", values="labels"
    )
    header = _rows(body)[0]
    assert "請求者_氏名" in header
    assert "養育している児童3_氏名" in header
    assert "請求者_性別" in header
    assert "配偶者はいますか" in header
    assert "remarks" not in header
    first, second = _records(body)
    assert first["状態"] == "承認"
    assert second["状態"] == "却下"
    assert first["請求者_性別"] == "男"
    assert first["養育している児童3_請求者との続柄"] == "養子"
    assert first["養育している児童3_請求者と同居していますか"] == "いいえ"
    assert first["養育している児童1_請求者と同居していますか"] == "はい"
    assert first["養育している児童3_生年月日"] == "2025年4月1日"
    assert first["受付日時"].startswith("20") and "年" in first["受付日時"]
    assert first["請求者_加入している年金の種類"] == "厚生年金（会社員など）"
    assert first["請求者_生年月日"] == "1988年6月15日"


def test_bulky_waste_codes_and_labels(bulky_case, bulky_supervisor):
    client = reauthenticated(signed_in(bulky_supervisor))
    _response, body = _download(client, procedure=BULKY, format="csv", headers="standard", values="codes")
    (record,) = _records(body)
    assert record["申込者_氏名"] == "阿山 健一"
    assert record["品目区分1"] == "furniture_large"
    assert record["品目区分2"] == "bicycle"
    assert record["数量2"] == "2"
    assert record["品目区分3"] == "futon"
    assert "品目区分4" not in record
    assert record["収集希望日"] == "2026-06-10"
    assert record["area"] == "ueno"
    _response, body = _download(client, procedure=BULKY, format="csv", headers="label", values="labels")
    (record,) = _records(body)
    assert record["地区"] == "上野地区"
    assert record["収集希望日"] == "2026年6月10日"
    assert record["出すもの1_品目の種類"] == "大型の家具（たんす・ベッド・ソファ・食器棚など）"
    assert record["出すもの2_品目の種類"] == "自転車"
    assert record["申込者_氏名"] == "阿山 健一"


def test_code_list_csv(child_cases, supervisor_client):
    reauthenticated(supervisor_client)
    response, body = _download(supervisor_client, procedure=CHILD, format="codes", headers="standard")
    assert response["Content-Disposition"] == f'attachment; filename="{CHILD}-codes.csv"'
    header, *rows = _rows(body)
    assert header == ["列名", "コード", "表示名"]
    assert ["状態", "approved", "承認"] in rows
    assert ["請求者_性別", "male", "男"] in rows
    assert ["請求者_性別", "female", "女"] in rows
    assert ["児童3_続柄", "adopted_child", "養子"] in rows
    assert ["児童1_同居区分", "1", "はい"] in rows
    assert ["児童1_同居区分", "0", "いいえ"] in rows
    assert not [row for row in rows if row[0] == "児童4_続柄"]
    assert not [row for row in rows if row[0] == "請求者_氏名"]  # free text has no codes


def test_zip_holds_data_codes_and_readme(child_cases, supervisor_client, supervisor):
    reauthenticated(supervisor_client)
    response, body = _download(
        supervisor_client, procedure=CHILD, format="zip", headers="label", values="codes"
    )
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{CHILD}-decided.zip"'
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.namelist() == ["data.csv", "codes.csv", "README.txt"]
    data = _records(archive.read("data.csv"))
    assert [row["受付番号"] for row in data] == [case.receipt_number for case in child_cases]
    assert data[0]["養育している児童3_請求者との続柄"] == "adopted_child"
    codes = _rows(archive.read("codes.csv"))
    assert ["養育している児童3_請求者との続柄", "adopted_child", "養子"] in codes
    readme = archive.read("README.txt").decode("utf-8-sig")
    assert "data.csv" in readme and "codes.csv" in readme
    assert "列名：申請画面の項目名" in readme
    assert "養育している児童3_氏名：養育している児童（3人目）：氏名／文字列" in readme
    assert "請求者_生年月日：請求者：生年月日／日付（YYYY-MM-DD）" in readme
    entry = AuditEntry.objects.get(action="cases.export", actor=supervisor)
    assert entry.after["format"] == "zip" and entry.after["headers"] == "label"


def test_hostile_answers_are_neutralised_in_every_layout(resident, clerk, supervisor_client):
    proc = procedure(resident.municipality, CHILD)
    answers = example_answers(proc)
    answers["claimant"]["address"] = '=HYPERLINK("http://evil.example","click")'
    answers["children"][0]["name"] = "+cmd|' /C calc'!A0"
    _decide(make_submitted(resident, CHILD, answers=answers), clerk)
    reauthenticated(supervisor_client)
    for headers in ("standard", "label"):
        for values in ("codes", "labels"):
            _response, body = _download(
                supervisor_client, procedure=CHILD, format="csv", headers=headers, values=values
            )
            cells = [cell for row in _rows(body) for cell in row]
            assert '\'=HYPERLINK("http://evil.example","click")' in cells
            assert "'+cmd|' /C calc'!A0" in cells
            assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]


def test_bad_layout_shows_the_form_again_without_exporting(child_cases, supervisor_client):
    reauthenticated(supervisor_client)
    response = supervisor_client.get(
        "/staff/exports/", {"procedure": CHILD, "format": "csv", "headers": "klingon", "values": "labels"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'id="values-labels" value="labels" checked' in page  # the other choices are kept
    assert '<a href="#headers-standard">列名：二つの列名の付け方から選んでください。</a>' in page
    assert "<title>エラー：" in page
    assert not AuditEntry.objects.filter(action="cases.export").exists()


def test_other_department_cannot_export_the_bulky_waste_cases(bulky_case, supervisor_client):
    reauthenticated(supervisor_client)
    response = supervisor_client.get("/staff/exports/", {"procedure": BULKY, "format": "zip"})
    assert response["Content-Type"].startswith("text/html")
    assert '<a href="#procedure">手続き：一覧の手続きから選んでください。</a>' in response.content.decode()
    assert f'<option value="{BULKY}"' not in response.content.decode()  # not offered to another department
    assert not AuditEntry.objects.filter(action="cases.export").exists()


def test_export_streams_in_constant_queries(child_cases, supervisor_client, django_assert_max_num_queries):
    reauthenticated(supervisor_client)
    response = supervisor_client.get(
        "/staff/exports/", {"procedure": CHILD, "format": "csv", "values": "labels"}
    )
    with django_assert_max_num_queries(4):
        body = b"".join(response.streaming_content)
    assert len(_rows(body)) == 3


def test_api_takes_the_same_layout_and_documents_the_zip(child_cases, supervisor):
    from django.test import Client

    from idx.identity.services import api_token_issue
    from tests.api.contract import conforms, openapi
    from tests.conftest import IGA_HOST

    client = Client(
        HTTP_HOST=IGA_HOST, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=supervisor, name='基幹連携')}"
    )
    path = f"/api/v1/staff/exports/{CHILD}"
    as_csv = client.get(path, {"format": "csv", "headers": "label", "values": "labels"})
    first = _records(conforms(as_csv, "GET", path))[0]
    assert first["養育している児童3_請求者との続柄"] == "養子"
    as_zip = client.get(path, {"format": "zip"})
    archive = zipfile.ZipFile(io.BytesIO(conforms(as_zip, "GET", path)))
    assert ["児童3_続柄", "adopted_child", "養子"] in _rows(archive.read("codes.csv"))
    refused = client.get(path, {"format": "csv", "values": "romaji"})
    assert refused.status_code == 422
    parameters = {
        p["name"]: p
        for p in openapi()["paths"]["/api/v1/staff/exports/{procedure_code}"]["get"]["parameters"]
    }
    assert parameters["headers"]["schema"]["enum"] == ["standard", "label"]
    assert parameters["values"]["schema"]["enum"] == ["codes", "labels"]
