"""Two years of demo history for 伊賀市, so the dashboards and the published statistics have
something to show: decided applications through all three channels, counter tickets with their
waits, the assistant's daily question tally and disaster alerts.

Deterministic (one seeded random generator) and fast (bulk inserts; no service calls, no audit
entries, no notices: this is the past, as a migration from an older system would bring it).
Nothing here appears in a queue: every application is decided or withdrawn, every ticket is of
a day gone by. The applicants are fictional residents who cannot sign in (unusable passwords).

The intervention the dashboards can estimate: from 2026-06-01 the city also sends the
児童手当 現況届 reminder by LINE, and the online share of ``child-allowance-status-report`` steps up
from about 35 % to about 58 %; the comparable 現況届 (``child-rearing-allowance-status-report``,
``childcare-facility-status-report``) keep the slow common trend (docs/statistics.md).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from idx.applications.models import Application, Channel, ReceiptSequence, Status
from idx.assist.models import Category as QuestionCategory
from idx.assist.models import QuestionTally
from idx.booking.models import Service, Ticket, TicketStatus
from idx.common.dates import is_office_closed, next_office_day
from idx.common.models import Municipality
from idx.identity.models import Department, Role, User
from idx.notifications.models import Alert, AlertKind, AlertMode, AlertStatus
from idx.procedures.models import Procedure

MONTHS = 24
INTERVENTION_PROCEDURE = "child-allowance-status-report"
INTERVENTION_DAY = dt.date(2026, 6, 1)
COMPARISON_PROCEDURES = ["child-rearing-allowance-status-report", "childcare-facility-status-report"]
STATISTICS_DEPARTMENT = (
    "joho-seisaku",
    "情報政策課",
    "Information Policy Division",
    "0595-22-9652",
    "本庁舎3階",
)

# Applications per month (the rest of the 30 procedures get 0 to 3: a small city's rare procedures,
# which the published statistics suppress).
MONTHLY_VOLUME = {
    "residence-certificate-request": 35,
    "bulky-waste-collection": 25,
    INTERVENTION_PROCEDURE: 70,
    "child-rearing-allowance-status-report": 40,
    "childcare-facility-status-report": 30,
    "event-registration": 12,
    "care-needs-renewal": 10,
    "pregnancy-notification": 8,
    "care-needs-certification": 6,
    "childcare-facility-application": 5,
}
RARE_PER_MONTH = (0, 3)
# Online share at the start of the history and its rise per month (the common slow trend).
ONLINE_START = {
    "residence-certificate-request": 0.22,
    "bulky-waste-collection": 0.45,
    "event-registration": 0.6,
    INTERVENTION_PROCEDURE: 0.27,
}
ONLINE_TREND = 0.006
# Counter tickets per office day (a busy month of 確定申告 for the tax counter).
TICKETS_PER_DAY = {
    "juminhyo": 14,
    "mynumber-card": 6,
    "kaigo-soudan": 3,
    "zei-soudan": 3,
    "kosodate-soudan": 2,
}
MEAN_WAIT_MINUTES = {
    "juminhyo": 11,
    "mynumber-card": 24,
    "kaigo-soudan": 8,
    "zei-soudan": 15,
    "kosodate-soudan": 6,
}
QUESTIONS_PER_DAY = {
    QuestionCategory.GARBAGE: 9,
    QuestionCategory.CHILDCARE: 6,
    QuestionCategory.CARE: 3,
    QuestionCategory.TAX: 4,
    QuestionCategory.RESIDENCE: 5,
    QuestionCategory.MYNUMBER: 4,
    QuestionCategory.DISASTER: 2,
    QuestionCategory.WATER: 2,
    QuestionCategory.HEALTH: 2,
    QuestionCategory.LIVING: 3,
    "unknown": 3,
}
HISTORY_RESIDENTS = [
    "服部 正樹", "松尾 千春", "中森 和也", "福地 里美", "奥田 浩二", "森川 由紀", "藤堂 誠", "北村 真理子",
    "西田 優斗", "岡本 彩", "田中 茂", "山本 陽子", "Santos Maria", "Tran Thi Lan", "稲森 悠真", "谷口 早苗",
]  # fmt: skip


@dataclass
class HistorySummary:
    applications: int
    tickets: int
    tallies: int
    alerts: int


def month_starts(today: dt.date, count: int = MONTHS) -> list[dt.date]:
    """The first days of the ``count`` whole months before ``today``'s month, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(dt.date(year, month, 1))
    return months[::-1]


