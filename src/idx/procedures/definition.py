"""The declarative procedure definition: structure checks and answer validation.

A definition (see docs/procedure-definitions.md) couples a JSON Schema 2020-12 document for
the answers with a presentation (steps and items). This module knows nothing about the
database: the loader, the back-office editor and the tests all call it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import jsonschema
from django.utils.translation import gettext, gettext_noop
from jsonschema import Draft202012Validator, FormatChecker

from idx.common import my_number
from idx.common.errors import DomainError
from idx.common.wareki import DateParseError, parse_date
from idx.procedures.check_rules import rule_problems

CATEGORIES = ("childcare", "nursing_care", "disaster", "registry", "environment", "events")
LIFE_EVENTS = ("pregnancy_birth", "childrearing", "nursing_care", "disaster", "daily_life")
SCALAR_WIDGETS = {
    "text",
    "textarea",
    "number",
    "date",
    "email",
    "tel",
    "postal_code",
    "select",
    "radio",
    "checkbox",
    "yes_no",
    "file",
    "my_number",  # 個人番号: sealed on receipt, see idx.common.my_number
}
GROUP_WIDGETS = {"fieldset", "repeat"}
REQUIRED_LANGUAGES = ("ja", "en")
KNOWN_LANGUAGES = {"ja", "ja-easy", "en", "pt-br", "vi", "zh-hans", "es", "fil"}
TOP_LEVEL_KEYS = {
    "code",
    "name",
    "summary",
    "category",
    "life_event",
    "also_life_events",
    "department",
    "legal_basis",
    "eligibility",
    "required_documents",
    "fee",
    "identity_verification",
    "signature_required",
    "proxy_allowed",
    "processing_days",
    "declaration",
    "standard_items",
    "schema",
    "steps",
    "example",
    "reminder",
    "checks",  # automated checks (idx.procedures.check_rules)
}
REQUIRED_TOP_LEVEL = TOP_LEVEL_KEYS - {
    "fee",
    "standard_items",
    "example",
    "reminder",
    "also_life_events",
    "checks",
}
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")

_POSTAL = re.compile(r"^[0-9]{3}-[0-9]{4}$")
_PHONE = re.compile(r"^0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}$|^0[0-9]{9,10}$")
_KATAKANA = re.compile(r"^[\u30A0-\u30FF\u3000 ]+$")
_ATTACHMENT = re.compile(r"^att_[0-9a-f]{32}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")

format_checker = FormatChecker()


@format_checker.checks("date", raises=ValueError)
def _is_iso_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    dt.date.fromisoformat(value)
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


@format_checker.checks("jp-postal-code")
def _is_postal_code(value: object) -> bool:
    return not isinstance(value, str) or bool(_POSTAL.match(value))


@format_checker.checks("jp-phone")
def _is_phone(value: object) -> bool:
    return not isinstance(value, str) or bool(_PHONE.match(value))


@format_checker.checks("katakana")
def _is_katakana(value: object) -> bool:
    return not isinstance(value, str) or bool(_KATAKANA.match(value))


@format_checker.checks("attachment")
def _is_attachment(value: object) -> bool:
    return not isinstance(value, str) or bool(_ATTACHMENT.match(value))


@format_checker.checks("my-number")
def _is_my_number(value: object) -> bool:
    # The clear number is checked before it is sealed; what is stored afterwards is the token.
    return not isinstance(value, str) or my_number.is_valid(value) or my_number.is_sealed_token(value)


@format_checker.checks("email")
def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value))


_INDEX = re.compile(r"\[\d+\]")


def generic_path(path: str) -> str:
    """``children[1].name`` → ``children[].name``: the path of the item, whatever the entry."""
    return _INDEX.sub("[]", path)


class Problem(str):
    """One problem of a definition: the ``str`` is its English text (the command line, logs);
    ``path`` says where in the definition, ``translated()`` words it in the active language."""

    template: str
    path: str
    params: dict[str, Any]

    def __new__(cls, template: str, path: str = "", **params: Any) -> Problem:
        problem = super().__new__(cls, template % params if params else template)
        problem.template = template
        problem.path = path
        problem.params = params
        return problem

    def translated(self) -> str:
        text = gettext(self.template)
        return text % self.params if self.params else text


class DefinitionError(DomainError, ValueError):
    """A definition breaks the rules of docs/procedure-definitions.md; ``problems`` says where."""

    code = "definition_invalid"
    http_status = 422

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems

    def problems_translated(self) -> list[str]:
        """The problems for staff, in the active language where the checker words them so."""
        return [
            problem.translated() if isinstance(problem, Problem) else str(problem)
            for problem in self.problems
        ]


@dataclass(frozen=True)
class Item:
    """One question as presented; ``path`` is its place in the answers (``children[].name``)."""

    field: str
    widget: str
    spec: Mapping[str, Any]
    path: str
    schema: Mapping[str, Any]
    required: bool
    children: tuple[Item, ...] = ()

    @property
    def label(self) -> Mapping[str, str]:
        return self.spec.get("label", {})

    @property
    def help(self) -> Mapping[str, str]:
        return self.spec.get("help", {})

    @property
    def when(self) -> Mapping[str, Any] | None:
        return self.spec.get("when")

    @property
    def options(self) -> list[Mapping[str, Any]]:
        return list(self.spec.get("options", []))


@dataclass(frozen=True)
class Step:
    id: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    items: tuple[Item, ...]
    # Explanatory texts (widget ``note``) between the questions: (place among the items, note).
    # They hold no answer, so they are kept apart from ``items``.
    notes: tuple[tuple[int, Item], ...] = ()

    @property
    def fields(self) -> list[str]:
        return [item.field for item in self.items]


@dataclass
class Definition:
    data: Mapping[str, Any]
    steps: list[Step] = field(default_factory=list)

    @property
    def code(self) -> str:
        return str(self.data["code"])

    @property
    def schema(self) -> Mapping[str, Any]:
        return self.data["schema"]

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def step_of_field(self, name: str) -> Step | None:
        top = name.split(".")[0].split("[")[0]
        return next((step for step in self.steps if top in step.fields), None)

    def items(self) -> Iterator[Item]:
        """Every item, groups before their children, in form order."""
        for step in self.steps:
            for item in step.items:
                yield item
                yield from item.children

    @cached_property
    def _positions(self) -> dict[str, tuple[int, Item]]:
        return {item.path: (index, item) for index, item in enumerate(self.items())}

    def item(self, path: str) -> Item | None:
        """The item an answer path belongs to; concrete indices are accepted (``children[1].name``)."""
        entry = self._positions.get(generic_path(path))
        return entry[1] if entry else None

    def position(self, path: str) -> int:
        """Where the path's item stands in the form (unknown paths last)."""
        entry = self._positions.get(generic_path(path))
        return entry[0] if entry else len(self._positions)


