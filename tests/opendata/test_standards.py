"""The standard municipal open datasets: every schema, template and demo file checked by frictionless."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from frictionless import Resource, Schema

from idx.demo.opendata import DATA_DIR, DATASETS
from idx.opendata import standards, tabular
from tests.conftest import IGA_HOST

REQUIRED_NUMBERS = {"01", "03", "04", "05", "08", "09", "10", "12", "22", "28"}


def _frictionless(body: bytes, standard: standards.Standard):
    resource = Resource(data=body, format="csv", schema=Schema.from_descriptor(standard.schema))
    return resource.validate()


def test_the_ten_standards_are_there():
    numbers = {standard.number for standard in standards.all_standards()}
    assert numbers >= REQUIRED_NUMBERS
    names = {standard.number: standard.names["ja"] for standard in standards.all_standards()}
    assert names["03"] == "指定緊急避難場所一覧" and names["08"] == "AED設置箇所一覧"
    assert names["28"] == "ゴミの分別方法一覧" and names["04"] == "地域・年齢別人口"


@pytest.mark.parametrize("number", sorted(REQUIRED_NUMBERS))
def test_each_schema_is_a_valid_table_schema_with_the_common_columns(number):
    standard = standards.get(number)
    assert standard is not None
    report = Schema.validate_descriptor(standard.schema)
    assert report.valid, report.errors
    code = standard.field("全国地方公共団体コード")
    assert code and code["constraints"] == {"required": True, "pattern": "^[0-9]{6}$"}
    assert "全国地方公共団体コード" in standard.required
    for name, low, high in (("緯度", -90, 90), ("経度", -180, 180)):
        field = standard.field(name)
        if field:
            assert field["type"] == "number"
            assert (field["constraints"]["minimum"], field["constraints"]["maximum"]) == (low, high)
    for field in standard.fields:
        if field["type"] == "time":
            assert field["format"] == "%H:%M"
        if "電話番号" in field["name"]:
            assert field["constraints"]["pattern"]


@pytest.mark.parametrize("number", sorted(REQUIRED_NUMBERS))
def test_every_template_validates_and_opens_in_excel(number):
    standard = standards.get(number)
    assert standard is not None
    body = standard.template_csv()
    assert body.startswith("\ufeff".encode())  # Excel reads UTF-8 only with the BOM
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == standard.columns and len(rows) == 2
    assert all(rows[1][standard.columns.index(name)] for name in standard.required)
    report = _frictionless(body.removeprefix("\ufeff".encode()), standard)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])
    # And through the upload's own check (normalisation, required columns, frictionless).
    tabular.validate(tabular.read_csv(body, standard=standard), standard=standard)


@pytest.mark.parametrize(
    "spec", [spec for spec in DATASETS if spec.get("standard")], ids=lambda spec: spec["name"]
)
def test_every_demo_csv_conforms_to_its_standard(spec):
    standard = standards.get(spec["standard"])
    assert standard is not None
    for filename, format, _names in spec["files"]:
        if format != "CSV":
            continue
        body = (DATA_DIR / filename).read_bytes()
        header = next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert set(header) <= set(standard.columns), set(header) - set(standard.columns)
        report = _frictionless(body, standard)
        assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])


@pytest.fixture
def client_iga(iga) -> Client:
    return Client(HTTP_HOST=IGA_HOST)


@pytest.mark.django_db
def test_the_schema_download_is_the_table_schema(client_iga):
    response = client_iga.get("/opendata-standards/03/schema.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert 'filename="standard-03-schema.json"' in response["Content-Disposition"]
    document = json.loads(response.content)
    assert document["fieldsMatch"] == "partial"
    assert document["fields"][0]["name"] == "全国地方公共団体コード"
    template = client_iga.get("/opendata-standards/03/template.csv")
    assert template.status_code == 200 and template.content.startswith("\ufeff".encode())
    assert client_iga.get("/opendata-standards/99/template.csv").status_code == 404


@pytest.mark.django_db
def test_the_public_page_lists_every_standard_with_its_downloads(client_iga):
    page = client_iga.get("/opendata-standards/").content.decode()
    for standard in standards.all_standards():
        assert f"/opendata-standards/{standard.number}/template.csv" in page
        assert f"/opendata-standards/{standard.number}/schema.json" in page
    assert "指定緊急避難場所一覧" in page
