"""The automated checks a procedure declares (``checks:`` in its definition): the rule language.

A rule is data, never code: a ``kind`` from a closed list and a few named operands, each an
answer path of the definition (``claimant.birth_date``, ``children[].birth_date``), a number or
a date. Nothing is evaluated as an expression. This module checks the rules when a definition is
parsed (each problem named by its place, ``checks[2].field``) and evaluates the kinds that need
nothing but the answers and the day of submission (``age_on``, ``consistent``, ``due``). The kinds
that look elsewhere (``duplicate_open``: other applications; ``resident_record``: the core
system's 住民記録) are evaluated by ``idx.checks``, which owns the results.

See docs/procedure-definitions.md ("Automated checks") and docs/decisions/0027-automated-checks.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from idx.procedures.definition import Definition

KINDS = ("age_on", "duplicate_open", "consistent", "due", "resident_record")
# Kinds evaluated here, from the answers alone.
LOCAL_KINDS = ("age_on", "consistent", "due")
OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge")
RESIDENT_OPERANDS = ("name", "birth_date", "address", "members", "members_birth_date")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_RULES = 30

# Outcomes of one rule on one application.
PASSED = "passed"
FAILED = "failed"
COULD_NOT_CHECK = "could_not_check"  # the data needed was not there or the core system did not answer
NOT_APPLICABLE = "not_applicable"  # the rule concerns answers this application does not hold

_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # kind: (required operands, optional operands) besides id, kind and label
    "age_on": ({"field", "as_of"}, {"under", "at_least", "until_march_31"}),
    "duplicate_open": (set(), set()),
    "consistent": ({"left", "op"}, {"right", "value"}),
    "due": ({"field"}, {"within_days", "by"}),
    "resident_record": ({"name"}, {"birth_date", "address", "members", "members_birth_date"}),
}


def _problem(template: str, where: str, **params: Any) -> str:
    from idx.procedures.definition import Problem

    return Problem(template, where, where=where, **params)


def rule_problems(raw: object, definition: Definition) -> list[str]:
    """Every problem of a ``checks:`` list, each named by its place (``checks[1].field``)."""
    from idx.procedures.definition import text_problems

    if not isinstance(raw, list):
        return [_problem(gettext_noop("%(where)s: must be a list of checks"), "checks")]
    if len(raw) > MAX_RULES:
        return [_problem(gettext_noop("%(where)s: at most %(limit)s checks"), "checks", limit=MAX_RULES)]
    problems: list[str] = []
    ids: set[str] = set()
    for index, rule in enumerate(raw):
        where = f"checks[{index}]"
        if not isinstance(rule, Mapping):
            problems.append(_problem(gettext_noop("%(where)s: must be a mapping"), where))
            continue
        rule_id = rule.get("id")
        if not isinstance(rule_id, str) or not _ID.match(rule_id):
            problems.append(
                _problem(
                    gettext_noop("%(where)s: needs an id of lowercase letters, digits, underscores"), where
                )
            )
        elif rule_id in ids:
            problems.append(_problem(gettext_noop("%(where)s: duplicate id '%(id)s'"), where, id=rule_id))
        else:
            ids.add(rule_id)
        problems += text_problems(rule.get("label"), f"{where}.label")
        kind = rule.get("kind")
        if kind not in KINDS:
            problems.append(
                _problem(
                    gettext_noop("%(where)s: kind must be one of %(kinds)s"), where, kinds=", ".join(KINDS)
                )
            )
            continue
        required, optional = _KEYS[kind]
        for key in sorted(required - set(rule)):
            problems.append(_problem(gettext_noop("%(where)s: missing '%(key)s'"), where, key=key))
        for key in sorted(set(rule) - required - optional - {"id", "kind", "label"}):
            problems.append(_problem(gettext_noop("%(where)s: unknown key '%(key)s'"), where, key=key))
        if required - set(rule):
            continue
        problems += _KIND_CHECKS[kind](rule, definition, where)
    return problems


def _date_path_problems(definition: Definition, value: object, where: str) -> list[str]:
    item = definition.item(value) if isinstance(value, str) else None
    if item is None:
        return [
            _problem(
                gettext_noop("%(where)s: '%(answer)s' is not a question of the form"), where, answer=value
            )
        ]
    if item.schema.get("format") != "date":
        return [_problem(gettext_noop("%(where)s: '%(answer)s' is not a date question"), where, answer=value)]
    return []


def _path_problems(definition: Definition, value: object, where: str) -> list[str]:
    item = definition.item(value) if isinstance(value, str) else None
    if item is None or item.children:
        return [
            _problem(
                gettext_noop("%(where)s: '%(answer)s' is not a question of the form"), where, answer=value
            )
        ]
    return []


def _whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _age_on_problems(rule: Mapping[str, Any], definition: Definition, where: str) -> list[str]:
    problems = _date_path_problems(definition, rule["field"], f"{where}.field")
    if rule["as_of"] != "submitted":
        problems += _date_path_problems(definition, rule["as_of"], f"{where}.as_of")
        if isinstance(rule["as_of"], str) and "[]" in rule["as_of"]:
            problems.append(
                _problem(
                    gettext_noop("%(where)s: the date must be one answer, not one per entry"),
                    f"{where}.as_of",
                )
            )
    limits = [key for key in ("under", "at_least") if key in rule]
    if len(limits) != 1:
        problems.append(_problem(gettext_noop("%(where)s: give exactly one of under or at_least"), where))
    elif not _whole_number(rule[limits[0]]) or not 0 < rule[limits[0]] <= 130:
        problems.append(
            _problem(gettext_noop("%(where)s: an age in whole years from 1 to 130"), f"{where}.{limits[0]}")
        )
    if "until_march_31" in rule and (not isinstance(rule["until_march_31"], bool) or "under" not in rule):
        problems.append(
            _problem(
                gettext_noop("%(where)s: until_march_31 is true or false, with under"),
                f"{where}.until_march_31",
            )
        )
    return problems


def _consistent_problems(rule: Mapping[str, Any], definition: Definition, where: str) -> list[str]:
    problems = _path_problems(definition, rule["left"], f"{where}.left")
    if rule["op"] not in OPERATORS:
        problems.append(
            _problem(
                gettext_noop("%(where)s: op must be one of %(ops)s"), f"{where}.op", ops=", ".join(OPERATORS)
            )
        )
    sides = [key for key in ("right", "value") if key in rule]
    if len(sides) != 1:
        problems.append(_problem(gettext_noop("%(where)s: give exactly one of right or value"), where))
    elif sides == ["right"]:
        problems += _path_problems(definition, rule["right"], f"{where}.right")
        left, right = str(rule["left"]), str(rule["right"])
        if "[]" in left and "[]" in right and left.split("[]")[0] != right.split("[]")[0]:
            problems.append(
                _problem(gettext_noop("%(where)s: both answers must be of the same repeated group"), where)
            )
    elif isinstance(rule["value"], (list, dict)) or rule["value"] is None:
        problems.append(
            _problem(gettext_noop("%(where)s: the value must be text, a number or yes/no"), f"{where}.value")
        )
    return problems


def _due_problems(rule: Mapping[str, Any], definition: Definition, where: str) -> list[str]:
    problems = _date_path_problems(definition, rule["field"], f"{where}.field")
    limits = [key for key in ("within_days", "by") if key in rule]
    if len(limits) != 1:
        problems.append(_problem(gettext_noop("%(where)s: give exactly one of within_days or by"), where))
    elif limits == ["within_days"]:
        if not _whole_number(rule["within_days"]) or not 0 <= rule["within_days"] <= 3660:
            problems.append(
                _problem(
                    gettext_noop("%(where)s: a whole number of days from 0 to 3660"), f"{where}.within_days"
                )
            )
    elif _parse_date(rule["by"]) is None:
        problems.append(_problem(gettext_noop("%(where)s: a date written YYYY-MM-DD"), f"{where}.by"))
    return problems


def _resident_problems(rule: Mapping[str, Any], definition: Definition, where: str) -> list[str]:
    problems: list[str] = []
    for key in RESIDENT_OPERANDS:
        if key not in rule:
            continue
        if key in ("birth_date", "members_birth_date"):
            problems += _date_path_problems(definition, rule[key], f"{where}.{key}")
        else:
            problems += _path_problems(definition, rule[key], f"{where}.{key}")
    for key in ("name", "birth_date", "address"):
        if isinstance(rule.get(key), str) and "[]" in rule[key]:
            problems.append(
                _problem(
                    gettext_noop("%(where)s: the applicant's answer, not one per entry"), f"{where}.{key}"
                )
            )
    if "members_birth_date" in rule and "members" not in rule:
        problems.append(_problem(gettext_noop("%(where)s: members_birth_date needs members"), where))
    return problems


_KIND_CHECKS = {
    "age_on": _age_on_problems,
    "duplicate_open": lambda rule, definition, where: [],
    "consistent": _consistent_problems,
    "due": _due_problems,
    "resident_record": _resident_problems,
}


# ---- evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one rule found: ``outcome`` (passed, failed, could_not_check, not_applicable), a
    ``reason`` code with its ``params`` (worded by :data:`REASONS`) and what was compared."""

    rule_id: str
    kind: str
    outcome: str
    reason: str
    params: Mapping[str, Any] = field(default_factory=dict)
    compared: tuple[Mapping[str, Any], ...] = ()


