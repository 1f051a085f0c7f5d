"""The shipped procedure definitions, the definition checker, 和暦 parsing and form parsing."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.utils.html import escape
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from idx.common.i18n import pick
from idx.common.wareki import DateParseError, format_both, format_wareki, parse_date
from idx.procedures.check_definitions import main as check_main
from idx.procedures.definition import DefinitionError, parse, validate_answers
from idx.procedures.rendering import answers_from_form, html_name
from idx.procedures.services import shipped_definitions
from tests.conftest import IGA_HOST

SHIPPED = shipped_definitions()
PARSED = {data["code"]: parse(data) for data in SHIPPED}

CHILD_REARING = [
    "児童手当等の受給資格及び児童手当の額についての認定請求",
    "児童手当等の額の改定の請求及び届出",
    "氏名変更／住所変更等の届出",
    "受給事由消滅の届出",
    "未支払の児童手当等の請求",
    "児童手当に係る寄付の申出",
    "児童手当に係る寄付変更等の申出",
    "受給資格者の申出による学校給食費等の徴収等の申出",
    "受給資格者の申出による学校給食費等の徴収等の変更等の申出",
    "児童手当等の現況届",
    "支給認定の申請",
    "保育施設等の利用申込",
    "保育施設等の現況届",
    "児童扶養手当の現況届の事前送信",
    "妊娠の届出",
]
CARE = [
    "要介護・要支援認定の申請",
    "要介護・要支援更新認定の申請",
    "要介護・要支援状態区分変更認定の申請",
    "居住（介護予防）サービス計画作成（変更）依頼の届出",
    "介護保険負担割合証の再交付申請",
    "被保険者証の再交付申請",
    "高額介護（予防）サービス費の支給申請",
    "介護保険負担限度額認定申請",
    "居宅介護（介護予防）福祉用具購入費の支給申請",
    "居宅介護（介護予防）住宅改修費の支給申請",
    "住所移転後の要介護・要支援の認定申請",
]
DISASTER = ["罹災証明書の発行申請"]
OTHERS = ["住民票の写し等の交付請求", "粗大ごみ収集の申込", "イベント・講座の申込"]
SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "000_22d7328be2fdf1a3.txt"


# ---- the shipped catalog --------------------------------------------------------------------


def test_thirty_definitions_ship_and_parse():
    assert len(SHIPPED) == 30
    assert len(PARSED) == 30  # codes are unique


def test_names_are_unique_and_the_27_official_procedures_are_present():
    names = [data["name"]["ja"] for data in SHIPPED]
    assert len(set(names)) == 30
    assert len(CHILD_REARING) == 15 and len(CARE) == 11 and len(DISASTER) == 1
    assert set(names) == set(CHILD_REARING + CARE + DISASTER + OTHERS)
    english = [data["name"]["en"] for data in SHIPPED]
    assert len(set(english)) == 30


@pytest.mark.skipif(not SEED.exists(), reason="the seed document is not available here")
def test_official_names_match_the_seed_document():
    lines = SEED.read_text(encoding="utf-8").splitlines()[211:227]
    cells = {cell.strip() for line in lines for cell in line.split("\t") if cell.strip()}
    for name in CHILD_REARING + CARE + DISASTER:
        assert name.replace("（※）", "") in {cell.replace("（※）", "") for cell in cells}, name


@pytest.mark.parametrize("code", sorted(PARSED))
def test_every_example_validates(code):
    definition = PARSED[code]
    assert "example" in definition.data, f"{code} ships no example"
    assert validate_answers(definition, definition.data["example"]) == []


@pytest.mark.parametrize("code", sorted(PARSED))
def test_every_step_renders_in_the_portal(code, resident, resident_client):
    from idx.applications import services
    from tests.conftest import procedure

    proc = procedure(resident.municipality, code)
    application = services.application_start(resident=resident, procedure=proc)
    definition = application.procedure_version.parsed
    assert [step.id for step in definition.steps] == [step.id for step in PARSED[code].steps]
    for step in definition.steps:
        response = resident_client.get(f"/my/applications/{application.public_id}/steps/{step.id}/")
        assert response.status_code == 200, (code, step.id)
        page = response.content.decode()
        assert escape(pick(step.title, "ja")) in page
        for item in step.items:
            assert escape(pick(item.label, "ja")) in page, (code, step.id, item.path)
            for child in item.children:
                assert escape(pick(child.label, "ja")) in page, (code, step.id, child.path)
            assert f'id="{"f-" + item.field.replace("_", "-")}' in page or item.widget in ("radio", "yes_no")


# ---- the definition checker ----------------------------------------------------------------


@pytest.fixture
def good():
    return copy.deepcopy(next(data for data in SHIPPED if data["code"] == "child-allowance-certification"))


def _problems(data) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse(data)
    return caught.value.problems


def test_checker_accepts_the_good_definition(good):
    assert parse(good).code == "child-allowance-certification"


def test_checker_rejects_missing_english_label(good):
    good["steps"][0]["items"][1]["label"] = {"ja": "転入日"}
    assert "steps[0].items[1].label: missing language 'en'" in _problems(good)


def test_checker_refuses_a_required_identity_check_the_flow_never_makes(good):
    good["identity_verification"] = "required"
    good["signature_required"] = False
    assert "identity_verification: required only with signature_required: true" in _problems(good)
    good["signature_required"] = True
    assert parse(good).code == "child-allowance-certification"


@pytest.mark.parametrize("code", sorted(PARSED))
@pytest.mark.django_db
def test_procedure_page_promises_only_the_identity_check_the_flow_makes(code, iga):
    """「マイナンバーカードが必要です」 only where the flow asks for the card's signature."""
    data = PARSED[code].data
    response = Client(HTTP_HOST=IGA_HOST).get(f"/procedures/{code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert ("My Number Card required" in page) == bool(
        data["signature_required"] and data["identity_verification"] == "required"
    )


