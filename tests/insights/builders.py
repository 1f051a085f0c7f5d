"""Fact rows for the insights tests: a known history, so every figure can be checked by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from idx.common.models import Municipality
from idx.insights.models import ApplicationMonthFact, Channel, CounterDayFact, EventMonthFact, Kpi
from idx.insights.selectors import add_months
from idx.procedures.models import Procedure


def application_facts(
    municipality: Municipality,
    code: str,
    months: Iterable[dt.date],
    *,
    online: Callable[[dt.date], int] | int = 30,
    counter: int = 50,
    paper: Callable[[dt.date], int] | int = 20,
    lead_days: int = 10,
    within_share: float = 0.9,
) -> None:
    """One procedure's facts per month: ``online`` (a number or a function of the month),
    ``counter`` and ``paper`` applications, all decided, in ``lead_days`` days each."""
    procedure = Procedure.objects.get(municipality=municipality, code=code)
    rows = []
    for month in months:
        counts = {
            Channel.ONLINE: online(month) if callable(online) else online,
            Channel.COUNTER: counter,
            Channel.PAPER: paper(month) if callable(paper) else paper,
        }
        for channel, count in counts.items():
            rows.append(
                ApplicationMonthFact(
                    municipality=municipality,
                    month=month,
                    procedure=procedure,
                    department_id=procedure.department_id,
                    channel=channel,
                    submitted=count,
                    decided=count,
                    decided_within_standard=round(count * within_share),
                    lead_days_sum=count * lead_days,
                )
            )
    ApplicationMonthFact.objects.bulk_create(rows)


def counter_facts(
    municipality: Municipality, department_id: int, days: Iterable[dt.date], *, wait: int = 12
) -> None:
    CounterDayFact.objects.bulk_create(
        CounterDayFact(
            municipality=municipality,
            day=day,
            service_key="juminhyo",
            department_id=department_id,
            tickets=40,
            served=40,
            wait_minutes_sum=40 * wait,
            waited_over_30=2,
        )
        for day in days
    )


def sign_in_facts(
    municipality: Municipality, months: Iterable[dt.date], *, card: int = 30, other: int = 70
) -> None:
    rows = []
    for month in months:
        rows.append(
            EventMonthFact(
                municipality=municipality, month=month, kind="sign_in", key="my_number_card", count=card
            )
        )
        rows.append(
            EventMonthFact(
                municipality=municipality, month=month, kind="sign_in", key="password", count=other
            )
        )
    EventMonthFact.objects.bulk_create(rows)


def months_from(start: dt.date, count: int) -> list[dt.date]:
    return [add_months(start, index) for index in range(count)]


def make_kpi(municipality: Municipality, owner, code: str = "online-share", **fields) -> Kpi:
    values = {
        "names": {"ja": "オンライン申請の割合", "en": "Share of applications made online"},
        "numerator": "applications_online",
        "denominator": "applications",
        "unit": "percent",
        "target": 50,
        "direction": "up",
    }
    values.update(fields)
    return Kpi.objects.create(municipality=municipality, code=code, owner=owner, **values)
