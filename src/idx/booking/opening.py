"""When a service is open: weekly hours minus public holidays, 年末年始 and closures.

All times are Japan time (Asia/Tokyo), whatever the server's time zone: a slot at 9:00 is 9:00 at
the city hall.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import jpholiday
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from idx.booking.models import Closure, OpeningHours, Service

TOKYO = ZoneInfo("Asia/Tokyo")


def is_year_end(day: dt.date) -> bool:
    """年末年始: 12月29日から1月3日まで (the closing days of Japanese public offices)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def holiday_name(day: dt.date) -> str | None:
    """The national holiday (国民の祝日, 振替休日, 国民の休日) on ``day``, if any."""
    name = jpholiday.is_holiday_name(day)
    return str(name) if name else None


@dataclass(frozen=True)
class Closed:
    code: str  # year_end, holiday, closure, not_open
    message: Promise | str


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    free: int

    @property
    def local_start(self) -> dt.datetime:
        return self.starts_at.astimezone(TOKYO)


class ServiceCalendar:
    """The opening rules of one service, loaded once (two queries) and asked about many days."""

    def __init__(self, service: Service, first_day: dt.date, last_day: dt.date):
        self.service = service
        self.hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for hours in OpeningHours.objects.filter(service=service).order_by("opens"):
            self.hours.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
        self.closures = list(
            Closure.objects.filter(
                municipality_id=service.municipality_id, first_day__lte=last_day, last_day__gte=first_day
            )
            .filter(
                Q(service__isnull=True, department__isnull=True)
                | Q(service=service)
                | Q(service__isnull=True, department_id=service.department_id)
            )
            .order_by("first_day")
        )

    def closed_reason(self, day: dt.date) -> Closed | None:
        """Why the service is closed on ``day``, or ``None`` when it opens."""
        if is_year_end(day):
            return Closed(
                "year_end", _("The offices are closed for the New Year holidays (December 29 to January 3).")
            )
        if holiday_name(day):
            return Closed("holiday", _("The offices are closed on public holidays."))
        for closure in self.closures:
            if closure.first_day <= day <= closure.last_day:
                return Closed("closure", closure.reason or _("The counter is closed on this day."))
        if not self.hours.get(day.weekday()):
            return Closed("not_open", _("The counter is not open on this day of the week."))
        return None

    def slot_starts(self, day: dt.date) -> list[dt.datetime]:
        """Every slot start of ``day`` (aware, Japan time), holidays and closures not considered."""
        length = dt.timedelta(minutes=self.service.slot_minutes)
        starts: list[dt.datetime] = []
        for opens, closes in self.hours.get(day.weekday(), []):
            start = dt.datetime.combine(day, opens, tzinfo=TOKYO)
            end = dt.datetime.combine(day, closes, tzinfo=TOKYO)
            while start + length <= end:
                starts.append(start)
                start += length
        return starts

    def days(self, first_day: dt.date, last_day: dt.date) -> Iterable[dt.date]:
        day = first_day
        while day <= last_day:
            yield day
            day += dt.timedelta(days=1)