def test_checker_rejects_missing_english_name(good):
    del good["name"]["en"]
    assert _problems(good) == ["name: missing language 'en'"]


def test_checker_rejects_unknown_widget(good):
    good["steps"][0]["items"][1]["widget"] = "slider"
    assert "steps[0].items[1]: unknown widget 'slider'" in _problems(good)


def test_checker_rejects_options_not_matching_the_enum(good):
    options = good["steps"][0]["items"][0]["items"][3]["options"]
    options.reverse()
    problems = _problems(good)
    assert (
        "steps[0].items[0].items[3]: options must list the schema enum ['male', 'female'] in order"
        in problems
    )


def test_checker_rejects_an_option_missing_from_the_enum(good):
    good["steps"][3]["items"][0]["options"].append({"value": "cash", "label": {"ja": "現金", "en": "Cash"}})
    assert any(p.startswith("steps[3].items[0]: options must list the schema enum") for p in _problems(good))


def test_checker_rejects_schema_property_not_presented(good):
    good["schema"]["properties"]["nickname"] = {"type": "string", "maxLength": 20}
    assert "schema property 'nickname' is not presented in any step" in _problems(good)


def test_checker_rejects_group_property_not_presented(good):
    good["schema"]["properties"]["claimant"]["properties"]["fax"] = {"type": "string", "maxLength": 20}
    assert "steps[0].items[0]: property 'fax' is not presented" in _problems(good)


def test_checker_rejects_unknown_language_key(good):
    good["name"]["xx"] = "junk"
    assert _problems(good) == ["name: unknown language code 'xx'"]


def test_checker_rejects_unknown_top_level_key_and_missing_keys(good):
    good["colour"] = "red"
    del good["declaration"]
    assert _problems(good) == ["missing key 'declaration'", "unknown key 'colour'"]


def test_checker_rejects_example_that_does_not_validate(good):
    good["example"]["claimant"]["postal_code"] = "5180873"
    assert _problems(good) == ["example: claimant.postal_code: format:jp-postal-code"]


def test_checker_rejects_text_without_max_length(good):
    del good["schema"]["properties"]["previous_address"]["maxLength"]
    assert "steps[0].items[2]: a text answer needs maxLength" in _problems(good)


def test_checker_rejects_unknown_standard_item(good):
    good["standard_items"]["claimant.shoe_size"] = "請求者_靴"
    assert "standard_items: unknown answer path 'claimant.shoe_size'" in _problems(good)


def test_checker_rejects_a_non_mapping():
    assert _problems(["not", "a", "mapping"]) == ["the definition must be a mapping"]


