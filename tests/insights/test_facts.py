"""The facts rebuild against a direct count of real rows (a few hundred generated applications,
tickets, tallies, alerts and sign-ins), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from idx.applications.models import Application, Status
from idx.assist.models import QuestionTally
from idx.assist.selectors import answer_question
from idx.assist.services.tally import question_tally_add
from idx.audit.services import audit_record
from idx.booking.models import Service, Ticket, TicketStatus
from idx.demo.history import history_applications, month_starts
from idx.insights.facts import facts_refresh
from idx.insights.models import ApplicationMonthFact, CounterDayFact, EventMonthFact, FactsRefresh
from idx.notifications.models import Alert, AlertKind, AlertMode, AlertStatus
from idx.procedures.models import Procedure
from tests.conftest import make_submitted

pytestmark = pytest.mark.django_db

CODES = ["child-allowance-status-report", "residence-certificate-request", "bulky-waste-collection"]


def _make_applications(municipality, resident, *, per_month: int = 12, months: int = 6, seed: int = 7):
    procedures = list(
        Procedure.objects.filter(municipality=municipality, code__in=CODES).select_related(
            "published_version"
        )
    )
    rows = history_applications(
        municipality,
        procedures,
        month_starts(timezone.localdate(), months),
        random.Random(seed),
        volume=dict.fromkeys(CODES, per_month),
        applicants=[resident],
    )
    for index, application in enumerate(rows):
        application.receipt_number = f"T{municipality.pk}-{seed}-{index:06d}"
    Application.objects.bulk_create(rows)
    return rows


def _direct(municipality):
    """What the facts must say, counted one application at a time in Python."""
    expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for application in Application.objects.filter(municipality=municipality, submitted_at__isnull=False):
        local = timezone.localtime(application.submitted_at)
        key = (local.date().replace(day=1), application.procedure_id, application.channel)
        expected[key][0] += 1
        if application.status in (Status.APPROVED, Status.REJECTED) and application.decided_at:
            decided_day = timezone.localdate(application.decided_at)
            expected[key][1] += 1
            expected[key][2] += int(application.due_date is not None and decided_day <= application.due_date)
            expected[key][3] += (decided_day - local.date()).days
    return {key: tuple(value) for key, value in expected.items()}


def _facts(municipality):
    return {
        (fact.month, fact.procedure_id, fact.channel): (
            fact.submitted,
            fact.decided,
            fact.decided_within_standard,
            fact.lead_days_sum,
        )
        for fact in ApplicationMonthFact.objects.filter(municipality=municipality)
    }


def test_application_facts_equal_a_direct_count(iga, resident, clerk):
    rows = _make_applications(iga, resident)
    assert len(rows) > 150
    # And one made through the services today (online, not yet decided).
    make_submitted(resident)
    refresh = facts_refresh(municipality=iga)
    facts = _facts(iga)
    assert facts == _direct(iga)
    assert refresh.rows >= len(facts)
    assert refresh.finished_at >= refresh.started_at
    # All three channels and both outcomes are there, and a fact's department is its procedure's.
    assert {key[2] for key in facts} == {"online", "counter", "paper"}
    assert sum(value[0] for value in facts.values()) == len(rows) + 1
    fact = ApplicationMonthFact.objects.filter(municipality=iga).select_related("procedure").first()
    assert fact.department_id == fact.procedure.department_id


def test_refresh_is_idempotent_and_replaces_only_the_months_asked_for(iga, resident):
    _make_applications(iga, resident)
    facts_refresh(municipality=iga)
    first = _facts(iga)
    facts_refresh(municipality=iga)
    assert _facts(iga) == first
    assert FactsRefresh.objects.filter(municipality=iga).count() == 2
    # A month rebuilt from its start: older months untouched, the rebuilt one equal again.
    months = sorted({key[0] for key in first})
    ApplicationMonthFact.objects.filter(municipality=iga, month=months[0]).update(submitted=999)
    facts_refresh(municipality=iga, since=months[-1] + dt.timedelta(days=10))
    again = _facts(iga)
    assert any(value[0] == 999 for key, value in again.items() if key[0] == months[0])
    assert {k: v for k, v in again.items() if k[0] == months[-1]} == {
        k: v for k, v in first.items() if k[0] == months[-1]
    }


def test_facts_never_mix_municipalities(iga, watarai, resident, watarai_resident):
    _make_applications(iga, resident, seed=1)
    _make_applications(watarai, watarai_resident, per_month=3, seed=2)
    facts_refresh(municipality=iga)
    facts_refresh(municipality=watarai)
    assert _facts(iga) == _direct(iga)
    assert _facts(watarai) == _direct(watarai)
    watarai_procedures = set(Procedure.objects.filter(municipality=watarai).values_list("id", flat=True))
    assert {key[1] for key in _facts(watarai)} <= watarai_procedures
    assert not {key[1] for key in _facts(iga)} & watarai_procedures
    # Rebuilding one city leaves the other's facts as they are.
    before = _facts(watarai)
    Application.objects.filter(municipality=iga).delete()
    facts_refresh(municipality=iga)
    assert _facts(iga) == {}
    assert _facts(watarai) == before


def test_counter_facts_count_waits(iga, watarai):
    service = Service.objects.filter(municipality=iga, code="juminhyo").get()
    day = dt.date(2026, 10, 5)
    start = timezone.make_aware(dt.datetime(2026, 10, 5, 9, 0))
    waits = [5, 12, 31, 45, 0]
    for number, minutes in enumerate(waits, start=1):
        Ticket.objects.create(
            municipality=iga,
            service=service,
            day=day,
            prefix="J",
            number=number,
            status=TicketStatus.DONE,
            queue_at=start,
            called_at=start + dt.timedelta(minutes=minutes),
            served_at=start + dt.timedelta(minutes=minutes + 1),
        )
    # A no-show (called, never served) and one still waiting count as tickets only.
    Ticket.objects.create(
        municipality=iga, service=service, day=day, prefix="J", number=6, status=TicketStatus.NO_SHOW,
        queue_at=start, called_at=start + dt.timedelta(minutes=50),
    )  # fmt: skip
    Ticket.objects.create(
        municipality=iga,
        service=service,
        day=day,
        prefix="J",
        number=7,
        status=TicketStatus.WAITING,
        queue_at=start,
    )
    facts_refresh(municipality=iga)
    fact = CounterDayFact.objects.get(municipality=iga, day=day, service_key="juminhyo")
    assert (fact.tickets, fact.served, fact.wait_minutes_sum, fact.waited_over_30) == (7, 5, sum(waits), 2)
    assert fact.department_id == service.department_id
    facts_refresh(municipality=watarai)
    assert not CounterDayFact.objects.filter(municipality=watarai).exists()


def test_event_facts_questions_alerts_and_sign_ins(iga, resident, city_admin):
    for question in ["粗大ごみの出し方", "粗大ごみの出し方", "児童手当の現況届", "明日の天気は"]:
        answer = answer_question(municipality=iga, question=question, language="ja")
        question_tally_add(municipality=iga, answer=answer)
    assert QuestionTally.objects.filter(municipality=iga).aggregate(total=Sum("count"))["total"] == 4
    now = timezone.now()
    for number, (kind, mode, msg_type) in enumerate(
        [
            (AlertKind.LEVEL3, AlertMode.ACTUAL, "Alert"),
            (AlertKind.LEVEL3, AlertMode.ACTUAL, "Alert"),
            (AlertKind.LEVEL4, AlertMode.ACTUAL, "Update"),
            (AlertKind.LEVEL3, AlertMode.ACTUAL, "Cancel"),
            (AlertKind.LEVEL5, AlertMode.EXERCISE, "Alert"),
        ]
    ):
        Alert.objects.create(
            municipality=iga, identifier=f"urn:test:{number}", kind=kind, mode=mode, status=AlertStatus.ACTIVE,
            msg_type=msg_type, issued_by=city_admin, sent_at=now,
        )  # fmt: skip
    audit_record(municipality=iga, actor=resident, action="account.sign_in_provider", target_type="user",
                 target_id=resident.pk, after={"provider": "demo-card"})  # fmt: skip
    audit_record(municipality=iga, actor=resident, action="account.sign_up_provider", target_type="user",
                 target_id=resident.pk, after={"provider": "demo-card"})  # fmt: skip
    audit_record(municipality=iga, actor=city_admin, action="staff.sign_in", target_type="user",
                 target_id=city_admin.pk, after={"factor": "totp"})  # fmt: skip
    facts_refresh(municipality=iga)
    month = timezone.localdate().replace(day=1)
    events = Counter(
        {
            (fact.kind, fact.key): fact.count
            for fact in EventMonthFact.objects.filter(municipality=iga, month=month)
        }
    )
    questions = {key: count for (kind, key), count in events.items() if kind == "assistant_question"}
    assert sum(questions.values()) == 4
    assert questions.get("garbage") == 2
    assert events[("alert", "level3")] == 2
    assert events[("alert", "level4")] == 1
    assert ("alert", "level5") not in events
    assert events[("sign_in", "my_number_card")] == 2
    assert events[("sign_in", "staff")] == 1


def test_the_command_refreshes_one_or_all(iga, watarai, resident, capsys):
    _make_applications(iga, resident, per_month=4, months=2)
    call_command("insights_refresh", "--municipality", iga.code, "--no-publish")
    assert FactsRefresh.objects.filter(municipality=iga).count() == 1
    assert not FactsRefresh.objects.filter(municipality=watarai).exists()
    call_command("insights_refresh", "--no-publish")
    assert FactsRefresh.objects.filter(municipality=watarai).count() == 1
    assert "fact rows" in capsys.readouterr().out


def test_the_nightly_task_refreshes_and_is_idempotent(iga, watarai, resident):
    from idx.insights.tasks import insights_refresh

    _make_applications(iga, resident, per_month=4, months=2)
    insights_refresh.enqueue(iga.pk)
    first = _facts(iga)
    assert first == _direct(iga)
    insights_refresh.enqueue(iga.pk)
    assert _facts(iga) == first
    assert not FactsRefresh.objects.filter(municipality=watarai).exists()