def _days_of(month: dt.date) -> list[dt.date]:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return [month + dt.timedelta(days=n) for n in range((following - month).days)]


def _at(day: dt.date, minutes: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes))


def online_share(code: str, month: dt.date, index: int) -> float:
    """The share of a procedure's applications made online in a month: the common slow rise, and
    for the 現況届 with the LINE reminder a step of 20 points from its first month."""
    share = ONLINE_START.get(code, 0.3) + ONLINE_TREND * index
    if code == INTERVENTION_PROCEDURE and month >= INTERVENTION_DAY:
        share += 0.2
    return min(share, 0.9)


def _residents(municipality: Municipality) -> list[User]:
    unusable = make_password(None)
    users = []
    for index, name in enumerate(HISTORY_RESIDENTS, start=1):
        email = f"history{index:02d}@{municipality.slug}.example.jp"
        user = User.objects.filter(municipality=municipality, email=email).first()
        if user is None:
            user = User.objects.create(
                municipality=municipality, email=email, password=unusable, full_name=name, role=Role.RESIDENT
            )
        users.append(user)
    return users


def _receipt_numbers(municipality: Municipality, year: int, count: int) -> list[str]:
    """A block of the year's receipt numbers, taken from the same sequence submissions use."""
    sequence, _made = ReceiptSequence.objects.select_for_update().get_or_create(
        municipality=municipality, year=year
    )
    first = sequence.last_number + 1
    ReceiptSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + count)
    return [f"{municipality.receipt_prefix}-{year}-{number:06d}" for number in range(first, first + count)]


def history_applications(
    municipality: Municipality,
    procedures: list[Procedure],
    months: list[dt.date],
    rng: random.Random,
    *,
    volume: dict[str, int] | None = None,
    applicants: list[User] | None = None,
    clerks: dict[int, User] | None = None,
    now: dt.datetime | None = None,
) -> list[Application]:
    """Decided (or withdrawn) applications of these procedures in these months, unsaved and without
    receipt numbers; also used by the tests of the facts with their own volumes."""
    now = now or timezone.now()
    volume = MONTHLY_VOLUME if volume is None else volume
    applicants = applicants or _residents(municipality)
    clerks = clerks or {}
    made: list[Application] = []
    for index, month in enumerate(months):
        days = _days_of(month)
        office_days = [day for day in days if not is_office_closed(day)] or days
        for procedure in procedures:
            version = procedure.published_version
            if version is None:
                continue
            base = volume.get(procedure.code, rng.randint(*RARE_PER_MONTH))
            count = max(0, round(base * rng.uniform(0.8, 1.2)))
            processing_days = int(version.definition.get("processing_days", 14))
            example = version.definition.get("example") or {}
            # The month's share with a little noise, dealt out exactly (not a coin per application).
            share = min(max(online_share(procedure.code, month, index) + rng.gauss(0, 0.02), 0.0), 1.0)
            online = round(count * share)
            channels = [Channel.ONLINE] * online
            for _n in range(count - online):
                counter_share = 0.55 + 0.004 * index
                channels.append(Channel.COUNTER if rng.random() < counter_share else Channel.PAPER)
            for channel in channels:
                if channel == Channel.ONLINE:
                    submitted = _at(rng.choice(days), rng.randint(6 * 60, 23 * 60))
                else:
                    submitted = _at(rng.choice(office_days), rng.randint(8 * 60 + 30, 17 * 60))
                submitted = min(submitted, now - dt.timedelta(hours=2))
                fate = rng.random()
                status = (
                    Status.WITHDRAWN if fate < 0.03 else Status.REJECTED if fate < 0.07 else Status.APPROVED
                )
                local_day = timezone.localdate(submitted)
                due = next_office_day(local_day + dt.timedelta(days=processing_days))
                lead = max(1, round(processing_days * rng.uniform(0.25, 1.15)))
                decided_at = min(
                    _at(local_day + dt.timedelta(days=lead), rng.randint(9 * 60, 17 * 60)),
                    now - dt.timedelta(hours=1),
                )
                applicant = rng.choice(applicants)
                clerk = clerks.get(procedure.department_id)
                made.append(
                    Application(
                        municipality=municipality,
                        public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        procedure=procedure,
                        procedure_version=version,
                        department_id=procedure.department_id,
                        applicant=applicant,
                        applicant_name=applicant.full_name,
                        status=status,
                        answers=example,  # one dict for all: bulk_create only reads it
                        submitted_at=submitted,
                        declaration_accepted_at=submitted,
                        due_date=due,
                        decided_at=None if status == Status.WITHDRAWN else decided_at,
                        decision_reason="要件を満たしていないため。" if status == Status.REJECTED else "",
                        channel=channel,
                        assisted_by=clerk if channel == Channel.COUNTER else None,
                        resident_confirmed_at=submitted if channel == Channel.COUNTER and clerk else None,
                    )
                )
    made.sort(key=lambda application: application.submitted_at or now)
    return made


