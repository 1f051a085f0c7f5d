"""The OpenAPI document tells the whole truth: the auth schemes as the server reads them (and they
work as stated), every answer an operation can give with its schema, the header parameters, the
enums and lengths of request bodies, and links that name real operations."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from idx.applications import services
from idx.assist.models import Inquiry
from idx.identity.services import api_token_issue
from tests.api.contract import conforms, openapi
from tests.conftest import CHILD_ALLOWANCE, IGA_HOST, make_submitted, signed_in

pytestmark = pytest.mark.django_db


def operations():
    for path, methods in openapi()["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_served_document_is_the_completed_one(municipalities):
    served = json.loads(Client(HTTP_HOST=IGA_HOST).get("/api/v1/openapi.json").content)
    assert served == openapi()


def test_auth_schemes_are_those_the_server_reads(municipalities):
    schemes = openapi()["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {**schemes["TokenAuth"], "type": "http", "scheme": "bearer"}
    assert (schemes["SessionAuth"]["in"], schemes["SessionAuth"]["name"]) == ("cookie", "sessionid")
    assert (schemes["CsrfToken"]["in"], schemes["CsrfToken"]["name"]) == ("header", "X-CSRFToken")
    assert "X-Session" not in json.dumps(openapi())
    for path, method, operation in operations():
        for requirement in operation.get("security", []):
            if "SessionAuth" in requirement:
                assert ("CsrfToken" in requirement) == (method in {"post", "put", "patch", "delete"}), (
                    path,
                    method,
                )


def test_the_session_cookie_with_the_csrf_header_works_as_documented(resident):
    client = signed_in(resident, enforce_csrf_checks=True)
    token = "k" * 32  # the CSRF secret a page's cookie carries (any form page sets one)
    client.cookies["csrftoken"] = token
    body = json.dumps({"procedure": CHILD_ALLOWANCE})
    without = client.post("/api/v1/applications", body, content_type="application/json")
    assert conforms(without, "POST", "/api/v1/applications")["code"] == "unauthenticated"
    with_header = client.post(
        "/api/v1/applications", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert with_header.status_code == 201
    conforms(with_header, "POST", "/api/v1/applications")
    assert client.get("/api/v1/applications").status_code == 200  # safe methods need the cookie only


def test_every_operation_documents_the_shared_answers(municipalities):
    for path, method, operation in operations():
        responses = operation["responses"]
        assert "429" in responses and "Retry-After" in responses["429"]["headers"], (path, method)
        security = operation.get("security")
        if security and {} not in security:
            assert {"401", "403"} <= set(responses), (path, method)
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in responses, (path, method)
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert {"400", "413", "415"} <= set(responses), (path, method)
        for status, answer in responses.items():
            if status.startswith("4") or status.startswith("5"):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (path, method, status)


def test_header_parameters_and_anonymous_inquiries(municipalities):
    paths = openapi()["paths"]

    def headers(path, method):
        return {p["name"] for p in paths[path][method].get("parameters", []) if p["in"] == "header"}

    assert "Idempotency-Key" in headers("/api/v1/applications", "post")
    assert "Idempotency-Key" in headers("/api/v1/applications/{application_id}/payments", "post")
    assert "X-Inquiry-Token" in headers("/api/v1/inquiries/{tracking_number}", "get")
    assert "X-Inquiry-Token" in headers("/api/v1/inquiries/{tracking_number}/replies", "post")
    for path in ("/api/v1/inquiries", "/api/v1/inquiries/{tracking_number}"):
        method = "post" if path == "/api/v1/inquiries" else "get"
        assert {} in paths[path][method]["security"]


def test_the_inquiry_token_header_reads_an_inquiry_without_an_account(iga):
    from idx.assist.services import inquiries as assist
    from idx.identity.models import Department

    inquiry, token = assist.inquiry_create(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="jumin"),
        resident=None,
        name="伊賀 次郎",
        email="jiro@example.jp",
        subject="住民票の写し",
        body="郵送で請求できますか。",
        language="ja",
    )
    path = f"/api/v1/inquiries/{inquiry.public_id}"
    client = Client(HTTP_HOST=IGA_HOST)
    read = client.get(path, headers={"X-Inquiry-Token": token})
    assert conforms(read, "GET", path)["subject"] == "住民票の写し"
    assert (
        conforms(client.get(path, headers={"X-Inquiry-Token": "wrong"}), "GET", path)["code"] == "not_found"
    )
    assert Inquiry.objects.filter(pk=inquiry.pk).exists()


def test_request_schemas_carry_enums_and_lengths(municipalities):
    schemas = openapi()["components"]["schemas"]
    assert schemas["TransitionIn"]["properties"]["event"]["enum"] == [
        "start_review",
        "request_correction",
        "approve",
        "reject",
    ]
    assert schemas["ApplicationCreateIn"]["properties"]["procedure"]["maxLength"] == 80
    assert schemas["PaymentIn"]["properties"]["provider"]["maxLength"] == 40
    assert schemas["InquiryIn"]["properties"]["subject"]["maxLength"] == 150
    export = openapi()["paths"]["/api/v1/staff/exports/{procedure_code}"]["get"]
    [format_parameter] = [p for p in export["parameters"] if p["name"] == "format"]
    assert format_parameter["schema"]["enum"] == ["csv", "zip", "json"]
    move = openapi()["paths"]["/api/v1/staff/booking/tickets/{ticket_id}/{move}"]["post"]
    [move_parameter] = [p for p in move["parameters"] if p["name"] == "move"]
    assert set(move_parameter["schema"]["enum"]) == {"start", "finish", "no_show", "recall", "cancel"}


def test_links_name_real_operations_and_parameters(municipalities):
    document = openapi()
    by_ref = {
        f"#/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}": operation
        for path, method, operation in operations()
    }
    links = [
        link
        for _path, _method, operation in operations()
        for answer in operation["responses"].values()
        for link in answer.get("links", {}).values()
    ]
    assert len(links) >= 14
    for link in links:
        target = by_ref[link["operationRef"]]
        names = {p["name"] for p in target.get("parameters", [])}
        for parameter in link["parameters"]:
            assert parameter.removeprefix("header.") in names, (link, names)
    assert document["paths"]["/api/v1/inquiries"]["post"]["responses"]["201"]["links"]["GetInquiry"]


def test_export_answers_the_documented_content_types(resident, clerk, supervisor):
    application = make_submitted(resident)
    application = services.case_start_review(
        application=application, staff=clerk, expected_version=application.row_version
    )
    services.case_decide(
        application=application,
        staff=clerk,
        approve=True,
        reason="",
        expected_version=application.row_version,
    )
    client = Client(
        HTTP_HOST=IGA_HOST, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=supervisor, name='x')}"
    )
    path = f"/api/v1/staff/exports/{CHILD_ALLOWANCE}"
    as_csv = client.get(path, {"format": "csv"})
    rows = list(csv.reader(io.StringIO(conforms(as_csv, "GET", path).decode().lstrip("\ufeff"))))
    assert rows[1][0] == application.receipt_number
    as_json = client.get(path, {"format": "json"})
    cases = conforms(as_json, "GET", path)["cases"]
    assert [case["受付番号"] for case in cases] == [application.receipt_number]
    refused = client.get(path, {"format": "xlsx"})
    assert conforms(refused, "GET", path)["errors"][0]["path"].endswith("format")


def test_the_interactive_documentation_serves_the_document(municipalities):
    response = Client(HTTP_HOST=IGA_HOST).get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_no_two_api_schemas_share_a_name():
    """OpenAPI names a component after its class: two classes of one name would document one shape
    for both (a survey's answer once stood for the assistant's)."""
    import importlib
    import inspect
    import pkgutil

    from ninja import Schema

    import idx.api

    seen: dict[str, str] = {}
    clashes = []
    for info in pkgutil.iter_modules(idx.api.__path__):
        module = importlib.import_module(f"idx.api.{info.name}")
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Schema) and value.__module__ == module.__name__:
                if name in seen:
                    clashes.append(f"{name}: {seen[name]} and {module.__name__}")
                seen[name] = module.__name__
    assert not clashes, clashes
