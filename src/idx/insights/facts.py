"""The nightly rebuild of the fact tables from the operational tables (``facts_refresh``).

Every figure is computed by the database with GROUP BY (month of submission, procedure, channel;
day and counter service; month and key): no application, ticket or person is loaded into Python,
so the cost is one scan of each table. The facts of the months rebuilt are then swapped in one
transaction (delete, bulk insert), so a dashboard reads either the old facts or the new ones,
never half of each.

Definitions (docs/statistics.md):

- *submitted*: applications with a submission time, counted in the month of submission (Japan
  time), whatever happened to them later (a withdrawn application was still submitted).
- *decided*: of those, approved or rejected ones with a decision time; *decided within the
  standard period* (標準処理期間): decided on or before the case's due date, which submission sets
  to the procedure version's ``processing_days`` after the day of submission (moved to the next
  day the city hall is open); *lead days*: calendar days from submission to decision.
- *staff time per step* (whole seconds, each sum with the number of applications it covers):
  *reading*, the machine's time reading a paper form's pages, and *keying*, a clerk's time
  verifying what was read (opening the form's screen to accepting it), both from the intake's
  verification records (``FormVerification``, its reading and verifying times per
  form, summed here by the database), in the month and procedure of the case the form
  became; *keying* at the counter (書かない窓口), from the clerk starting the draft to its
  submission; online and imported applications are not keyed by staff. *Deciding*: from the
  first opening for review to the decision, for decided applications that were reviewed. All
  are wall-clock times, not working time: a case left open over lunch counts the lunch.
- *counter waits*: minutes from joining the queue to being called (or served, when the call was
  not recorded), for tickets served (being served or done).
- *events*: questions to the assistant per category (the assistant's daily tally), disaster
  alerts actually sent per kind (drills and tests and cancellations are not issued alerts),
  sign-ins per method from the audit log (``my_number_card`` for a resident provider, the
  provider's slug for another, ``staff`` for staff sign-ins with their second factor).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateField, DurationField, ExpressionWrapper, F, FloatField, Func, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from idx.applications.models import Application, Status
from idx.applications.models import Channel as ApplicationChannel
from idx.assist.selectors import question_counts_by_month
from idx.audit.models import AuditEntry
from idx.booking.models import Service, Ticket, TicketStatus
from idx.common.models import Municipality
from idx.identity.models import IdentityProvider, ProviderKind
from idx.insights.models import ApplicationMonthFact, Channel, CounterDayFact, EventMonthFact, FactsRefresh
from idx.intake.models import FormVerification
from idx.notifications.models import Alert, AlertMode
from idx.procedures.models import Procedure

BATCH = 2000
WAIT_LONG_MINUTES = 30
MY_NUMBER_CARD = "my_number_card"
DECIDED_STATUSES = [Status.APPROVED.value, Status.REJECTED.value]
SIGN_IN_ACTIONS = ["account.sign_in_provider", "account.sign_up_provider"]
STAFF_SIGN_IN = "staff.sign_in"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _days(value: dt.timedelta | float | None) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 86400)
    return round(value)


def sqlite_local_offset() -> str | None:
    """The SQLite date modifier of the city's time zone (``'+32400 seconds'`` for Japan), or None
    when the zone has daylight saving time (then Django's own functions convert, more slowly)."""
    if connection.vendor != "sqlite":
        return None
    zone = ZoneInfo(settings.TIME_ZONE)
    winter = dt.datetime(2026, 1, 15, tzinfo=zone).utcoffset()
    summer = dt.datetime(2026, 7, 15, tzinfo=zone).utcoffset()
    if winter is None or winter != summer:
        return None
    return f"'{int(winter.total_seconds()):+d} seconds'"


def _application_expressions() -> tuple[Any, Any, Any]:
    """(month of submission, day of decision, days from submission to decision) as SQL.

    On SQLite, Django's time-zone functions call Python for every row; with a fixed offset
    SQLite's own date functions give the same local dates ten times faster."""
    offset = sqlite_local_offset()
    if offset is None:
        return (
            TruncMonth("submitted_at", output_field=DateField()),
            TruncDate("decided_at"),
            ExpressionWrapper(
                TruncDate("decided_at") - TruncDate("submitted_at"), output_field=DurationField()
            ),
        )

    def local_julian(field: str) -> Func:
        return Func(
            F(field), template=f"julianday(date(%(expressions)s, {offset}))", output_field=FloatField()
        )

    return (
        Func(
            F("submitted_at"),
            template=f"strftime('%%Y-%%m-01', %(expressions)s, {offset})",
            output_field=DateField(),
        ),
        Func(F("decided_at"), template=f"date(%(expressions)s, {offset})", output_field=DateField()),
        ExpressionWrapper(
            local_julian("decided_at") - local_julian("submitted_at"), output_field=FloatField()
        ),
    )


def _minutes(value: dt.timedelta | float | None) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return max(0, round(value.total_seconds() / 60))
    return max(0, round(value))


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return timezone.localdate(value) if isinstance(value, dt.datetime) else value


def _seconds_between(end: str, start: str) -> Any:
    """Seconds from ``start`` to ``end`` as SQL: SQLite's own ``julianday`` (Django's duration
    functions call Python for every row there), an interval elsewhere."""
    if connection.vendor == "sqlite":
        return Func(
            F(end),
            F(start),
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            output_field=FloatField(),
        )
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _seconds(value: dt.timedelta | float | None) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return max(0, round(value.total_seconds()))
    return max(0, round(value))


def application_facts(municipality: Municipality, first_month: dt.date | None) -> list[ApplicationMonthFact]:
    """One row per month of submission × procedure × channel, counted by the database (the
    paper forms' reading and verifying times added from the intake's records)."""
    rows = Application.objects.filter(municipality=municipality, submitted_at__isnull=False)
    if first_month is not None:
        rows = rows.filter(submitted_at__gte=local_midnight(first_month))
    decided = Q(status__in=DECIDED_STATUSES, decided_at__isnull=False)
    reviewed = decided & Q(review_started_at__isnull=False, decided_at__gte=F("review_started_at"))
    keyed = Q(
        channel=ApplicationChannel.COUNTER,
        assisted_by__isnull=False,
        submitted_at__gt=F("created_at"),  # a draft started and submitted at once was not keyed here
    )
    month, decided_day, lead = _application_expressions()
    grouped = (
        rows.annotate(month=month, decided_day=decided_day)
        .values("month", "procedure_id", "channel")
        .annotate(
            submitted=Count("id"),
            decided=Count("id", filter=decided),
            within=Count("id", filter=decided & Q(due_date__isnull=False, decided_day__lte=F("due_date"))),
            lead=Sum(lead, filter=decided),
            keyed=Count("id", filter=keyed),
            keying=Sum(_seconds_between("submitted_at", "created_at"), filter=keyed),
            deciding_count=Count("id", filter=reviewed),
            deciding=Sum(_seconds_between("decided_at", "review_started_at"), filter=reviewed),
        )
        .order_by()
    )
    departments = dict(Procedure.objects.filter(municipality=municipality).values_list("id", "department_id"))
    facts = {
        (month_start(_as_date(row["month"])), row["procedure_id"], row["channel"]): ApplicationMonthFact(
            municipality=municipality,
            month=month_start(_as_date(row["month"])),
            procedure_id=row["procedure_id"],
            department_id=departments[row["procedure_id"]],
            channel=row["channel"],
            submitted=row["submitted"],
            decided=row["decided"],
            decided_within_standard=row["within"],
            lead_days_sum=max(0, _days(row["lead"])),
            keying_seconds_sum=_seconds(row["keying"]),
            keyed=row["keyed"],
            deciding_seconds_sum=_seconds(row["deciding"]),
            deciding_count=row["deciding_count"],
        )
        for row in grouped
    }
    _add_paper_times(municipality, first_month, facts, departments)
    return list(facts.values())


def _local_month(field: str) -> Any:
    """The first day of the month of ``field`` in the city's time zone, as SQL."""
    offset = sqlite_local_offset()
    if offset is None:
        return TruncMonth(field, output_field=DateField())
    return Func(
        F(field), template=f"strftime('%%Y-%%m-01', %(expressions)s, {offset})", output_field=DateField()
    )


def _add_paper_times(
    municipality: Municipality,
    first_month: dt.date | None,
    facts: dict[tuple[dt.date, int, str], ApplicationMonthFact],
    departments: dict[int, int],
) -> None:
    """The reading and verifying times of paper forms (the intake's verification records, the
    times kept per form), summed by the database per
    month of verification and procedure: a paper case is submitted when its form is verified,
    so the month is its submission's."""
    records = FormVerification.objects.filter(
        municipality=municipality, application__isnull=False, verified_at__isnull=False
    )
    if first_month is not None:
        records = records.filter(verified_at__gte=local_midnight(first_month))
    read = Q(reading_seconds__isnull=False)
    verified = Q(started_at__isnull=False, verified_at__gte=F("started_at"))
    grouped = (
        records.annotate(month=_local_month("verified_at"))
        .values("month", "application__procedure_id")
        .annotate(
            read=Count("id", filter=read),
            reading=Sum("reading_seconds", filter=read),
            keyed=Count("id", filter=verified),
            keying=Sum(_seconds_between("verified_at", "started_at"), filter=verified),
        )
        .order_by()
    )
    for row in grouped:
        month, procedure_id = month_start(_as_date(row["month"])), row["application__procedure_id"]
        fact = facts.get((month, procedure_id, Channel.PAPER))
        if fact is None:  # verified just after midnight at a month's end, submitted just before
            fact = facts[(month, procedure_id, Channel.PAPER)] = ApplicationMonthFact(
                municipality=municipality,
                month=month,
                procedure_id=procedure_id,
                department_id=departments[procedure_id],
                channel=Channel.PAPER,
            )
        fact.reading_seconds_sum += _seconds(row["reading"])
        fact.read += row["read"]
        fact.keying_seconds_sum += _seconds(row["keying"])
        fact.keyed += row["keyed"]


def counter_facts(municipality: Municipality, first_day: dt.date | None) -> list[CounterDayFact]:
    """One row per day × counter service: tickets, served, minutes waited, waits over 30 minutes."""
    rows = Ticket.objects.filter(municipality=municipality)
    if first_day is not None:
        rows = rows.filter(day__gte=first_day)
    served = Q(status__in=[TicketStatus.SERVING.value, TicketStatus.DONE.value]) & (
        Q(called_at__isnull=False) | Q(served_at__isnull=False)
    )
    called = Q(called_at__isnull=False)
    if sqlite_local_offset() is not None:
        # Minutes as SQLite computes them natively (Django's duration functions call Python per row).
        def minutes(end: str) -> Any:
            return Func(
                F(end),
                F("queue_at"),
                template="((julianday(%(expressions)s)) * 1440)",
                arg_joiner=") - julianday(",
                output_field=FloatField(),
            )

        rows = rows.annotate(called_wait=minutes("called_at"), served_wait=minutes("served_at"))
        wait_called: Any = F("called_wait")
        wait_served: Any = F("served_wait")
        long_wait = Q(called_wait__gt=WAIT_LONG_MINUTES) | Q(
            called_at__isnull=True, served_wait__gt=WAIT_LONG_MINUTES
        )
    else:
        wait_called = ExpressionWrapper(F("called_at") - F("queue_at"), output_field=DurationField())
        wait_served = ExpressionWrapper(F("served_at") - F("queue_at"), output_field=DurationField())
        long_wait = Q(called_at__gt=F("queue_at") + dt.timedelta(minutes=WAIT_LONG_MINUTES)) | Q(
            called_at__isnull=True, served_at__gt=F("queue_at") + dt.timedelta(minutes=WAIT_LONG_MINUTES)
        )
    grouped = (
        rows.values("day", "service_id")
        .annotate(
            tickets=Count("id"),
            served=Count("id", filter=served),
            wait_called=Sum(wait_called, filter=served & called),
            wait_served=Sum(wait_served, filter=served & ~called),
            over=Count("id", filter=served & long_wait),
        )
        .order_by()
    )
    services = {
        pk: (code, department_id)
        for pk, code, department_id in Service.objects.filter(municipality=municipality).values_list(
            "id", "code", "department_id"
        )
    }
    return [
        CounterDayFact(
            municipality=municipality,
            day=row["day"],
            service_key=services[row["service_id"]][0],
            department_id=services[row["service_id"]][1],
            tickets=row["tickets"],
            served=row["served"],
            wait_minutes_sum=_minutes(row["wait_called"]) + _minutes(row["wait_served"]),
            waited_over_30=row["over"],
        )
        for row in grouped
    ]


def _month_rows(
    municipality: Municipality, kind: str, rows: Iterable[tuple[dt.date | dt.datetime, str, int]]
) -> list[EventMonthFact]:
    counts: dict[tuple[dt.date, str], int] = {}
    for month, key, count in rows:
        slot = (month_start(_as_date(month)), key[:40])
        counts[slot] = counts.get(slot, 0) + count
    return [
        EventMonthFact(municipality=municipality, month=month, kind=kind, key=key, count=count)
        for (month, key), count in sorted(counts.items())
        if count
    ]


def event_facts(municipality: Municipality, first_month: dt.date | None) -> list[EventMonthFact]:
    """Questions per category, alerts sent per kind, sign-ins per method, per month."""
    since = local_midnight(first_month) if first_month is not None else None
    questions = _month_rows(
        municipality,
        EventMonthFact.Kind.ASSISTANT_QUESTION,
        (
            (row["month"], row["category"], row["count"])
            for row in question_counts_by_month(municipality=municipality, since=first_month)
        ),
    )
    alerts = Alert.objects.filter(
        municipality=municipality, mode=AlertMode.ACTUAL, sent_at__isnull=False
    ).exclude(msg_type="Cancel")
    if since is not None:
        alerts = alerts.filter(sent_at__gte=since)
    alert_rows = _month_rows(
        municipality,
        EventMonthFact.Kind.ALERT,
        alerts.annotate(month=TruncMonth("sent_at", output_field=DateField()))
        .values_list("month", "kind")
        .annotate(count=Count("id"))
        .order_by(),
    )
    entries = AuditEntry.objects.filter(
        municipality=municipality, action__in=[*SIGN_IN_ACTIONS, STAFF_SIGN_IN]
    )
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    kinds = dict(IdentityProvider.objects.filter(municipality=municipality).values_list("slug", "kind"))

    def method(action: str, provider: Any) -> str:
        if action == STAFF_SIGN_IN:
            return "staff"
        slug = str(provider or "")
        return MY_NUMBER_CARD if kinds.get(slug, ProviderKind.RESIDENT) == ProviderKind.RESIDENT else slug

    sign_ins = _month_rows(
        municipality,
        EventMonthFact.Kind.SIGN_IN,
        (
            (month, method(action, provider), count)
            for month, action, provider, count in entries.annotate(
                month=TruncMonth("created_at", output_field=DateField()), provider=F("after__provider")
            )
            .values_list("month", "action", "provider")
            .annotate(count=Count("id"))
            .order_by()
        ),
    )
    return questions + alert_rows + sign_ins


def facts_refresh(*, municipality: Municipality, since: dt.date | None = None) -> FactsRefresh:
    """Rebuild the municipality's facts: all of them, or those from the month of ``since`` on.

    Idempotent: the same operational rows give the same facts. The counting runs first (reads
    only); the swap of the affected months and the run's record commit together.
    """
    started = timezone.now()
    first_month = month_start(since) if since is not None else None
    applications = application_facts(municipality, first_month)
    counters = counter_facts(municipality, first_month)
    events = event_facts(municipality, first_month)
    with transaction.atomic():
        for model, field in (
            (ApplicationMonthFact, "month"),
            (CounterDayFact, "day"),
            (EventMonthFact, "month"),
        ):
            old = model.objects.filter(municipality=municipality)
            if first_month is not None:
                old = old.filter(**{f"{field}__gte": first_month})
            old.delete()
        ApplicationMonthFact.objects.bulk_create(applications, batch_size=BATCH)
        CounterDayFact.objects.bulk_create(counters, batch_size=BATCH)
        EventMonthFact.objects.bulk_create(events, batch_size=BATCH)
        return FactsRefresh.objects.create(
            municipality=municipality,
            started_at=started,
            finished_at=timezone.now(),
            rows=len(applications) + len(counters) + len(events),
        )