def text_problems(value: object, where: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [
            Problem(gettext_noop("%(where)s: must be a map of language code to text"), where, where=where)
        ]
    problems: list[str] = [
        Problem(gettext_noop("%(where)s: missing language '%(lang)s'"), where, where=where, lang=lang)
        for lang in REQUIRED_LANGUAGES
        if not isinstance(value.get(lang), str) or not value.get(lang, "").strip()
    ]
    # An unquoted comma in YAML flow style splits a text into a junk key: catch it here.
    problems += [
        Problem(gettext_noop("%(where)s: unknown language code '%(key)s'"), where, where=where, key=key)
        for key in value
        if key not in KNOWN_LANGUAGES
    ]
    problems += [
        Problem(gettext_noop("%(where)s: must be text"), f"{where}.{key}", where=f"{where}.{key}")
        for key, text in value.items()
        if not isinstance(text, str)
    ]
    return problems


def parse(data: Mapping[str, Any]) -> Definition:
    """Check a definition's structure and build its steps; raise DefinitionError listing every problem."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise DefinitionError([Problem(gettext_noop("the definition must be a mapping"))])
    missing = sorted(REQUIRED_TOP_LEVEL - set(data))
    problems += [Problem(gettext_noop("missing key '%(key)s'"), str(key), key=key) for key in missing]
    problems += [
        Problem(gettext_noop("unknown key '%(key)s'"), str(key), key=key)
        for key in sorted(set(data) - TOP_LEVEL_KEYS)
    ]
    if problems:
        raise DefinitionError(problems)

    if not isinstance(data["code"], str) or not _CODE.match(data["code"]):
        problems.append(Problem(gettext_noop("code: use lowercase letters, digits and hyphens"), "code"))
    for key in ("name", "summary", "legal_basis", "eligibility", "declaration"):
        problems += text_problems(data[key], key)
    if not isinstance(data["required_documents"], list):
        problems.append(Problem(gettext_noop("required_documents: must be a list"), "required_documents"))
    else:
        for index, doc in enumerate(data["required_documents"]):
            problems += text_problems(doc, f"required_documents[{index}]")
    if data["category"] not in CATEGORIES:
        problems.append(f"category: one of {', '.join(CATEGORIES)}")
    if data["life_event"] not in LIFE_EVENTS:
        problems.append(f"life_event: one of {', '.join(LIFE_EVENTS)}")
    # Other life events that call for this procedure too (a birth calls for the 児童手当 認定請求).
    also = data.get("also_life_events", [])
    if not isinstance(also, list) or any(event not in LIFE_EVENTS for event in also):
        problems.append(f"also_life_events: a list of {', '.join(LIFE_EVENTS)}")
    if data["identity_verification"] not in ("none", "optional", "required"):
        problems.append(
            Problem(
                gettext_noop("identity_verification: none, optional or required"), "identity_verification"
            )
        )
    elif data["identity_verification"] == "required" and data.get("signature_required") is not True:
        # The flow checks a resident's identity through the card signature only: promising a
        # required check without one would tell residents of a step that never comes.
        problems.append("identity_verification: required only with signature_required: true")
    for key in ("signature_required", "proxy_allowed"):
        if not isinstance(data[key], bool):
            problems.append(Problem(gettext_noop("%(key)s: true or false"), key, key=key))
    days = data["processing_days"]
    if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 365:
        problems.append(
            Problem(gettext_noop("processing_days: a whole number of days from 1 to 365"), "processing_days")
        )
    if not isinstance(data.get("department"), str) or not data["department"]:
        problems.append(Problem(gettext_noop("department: the owning department's code"), "department"))

    schema = data["schema"]
    try:
        _check_schema(schema)
    except jsonschema.SchemaError as exc:
        problems.append(f"schema: {exc.message} at {'/'.join(str(p) for p in exc.absolute_path)}")
        raise DefinitionError(problems) from exc
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), Mapping):
        problems.append("schema: must be an object with properties")
        raise DefinitionError(problems)

    steps, step_problems = _build_steps(data.get("steps"), schema)
    problems += step_problems
    presented = [item.field for step in steps for item in step.items]
    for name in schema["properties"]:
        if presented.count(name) == 0:
            problems.append(
                Problem(
                    gettext_noop("schema property '%(name)s' is not presented in any step"),
                    "schema",
                    name=name,
                )
            )
    for name in {n for n in presented if presented.count(n) > 1}:
        problems.append(
            Problem(gettext_noop("field '%(name)s' is presented more than once"), "steps", name=name)
        )

    fee = data.get("fee")
    if fee is not None:
        if not isinstance(fee, Mapping) or not isinstance(fee.get("amount"), int) or fee["amount"] < 0:
            problems.append("fee: {amount: yen, per_item: field}")
        elif fee.get("per_item") and fee["per_item"] not in schema["properties"]:
            problems.append(f"fee.per_item: unknown field '{fee['per_item']}'")
        elif fee.get("pay", "before_submission") not in ("before_submission", "after_submission"):
            problems.append("fee.pay: before_submission or after_submission")

    reminder = data.get("reminder")
    if reminder is not None:
        days_before = reminder.get("days_before") if isinstance(reminder, Mapping) else None
        if (
            not isinstance(reminder, Mapping)
            or not isinstance(reminder.get("deadline"), str)
            or not _MONTH_DAY.match(reminder["deadline"])
            or not isinstance(days_before, list)
            or not days_before
            or not all(
                isinstance(day, int) and not isinstance(day, bool) and 0 < day <= 90 for day in days_before
            )
        ):
            problems.append("reminder: {deadline: MM-DD (every year), days_before: [days, 1 to 90]}")

    definition = Definition(data=data, steps=steps)
    known_paths = {item.path for item in definition.items()}
    if "checks" in data:
        problems += rule_problems(data["checks"], definition)
    for path in data.get("standard_items") or {}:
        if path not in known_paths:
            problems.append(f"standard_items: unknown answer path '{path}'")
    if "example" in data and not problems:
        example_errors = validate_answers(definition, data["example"])
        problems += [f"example: {error.path}: {error.code}" for error in example_errors]
        if isinstance(data["example"], Mapping):
            problems += [
                f"example: {path}: leave 個人番号 out of examples"
                for path in my_number_paths(definition, data["example"], with_values_only=True)
            ]
    if problems:
        raise DefinitionError(problems)
    return definition


def _check_schema(schema: Mapping[str, Any]) -> None:
    """Check a schema against the 2020-12 meta-schema, remembering schemas already found good.

    The meta-schema check is most of the time ``parse`` takes on a large form (about 0.1 s for 200
    questions); the builder and the editor parse the same schema several times per change.
    """
    # Each property is a schema of its own: checked one by one, a change re-checks only what changed.
    # On any problem, the whole schema is checked again so the error names its full path.
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    parts = [schema]
    if isinstance(properties, Mapping):
        parts = [{**schema, "properties": {}}, *properties.values()]
    try:
        texts = [json.dumps(part, sort_keys=True, ensure_ascii=False) for part in parts]
    except (TypeError, ValueError):
        Draft202012Validator.check_schema(schema)
        return
    try:
        for text in texts:
            _check_schema_text(text)
    except jsonschema.SchemaError:
        Draft202012Validator.check_schema(schema)
        raise


@lru_cache(maxsize=4096)
def _check_schema_text(text: str) -> None:
    Draft202012Validator.check_schema(json.loads(text))


def _build_steps(raw_steps: object, schema: Mapping[str, Any]) -> tuple[list[Step], list[str]]:
    problems: list[str] = []
    if not isinstance(raw_steps, list) or not raw_steps:
        return [], [Problem(gettext_noop("steps: at least one step"), "steps")]
    steps: list[Step] = []
    ids: set[str] = set()
    for index, raw in enumerate(raw_steps):
        where = f"steps[{index}]"
        if not isinstance(raw, Mapping) or not re.fullmatch(r"[a-z0-9_]+", str(raw.get("id", ""))):
            problems.append(
                Problem(
                    gettext_noop("%(where)s: needs an id of lowercase letters, digits, underscores"),
                    where,
                    where=where,
                )
            )
            continue
        if raw["id"] in ids:
            problems.append(
                Problem(gettext_noop("%(where)s: duplicate id '%(id)s'"), where, where=where, id=raw["id"])
            )
        ids.add(raw["id"])
        problems += text_problems(raw.get("title"), f"{where}.title")
        items: list[Item] = []
        notes: list[tuple[int, Item]] = []
        for item_index, raw_item in enumerate(raw.get("items") or []):
            if isinstance(raw_item, Mapping) and raw_item.get("widget") == "note":
                note, note_problems = _build_note(raw_item, schema, where=f"{where}.items[{item_index}]")
                problems += note_problems
                notes.append((len(items), note))
                continue
            item, item_problems = _build_item(
                raw_item, schema, parent_path="", where=f"{where}.items[{item_index}]"
            )
            problems += item_problems
            if item is not None:
                items.append(item)
        if not items:
            problems.append(Problem(gettext_noop("%(where)s: no items"), where, where=where))
        steps.append(
            Step(
                id=raw["id"],
                title=raw.get("title") or {},
                description=raw.get("description") or {},
                items=tuple(items),
                notes=tuple(notes),
            )
        )
    return steps, problems


def _build_note(raw: Mapping[str, Any], schema: Mapping[str, Any], *, where: str) -> tuple[Item, list[str]]:
    """An explanatory text (``widget: note``): a heading (``label``) and optional text (``help``), no answer."""
    name = raw.get("field")
    problems = text_problems(raw.get("label"), f"{where}.label")
    if "help" in raw:
        problems += text_problems(raw["help"], f"{where}.help")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        problems.append(Problem(gettext_noop("%(where)s: needs a field"), where, where=where))
    elif name in schema.get("properties", {}):
        problems.append(
            Problem(gettext_noop("field '%(name)s' is presented more than once"), where, name=name)
        )
    if "when" in raw:
        problems.append(
            Problem(gettext_noop("%(where)s: a note cannot have a condition"), where, where=where)
        )
    return Item(field=str(name), widget="note", spec=raw, path=str(name), schema={}, required=False), problems


def _build_item(
    raw: object, schema: Mapping[str, Any], *, parent_path: str, where: str
) -> tuple[Item | None, list[str]]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("field"), str):
        return None, [Problem(gettext_noop("%(where)s: needs a field"), where, where=where)]
    name = raw["field"]
    properties = schema.get("properties", {})
    if name not in properties:
        return None, [
            Problem(
                gettext_noop("%(where)s: '%(name)s' is not a property of the schema"),
                where,
                where=where,
                name=name,
            )
        ]
    prop = properties[name]
    widget = raw.get("widget")
    problems = text_problems(raw.get("label"), f"{where}.label")
    if "help" in raw:
        problems += text_problems(raw["help"], f"{where}.help")
    path = f"{parent_path}{name}"
    # A checkbox always has an answer (unticked is "no"): it is required only when it must be
    # ticked (``const: true``, an agreement), so an optional tick box is never marked 必須.
    required = name in schema.get("required", []) and (widget != "checkbox" or prop.get("const") is True)
    children: list[Item] = []
    if widget in GROUP_WIDGETS:
        if parent_path:
            problems.append(Problem(gettext_noop("%(where)s: groups cannot be nested"), where, where=where))
        if widget == "fieldset":
            sub_schema = prop
            child_prefix = f"{path}."
            if prop.get("type") != "object":
                problems.append(f"{where}: a fieldset needs an object property")
        else:
            sub_schema = prop.get("items", {})
            child_prefix = f"{path}[]."
            if prop.get("type") != "array" or sub_schema.get("type") != "object":
                problems.append(f"{where}: a repeat needs an array of objects")
            problems += text_problems(raw.get("add_label"), f"{where}.add_label")
        presented: list[str] = []
        for child_index, raw_child in enumerate(raw.get("items") or []):
            child, child_problems = _build_item(
                raw_child, sub_schema, parent_path=child_prefix, where=f"{where}.items[{child_index}]"
            )
            problems += child_problems
            if child is not None:
                children.append(child)
                presented.append(child.field)
        for sub_name in sub_schema.get("properties", {}):
            if sub_name not in presented:
                problems.append(
                    Problem(
                        gettext_noop("%(where)s: property '%(name)s' is not presented"),
                        where,
                        where=where,
                        name=sub_name,
                    )
                )
    elif widget in SCALAR_WIDGETS:
        problems += _scalar_problems(raw, prop, where)
    else:
        problems.append(
            Problem(gettext_noop("%(where)s: unknown widget '%(widget)s'"), where, where=where, widget=widget)
        )
    if raw.get("when") is not None:
        problems += _when_problems(raw["when"], properties, name, where)
    item = Item(
        field=name,
        widget=str(widget),
        spec=raw,
        path=path,
        schema=prop,
        required=required,
        children=tuple(children),
    )
    return item, problems


WHEN_OPERATORS = ("equals", "not_equals", "in", "answered")


def when_operator(when: Mapping[str, Any]) -> tuple[str, Any]:
    """The operator of a checked condition and what it compares with (``("in", ["a", "b"])``)."""
    operator = next(key for key in WHEN_OPERATORS if key in when)
    return operator, when[operator]


def _when_problems(when: object, properties: Mapping[str, Any], name: str, where: str) -> list[str]:
    """A condition names a field of the same level and exactly one operator: ``equals``,
    ``not_equals``, ``in`` (a list of values) or ``answered: true``."""
    # A top-level item depends on a top-level field; an item in a group or repeat entry on
    # another item of the same group or entry (別居している場合の住所 on 同居していますか).
    operators = [key for key in WHEN_OPERATORS if isinstance(when, Mapping) and key in when]
    if (
        not isinstance(when, Mapping)
        or when.get("field") not in properties
        or when.get("field") == name
        or len(operators) != 1
        or set(when) != {"field", operators[0]}
    ):
        return [
            Problem(
                gettext_noop(
                    "%(where)s: a condition needs a field of the same level and one of "
                    "equals, not_equals, in or answered"
                ),
                where,
                where=f"{where}.when",
            )
        ]
    operator, operand = operators[0], when[operators[0]]
    target = when["field"]
    if operator == "answered":
        if operand is not True:
            return [
                Problem(gettext_noop("%(where)s: answered can only be true"), where, where=f"{where}.when")
            ]
        return []
    if operator == "in":
        if not isinstance(operand, list) or not operand:
            return [
                Problem(
                    gettext_noop("%(where)s: in needs a list of one or more values"),
                    where,
                    where=f"{where}.when",
                )
            ]
        values = list(operand)
    else:
        values = [operand]
    validator = Draft202012Validator(properties[target], format_checker=format_checker)
    return [
        Problem(
            gettext_noop("%(where)s: %(value)s is not a possible answer of '%(name)s'"),
            where,
            where=f"{where}.when",
            value=json.dumps(value, ensure_ascii=False),
            name=target,
        )
        for value in values
        if isinstance(value, (list, dict)) or not validator.is_valid(value)
    ]


def _scalar_problems(raw: Mapping[str, Any], prop: Mapping[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    widget = raw["widget"]
    kind = prop.get("type")
    if widget in ("select", "radio"):
        enum = prop.get("enum") or []
        values = [option.get("value") for option in raw.get("options") or []]
        if list(enum) != values:
            problems.append(f"{where}: options must list the schema enum {enum} in order")
        for option_index, option in enumerate(raw.get("options") or []):
            problems += text_problems(option.get("label"), f"{where}.options[{option_index}].label")
    if widget in ("checkbox", "yes_no") and kind != "boolean":
        problems.append(f"{where}: {widget} needs a boolean property")
    if widget == "number" and kind not in ("integer", "number"):
        problems.append(f"{where}: number needs an integer or number property")
    if widget in ("text", "textarea", "email", "tel", "postal_code", "date", "file"):
        if kind != "string":
            problems.append(f"{where}: {widget} needs a string property")
        elif (
            "maxLength" not in prop and "format" not in prop and "pattern" not in prop and "enum" not in prop
        ):
            problems.append(
                Problem(gettext_noop("%(where)s: a text answer needs maxLength"), where, where=where)
            )
    if widget == "date" and prop.get("format") != "date":
        problems.append(f"{where}: date needs format: date")
    if widget == "file" and prop.get("format") != "attachment":
        problems.append(f"{where}: file needs format: attachment")
    if widget == "my_number":
        if kind != "string" or prop.get("format") != "my-number":
            problems.append(f"{where}: my_number needs type: string and format: my-number")
        if {"maxLength", "pattern", "enum", "const"} & set(prop):
            problems.append(
                f"{where}: my_number takes no maxLength, pattern, enum or const (the format checks it)"
            )
    return problems


@dataclass(frozen=True)
class AnswerError:
    """One problem with the answers: where (``children[1].name``) and what (a stable code)."""

    path: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def top_field(self) -> str:
        return self.path.split(".")[0].split("[")[0]


def _path_text(parts: Iterable[object]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _errors_from(error: jsonschema.ValidationError) -> Iterator[AnswerError]:
    if error.validator in ("allOf", "anyOf", "oneOf") and error.context:
        for sub in error.context:
            yield from _errors_from(sub)
        return
    parts = list(error.absolute_path)
    validator = str(error.validator)
    params: dict[str, Any] = {}
    if validator == "required":
        match = re.match(r"'(.+)' is a required property", error.message)
        missing = match.group(1) if match else ""
        parts.append(missing)
        code = "required"
    elif validator == "format":
        code = f"format:{error.validator_value}"
    elif validator in ("maxLength", "minLength", "minimum", "maximum", "minItems", "maxItems"):
        code = validator
        params["limit"] = error.validator_value
    elif validator == "additionalProperties":
        code = "unknown_field"
    else:
        code = validator
    yield AnswerError(path=_path_text(parts), code=code, params=params)


def validate_answers(
    definition: Definition, answers: Mapping[str, Any], *, only_fields: Iterable[str] | None = None
) -> list[AnswerError]:
    """Every problem with ``answers``; with ``only_fields``, only those on the given top-level fields."""
    validator = Draft202012Validator(definition.schema, format_checker=format_checker)
    answers = _with_empty_groups(definition, answers)
    errors: list[AnswerError] = []
    seen: set[tuple[str, str]] = set()
    for error in validator.iter_errors(dict(answers)):
        for answer_error in _errors_from(error):
            key = (answer_error.path, answer_error.code)
            if key not in seen:
                seen.add(key)
                errors.append(answer_error)
    if only_fields is not None:
        wanted = set(only_fields)
        errors = [error for error in errors if error.top_field in wanted]
    return sorted(errors, key=lambda error: _form_position(definition, error.path))


def _with_empty_groups(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """A required group left blank is checked as one empty entry, so each missing item is named."""
    filled = dict(answers)
    for step in definition.steps:
        for item in step.items:
            # A group shown by its condition is as required as the condition makes it (配偶者).
            needed = item.required or bool(item.when)
            if item.field in filled or not needed or not is_visible(item, answers):
                continue
            if item.widget == "fieldset":
                filled[item.field] = {}
            elif item.widget == "repeat" and int(item.schema.get("minItems", 0) or 0) > 0:
                filled[item.field] = [{}]
    return filled


def _form_position(definition: Definition, path: str) -> tuple[int, str]:
    return definition.position(path), path


def my_number_paths(
    definition: Definition, answers: Mapping[str, Any], *, with_values_only: bool = False
) -> list[str]:
    """Concrete paths of the ``my_number`` items (``claimant.my_number``, ``children[0].my_number``).

    Items inside a repeat are listed once per entry present in ``answers``; with
    ``with_values_only``, only paths that hold a value.
    """
    paths: list[str] = []
    for item in definition.items():
        if item.widget != "my_number":
            continue
        if "[]" in item.path:
            group, _sep, child = item.path.partition("[].")
            entries = answers.get(group)
            count = len(entries) if isinstance(entries, list) else 0
            candidates = [f"{group}[{index}].{child}" for index in range(count)]
        else:
            candidates = [item.path]
        for path in candidates:
            if not with_values_only or _value_at(answers, path) not in (None, ""):
                paths.append(path)
    return paths


def _value_at(answers: Mapping[str, Any], path: str) -> Any:
    node: Any = answers
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        if name:
            node = node.get(name) if isinstance(node, Mapping) else None
        else:
            node = node[int(index)] if isinstance(node, list) and int(index) < len(node) else None
    return node


def is_answered(value: Any) -> bool:
    """True when a question holds an answer (``False`` for いいえ counts; blank text does not)."""
    return value not in (None, "") and not (isinstance(value, (list, dict)) and not value)


def condition_holds(when: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """True when ``answers`` meet the condition ``when`` (see :func:`is_visible`)."""
    operator, operand = when_operator(when)
    value = answers.get(when["field"])
    if operator == "equals":
        return bool(value == operand)
    if operator == "in":
        return any(value == candidate for candidate in operand)
    if operator == "not_equals":
        # A question not answered yet shows none of the questions that depend on it.
        return is_answered(value) and bool(value != operand)
    return is_answered(value)


def is_visible(item: Item, answers: Mapping[str, Any]) -> bool:
    """A conditional item shows when the field it depends on meets its condition: holds the
    value (``equals``), holds another answer (``not_equals``), holds one of the values (``in``)
    or holds any answer (``answered: true``).

    ``answers`` are those of the item's level: all answers for a top-level item, the group's or
    the repeat entry's answers for an item inside one.
    """
    when = item.when
    if not when:
        return True
    return condition_holds(when, answers)


def step_is_shown(step: Step, answers: Mapping[str, Any]) -> bool:
    """A step whose every item is hidden by a condition is skipped."""
    return any(is_visible(item, answers) for item in step.items)


def normalise_date_text(text: str) -> str:
    """ISO form of a typed date, or the text unchanged when it is not a date (validation says so)."""
    try:
        return parse_date(text).isoformat()
    except DateParseError:
        return text


def fee_paid_before_submission(definition: Definition) -> bool:
    """True when the fee must be paid before the application counts as submitted (the default)."""
    fee = definition.data.get("fee") or {}
    return fee.get("pay", "before_submission") == "before_submission"


def fee_for(definition: Definition, answers: Mapping[str, Any]) -> int:
    """The fee in yen for these answers (0 when the procedure is free)."""
    fee = definition.data.get("fee")
    if not fee:
        return 0
    amount = int(fee["amount"])
    per_item = fee.get("per_item")
    if per_item:
        count = answers.get(per_item)
        return amount * count if isinstance(count, int) and not isinstance(count, bool) else 0
    return amount