def test_check_definitions_cli(tmp_path, good, capsys):
    import yaml

    ok = tmp_path / "ok.yaml"
    ok.write_text(yaml.safe_dump(good, allow_unicode=True), encoding="utf-8")
    good["steps"][0]["items"][1]["widget"] = "slider"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(good, allow_unicode=True), encoding="utf-8")
    assert check_main([str(ok)]) == 0
    assert check_main([str(ok), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{ok}: ok" in out
    assert "  - steps[0].items[1]: unknown widget 'slider'" in out


# ---- 和暦 -------------------------------------------------------------------------------------


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_wareki_round_trip(date):
    assert parse_date(format_wareki(date)) == date
    assert parse_date(date.isoformat()) == date
    assert parse_date(f"{date.year}/{date.month}/{date.day}") == date
    assert parse_date(f"{date.year}年{date.month}月{date.day}日") == date
    assert format_both(date).startswith(f"{date.year}年{date.month}月{date.day}日（")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R8.1.5", dt.date(2026, 1, 5)),
        ("r8.1.5", dt.date(2026, 1, 5)),
        ("令和8年1月5日", dt.date(2026, 1, 5)),
        ("令和８年１月５日", dt.date(2026, 1, 5)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("H1.1.8", dt.date(1989, 1, 8)),
        ("昭和64年1月7日", dt.date(1989, 1, 7)),
        ("20260105", dt.date(2026, 1, 5)),
        (" 2026 / 1 / 5 ", dt.date(2026, 1, 5)),
    ],
)
def test_parse_date_accepts(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30",
        "2025-02-29",
        "平成31年5月1日",
        "令和元年4月30日",
        "昭和64年1月8日",
        "平成元年1月7日",
        "令和0年1月1日",
        "R8.13.1",
        "",
        "   ",
        "yesterday",
        "2026-1",
        "X8.1.5",
    ],
)
def test_parse_date_rejects(text):
    with pytest.raises(DateParseError):
        parse_date(text)


def test_format_wareki_first_year_is_gannen():
    assert format_wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki(dt.date(2019, 4, 30)) == "平成31年4月30日"
    assert format_both(dt.date(2026, 1, 5)) == "2026年1月5日（令和8年1月5日）"


@given(st.text(max_size=30))
def test_parse_date_never_raises_anything_but_date_parse_error(text):
    try:
        result = parse_date(text)
    except DateParseError:
        return
    assert isinstance(result, dt.date)


# ---- form parsing and validation never crash ------------------------------------------------

JUNK = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "true",
            "false",
            "-1",
            "1e9999",
            "nan",
            "²",
            "١٢",
            "０５９５",
            "R8.1.5",
            "2026-02-30",
            "\x00",
        ]
    ),
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _form_names(definition) -> list[str]:
    names = []
    for step in definition.steps:
        for item in step.items:
            names.append(html_name(item.field))
            if item.widget == "repeat":
                names.append(html_name(item.field) + ".count")
                for index in range(2):
                    names += [f"{html_name(item.field)}.{index}.{child.field}" for child in item.children]
            for child in item.children:
                names.append(f"{html_name(item.field)}.{child.field}")
                names.append(f"{html_name(item.field)}.{child.field}.kept")
            names.append(html_name(item.field) + ".kept")
    return names


CODES = sorted(PARSED)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(code=st.sampled_from(CODES), data=st.data())
@example(code="child-allowance-certification", data=None)
def test_answers_from_form_and_validate_never_raise(code, data):
    definition = PARSED[code]
    names = _form_names(definition)
    if data is None:  # explicit edge case: a non-ASCII digit in a repeat count
        form = {"f.children.count": "²", "f.claimant.birth_date": "令和8年2月30日"}
    else:
        form = data.draw(st.dictionaries(st.sampled_from(names) | st.text(max_size=15), JUNK, max_size=25))
    answers = {}
    for step in definition.steps:
        answers.update(answers_from_form(step, form, {}))
    errors = validate_answers(definition, answers)
    assert isinstance(errors, list)
    for step in definition.steps:
        validate_answers(definition, answers, only_fields=step.fields)


@settings(max_examples=150, deadline=None)
@given(code=st.sampled_from(CODES), data=st.data())
def test_validate_answers_with_arbitrary_json_never_raises(code, data):
    definition = PARSED[code]
    keys = list(definition.schema["properties"])
    answers = data.draw(st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), JSONISH, max_size=8))
    errors = validate_answers(definition, answers)
    assert all(error.code for error in errors)