# Reason codes in words (staff read them on the case page, in the staff's language).
REASONS: dict[str, str] = {
    "age_ok": gettext_noop("Every age is within the limit."),
    "age_over": gettext_noop("%(count)s of the people named are outside the age limit."),
    "no_date": gettext_noop("A date needed for the check was not answered."),
    "bad_date": gettext_noop("A date in the answers could not be read."),
    "nothing_to_check": gettext_noop("The answers hold nothing this check concerns."),
    "consistent_ok": gettext_noop("The answers agree."),
    "consistent_not": gettext_noop("%(count)s pairs of answers do not agree."),
    "due_ok": gettext_noop("Received in time."),
    "due_late": gettext_noop("Received %(days)s days after the time allowed."),
    "no_duplicate": gettext_noop("No other open application of this procedure by the same applicant."),
    "duplicate": gettext_noop("The same applicant has %(count)s other open applications of this procedure."),
    "record_ok": gettext_noop("The resident record confirms the answers."),
    "record_not_found": gettext_noop("No resident record matches the applicant's name and date of birth."),
    "record_differs": gettext_noop("The resident record differs: %(what)s."),
    "record_unavailable": gettext_noop("The core system could not be asked; check by hand."),
    "no_adapter": gettext_noop("No core system is connected; check by hand."),
}


