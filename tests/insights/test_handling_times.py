"""Staff time per case, per channel and per step: real applications (online, at the counter, on
paper through the intake's verification records, imported) give the facts' sums, the staff
dashboard shows them in words, and another city's cases never count."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.urls import reverse
from django.utils import timezone

from idx.applications import services
from idx.applications.models import Application, Status
from idx.insights.facts import facts_refresh
from idx.insights.models import ApplicationMonthFact, Channel, Measure
from idx.insights.presentation import duration_text
from idx.insights.selectors import add_months, cube_load, last_complete_month
from idx.intake.models import FormVerification, ScanBatch
from tests.conftest import make_in_review, make_submitted
from tests.insights.builders import make_kpi

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def _base() -> dt.datetime:
    """09:00 on the 10th of the last complete month (inside the dashboard's default span)."""
    day = last_complete_month().replace(day=10)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def _set(application: Application, **fields) -> None:
    Application.objects.filter(pk=application.pk).update(**fields)


def _decided_online(resident, staff, base, *, review_after, decided_after):
    """An online case opened for review and approved through the services, its times then set."""
    application = make_in_review(resident, staff)
    assert application.review_started_at is not None  # set by case_start_review
    application = services.case_decide(
        application=application,
        staff=staff,
        approve=True,
        reason="",
        expected_version=application.row_version,
    )
    _set(
        application,
        submitted_at=base,
        review_started_at=base + review_after,
        decided_at=base + decided_after,
    )
    return application


def _paper(resident, clerk, base, *, reading: float, verifying: dt.timedelta):
    """A paper case with the intake's record of its form: read in ``reading`` seconds, verified in
    ``verifying`` (the case is submitted when its form is verified)."""
    application = make_submitted(resident)
    _set(application, channel="paper", submitted_at=base)
    batch = ScanBatch.objects.create(
        municipality=clerk.municipality,
        public_id=f"scn_{secrets.token_hex(12)}",
        uploaded_by=clerk,
        original_name="scan.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        status=ScanBatch.Status.DONE,
        page_count=2,
    )
    FormVerification.objects.create(
        municipality=clerk.municipality,
        batch=batch,
        first_page=1,
        form_serial=secrets.token_hex(4),
        procedure_version_id=application.procedure_version_id,
        started_at=base - verifying,
        started_by=clerk,
        verified_at=base,
        verified_by=clerk,
        application=application,
        reading_seconds=reading,
    )
    return application


@pytest.fixture
def cases(iga, resident, clerk, watarai_resident, clerk_other_municipality):
    base = _base()
    # Online, reviewed a day after submission and decided 2 h 15 min later.
    _decided_online(
        resident,
        clerk,
        base,
        review_after=dt.timedelta(days=1),
        decided_after=dt.timedelta(days=1, minutes=135),
    )
    # Online, submitted and not yet reviewed: counted as an application, no time.
    make_submitted(resident)
    # At the counter: the clerk fills it in for 12 minutes; reviewed, decided 30 minutes later.
    counter = make_submitted(resident)
    _set(
        counter,
        channel="counter",
        assisted_by=clerk,
        created_at=base,
        submitted_at=base + 12 * MINUTE,
        status=Status.APPROVED,
        review_started_at=base + dt.timedelta(hours=1),
        decided_at=base + dt.timedelta(hours=1, minutes=30),
    )
    # At the counter but started and submitted at the same moment (a loaded record): not keyed here.
    loaded = make_submitted(resident)
    _set(loaded, channel="counter", assisted_by=clerk, created_at=base, submitted_at=base)
    # Two paper forms: read by the machine in 3.4 s and 2.8 s, verified in 5 and 3 minutes.
    _paper(resident, clerk, base, reading=3.4, verifying=5 * MINUTE)
    _paper(resident, clerk, base, reading=2.8, verifying=3 * MINUTE)
    # Imported from another system, reviewed and decided two days later.
    imported = make_submitted(resident)
    _set(
        imported,
        channel="imported",
        submitted_at=base,
        status=Status.APPROVED,
        review_started_at=base + dt.timedelta(days=1),
        decided_at=base + dt.timedelta(days=3),
    )
    # Another city's online case: never in 伊賀市's figures.
    _decided_online(
        watarai_resident,
        clerk_other_municipality,
        base,
        review_after=dt.timedelta(hours=1),
        decided_after=dt.timedelta(days=40),
    )
    facts_refresh(municipality=iga)
    return base


def _sums(municipality) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    fields = [
        "submitted",
        "reading_seconds_sum",
        "read",
        "keying_seconds_sum",
        "keyed",
        "deciding_seconds_sum",
        "deciding_count",
    ]
    for fact in ApplicationMonthFact.objects.filter(municipality=municipality):
        row = totals.setdefault(fact.channel, dict.fromkeys(fields, 0))
        for name in fields:
            row[name] += getattr(fact, name)
    return totals


def test_facts_sum_staff_time_per_channel_and_step(iga, cases):
    sums = _sums(iga)
    assert sums[Channel.ONLINE] == {
        "submitted": 2,
        "reading_seconds_sum": 0,
        "read": 0,
        "keying_seconds_sum": 0,
        "keyed": 0,
        "deciding_seconds_sum": 135 * 60,
        "deciding_count": 1,
    }
    assert sums[Channel.COUNTER]["submitted"] == 2
    assert sums[Channel.COUNTER]["keying_seconds_sum"] == 12 * 60
    assert sums[Channel.COUNTER]["keyed"] == 1
    assert sums[Channel.COUNTER]["deciding_seconds_sum"] == 30 * 60
    assert sums[Channel.PAPER] == {
        "submitted": 2,
        "reading_seconds_sum": 6,  # 3.4 + 2.8, to the second
        "read": 2,
        "keying_seconds_sum": 8 * 60,
        "keyed": 2,
        "deciding_seconds_sum": 0,
        "deciding_count": 0,
    }
    assert sums[Channel.IMPORTED]["keyed"] == 0
    assert sums[Channel.IMPORTED]["deciding_seconds_sum"] == 2 * 86400
    # The same facts again: a rebuild is idempotent.
    facts_refresh(municipality=iga)
    assert _sums(iga) == sums


def test_other_city_counts_only_its_own(iga, watarai, cases):
    facts_refresh(municipality=watarai)
    watarai_sums = _sums(watarai)
    assert set(watarai_sums) == {Channel.ONLINE}
    assert watarai_sums[Channel.ONLINE]["deciding_seconds_sum"] == (40 * 24 - 1) * 3600
    assert _sums(iga)[Channel.ONLINE]["deciding_seconds_sum"] == 135 * 60


def test_a_kpi_can_average_staff_time(iga, clerk, cases):
    from idx.identity.models import Department
    from idx.insights.selectors import Period, kpi_value_in

    owner = Department.objects.get(municipality=iga, code="kodomo-katei")
    kpi = make_kpi(
        iga,
        owner,
        code="keying-minutes",
        numerator=Measure.KEYING_MINUTES,
        denominator=Measure.KEYED,
        unit="minutes",
        target=None,
    )
    month = last_complete_month()
    cube = cube_load(municipality=iga, start=month, end=add_months(month, 1))
    value = kpi_value_in(cube, kpi, Period(month, add_months(month, 1), "")).value
    assert value is not None and float(value) == pytest.approx((12 + 8) / 3, abs=0.05)


def test_dashboard_shows_staff_time_in_words(city_admin_client, cases):
    page = city_admin_client.get(
        reverse("backoffice:insights_home"), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert "1件あたりの職員の処理時間" in page
    table = page.split('id="staff-time"')[1].split("</table>")[0]
    rows = {row.split("</th>")[0].rsplit(">", 1)[-1]: row for row in table.split('<th scope="row">')[1:]}
    assert set(rows) == {"オンライン", "窓口", "郵送・紙", "他システムからの取込"}
    assert "2時間15分" in rows["オンライン"]
    assert "12分" in rows["窓口"] and "30分" in rows["窓口"]
    assert "3秒" in rows["郵送・紙"] and "4分" in rows["郵送・紙"]
    assert "2日" in rows["他システムからの取込"]
    assert "—" in rows["オンライン"]  # nothing read or keyed of an online application
    assert "PT" not in table and "P2D" not in table


def test_staff_time_csv(city_admin_client, cases):
    response = city_admin_client.get(reverse("backoffice:insights_csv", args=["staff_times"]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode(
        "utf-8-sig"
    )
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == 5
    paper = next(line for line in lines if line.startswith("郵送・紙"))
    assert paper.split(",")[1:5] == ["2", "3.0", "4.0", "2"]


@pytest.mark.parametrize(
    ("seconds", "ja"),
    [(None, "—"), (20, "1分未満"), (8100, "2時間15分"), (3600, "1時間"), (86400 * 2 + 3 * 3600, "2日3時間")],
)
def test_duration_in_words(seconds, ja):
    from django.utils import translation

    with translation.override("ja"):
        assert duration_text(seconds) == ja
    with translation.override("en"):
        if seconds == 8100:
            assert duration_text(seconds) == "2 hours 15 minutes"


def test_staff_time_in_the_api(city_admin, clerk_other_municipality, cases):
    from django.test import Client

    from idx.identity.services import api_token_issue
    from tests.api.contract import conforms
    from tests.conftest import IGA_HOST

    token = api_token_issue(user=city_admin, name="insights")
    client = Client(HTTP_HOST=IGA_HOST, HTTP_ACCEPT_LANGUAGE="ja")
    path = "/api/v1/staff/insights/staff-time"
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    body = conforms(response, "GET", path)
    assert response.status_code == 200
    rows = {row["channel"]: row for row in body}
    assert list(rows) == ["online", "counter", "paper", "imported"]
    assert rows["online"]["review_to_decision_seconds"] == 135 * 60
    assert rows["online"]["review_to_decision"] == "2時間15分"
    assert rows["online"]["keying_minutes_per_application"] is None
    assert rows["paper"]["forms_read"] == 2 and float(rows["paper"]["reading_seconds_per_form"]) == 3.0
    assert float(rows["counter"]["keying_minutes_per_application"]) == 12.0
