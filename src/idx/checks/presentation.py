"""The results of a case's checks in words, for the case page and the staff API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext, gettext_lazy, pgettext, pgettext_lazy

from idx.checks.models import CheckRun, Outcome
from idx.common.dates import format_date
from idx.common.i18n import pick
from idx.procedures.check_rules import REASONS

DIFFERS = {
    "address": pgettext_lazy("resident record", "the address"),
    "household": pgettext_lazy("resident record", "the household"),
}
ITEMS = {
    "name": pgettext_lazy("resident record", "Name"),
    "address": pgettext_lazy("resident record", "Address"),
    "member": pgettext_lazy("resident record", "Household member"),
}
AGREES = {True: gettext_lazy("agrees"), False: gettext_lazy("differs")}
OPERATORS = {
    "eq": pgettext_lazy("check operator", "the same as"),
    "ne": pgettext_lazy("check operator", "different from"),
    "lt": pgettext_lazy("check operator", "before or less than"),
    "le": pgettext_lazy("check operator", "at most"),
    "gt": pgettext_lazy("check operator", "after or more than"),
    "ge": pgettext_lazy("check operator", "at least"),
}


@dataclass(frozen=True)
class ResultRow:
    rule_id: str
    label: str
    outcome: str
    outcome_label: str
    message: str
    details: list[str]


def _date(value: Any) -> str:
    try:
        return format_date(dt.date.fromisoformat(str(value)), weekday=False)
    except ValueError:
        return str(value)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
        return _date(value)
    return str(value)


def _who(entry: Any, group: str) -> str:
    if entry is None:
        return ""
    return gettext("%(group)s, no. %(number)s: ") % {"group": group, "number": int(entry) + 1}


def _message(reason: str, params: Mapping[str, Any]) -> str:
    template = REASONS.get(reason)
    if template is None:
        return reason
    values = dict(params)
    if "differs" in values:
        values["what"] = pgettext("list separator", ", ").join(
            str(DIFFERS.get(code, code)) for code in values["differs"]
        )
    return gettext(template) % values if "%(" in template else gettext(template)


def _details(kind: str, compared: list[Mapping[str, Any]], group: str) -> list[str]:
    lines: list[str] = []
    for item in compared:
        who = _who(item.get("entry"), group)
        if kind == "age_on":
            lines.append(
                who
                + gettext("born %(birth)s, %(age)s years old on %(on)s")
                % {"birth": _date(item["birth_date"]), "age": item["age"], "on": _date(item["on"])}
            )
        elif kind == "consistent":
            lines.append(
                who
                + gettext("%(left)s is %(op)s %(right)s: %(agrees)s")
                % {
                    "left": _value(item["left"]),
                    "op": OPERATORS.get(item["op"], item["op"]),
                    "right": _value(item["right"]),
                    "agrees": AGREES[bool(item["ok"])],
                }
            )
        elif kind == "due":
            lines.append(
                who
                + gettext("date %(event)s, due by %(deadline)s, received %(submitted)s")
                % {
                    "event": _date(item["event"]),
                    "deadline": _date(item["deadline"]),
                    "submitted": _date(item["submitted"]),
                }
            )
        elif kind == "duplicate_open":
            lines.append(
                gettext("Open application %(number)s") % {"number": item.get("receipt_number") or "—"}
            )
        elif kind == "resident_record":
            label = ITEMS.get(item.get("item", ""), item.get("item", ""))
            if "record" in item:
                lines.append(
                    gettext("%(item)s: answered %(answer)s, record %(record)s (%(agrees)s)")
                    % {
                        "item": label,
                        "answer": item["answer"],
                        "record": item["record"],
                        "agrees": AGREES[bool(item["ok"])],
                    }
                )
            else:
                lines.append(
                    gettext("%(item)s: %(answer)s (%(agrees)s)")
                    % {"item": label, "answer": item["answer"], "agrees": AGREES[bool(item["ok"])]}
                )
    return lines


def result_rows(run: CheckRun, definition_data: Mapping[str, Any]) -> list[ResultRow]:
    """One row per rule in the order the definition lists them, worded in the active language."""
    rules = {
        rule.get("id"): rule for rule in definition_data.get("checks") or [] if isinstance(rule, Mapping)
    }
    rows = []
    for result in run.results.all():
        rule = rules.get(result.rule_id, {})
        group = ""
        for key in ("field", "left", "members"):
            path = rule.get(key)
            if isinstance(path, str) and "[]" in path:
                group = _group_label(definition_data, path.split("[]")[0])
                break
        rows.append(
            ResultRow(
                rule_id=result.rule_id,
                label=pick(rule.get("label")) or result.rule_id,
                outcome=result.outcome,
                outcome_label=str(Outcome(result.outcome).label),
                message=_message(result.reason, result.params),
                details=_details(result.kind, list(result.compared), group),
            )
        )
    return rows


def _group_label(data: Mapping[str, Any], field: str) -> str:
    for step in data.get("steps") or []:
        for item in step.get("items") or []:
            if item.get("field") == field:
                return pick(item.get("label"))
    return field