def _parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def values_at(answers: Mapping[str, Any], path: str) -> list[tuple[int | None, Any]]:
    """The answers at ``path``: one ``(None, value)`` for a plain path, ``(index, value)`` per entry
    of a repeated group for ``group[].name`` (entries without the answer are left out)."""
    if "[]" in path:
        group, _sep, child = path.partition("[].")
        entries = answers.get(group)
        if not isinstance(entries, list):
            return []
        return [
            (index, entry.get(child))
            for index, entry in enumerate(entries)
            if isinstance(entry, Mapping) and entry.get(child) not in (None, "")
        ]
    node: Any = answers
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return [] if node in (None, "") else [(None, node)]


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day`` (年齢計算ニ関スル法律 and 民法143条: a year of age is complete
    at the end of the day before the birthday, so on the birthday the new age holds; a child born
    on 29 February is a year older on 1 March of a common year)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def last_march_31_under(birth: dt.date, age: int) -> dt.date:
    """The first 31 March after the day a child reaches ``age`` (到達日: the day before the birthday).

    児童手当 counts a child until 「18歳到達後最初の3月31日」: one born on 2 April reaches 18 on
    1 April and counts until the 31 March a year later; one born on 1 April reaches 18 on 31 March
    and counts until that very day.
    """
    try:
        birthday = birth.replace(year=birth.year + age)
    except ValueError:  # 29 February in a common year: the age is reached on 28 February
        birthday = dt.date(birth.year + age, 3, 1)
    reached = birthday - dt.timedelta(days=1)
    year = reached.year if reached.month <= 3 else reached.year + 1
    return dt.date(year, 3, 31)


def _check_age(rule: Mapping[str, Any], answers: Mapping[str, Any], submitted_on: dt.date) -> Outcome:
    rid, kind = str(rule["id"]), "age_on"
    if rule["as_of"] == "submitted":
        day: dt.date | None = submitted_on
    else:
        found = values_at(answers, rule["as_of"])
        day = _parse_date(found[0][1]) if found else None
        if day is None:
            return Outcome(rid, kind, COULD_NOT_CHECK, "no_date")
    assert day is not None
    births = values_at(answers, rule["field"])
    if not births:
        return Outcome(rid, kind, NOT_APPLICABLE, "nothing_to_check")
    compared: list[Mapping[str, Any]] = []
    outside = 0
    for index, value in births:
        birth = _parse_date(value)
        if birth is None or birth > day:
            return Outcome(rid, kind, COULD_NOT_CHECK, "bad_date")
        age = age_on(birth, day)
        if "under" in rule:
            limit = int(rule["under"])
            within = day <= last_march_31_under(birth, limit) if rule.get("until_march_31") else age < limit
        else:
            limit = int(rule["at_least"])
            within = age >= limit
        outside += not within
        compared.append(
            {"entry": index, "birth_date": birth.isoformat(), "on": day.isoformat(), "age": age, "ok": within}
        )
    if outside:
        return Outcome(rid, kind, FAILED, "age_over", {"count": outside}, tuple(compared))
    return Outcome(rid, kind, PASSED, "age_ok", {}, tuple(compared))


