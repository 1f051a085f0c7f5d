"""The published statistics: CSV files read back, their figures against the facts, suppression
applied (no small count shown, none recoverable from a row or column), published idempotently."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest
from django.utils import timezone

from idx.applications.models import Application
from idx.assist.models import QuestionTally
from idx.audit.models import AuditEntry
from idx.demo.history import history_applications, month_starts
from idx.identity.models import Department
from idx.insights.disclosure import SUPPRESSED
from idx.insights.facts import facts_refresh
from idx.insights.models import ApplicationMonthFact
from idx.insights.statistics import parse_csv, statistics_publish
from idx.opendata.models import Dataset
from idx.procedures.models import Procedure

pytestmark = pytest.mark.django_db

VOLUME = {"residence-certificate-request": 30, "bulky-waste-collection": 12, "disaster-damage-certificate": 2}
CHANNELS = ["オンライン", "窓口", "紙"]


@pytest.fixture
def statistics_department(iga):
    return Department.objects.create(municipality=iga, code="joho-seisaku", name="情報政策課")


def _history(municipality, resident, months: int = 4):
    procedures = list(
        Procedure.objects.filter(municipality=municipality, code__in=VOLUME).select_related(
            "published_version"
        )
    )
    rows = history_applications(
        municipality,
        procedures,
        month_starts(timezone.localdate(), months),
        random.Random(11),
        volume=VOLUME,
        applicants=[resident],
    )
    for index, application in enumerate(rows):
        application.receipt_number = f"S-{index:06d}"
    Application.objects.bulk_create(rows)
    facts_refresh(municipality=municipality)


def _file(municipality, name: str) -> list[dict[str, str]]:
    dataset = Dataset.objects.get(municipality=municipality, name=name)
    resource = dataset.resources.get()
    with resource.file.open("rb") as handle:
        return parse_csv(handle.read())


def _number(text: str) -> int | None:
    return None if text == SUPPRESSED else int(text)


def test_applications_by_channel_are_published_with_suppression(iga, resident, statistics_department):
    _history(iga, resident)
    published = statistics_publish(municipality=iga)
    assert {dataset.name for dataset in published} >= {
        "idx-statistics-applications-by-channel",
        "idx-statistics-processing-time",
    }
    dataset = Dataset.objects.get(municipality=iga, name="idx-statistics-applications-by-channel")
    assert (dataset.status, dataset.license_id, dataset.theme) == ("published", "cc-by-4.0", "administration")
    assert dataset.department == statistics_department
    rows = _file(iga, "idx-statistics-applications-by-channel")
    assert list(rows[0]) == ["申請月", "手続名", *CHANNELS, "合計", "オンライン率（%）"]
    # Names, not codes; whole months only.
    names = {row["手続名"] for row in rows}
    assert "住民票の写しの交付請求" in names or any("住民票" in name for name in names)
    assert not any("-" in name and name.isascii() for name in names)
    this_month = f"{timezone.localdate():%Y-%m}"
    assert all(row["申請月"] < this_month for row in rows)

    procedures = {p.pk: p.names["ja"] for p in Procedure.objects.filter(municipality=iga)}
    facts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fact in ApplicationMonthFact.objects.filter(municipality=iga):
        facts[(f"{fact.month:%Y-%m}", procedures[fact.procedure_id])][fact.channel] += fact.submitted
    by_month: dict[str, list[dict[str, str]]] = defaultdict(list)
    hidden = 0
    for row in rows:
        by_month[row["申請月"]].append(row)
        values = [_number(row[column]) for column in [*CHANNELS, "合計"]]
        # No small count is shown; what is shown is the true count.
        assert not any(value is not None and 0 < value < 5 for value in values)
        if row["手続名"] != "合計":
            truth = facts[(row["申請月"], row["手続名"])]
            for column, code in zip(CHANNELS, ["online", "counter", "paper"], strict=True):
                assert _number(row[column]) in (None, truth[code])
        # A row never has exactly one hidden entry; a hidden count hides the online share.
        row_hidden = sum(value is None for value in values)
        hidden += row_hidden
        assert row_hidden != 1
        if values[0] is None or values[3] is None:
            assert row["オンライン率（%）"] == SUPPRESSED
        elif values[3]:
            assert float(row["オンライン率（%）"]) == pytest.approx(values[0] * 100 / values[3], abs=0.0501)
    assert hidden, "the rare procedure's small counts are suppressed"
    for month_rows in by_month.values():
        assert month_rows[-1]["手続名"] == "合計"
        for column in [*CHANNELS, "合計"]:
            # A column never has exactly one hidden entry either (its total is the 合計 row).
            assert sum(row[column] == SUPPRESSED for row in month_rows) != 1


def test_processing_time_and_questions(iga, resident, statistics_department):
    _history(iga, resident)
    last_month = month_starts(timezone.localdate(), 1)[0]
    QuestionTally.objects.create(
        municipality=iga, day=last_month, category="garbage", answered=True, count=40
    )
    QuestionTally.objects.create(municipality=iga, day=last_month, category="tax", answered=True, count=3)
    QuestionTally.objects.create(
        municipality=iga, day=last_month, category="unknown", answered=False, count=9
    )
    facts_refresh(municipality=iga)
    statistics_publish(municipality=iga)
    rows = _file(iga, "idx-statistics-processing-time")
    assert list(rows[0]) == [
        "申請月",
        "手続名",
        "決定件数",
        "期間内",
        "期間超過",
        "期間内の割合（%）",
        "平均処理日数",
    ]
    for row in rows:
        decided, within, beyond = (_number(row[c]) for c in ["決定件数", "期間内", "期間超過"])
        if None not in (decided, within, beyond):
            assert decided == within + beyond
        if decided is None:
            assert row["平均処理日数"] == SUPPRESSED
        elif decided:
            assert 0 < float(row["平均処理日数"]) < 80
    questions = _file(iga, "idx-statistics-assistant-questions")
    month = f"{last_month:%Y-%m}"
    shown = {row["分類"]: row["質問数"] for row in questions if row["年月"] == month}
    # 3 is small; 9 (the smallest other) is hidden with it; labels are in Japanese.
    assert shown == {
        "ごみ・リサイクル": "40",
        "税": SUPPRESSED,
        "分類できなかった質問": SUPPRESSED,
        "合計": "52",
    }


def test_publishing_again_changes_nothing_and_needs_the_department(
    iga, watarai, resident, statistics_department
):
    _history(iga, resident)
    statistics_publish(municipality=iga)
    entries = AuditEntry.objects.filter(municipality=iga, action="opendata.generated_dataset_put").count()
    statistics_publish(municipality=iga)
    assert (
        AuditEntry.objects.filter(municipality=iga, action="opendata.generated_dataset_put").count()
        == entries
    )
    # 度会町 has no 情報政策課 in the tests: nothing is published there.
    facts_refresh(municipality=watarai)
    assert statistics_publish(municipality=watarai) == []
    assert not Dataset.objects.filter(municipality=watarai, name__startswith="idx-statistics-").exists()


def test_the_months_running_is_not_published(iga, resident, statistics_department):
    procedure = Procedure.objects.get(municipality=iga, code="residence-certificate-request")
    ApplicationMonthFact.objects.create(
        municipality=iga,
        month=timezone.localdate().replace(day=1),
        procedure=procedure,
        department_id=procedure.department_id,
        channel="online",
        submitted=50,
    )
    assert statistics_publish(municipality=iga) == []
    ApplicationMonthFact.objects.create(
        municipality=iga,
        month=(timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1),
        procedure=procedure,
        department_id=procedure.department_id,
        channel="online",
        submitted=50,
    )
    assert [d.name for d in statistics_publish(municipality=iga)] == [
        "idx-statistics-applications-by-channel"
    ]


def test_alerts_are_not_suppressed_they_describe_nobody(iga, city_admin, statistics_department):
    from idx.notifications.models import Alert, AlertKind, AlertMode, AlertStatus

    last_month = month_starts(timezone.localdate(), 1)[0]
    sent = timezone.make_aware(dt.datetime.combine(last_month + dt.timedelta(days=3), dt.time(9)))
    for number, kind in enumerate([AlertKind.LEVEL3, AlertKind.LEVEL3, AlertKind.SHELTER_OPEN]):
        Alert.objects.create(
            municipality=iga, identifier=f"urn:test:stat:{number}", kind=kind, mode=AlertMode.ACTUAL,
            status=AlertStatus.CANCELLED, msg_type="Alert", issued_by=city_admin, sent_at=sent,
        )  # fmt: skip
    facts_refresh(municipality=iga)
    statistics_publish(municipality=iga)
    rows = {row["種別"]: row["発信件数"] for row in _file(iga, "idx-statistics-alerts")}
    assert rows == {"避難所開設": "1", "高齢者等避難（警戒レベル3）": "2", "合計": "3"}
