"""The rule language of ``checks:``: each kind evaluated from answers, and what a bad rule says."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from idx.procedures.check_rules import (
    COULD_NOT_CHECK,
    FAILED,
    NOT_APPLICABLE,
    PASSED,
    age_on,
    evaluate_local,
    last_march_31_under,
)
from idx.procedures.definition import DefinitionError, parse

DEFINITIONS = Path(__file__).resolve().parents[2] / "src/idx/procedures/definitions"
CHILD = yaml.safe_load((DEFINITIONS / "child-allowance-certification.yaml").read_text(encoding="utf-8"))
LABEL = {"ja": "確認", "en": "Check"}

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


# ---- ages around birthdays and leap days ---------------------------------------------------


@given(birth=dates, years=st.integers(min_value=0, max_value=100))
def test_the_new_age_holds_on_the_birthday_and_not_the_day_before(birth, years):
    try:
        birthday = birth.replace(year=birth.year + years)
    except ValueError:  # 29 February: a common year's anniversary falls on 1 March
        birthday = dt.date(birth.year + years, 3, 1)
    if birthday > dt.date(2100, 12, 31) or (years and birthday - dt.timedelta(days=1) < birth):
        return
    assert age_on(birth, birthday) == years
    if years:
        assert age_on(birth, birthday - dt.timedelta(days=1)) == years - 1


@given(birth=dates, day=dates)
def test_age_grows_with_the_day_and_never_jumps(birth, day):
    if day < birth or day >= dt.date(2100, 12, 31):
        return
    today, tomorrow = age_on(birth, day), age_on(birth, day + dt.timedelta(days=1))
    assert today >= 0
    assert tomorrow - today in (0, 1)


def test_a_leap_day_child_turns_a_year_older_on_1_march_of_a_common_year():
    birth = dt.date(2008, 2, 29)
    assert age_on(birth, dt.date(2026, 2, 28)) == 17
    assert age_on(birth, dt.date(2026, 3, 1)) == 18
    assert age_on(birth, dt.date(2028, 2, 29)) == 20


@pytest.mark.parametrize(
    ("birth", "last_day"),
    [
        # Reaches 18 the day before the birthday; counted until the first 31 March after that.
        ("2008-04-02", "2027-03-31"),  # reaches 18 on 2026-04-01
        ("2008-04-01", "2026-03-31"),  # reaches 18 on 2026-03-31: that very day is the last
        ("2008-12-24", "2027-03-31"),
        ("2008-02-29", "2026-03-31"),  # 18th birthday 2026-03-01 (common year): reached 2026-02-28
        ("2007-04-02", "2026-03-31"),
    ],
)
def test_the_child_allowance_counts_a_child_until_the_first_31_march_after_reaching_18(birth, last_day):
    assert last_march_31_under(dt.date.fromisoformat(birth), 18) == dt.date.fromisoformat(last_day)


@given(birth=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_the_end_of_the_school_year_is_a_31_march_after_the_17th_birthday_and_within_a_year_of_the_18th(
    birth,
):
    last = last_march_31_under(birth, 18)
    assert (last.month, last.day) == (3, 31)
    assert age_on(birth, last) in (17, 18)
    assert age_on(birth, last + dt.timedelta(days=1)) == 18 or last + dt.timedelta(days=1) < dt.date(
        birth.year + 18, 1, 1
    )


def _age_rule(**extra: Any) -> dict[str, Any]:
    return {
        "id": "child",
        "kind": "age_on",
        "field": "children[].birth_date",
        "under": 18,
        "as_of": "submitted",
        **extra,
    }


def test_age_on_names_each_child_outside_the_limit():
    answers = {"children": [{"birth_date": "2010-01-01"}, {"birth_date": "2008-12-04"}]}
    result = evaluate_local(_age_rule(), answers, dt.date(2026, 12, 4))
    assert result.outcome == FAILED and result.params == {"count": 1}
    assert [item["age"] for item in result.compared] == [16, 18]
    assert [item["entry"] for item in result.compared] == [0, 1]
    # The day before the 18th birthday the same child is still 17.
    assert evaluate_local(_age_rule(), answers, dt.date(2026, 12, 3)).outcome == PASSED


def test_until_march_31_keeps_an_18_year_old_until_the_end_of_the_school_year():
    answers = {"children": [{"birth_date": "2008-06-01"}]}
    assert evaluate_local(_age_rule(), answers, dt.date(2026, 12, 4)).outcome == FAILED
    assert evaluate_local(_age_rule(until_march_31=True), answers, dt.date(2026, 12, 4)).outcome == PASSED
    assert evaluate_local(_age_rule(until_march_31=True), answers, dt.date(2027, 4, 1)).outcome == FAILED


def test_at_least_and_a_date_from_the_answers():
    rule = {
        "id": "adult",
        "kind": "age_on",
        "field": "claimant.birth_date",
        "at_least": 20,
        "as_of": "moved_in_date",
    }
    answers = {"claimant": {"birth_date": "2006-05-01"}, "moved_in_date": "2026-05-01"}
    assert evaluate_local(rule, answers, dt.date(2026, 12, 4)).outcome == PASSED
    answers["moved_in_date"] = "2026-04-30"
    assert evaluate_local(rule, answers, dt.date(2026, 12, 4)).outcome == FAILED
    del answers["moved_in_date"]
    assert evaluate_local(rule, answers, dt.date(2026, 12, 4)).outcome == COULD_NOT_CHECK


def test_age_on_without_the_answer_does_not_apply_and_a_future_birth_cannot_be_checked():
    assert evaluate_local(_age_rule(), {"children": []}, dt.date(2026, 12, 4)).outcome == NOT_APPLICABLE
    future = {"children": [{"birth_date": "2027-01-01"}]}
    assert evaluate_local(_age_rule(), future, dt.date(2026, 12, 4)).outcome == COULD_NOT_CHECK


# ---- consistency and due dates ---------------------------------------------------------------


def test_consistent_compares_per_entry_against_a_single_answer():
    rule = {
        "id": "c",
        "kind": "consistent",
        "left": "children[].birth_date",
        "op": "gt",
        "right": "claimant.birth_date",
    }
    answers = {
        "claimant": {"birth_date": "1988-06-15"},
        "children": [{"birth_date": "2012-09-20"}, {"birth_date": "1980-01-01"}],
    }
    result = evaluate_local(rule, answers, dt.date(2026, 12, 4))
    assert result.outcome == FAILED and result.params == {"count": 1}
    assert [item["ok"] for item in result.compared] == [True, False]
    answers["children"].pop()
    assert evaluate_local(rule, answers, dt.date(2026, 12, 4)).outcome == PASSED


def test_consistent_with_a_value_with_numbers_and_with_what_cannot_be_ordered():
    rule = {"id": "c", "kind": "consistent", "left": "copies", "op": "le", "value": 10}
    assert evaluate_local(rule, {"copies": 3}, dt.date(2026, 1, 1)).outcome == PASSED
    assert evaluate_local(rule, {"copies": 11}, dt.date(2026, 1, 1)).outcome == FAILED
    assert evaluate_local(rule, {}, dt.date(2026, 1, 1)).outcome == NOT_APPLICABLE
    assert evaluate_local(rule, {"copies": "many"}, dt.date(2026, 1, 1)).outcome == COULD_NOT_CHECK
    equal = {"id": "c", "kind": "consistent", "left": "has_spouse", "op": "eq", "value": True}
    assert evaluate_local(equal, {"has_spouse": False}, dt.date(2026, 1, 1)).outcome == FAILED


@given(
    event=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)), late=st.integers(-20, 40)
)
def test_due_within_days_counts_from_the_day_after_the_event(event, late):
    rule = {"id": "d", "kind": "due", "field": "moved_in_date", "within_days": 15}
    submitted = event + dt.timedelta(days=15 + late)
    result = evaluate_local(rule, {"moved_in_date": event.isoformat()}, submitted)
    assert result.outcome == (FAILED if late > 0 else PASSED)
    if late > 0:
        assert result.params == {"days": late}


def test_due_by_a_fixed_date():
    rule = {"id": "d", "kind": "due", "field": "moved_in_date", "by": "2027-03-31"}
    answers = {"moved_in_date": "2027-01-01"}
    assert evaluate_local(rule, answers, dt.date(2027, 3, 31)).outcome == PASSED
    assert evaluate_local(rule, answers, dt.date(2027, 4, 1)).outcome == FAILED
    assert evaluate_local(rule, {}, dt.date(2027, 4, 1)).outcome == NOT_APPLICABLE


# ---- rules checked with the definition -------------------------------------------------------


def _with_checks(checks: Any) -> dict[str, Any]:
    data = copy.deepcopy(CHILD)
    data["checks"] = checks
    return data


def test_the_shipped_child_allowance_rules_are_valid():
    definition = parse(CHILD)
    assert [rule["kind"] for rule in definition.data["checks"]] == [
        "age_on",
        "consistent",
        "due",
        "duplicate_open",
        "resident_record",
    ]


@pytest.mark.parametrize(
    ("rule", "where", "words"),
    [
        ({"id": "a", "kind": "eval", "label": LABEL}, "checks[0]", "kind must be one of"),
        ({"id": "A b", "kind": "duplicate_open", "label": LABEL}, "checks[0]", "needs an id"),
        ({"id": "a", "kind": "duplicate_open"}, "checks[0].label", "must be a map"),
        (
            {
                "id": "a",
                "kind": "age_on",
                "field": "claimant.name",
                "under": 18,
                "as_of": "submitted",
                "label": LABEL,
            },
            "checks[0].field",
            "is not a date question",
        ),
        (
            {"id": "a", "kind": "age_on", "field": "nope", "under": 18, "as_of": "submitted", "label": LABEL},
            "checks[0].field",
            "is not a question of the form",
        ),
        (
            {
                "id": "a",
                "kind": "age_on",
                "field": "claimant.birth_date",
                "under": 18,
                "at_least": 3,
                "as_of": "submitted",
                "label": LABEL,
            },
            "checks[0]",
            "exactly one of under or at_least",
        ),
        (
            {
                "id": "a",
                "kind": "age_on",
                "field": "claimant.birth_date",
                "under": "18",
                "as_of": "submitted",
                "label": LABEL,
            },
            "checks[0].under",
            "whole years",
        ),
        (
            {"id": "a", "kind": "age_on", "field": "claimant.birth_date", "under": 18, "label": LABEL},
            "checks[0]",
            "missing 'as_of'",
        ),
        (
            {
                "id": "a",
                "kind": "consistent",
                "left": "claimant.birth_date",
                "op": "__import__",
                "value": 1,
                "label": LABEL,
            },
            "checks[0].op",
            "op must be one of",
        ),
        (
            {
                "id": "a",
                "kind": "consistent",
                "left": "children[].birth_date",
                "op": "eq",
                "right": "older_children[].birth_date",
                "label": LABEL,
            },
            "checks[0]",
            "same repeated group",
        ),
        (
            {"id": "a", "kind": "due", "field": "moved_in_date", "by": "令和9年3月31日", "label": LABEL},
            "checks[0].by",
            "YYYY-MM-DD",
        ),
        (
            {
                "id": "a",
                "kind": "due",
                "field": "moved_in_date",
                "within_days": 15,
                "by": "2027-03-31",
                "label": LABEL,
            },
            "checks[0]",
            "exactly one of within_days or by",
        ),
        (
            {"id": "a", "kind": "resident_record", "name": "children[].name", "label": LABEL},
            "checks[0].name",
            "not one per entry",
        ),
        (
            {"id": "a", "kind": "duplicate_open", "label": LABEL, "sql": "DROP"},
            "checks[0]",
            "unknown key 'sql'",
        ),
    ],
)
def test_a_bad_rule_is_a_problem_named_by_its_place(rule, where, words):
    with pytest.raises(DefinitionError) as caught:
        parse(_with_checks([rule]))
    problems = [p for p in caught.value.problems if getattr(p, "path", "") == where]
    assert problems, caught.value.problems
    assert any(words in str(p) for p in problems), problems


def test_problems_of_rules_read_in_japanese(settings):
    from django.utils import translation

    with pytest.raises(DefinitionError) as caught:
        parse(
            _with_checks(
                [{"id": "a", "kind": "due", "field": "claimant.name", "within_days": 15, "label": LABEL}]
            )
        )
    with translation.override("ja"):
        texts = caught.value.problems_translated()
    assert any("日付の質問ではありません" in text for text in texts), texts


def test_ids_are_unique_and_the_list_is_a_list():
    rule = {"id": "a", "kind": "duplicate_open", "label": LABEL}
    with pytest.raises(DefinitionError, match="duplicate id 'a'"):
        parse(_with_checks([rule, rule]))
    with pytest.raises(DefinitionError, match="must be a list of checks"):
        parse(_with_checks({"a": rule}))