def _comparable(value: Any) -> Any:
    date = _parse_date(value)
    return date if date is not None else value


def _compare(left: Any, op: str, right: Any) -> bool | None:
    left, right = _comparable(left), _comparable(right)
    if op in ("eq", "ne"):
        return (left == right) == (op == "eq")
    numeric = (int, float)
    if not (
        (isinstance(left, dt.date) and isinstance(right, dt.date))
        or (
            isinstance(left, numeric)
            and isinstance(right, numeric)
            and not isinstance(left, bool)
            and not isinstance(right, bool)
        )
    ):
        return None
    a: Any = left
    b: Any = right
    return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]


def _pairs(rule: Mapping[str, Any], answers: Mapping[str, Any]) -> Iterator[tuple[int | None, Any, Any]]:
    lefts = values_at(answers, rule["left"])
    if "value" in rule:
        for index, value in lefts:
            yield index, value, rule["value"]
        return
    rights = values_at(answers, rule["right"])
    if "[]" in rule["left"] and "[]" in rule["right"]:
        by_entry = dict(rights)
        for index, value in lefts:
            if index in by_entry:
                yield index, value, by_entry[index]
    elif "[]" in rule["right"]:
        for index, value in rights:
            for _none, left in lefts:
                yield index, left, value
    else:
        for index, value in lefts:
            for _none, right in rights:
                yield index, value, right


def _check_consistent(rule: Mapping[str, Any], answers: Mapping[str, Any]) -> Outcome:
    rid, kind = str(rule["id"]), "consistent"
    compared: list[Mapping[str, Any]] = []
    disagree = 0
    for index, left, right in _pairs(rule, answers):
        result = _compare(left, rule["op"], right)
        if result is None:
            return Outcome(rid, kind, COULD_NOT_CHECK, "bad_date")
        disagree += not result
        compared.append({"entry": index, "left": left, "op": rule["op"], "right": right, "ok": result})
    if not compared:
        return Outcome(rid, kind, NOT_APPLICABLE, "nothing_to_check")
    if disagree:
        return Outcome(rid, kind, FAILED, "consistent_not", {"count": disagree}, tuple(compared))
    return Outcome(rid, kind, PASSED, "consistent_ok", {}, tuple(compared))


def _check_due(rule: Mapping[str, Any], answers: Mapping[str, Any], submitted_on: dt.date) -> Outcome:
    rid, kind = str(rule["id"]), "due"
    found = values_at(answers, rule["field"])
    if not found:
        return Outcome(rid, kind, NOT_APPLICABLE, "nothing_to_check")
    compared: list[Mapping[str, Any]] = []
    late_days = 0
    for index, value in found:
        event = _parse_date(value)
        if event is None:
            return Outcome(rid, kind, COULD_NOT_CHECK, "bad_date")
        if "by" in rule:
            deadline = _parse_date(rule["by"])
            assert deadline is not None
        else:
            # 「翌日から15日以内」: the day after the event is day 1.
            deadline = event + dt.timedelta(days=int(rule["within_days"]))
        late = (submitted_on - deadline).days
        compared.append(
            {
                "entry": index,
                "event": event.isoformat(),
                "deadline": deadline.isoformat(),
                "submitted": submitted_on.isoformat(),
                "ok": late <= 0,
            }
        )
        late_days = max(late_days, late)
    if late_days > 0:
        return Outcome(rid, kind, FAILED, "due_late", {"days": late_days}, tuple(compared))
    return Outcome(rid, kind, PASSED, "due_ok", {}, tuple(compared))


def evaluate_local(rule: Mapping[str, Any], answers: Mapping[str, Any], submitted_on: dt.date) -> Outcome:
    """Evaluate a rule of a kind in :data:`LOCAL_KINDS` (a checked rule: see :func:`rule_problems`)."""
    kind = rule["kind"]
    if kind == "age_on":
        return _check_age(rule, answers, submitted_on)
    if kind == "consistent":
        return _check_consistent(rule, answers)
    if kind == "due":
        return _check_due(rule, answers, submitted_on)
    raise ValueError(f"{kind} is not evaluated from the answers alone")
