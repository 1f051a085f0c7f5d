"""The staff API of bulk import, each answer checked against the OpenAPI document: sources, a dry
run, an import of real rows (201), a refused import (422 naming row and column), a run's status."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from idx.applications.models import Application, Channel
from idx.identity.services import api_token_issue
from tests.api.contract import conforms, openapi
from tests.conftest import IGA_HOST, WATARAI_HOST

from .conftest import csv_bytes, row, xlsx_bytes

BASE = "/api/v1/staff/imports"


def _client(user, host: str = IGA_HOST) -> tuple[Client, dict[str, str]]:
    return Client(HTTP_HOST=host), {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user, name='RPA')}"}


def test_sources_dry_run_import_and_status(health_clerk, source):
    client, auth = _client(health_clerk)
    listed = conforms(client.get(f"{BASE}/sources", **auth), "GET", f"{BASE}/sources")
    assert [item["name"] for item in listed] == ["母子保健システム"]
    assert listed[0]["mapping"]["出産予定日"] == "expected_delivery_date"

    path = f"{BASE}/sources/{source.pk}/dry-run"
    bad = SimpleUploadedFile("bad.csv", csv_bytes([row(1), row(2, 喫煙="たまに")], "cp932"))
    answer = client.post(path, {"file": bad}, HTTP_ACCEPT_LANGUAGE="ja", **auth)
    report = conforms(answer, "POST", path)
    assert report["status"] == "refused" and report["encoding"] == "cp932" and report["error_rows"] == 1
    assert [(p["row"], p["column"], p["code"]) for p in report["problems"]] == [(3, "喫煙", "yes_no")]
    assert "たまに" in report["problems"][0]["message"]

    path = f"{BASE}/sources/{source.pk}/import"
    refused = client.post(
        path, {"file": SimpleUploadedFile("bad.csv", csv_bytes([row(1), row(2, 喫煙="たまに")]))}, **auth
    )
    body = conforms(refused, "POST", path)
    assert refused.status_code == 422 and body["code"] == "import_refused", body
    assert body["errors"][0]["path"] == "file:3:喫煙"
    assert not Application.objects.filter(channel=Channel.IMPORTED).exists()

    workbook = xlsx_bytes([row(1), row(2), row(3)])
    good = SimpleUploadedFile("good.xlsx", workbook)
    done = client.post(path, {"file": good}, **auth)
    run = conforms(done, "POST", path)
    assert done.status_code == 201 and run["status"] == "imported" and run["imported"] == 3
    assert Application.objects.filter(channel=Channel.IMPORTED, status="submitted").count() == 3

    status_path = f"{BASE}/runs/{run['id']}"
    status = conforms(client.get(status_path, **auth), "GET", status_path)
    assert status["status"] == "imported" and status["sha256"] == run["sha256"]

    again = client.post(path, {"file": SimpleUploadedFile("again.xlsx", workbook)}, **auth)
    assert again.status_code == 422 and conforms(again, "POST", path)["errors"][0]["code"] == "duplicate_file"

    missing = client.post(path, {}, **auth)
    assert missing.status_code == 422 and conforms(missing, "POST", path)["errors"]


def test_other_municipality_and_department_get_not_found(source, clerk_other_municipality, clerk):
    client, auth = _client(clerk_other_municipality, WATARAI_HOST)
    path = f"{BASE}/sources/{source.pk}/dry-run"
    answer = client.post(path, {"file": SimpleUploadedFile("a.csv", csv_bytes([row(1)]))}, **auth)
    assert answer.status_code == 404
    assert conforms(client.get(f"{BASE}/sources", **auth), "GET", f"{BASE}/sources") == []
    client, auth = _client(clerk)  # こども家庭課: another department's procedure
    assert (
        client.post(path, {"file": SimpleUploadedFile("a.csv", csv_bytes([row(1)]))}, **auth).status_code
        == 404
    )


def test_the_document_names_the_upload_and_429():
    document = openapi()
    operation = document["paths"]["/api/v1/staff/imports/sources/{source_id}/import"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"201", "404", "422", "429"} <= set(operation["responses"])
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    names = [name for name in document["components"]["schemas"] if name.startswith("Import")]
    assert {"ImportRunOut", "ImportSourceOut", "ImportRowProblemOut"} <= set(names)
