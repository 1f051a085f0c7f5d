"""KPI figures in words, as the staff and public dashboards show them (every text translated).

A figure is never shown bare: ``45.0%``, ``14.0日`` / ``14.0 days``; whether the KPI meets its
target is said in words next to it, not only by a colour.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from idx.insights.models import Kpi
from idx.insights.selectors import KpiValue, fiscal_year_label


def number(value: Decimal | int | float | None) -> str:
    """1,234 or 45.6 (one decimal at most, grouped); an em dash when there is nothing."""
    if value is None:
        return "—"
    decimal = Decimal(str(value)).quantize(Decimal("0.1"))
    if decimal == decimal.to_integral_value():
        return f"{int(decimal):,}"
    return f"{decimal:,.1f}"


def with_unit(value: Decimal | int | float | None, unit: str) -> str:
    """The figure with its unit: 45.0% / 14 days / 12.5 minutes / 1,234 cases."""
    if value is None:
        return "—"
    text = number(value)
    if unit == Kpi.Unit.PERCENT:
        return f"{text}%"
    if unit == Kpi.Unit.DAYS:
        return _("%(value)s days") % {"value": text}
    if unit == Kpi.Unit.MINUTES:
        return _("%(value)s minutes") % {"value": text}
    return _("%(value)s cases") % {"value": text}


def seconds_text(value: Decimal | None) -> str:
    """12.5秒 / 12.5 seconds; an em dash when nothing was measured."""
    if value is None:
        return "—"
    return _("%(value)s seconds") % {"value": number(value)}


def minutes_text(value: Decimal | None) -> str:
    """4.5分 / 4.5 minutes; an em dash when nothing was measured."""
    if value is None:
        return "—"
    return _("%(value)s minutes") % {"value": number(value)}


def duration_text(seconds: int | None) -> str:
    """A span of time in words, to the minute, in its two largest units: 2時間15分 /
    2 hours 15 minutes, 3日4時間 / 3 days 4 hours, 1分未満; an em dash when unknown."""
    if seconds is None:
        return "—"
    total = round(seconds / 60)
    if total < 1:
        return _("less than a minute")
    days, rest = divmod(total, 1440)
    hours, minutes = divmod(rest, 60)

    def unit(count: int, kind: str) -> str:
        if kind == "day":
            return ngettext("%(count)s day", "%(count)s days", count) % {"count": f"{count:,}"}
        if kind == "hour":
            return ngettext("%(count)s hour", "%(count)s hours", count) % {"count": count}
        return ngettext("%(count)s minute", "%(count)s minutes", count) % {"count": count}

    if days:
        larger, smaller = unit(days, "day"), unit(hours, "hour") if hours else ""
    elif hours:
        larger, smaller = unit(hours, "hour"), unit(minutes, "minute") if minutes else ""
    else:
        return unit(minutes, "minute")
    if not smaller:
        return larger
    return pgettext("a span of time in two units", "%(larger)s %(smaller)s") % {
        "larger": larger,
        "smaller": smaller,
    }


def target_text(kpi: Kpi) -> str:
    """「2027年度の目標：60%以上」 / Target for FY2027: at least 60%."""
    if kpi.target is None:
        return _("No target set")
    values = {"target": with_unit(kpi.target, kpi.unit)}
    if kpi.target_fiscal_year:
        values["year"] = fiscal_year_label(kpi.target_fiscal_year)
        if kpi.direction == Kpi.Direction.UP:
            return _("Target for %(year)s: %(target)s or more") % values
        return _("Target for %(year)s: %(target)s or less") % values
    if kpi.direction == Kpi.Direction.UP:
        return _("Target: %(target)s or more") % values
    return _("Target: %(target)s or less") % values


def direction_text(kpi: Kpi) -> str:
    return _("Higher is better") if kpi.direction == Kpi.Direction.UP else _("Lower is better")


def status_text(kpi: Kpi, value: KpiValue) -> str:
    """Whether the value meets the target, in words."""
    if value.value is None:
        return _("No figures for this period yet")
    if value.on_track is None:
        return _("No target set")
    if value.on_track:
        return _("Meets the target")
    assert kpi.target is not None
    gap = abs(value.value - kpi.target)
    if kpi.unit == Kpi.Unit.PERCENT:
        gap_text = _("%(value)s points") % {"value": number(gap)}
    else:
        gap_text = with_unit(gap, kpi.unit)
    if kpi.direction == Kpi.Direction.UP:
        return _("Not yet at the target: %(gap)s to go") % {"gap": gap_text}
    return _("Not yet at the target: %(gap)s too high") % {"gap": gap_text}


def status_class(value: KpiValue) -> str:
    """A CSS class for the card's border (the words say the same)."""
    if value.on_track is None:
        return "ins-status-none"
    return "ins-status-ok" if value.on_track else "ins-status-behind"
