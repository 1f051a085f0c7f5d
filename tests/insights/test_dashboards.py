"""The staff dashboards: pages, filters, CSV downloads, forms, department scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from idx.audit.models import AuditEntry
from idx.identity.models import Department
from idx.insights.models import Intervention, Kpi
from idx.insights.selectors import add_months, fiscal_year_to_date, last_complete_month
from tests.conftest import clerk_department, signed_in
from tests.insights.builders import application_facts, counter_facts, make_kpi, months_from, sign_in_facts

pytestmark = pytest.mark.django_db

CHILD = "child-allowance-certification"
CARE = "care-needs-certification"


@pytest.fixture
def facts(iga):
    last = last_complete_month()
    months = months_from(add_months(last, -23), 24)
    application_facts(iga, CHILD, months, online=30, counter=50, paper=20)
    application_facts(iga, CARE, months, online=60, counter=30, paper=10)
    counter_facts(iga, clerk_department(iga).pk, [last, last.replace(day=2)], wait=12)
    sign_in_facts(iga, months)
    return months


@pytest.fixture
def kpis(iga, facts):
    child = make_kpi(iga, clerk_department(iga), code="online", target=50)
    care_department = Department.objects.get(municipality=iga, code="kaigo-koureifukushi")
    care = make_kpi(
        iga, care_department, code="care-online", procedure_codes=[CARE], names={"ja": "介護のオンライン率"}
    )
    return child, care


def test_home_shows_cards_chart_tables(city_admin_client, kpis):
    response = city_admin_client.get(reverse("backoffice:insights_home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "オンライン申請の割合" in page
    assert "45%" in page  # (30 + 60) / 200 over the last twelve months
    assert '<svg class="ins-chart"' in page
    assert "<table" in page
    assert "介護のオンライン率" in page


def test_home_query_count_is_flat(city_admin_client, kpis, django_assert_max_num_queries):
    with django_assert_max_num_queries(25):
        city_admin_client.get(reverse("backoffice:insights_home"))


def test_filters_narrow_to_a_procedure_and_quarter(city_admin_client, kpis, iga):
    response = city_admin_client.get(
        reverse("backoffice:insights_home"), {"procedure": CARE, "granularity": "quarter"}
    )
    page = response.content.decode()
    assert "60%" in page
    assert "年度" in page and "四半期" in page


def test_clerk_sees_own_department_only(kpis, clerk):
    client = signed_in(clerk)
    page = client.get(reverse("backoffice:insights_home")).content.decode()
    assert "オンライン申請の割合" in page
    assert "介護のオンライン率" not in page
    assert client.get(reverse("backoffice:insights_kpi", args=[kpis[1].pk])).status_code == 404
    # Only こども家庭課's facts: CHILD is 30 %.
    assert "30%" in page
    assert "こども家庭課の分だけ" in page


def test_other_municipality_staff_see_nothing(kpis, clerk_other_municipality):
    client = signed_in(clerk_other_municipality, host="watarai.localhost")
    assert client.get(reverse("backoffice:insights_kpi", args=[kpis[0].pk])).status_code == 404


def test_csv_is_the_table_with_bom_and_japanese_headers(city_admin_client, kpis):
    response = city_admin_client.get(reverse("backoffice:insights_csv", args=["channels"]))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    lines = body.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("対象期間,オンライン,窓口")
    assert len(lines) == 13
    assert lines[1].split(",")[1:6] == [
        "90",
        "80",
        "30",
        "0",
        "200",
    ]  # online, counter, paper, imported, total
    assert city_admin_client.get(reverse("backoffice:insights_csv", args=["nope"])).status_code == 404


def test_kpi_page_shows_chart_table_and_effect(city_admin_client, kpis, iga):
    kpi = kpis[0]
    intervention = Intervention.objects.create(
        municipality=iga,
        titles={"ja": "現況届のリマインダーをLINEでも送信"},
        started_on=add_months(last_complete_month(), -5),
        department=clerk_department(iga),
        procedure_codes=[CHILD],
        comparison_procedure_codes=[CARE],
    )
    intervention.kpis.add(kpi)
    response = city_admin_client.get(reverse("backoffice:insights_kpi", args=[kpi.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "ins-marker" in page
    assert 'id="kpi-table"' in page
    assert "95%信頼区間" in page
    assert "現況届のリマインダー" in page
    csv = b"".join(
        city_admin_client.get(reverse("backoffice:insights_kpi_csv", args=[kpi.pk])).streaming_content
    ).decode()
    assert "オンライン申請の割合" in csv.splitlines()[0]


def test_create_kpi_is_audited_and_errors_name_the_field(city_admin_client, iga, facts):
    url = reverse("backoffice:insights_kpi_new")
    assert city_admin_client.get(url).status_code == 200
    owner = clerk_department(iga)
    data = {
        "name_ja": "現況届のオンライン率",
        "name_en": "Status reports made online",
        "code": "status-online",
        "numerator": "applications_online",
        "denominator": "",
        "unit": "percent",
        "procedures": [CHILD],
        "target": "40",
        "target_fiscal_year": "2027",
        "direction": "up",
        "owner": str(owner.pk),
        "is_public": "on",
    }
    response = city_admin_client.post(url, data)
    assert response.status_code == 422
    assert "分母" in response.content.decode()
    data["denominator"] = "applications"
    response = city_admin_client.post(url, data)
    assert response.status_code == 302
    kpi = Kpi.objects.get(municipality=iga, code="status-online")
    assert kpi.is_public and kpi.procedure_codes == [CHILD]
    assert AuditEntry.objects.filter(action="insights.kpi_create", target_id=str(kpi.pk)).exists()
    data["target"] = "45"
    response = city_admin_client.post(reverse("backoffice:insights_kpi_edit", args=[kpi.pk]), data)
    assert response.status_code == 302
    kpi.refresh_from_db()
    assert kpi.target == 45


def test_log_intervention(city_admin_client, iga, kpis):
    url = reverse("backoffice:insights_intervention_new")
    data = {
        "title_ja": "現況届のリマインダーをLINEでも送信",
        "started_on": "2026-06-01",
        "department": str(clerk_department(iga).pk),
        "kpis": [str(kpis[0].pk)],
        "procedures": [CHILD],
        "comparison_procedures": [CHILD],
    }
    response = city_admin_client.post(url, data)
    assert response.status_code == 422
    assert "比較対象" in response.content.decode()
    data["comparison_procedures"] = [CARE]
    assert city_admin_client.post(url, data).status_code == 302
    intervention = Intervention.objects.get(municipality=iga)
    assert AuditEntry.objects.filter(action="insights.intervention_log").exists()
    page = city_admin_client.get(reverse("backoffice:insights_interventions")).content.decode()
    assert "現況届のリマインダー" in page
    data["title_ja"] = "現況届のリマインダーをLINEとメールで送信"
    edit = reverse("backoffice:insights_intervention_edit", args=[intervention.pk])
    assert city_admin_client.post(edit, data).status_code == 302
    intervention.refresh_from_db()
    assert "メール" in intervention.titles["ja"]


def test_clerk_may_not_edit_kpis(clerk, kpis):
    client = signed_in(clerk)
    assert client.get(reverse("backoffice:insights_kpi_new")).status_code == 404
    assert client.get(reverse("backoffice:insights_intervention_new")).status_code == 404


def test_department_admin_may_not_edit_another_departments_kpi(iga, kpis):
    from tests.factories import StaffFactory

    admin = StaffFactory(municipality=iga, department=clerk_department(iga), role="department_admin")
    client = signed_in(admin)
    assert client.get(reverse("backoffice:insights_kpi_edit", args=[kpis[0].pk])).status_code == 200
    # The care KPI is not in sight of こども家庭課 (neither its own nor public).
    assert client.get(reverse("backoffice:insights_kpi_edit", args=[kpis[1].pk])).status_code == 404


def test_current_fiscal_year_label(iga):
    assert "年度" in fiscal_year_to_date().label or "FY" in fiscal_year_to_date().label


# ---- the public subset ----------------------------------------------------------------------


def _public(path: str, language: str = "ja"):
    from django.test import Client

    from tests.conftest import IGA_HOST

    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies["idx_language"] = language
    return client.get(path)


@pytest.mark.parametrize(
    ("language", "words"), [("ja", "目標"), ("ja-easy", "目標"), ("en", "Target"), ("vi", "Mục tiêu")]
)
def test_public_page_shows_public_kpis_only_in_each_language(kpis, language, words):
    public, staff_only = kpis
    public.is_public = True
    public.save(update_fields=["is_public"])
    response = _public(reverse("portal:insights_public"), language)
    page = response.content.decode()
    assert response.status_code == 200
    assert words in page
    assert reverse("portal:insights_public_kpi", args=[public.code]) in page
    assert staff_only.code not in page
    assert "介護のオンライン率" not in page
    if language == "en":
        assert "Share of applications made online" in page
    assert _public(reverse("portal:insights_public_kpi", args=[staff_only.code])).status_code == 404


def test_public_kpi_page_has_chart_table_and_csv(kpis):
    public = kpis[0]
    public.is_public = True
    public.save(update_fields=["is_public"])
    page = _public(reverse("portal:insights_public_kpi", args=[public.code]), "en").content.decode()
    assert '<svg class="ins-chart"' in page
    assert 'id="kpi-table"' in page
    assert "Intervention" not in page and "department" not in page.lower().split("<footer")[0]
    response = _public(reverse("portal:insights_public_kpi_csv", args=[public.code]))
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    assert len(body.splitlines()) == 25  # a header and 24 months


def test_charts_keep_labels_inside():
    from decimal import Decimal

    from idx.insights.charts import Marker, line_chart

    svg = str(
        line_chart(
            title="t",
            labels=[str(index) for index in range(24)],
            values=[Decimal(index) for index in range(24)],
            target=Decimal(20),
            target_label="目標",
            markers=[Marker(index=18, label="施策")],
        )
    )
    assert 'text-anchor="end">施策' in svg
    assert 'role="img" aria-label="t"' in svg
    assert "<script" not in svg and "style=" not in svg
