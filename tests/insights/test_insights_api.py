"""The insights API with real rows, every answer checked against the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from idx.identity.models import Department
from idx.identity.services import api_token_issue
from idx.insights.models import Intervention, Kpi
from idx.insights.selectors import add_months, last_complete_month
from tests.api.contract import conforms
from tests.conftest import IGA_HOST, clerk_department
from tests.insights.builders import application_facts, make_kpi, months_from

pytestmark = pytest.mark.django_db

CHILD = "child-allowance-status-report"
CARE = "childcare-facility-status-report"


class Api:
    def __init__(self, user=None):
        self.client = Client(HTTP_HOST=IGA_HOST)
        self.headers = (
            {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user, name='insights')}"} if user else {}
        )

    def get(self, path: str, **params):
        response = self.client.get(f"/api/v1{path}", params, **self.headers)
        return response, conforms(response, "GET", f"/api/v1{path}")

    def post(self, path: str, data: dict):
        response = self.client.post(
            f"/api/v1{path}", json.dumps(data), content_type="application/json", **self.headers
        )
        return response, conforms(response, "POST", f"/api/v1{path}")


@pytest.fixture
def history(iga):
    last = last_complete_month()
    start = add_months(last, -5)  # the step: six months after, eighteen before
    months = months_from(add_months(last, -23), 24)
    application_facts(
        iga,
        CHILD,
        months,
        online=lambda m: 480 if m >= start else 300,
        counter=400,
        paper=lambda m: 120 if m >= start else 300,
    )
    application_facts(iga, CARE, months, online=350, counter=400, paper=250)
    public = make_kpi(
        iga, clerk_department(iga), code="online", is_public=True, procedure_codes=[CHILD, CARE]
    )
    private = make_kpi(
        iga,
        Department.objects.get(municipality=iga, code="kaigo-koureifukushi"),
        code="care",
        names={"ja": "介護"},
    )
    intervention = Intervention.objects.create(
        municipality=iga,
        titles={"ja": "現況届のリマインダーをLINEでも送信"},
        started_on=start,
        department=clerk_department(iga),
        procedure_codes=[CHILD],
        comparison_procedure_codes=[CARE],
    )
    intervention.kpis.add(public)
    return public, private, intervention


def test_public_kpis_and_series(history):
    public, private, _intervention = history
    response, body = Api().get("/insights/kpis")
    assert response.status_code == 200
    assert [item["code"] for item in body] == ["online"]
    assert body[0]["value"] is not None
    response, body = Api().get("/insights/kpis/online/series", granularity="quarter")
    assert response.status_code == 200
    assert body["granularity"] == "quarter"
    response, _body = Api().get("/insights/kpis/care/series")
    assert response.status_code == 404


def test_staff_kpis_scope(history, city_admin, clerk):
    _response, body = Api(city_admin).get("/staff/insights/kpis")
    assert {item["code"] for item in body} == {"online", "care"}
    _response, body = Api(clerk).get("/staff/insights/kpis")
    assert {item["code"] for item in body} == {"online"}
    response, _body = Api(clerk).get(f"/staff/insights/kpis/{history[1].pk}/series")
    assert response.status_code == 404


def test_staff_series_channels_interventions_and_effect(history, city_admin):
    public, _private, intervention = history
    api = Api(city_admin)
    response, body = api.get(f"/staff/insights/kpis/{public.pk}/series", procedure=CHILD)
    assert response.status_code == 200
    assert len(body["points"]) == 12
    response, body = api.get("/staff/insights/channels")
    assert body[-1]["online"] == 480 + 350
    response, body = api.get("/staff/insights/interventions")
    assert body[0]["kpis"] == ["online"]
    response, body = api.get(f"/staff/insights/interventions/{intervention.pk}/effect", kpi="online")
    assert response.status_code == 200
    assert body["reliable"] is True
    its = body["interrupted_time_series"]
    # 300 → 480 of 1,000 on CHILD: +18 points.
    assert its["low"] <= 18 <= its["high"]
    did = body["difference_in_differences"]
    assert did["low"] <= 18 <= did["high"]
    assert "信頼区間" in body["explanation"]["ja"]
    assert body["caveats"]["en"]


def test_staff_writes(history, city_admin, clerk, iga):
    api = Api(city_admin)
    payload = {
        "code": "paper-share",
        "names": {"ja": "紙の申請の割合"},
        "numerator": "applications_paper",
        "denominator": "applications",
        "owner": "kodomo-katei",
        "target": "10",
        "direction": "down",
    }
    response, body = api.post("/staff/insights/kpis", payload)
    assert response.status_code == 201
    assert body["code"] == "paper-share"
    response, body = api.post("/staff/insights/kpis", payload)
    assert response.status_code == 422
    response, body = api.post(
        "/staff/insights/interventions",
        {
            "titles": {"ja": "紙の申請書をホームページから削除"},
            "started_on": "2026-09-01",
            "department": "kodomo-katei",
            "kpis": ["paper-share"],
            "procedures": [CHILD],
            "comparison_procedures": [CHILD],
        },
    )
    assert response.status_code == 422
    assert Kpi.objects.filter(municipality=iga, code="paper-share").exists()
    response, _body = Api(clerk).post("/staff/insights/kpis", payload | {"code": "x"})
    assert response.status_code == 403