def _tickets(
    municipality: Municipality, months: list[dt.date], today: dt.date, rng: random.Random
) -> list[Ticket]:
    services = {service.code: service for service in Service.objects.filter(municipality=municipality)}
    tickets: list[Ticket] = []
    for index, month in enumerate(months):
        for day in _days_of(month):
            if day >= today or is_office_closed(day):
                continue
            for code, per_day in TICKETS_PER_DAY.items():
                service = services.get(code)
                if service is None:
                    continue
                busy = 1.4 if day.weekday() == 0 or day.day <= 5 else 1.0
                if code == "zei-soudan" and day.month in (2, 3):
                    busy *= 4
                count = max(0, round(per_day * busy * rng.uniform(0.6, 1.4)))
                # The card pick-up rush of the first year eases as the second counter opens.
                mean_wait = (
                    MEAN_WAIT_MINUTES[code] * busy * (1.4 - 0.02 * index if code == "mynumber-card" else 1.0)
                )
                arrivals = sorted(rng.randint(8 * 60 + 30, 16 * 60 + 45) for _ in range(count))
                for number, minute in enumerate(arrivals, start=1):
                    queue_at = _at(day, minute)
                    no_show = rng.random() < 0.03
                    called_at = queue_at + dt.timedelta(minutes=round(rng.expovariate(1 / mean_wait)))
                    served_at = None if no_show else called_at + dt.timedelta(minutes=1)
                    tickets.append(
                        Ticket(
                            municipality=municipality,
                            service=service,
                            day=day,
                            prefix=service.ticket_prefix,
                            number=number,
                            code=uuid.UUID(int=rng.getrandbits(128)).hex[:12],
                            status=TicketStatus.NO_SHOW if no_show else TicketStatus.DONE,
                            queue_at=queue_at,
                            called_at=called_at,
                            served_at=served_at,
                            finished_at=None
                            if served_at is None
                            else served_at
                            + dt.timedelta(minutes=service.slot_minutes // 2 + rng.randint(0, 10)),
                        )
                    )
    return tickets


def _tallies(
    municipality: Municipality, months: list[dt.date], today: dt.date, rng: random.Random
) -> list[QuestionTally]:
    rows = []
    for index, month in enumerate(months):
        growth = 0.5 + index / len(months)  # the assistant was new two years ago
        for day in _days_of(month):
            if day >= today:
                continue
            weekend = 0.5 if day.weekday() >= 5 else 1.0
            for category, per_day in QUESTIONS_PER_DAY.items():
                seasonal = 2.5 if category == QuestionCategory.TAX and day.month in (2, 3) else 1.0
                if category == QuestionCategory.DISASTER and day.month in (6, 7, 8, 9):
                    seasonal = 2.0
                asked = round(per_day * growth * weekend * seasonal * rng.uniform(0.5, 1.5))
                unsure = 1.0 if category == "unknown" else 0.15
                for answered, share in ((True, 1 - unsure), (False, unsure)):
                    count = round(asked * share)
                    if count:
                        rows.append(
                            QuestionTally(
                                municipality=municipality,
                                day=day,
                                category=category,
                                answered=answered,
                                count=count,
                            )
                        )
    return rows


def _alerts(municipality: Municipality, months: list[dt.date], rng: random.Random) -> list[Alert]:
    issuer = User.objects.filter(
        municipality=municipality, role=Role.SUPERVISOR, department__crisis_management=True
    ).first()
    if issuer is None:
        return []
    alerts = []
    for month in months:
        if month.month not in (6, 7, 8, 9):  # 梅雨と台風の季節
            continue
        events = [AlertKind.WEATHER_WARNING] * rng.randint(1, 3)
        if rng.random() < 0.7:
            events += [AlertKind.LEVEL3, AlertKind.SHELTER_OPEN]
        if rng.random() < 0.25:
            events.append(AlertKind.LEVEL4)
        for number, kind in enumerate(events, start=1):
            sent = _at(month + dt.timedelta(days=rng.randint(0, 27)), rng.randint(5 * 60, 21 * 60))
            headline = {
                AlertKind.WEATHER_WARNING: "大雨警報が発表されました",
                AlertKind.LEVEL3: "【警戒レベル3】高齢者等避難を発令しました",
                AlertKind.SHELTER_OPEN: "指定避難所を開設しました",
                AlertKind.LEVEL4: "【警戒レベル4】避難指示を発令しました",
            }[kind]
            alerts.append(
                Alert(
                    municipality=municipality,
                    identifier=f"urn:idx:{municipality.code}:history:{month:%Y%m}:{number}",
                    kind=kind,
                    mode=AlertMode.ACTUAL,
                    status=AlertStatus.CANCELLED,
                    msg_type="Alert",
                    texts={
                        "ja": {"headline": headline, "description": "（過去の発信記録）", "instruction": ""}
                    },
                    issued_by=issuer,
                    sent_at=sent,
                    fanned_out_at=sent,
                )
            )
    return alerts


def _statistics_department(municipality: Municipality) -> Department:
    code, name, name_en, phone, counter = STATISTICS_DEPARTMENT
    department, _made = Department.objects.get_or_create(
        municipality=municipality,
        code=code,
        defaults={"name": name, "name_en": name_en, "phone": phone, "counter": counter},
    )
    return department


def load_history(
    municipality: Municipality, *, seed: int = 2026, today: dt.date | None = None
) -> HistorySummary:
    """Load the history once (a second call finds the history residents' applications and stops)."""
    today = today or timezone.localdate()
    _statistics_department(municipality)
    residents = _residents(municipality)
    if Application.objects.filter(municipality=municipality, applicant__in=residents).exists():
        return HistorySummary(0, 0, 0, 0)
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    months = month_starts(today)
    procedures = list(
        Procedure.objects.filter(municipality=municipality, published_version__isnull=False)
        .select_related("published_version")
        .order_by("code")
    )
    clerks = {
        user.department_id: user
        for user in User.objects.filter(municipality=municipality, role=Role.CLERK).order_by("id")
        if user.department_id
    }
    applications = history_applications(
        municipality, procedures, months, rng, applicants=residents, clerks=clerks
    )
    tickets = _tickets(municipality, months, today, rng)
    tallies = _tallies(municipality, months, today, rng)
    alerts = _alerts(municipality, months, rng)
    with transaction.atomic():
        by_year: dict[int, list[Application]] = defaultdict(list)
        for application in applications:
            by_year[timezone.localtime(application.submitted_at).year].append(application)
        for year, batch in by_year.items():
            for application, number in zip(
                batch, _receipt_numbers(municipality, year, len(batch)), strict=True
            ):
                application.receipt_number = number
        Application.objects.bulk_create(applications, batch_size=1000)
        Ticket.objects.bulk_create(tickets, batch_size=2000)
        QuestionTally.objects.bulk_create(tallies, batch_size=2000)
        Alert.objects.bulk_create(alerts)
        # Rows of the past were made then, not now (lists ordered by creation show them in their place).
        history = Application.objects.filter(municipality=municipality, applicant__in=residents)
        history.update(created_at=F("submitted_at"), updated_at=Coalesce("decided_at", "submitted_at"))
        Ticket.objects.filter(municipality=municipality, day__lt=today).update(
            created_at=F("queue_at"), updated_at=F("queue_at")
        )
        Alert.objects.filter(municipality=municipality, identifier__contains=":history:").update(
            created_at=F("sent_at"), updated_at=F("sent_at")
        )
    return HistorySummary(len(applications), len(tickets), len(tallies), len(alerts))


def load_history_and_statistics(municipality: Municipality) -> HistorySummary:
    """The demo's history, then the nightly run once: facts rebuilt, statistics published."""
    from idx.insights.statistics import insights_refresh_all

    summary = load_history(municipality)
    insights_refresh_all([municipality])
    return summary


__all__ = [
    "HistorySummary",
    "history_applications",
    "load_history",
    "load_history_and_statistics",
    "month_starts",
]
