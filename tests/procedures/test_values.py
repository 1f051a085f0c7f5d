"""Values as residents type and read them: years, amounts, フリガナ, dates, labels and errors.

docs/content-style.md is the rule book; these tests hold the validation layer to it.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from idx.common.dates import format_date, format_datetime, is_office_closed, next_office_day
from idx.common.wareki import DateParseError, parse_year
from idx.procedures.definition import AnswerError, Definition, Item, is_visible, parse, validate_answers
from idx.procedures.rendering import (
    answer_rows_for,
    answers_from_form,
    display_value,
    error_message,
    item_label,
    step_fields,
)
from idx.procedures.services import shipped_definitions

PARSED = {data["code"]: parse(data) for data in shipped_definitions()}
CHILD = PARSED["child-allowance-certification"]
RESIDENCE = PARSED["residence-certificate-request"]


def _item(definition: Definition, path: str) -> Item:
    item = definition.item(path)
    assert item is not None, path
    return item


# ---- numbers: years are never grouped, amounts are ---------------------------------------


def test_years_show_without_digit_grouping_and_amounts_with_it():
    with translation.override("ja"):
        rows = {row.path: row.value for row in answer_rows_for(CHILD, CHILD.data["example"])}
    assert rows["income_year"] == "2025年（令和7年）"
    assert "2,025" not in rows["income_year"]
    assert rows["claimant_income_yen"] == "4,200,000"
    with translation.override("en"):
        assert display_value(_item(CHILD, "income_year"), 2025) == "2025"
        assert display_value(_item(CHILD, "claimant_income_yen"), 4200000) == "4,200,000"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2025", 2025),
        ("２０２５", 2025),
        ("2025年", 2025),
        ("令和7年", 2025),
        ("R7", 2025),
        ("令和 ７ 年", 2025),
    ],
)
def test_a_year_item_accepts_what_people_type(typed, expected):
    step = CHILD.step("income")
    assert step is not None
    answers = answers_from_form(step, {"f.income_year": typed}, {})
    assert answers["income_year"] == expected
    assert [
        e for e in validate_answers(CHILD, {**CHILD.data["example"], **answers}) if e.path == "income_year"
    ] == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4200000", 4200000),
        ("4,200,000円", 4200000),
        ("４２０００００", 4200000),
        ("420万円", 4200000),
        (" 4 200 000 ", 4200000),
    ],
)
def test_an_amount_accepts_separators_yen_and_full_width_digits(typed, expected):
    step = CHILD.step("income")
    assert step is not None
    assert answers_from_form(step, {"f.claimant_income_yen": typed}, {})["claimant_income_yen"] == expected


def test_what_is_not_a_number_is_kept_and_explained_in_plain_words():
    step = CHILD.step("income")
    assert step is not None
    answers = answers_from_form(step, {"f.income_year": "去年", "f.claimant_income_yen": "たくさん"}, {})
    assert answers == {"income_year": "去年", "claimant_income_yen": "たくさん"}
    errors = {e.path: e for e in validate_answers(CHILD, {**CHILD.data["example"], **answers})}
    with translation.override("ja"):
        year = error_message(errors["income_year"], _item(CHILD, "income_year"))
        amount = error_message(errors["claimant_income_yen"], _item(CHILD, "claimant_income_yen"))
    assert year == "「所得の対象年」は年を数字で入力してください（例：2025、令和7年）。"
    assert amount == "「請求者の所得額（円）」は数字で入力してください（例：1200）。"
    for text in (year, amount):
        assert "半角" not in text and "整数" not in text


@given(st.integers(min_value=1989, max_value=2100))
def test_every_year_reads_back_from_its_era_form(year):
    from idx.common.wareki import era_of

    name, era_year = era_of(dt.date(year, 12, 31))
    assert parse_year(f"{name}{'元' if era_year == 1 else era_year}年") == year
    assert parse_year(str(year)) == year


def test_an_era_year_past_its_era_is_refused():
    with pytest.raises(DateParseError):
        parse_year("平成32年")


# ---- フリガナ ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("いが はなこ", "イガ ハナコ"),
        ("ｲｶﾞ ﾊﾅｺ", "イガ ハナコ"),
        ("いが　はなこ ", "イガ ハナコ"),
        ("イガ ハナコ", "イガ ハナコ"),
    ],
)
def test_furigana_in_hiragana_or_half_width_becomes_katakana(typed, expected):
    step = RESIDENCE.step("requester")
    assert step is not None
    answers = answers_from_form(step, {"f.requester.name_kana": typed}, {})
    assert answers["requester"]["name_kana"] == expected
    assert [
        e
        for e in validate_answers(RESIDENCE, {**RESIDENCE.data["example"], **answers})
        if "name_kana" in e.path
    ] == []


# ---- error messages name the item (the error summary shows them alone) -------------------


def test_every_item_error_names_its_item_in_every_language():
    codes = [
        "required",
        "type",
        "format:date",
        "format:katakana",
        "enum",
        "const",
        "maxLength",
        "minimum",
        "maximum",
    ]
    item = _item(CHILD, "claimant.name")
    for language in ("ja", "ja-easy", "en", "pt-br", "vi", "zh-hans", "es", "fil"):
        with translation.override(language):
            label = item_label(CHILD, item, "claimant.name")
            for code in codes:
                text = error_message(AnswerError(path="claimant.name", code=code, params={"limit": 50}), item)
                assert label in text, (language, code, text)
                assert "2026-01-05" not in text


def test_an_error_in_a_repeat_entry_names_the_entry():
    errors = [AnswerError(path="children[1].name", code="required", params={})]
    step = next(step for step in CHILD.steps if "children" in step.fields)
    with translation.override("ja"):
        views = step_fields(CHILD, step, {"children": [{"name": "伊賀 一郎"}, {}]}, errors)
        label = item_label(CHILD, CHILD.item("children[1].name"), "children[1].name")
    entry = next(view for view in views if view.item.field == "children").entries[1]
    assert label.endswith(" 2：氏名")
    assert entry[0].errors == [f"「{label}」を入力してください。"]


# ---- required marks follow the definition, over all 30 procedures --------------------------


def _without(answers: dict[str, Any], path: str, item: Item) -> dict[str, Any]:
    changed = copy.deepcopy(answers)
    group, _dot, child = path.partition(".")
    if "[" in group:
        name, index = group.rstrip("]").split("[")
        target = changed[name][int(index)]
    elif child:
        target, child = changed[group], child
    else:
        target, child = changed, group
    if item.widget == "checkbox":
        target[child] = False  # an unticked box is always sent as "no"
    else:
        target.pop(child, None)
    return changed


def test_required_marks_follow_the_definition_on_every_item_of_every_procedure():
    assert len(PARSED) == 30
    checked = 0
    for code, definition in PARSED.items():
        example = definition.data["example"]
        for step in definition.steps:
            for view in step_fields(definition, step, example):
                if not is_visible(view.item, example) or view.item.field not in example:
                    continue
                children = view.children or (view.entries[0] if view.entries else [])
                for field in [view, *children]:
                    path = field.path
                    try:
                        answers = _without(example, path, field.item)
                    except (KeyError, IndexError, TypeError):
                        continue
                    problems = [
                        e
                        for e in validate_answers(definition, answers)
                        if e.path == path or e.path.startswith((path + ".", path + "["))
                    ]
                    assert bool(problems) == field.required, (code, path, field.required, problems)
                    checked += 1
    assert checked > 400


def test_optional_tick_boxes_of_the_residence_certificate_are_not_marked_required():
    step = RESIDENCE.step("content")
    assert step is not None
    views = {view.item.field: view for view in step_fields(RESIDENCE, step, {})}
    assert views["include_household_head"].required is False
    assert views["include_honseki"].required is False
    agreement = next(
        view
        for step in RESIDENCE.steps
        for view in step_fields(RESIDENCE, step, {})
        if view.item.field == "agree_post_to_registered_address"
    )
    assert agreement.required is True


# ---- dates as people read them --------------------------------------------------------------


def test_dates_read_naturally_in_each_language():
    day = dt.date(2026, 12, 4)
    expected = {
        "ja": "2026年12月4日（金）",
        "ja-easy": "2026年12月4日（金）",
        "en": "Friday, December 4, 2026",
        "pt-br": "sexta-feira, 4 de dezembro de 2026",
        "vi": "Thứ Sáu, 4 tháng 12, 2026",
        "zh-hans": "2026年12月4日星期五",
        "es": "viernes, 4 de diciembre de 2026",
        "fil": "Biyernes, Disyembre 4, 2026",
    }
    for language, text in expected.items():
        assert format_date(day, language) == text
    moment = dt.datetime(2026, 12, 3, 22, 32, tzinfo=dt.UTC)  # 07:32 in Tokyo
    assert format_datetime(moment, "ja") == "2026年12月4日（金）7:32"


def test_answer_dates_show_the_era_where_the_form_uses_it():
    item = _item(CHILD, "claimant.birth_date")
    with translation.override("ja"):
        assert display_value(item, "1990-04-01") == "1990年4月1日（平成2年4月1日）"
        view = step_fields(CHILD, CHILD.steps[0], {"claimant": {"birth_date": "1990-04-01"}})[0]
    assert view.children[2].value == "1990年4月1日"  # what the input shows, never ISO


def test_a_target_date_never_falls_on_a_closed_day():
    assert is_office_closed(dt.date(2026, 12, 29)) and is_office_closed(dt.date(2027, 1, 3))
    assert next_office_day(dt.date(2026, 12, 28)) == dt.date(2026, 12, 28)
    assert next_office_day(dt.date(2026, 12, 29)) == dt.date(2027, 1, 4)
    assert next_office_day(dt.date(2026, 12, 5)) == dt.date(2026, 12, 7)  # a Saturday


def test_the_correction_form_shows_labels_not_raw_values():
    step = RESIDENCE.step("content")
    assert step is not None
    answers = {**RESIDENCE.data["example"], "include_household_head": True}
    with translation.override("ja"):
        views = step_fields(RESIDENCE, step, answers, notes={"copies": "通数を確認"}, lock_unflagged=True)
    locked = {view.item.field: view for view in views if not view.editable}
    assert locked["include_household_head"].display == "はい"
    assert locked["document_type"].display not in ("residence_certificate_copy", "")


def test_japanese_text_takes_full_width_brackets_and_a_joined_postal_mark():
    from idx.common.dates import postal_address
    from idx.common.templatetags.idx_format import bracketed

    with translation.override("ja"):
        assert bracketed("本庁舎1階") == "（本庁舎1階）"
        assert (
            postal_address("518-8501 三重県伊賀市四十九町3184番地")
            == "〒518-8501 三重県伊賀市四十九町3184番地"
        )
        assert postal_address("〒 518-8501 三重県") == "〒518-8501 三重県"
    with translation.override("en"):
        assert bracketed("1st floor") == " (1st floor)"
        assert postal_address("3184 Shijukucho, Iga, Mie 518-8501") == "3184 Shijukucho, Iga, Mie 518-8501"


def test_the_error_summary_names_the_item_and_the_entry():
    from idx.web.summary import summary_from_answers

    answers = {**CHILD.data["example"], "income_year": "去年"}
    answers["children"] = [dict(answers["children"][0]), {**answers["children"][0], "name": ""}]
    del answers["children"][1]["name"]
    with translation.override("ja"):
        summary = {
            item.html_id: item.message
            for item in summary_from_answers(CHILD, validate_answers(CHILD, answers))
        }
    assert summary["f-income-year"] == "「所得の対象年」は年を数字で入力してください（例：2025、令和7年）。"
    assert summary["f-children-1-name"].startswith("「") and " 2：氏名」" in summary["f-children-1-name"]
