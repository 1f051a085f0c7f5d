"""The visual procedure builder: operations over a definition dict that keep schema and form in step.

A definition (docs/procedure-definitions.md) holds each question twice: once as a JSON Schema
property (what an answer may be) and once as a presented item (how it is asked). A clerk using
the builder never sees either: they add "a date" or "a yes/no question", and these functions
write both halves, the ``required`` list, the ``standard_items`` entry and the example answers.

Items are addressed by their answer path (``applicant``, ``applicant.name``, ``items[].quantity``),
which is unique within a definition. Every operation works on a deep copy and returns it; the
caller checks the result with :func:`check` and stores it only when nothing blocks it.

No HTTP here: the back office's builder pages and the benchmarks call these functions.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.common import easyja
from idx.procedures.definition import DefinitionError, Problem, parse, validate_answers

EDITED_LANGUAGES = ("ja", "ja-easy", "en")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
STEP_ID = re.compile(r"^[a-z0-9_]+$")
OPERATORS = ("equals", "not_equals", "in", "answered")

Data = dict[str, Any]


class BuilderError(ValueError):
    """An operation the builder refuses; ``field`` names the form field it is about (or "")."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


# ---- item types ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemType:
    """A kind of question offered by name, with the schema and presentation it starts with."""

    key: str
    name: Any  # lazy translated text
    description: Any
    widget: str
    schema: Callable[[], dict[str, Any]]
    spec: Callable[[], dict[str, Any]] = dict
    group: bool = False


def _options_spec() -> dict[str, Any]:
    return {
        "options": [
            {"value": "option_1", "label": {"ja": "選択肢1", "en": "Option 1"}},
            {"value": "option_2", "label": {"ja": "選択肢2", "en": "Option 2"}},
        ]
    }


ITEM_TYPES: dict[str, ItemType] = {
    item_type.key: item_type
    for item_type in (
        ItemType(
            "yes_no",
            gettext_lazy("Yes or no"),
            gettext_lazy("A question answered with はい or いいえ."),
            "yes_no",
            lambda: {"type": "boolean"},
        ),
        ItemType(
            "radio",
            gettext_lazy("Choice (buttons)"),
            gettext_lazy("One answer from a short list, all choices shown as buttons."),
            "radio",
            lambda: {"type": "string", "enum": ["option_1", "option_2"]},
            _options_spec,
        ),
        ItemType(
            "select",
            gettext_lazy("Choice (drop-down list)"),
            gettext_lazy("One answer from a longer list, chosen from a drop-down list."),
            "select",
            lambda: {"type": "string", "enum": ["option_1", "option_2"]},
            _options_spec,
        ),
        ItemType(
            "date",
            gettext_lazy("Date"),
            gettext_lazy("A date, typed as 2026年1月5日 or 令和8年1月5日."),
            "date",
            lambda: {"type": "string", "format": "date"},
        ),
        ItemType(
            "amount",
            gettext_lazy("Amount of money"),
            gettext_lazy("An amount in yen, a whole number of 0 or more."),
            "number",
            lambda: {"type": "integer", "minimum": 0, "maximum": 999_999_999},
        ),
        ItemType(
            "count",
            gettext_lazy("Number"),
            gettext_lazy("A count, such as the number of items or people."),
            "number",
            lambda: {"type": "integer", "minimum": 0, "maximum": 999},
        ),
        ItemType(
            "postal_code",
            gettext_lazy("Postal code"),
            gettext_lazy("A postal code of 7 digits, such as 518-8501."),
            "postal_code",
            lambda: {"type": "string", "format": "jp-postal-code", "maxLength": 8},
            lambda: {"autocomplete": "postal-code"},
        ),
        ItemType(
            "address",
            gettext_lazy("Address"),
            gettext_lazy("An address of up to 150 characters."),
            "text",
            lambda: {"type": "string", "maxLength": 150},
            lambda: {"autocomplete": "street-address"},
        ),
        ItemType(
            "name",
            gettext_lazy("Full name"),
            gettext_lazy("A person's full name of up to 50 characters."),
            "text",
            lambda: {"type": "string", "maxLength": 50},
            lambda: {"autocomplete": "name"},
        ),
        ItemType(
            "kana",
            gettext_lazy("Name in katakana"),
            gettext_lazy("The reading of a name in full-width katakana."),
            "text",
            lambda: {"type": "string", "format": "katakana", "maxLength": 50},
        ),
        ItemType(
            "phone",
            gettext_lazy("Telephone number"),
            gettext_lazy("A Japanese telephone number, such as 0595-22-9600."),
            "tel",
            lambda: {"type": "string", "format": "jp-phone", "maxLength": 13},
            lambda: {"autocomplete": "tel"},
        ),
        ItemType(
            "text",
            gettext_lazy("Short text"),
            gettext_lazy("A short answer of up to 100 characters."),
            "text",
            lambda: {"type": "string", "maxLength": 100},
        ),
        ItemType(
            "textarea",
            gettext_lazy("Long text"),
            gettext_lazy("A longer answer of several lines, up to 1,000 characters."),
            "textarea",
            lambda: {"type": "string", "maxLength": 1000},
        ),
        ItemType(
            "file",
            gettext_lazy("Attached file"),
            gettext_lazy("A document uploaded as a PDF or a photo."),
            "file",
            lambda: {"type": "string", "format": "attachment"},
        ),
        ItemType(
            "agreement",
            gettext_lazy("Confirmation tick box"),
            gettext_lazy("A statement the applicant must tick to go on."),
            "checkbox",
            lambda: {"type": "boolean", "const": True},
        ),
        ItemType(
            "note",
            gettext_lazy("Explanatory text"),
            gettext_lazy("A heading and text shown between the questions; nothing is answered."),
            "note",
            dict,
        ),
        ItemType(
            "repeat",
            gettext_lazy("Repeated group (children and so on)"),
            gettext_lazy("A set of questions answered once per person or thing, such as each child."),
            "repeat",
            lambda: {
                "type": "array",
                "minItems": 1,
                "maxItems": 10,
                "items": {"type": "object", "additionalProperties": False, "required": [], "properties": {}},
            },
            lambda: {"add_label": {"ja": "追加する", "en": "Add another"}, "items": []},
            group=True,
        ),
    )
}


def item_type_of(spec: Mapping[str, Any], prop: Mapping[str, Any]) -> str:
    """The builder's name for an existing item (best match; a shipped item may be of none)."""
    widget = spec.get("widget")
    if widget == "number":
        return "amount" if prop.get("maximum", 0) > 100_000 else "count"
    if widget == "text":
        auto = spec.get("autocomplete")
        if auto == "street-address":
            return "address"
        if auto == "name":
            return "name"
        if prop.get("format") == "katakana":
            return "kana"
        return "text"
    if widget == "tel":
        return "phone"
    if widget == "checkbox":
        return "agreement"
    return str(widget)


# ---- finding items --------------------------------------------------------------------------


@dataclass
class Place:
    """Where an item lives: its presented list, its schema level and its index in both."""

    step_index: int
    items: list[dict[str, Any]]  # the presented list holding the item
    index: int
    level: dict[str, Any]  # the object schema holding its property
    group_path: str  # "" at the top level, "children[]." or "applicant." inside a group

    @property
    def spec(self) -> dict[str, Any]:
        return self.items[self.index]

    @property
    def prop(self) -> dict[str, Any]:
        return self.level["properties"][self.spec["field"]]

    @property
    def path(self) -> str:
        return self.group_path + self.spec["field"]


def _group_level(spec: Mapping[str, Any], prop: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if spec.get("widget") == "repeat":
        return prop.setdefault("items", {"type": "object", "properties": {}}), f"{spec['field']}[]."
    return prop, f"{spec['field']}."


def iter_places(data: Mapping[str, Any]) -> Iterator[Place]:
    """Every item of the definition in form order, groups before their children."""
    schema = data["schema"]
    for step_index, step in enumerate(data.get("steps") or []):
        items = step.setdefault("items", [])
        for index, spec in enumerate(items):
            place = Place(step_index, items, index, schema, "")
            yield place
            if spec.get("widget") in ("fieldset", "repeat") and spec.get("field") in schema.get(
                "properties", {}
            ):
                level, prefix = _group_level(spec, place.prop)
                children = spec.setdefault("items", [])
                for child_index, _child in enumerate(children):
                    yield Place(step_index, children, child_index, level, prefix)


def find(data: Mapping[str, Any], path: str) -> Place:
    for place in iter_places(data):
        if place.path == path:
            return place
    raise BuilderError(_("That question no longer exists. It may have been deleted."))


def step_index(data: Mapping[str, Any], step_id: str) -> int:
    for index, step in enumerate(data.get("steps") or []):
        if step.get("id") == step_id:
            return index
    raise BuilderError(_("That step no longer exists."))


# ---- names ----------------------------------------------------------------------------------


def snake_case(text: str) -> str:
    """A safe field name from an English label: ``Date of birth`` → ``date_of_birth``."""
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40].strip("_")
    if not name:
        return "item"
    return name if name[0].isalpha() else f"item_{name}"


def unique_name(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    number = 2
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


def _taken_names(data: Mapping[str, Any], level: Mapping[str, Any]) -> set[str]:
    names = set(level.get("properties", {}))
    if level is data["schema"]:
        # Presentation-only items (notes) have no property but still use their name.
        names |= {spec.get("field", "") for step in data.get("steps") or [] for spec in step.get("items", [])}
    return names


# ---- required and conditions ------------------------------------------------------------------


def _condition_if(when: Mapping[str, Any]) -> dict[str, Any]:
    name = when["field"]
    if "not_equals" in when:
        return {"properties": {name: {"not": {"const": when["not_equals"]}}}, "required": [name]}
    if "in" in when:
        return {"properties": {name: {"enum": list(when["in"])}}, "required": [name]}
    if "answered" in when:
        return {"required": [name]}
    return {"properties": {name: {"const": when.get("equals")}}, "required": [name]}


def _rules(level: dict[str, Any]) -> list[dict[str, Any]]:
    return level.get("allOf") or []


def is_required(place: Place) -> bool:
    name = place.spec["field"]
    if name in place.level.get("required", []):
        return True
    return any(name in (rule.get("then") or {}).get("required", []) for rule in _rules(place.level))


def _set_required(place: Place, required: bool) -> None:
    """Required plainly, or, for a conditional item, required when its condition holds."""
    level, name, when = place.level, place.spec["field"], place.spec.get("when")
    plain = [n for n in level.get("required", []) if n != name]
    rules = []
    for rule in _rules(level):
        then = rule.get("then") or {}
        if name in then.get("required", []) and set(then) == {"required"}:
            rest = [n for n in then["required"] if n != name]
            if rest:
                rules.append({**rule, "then": {"required": rest}})
            continue
        rules.append(rule)
    if required and not when:
        plain.append(name)
    elif required and when:
        wanted = _condition_if(when)
        for rule in rules:
            if rule.get("if") == wanted and set(rule.get("then") or {}) == {"required"}:
                rule["then"] = {"required": [*rule["then"]["required"], name]}
                break
        else:
            rules.append({"if": wanted, "then": {"required": [name]}})
    if plain or "required" in level:
        level["required"] = plain
    if rules:
        level["allOf"] = rules
    else:
        level.pop("allOf", None)


def _drop_from_rules(level: dict[str, Any], name: str) -> None:
    rules = []
    for rule in _rules(level):
        condition = rule.get("if") or {}
        if name in condition.get("required", []) or name in (condition.get("properties") or {}):
            continue  # the rule depends on the item being removed
        then = rule.get("then") or {}
        if name in then.get("required", []):
            rest = [n for n in then["required"] if n != name]
            if not rest:
                continue
            rule = {**rule, "then": {**then, "required": rest}}
        rules.append(rule)
    if rules:
        level["allOf"] = rules
    else:
        level.pop("allOf", None)


def condition_text(when: Mapping[str, Any] | None) -> tuple[str, Any]:
    """(operator, value) of a condition."""
    if not when:
        return "", None
    for operator in OPERATORS:
        if operator in when:
            return operator, when[operator]
    return "", None


@dataclass
class ConditionField:
    """An earlier item of the same level a condition can depend on, with the values offered."""

    field: str
    label: str
    values: list[tuple[str, str]]  # (value as text, label)


def condition_fields(
    data: Mapping[str, Any], path: str, label: Callable[[Mapping[str, str]], str]
) -> list[ConditionField]:
    target = find(data, path)
    fields: list[ConditionField] = []
    for place in iter_places(data):
        if place.path == path:
            break
        if place.group_path != target.group_path or "field" not in place.spec:
            continue
        spec, prop = place.spec, place.level["properties"].get(place.spec["field"], {})
        widget = spec.get("widget")
        if widget in ("yes_no", "checkbox"):
            values = [("true", _("Yes")), ("false", _("No"))]
        elif widget in ("radio", "select"):
            values = [
                (str(option["value"]), label(option.get("label", {}))) for option in spec.get("options", [])
            ]
        elif widget in ("fieldset", "repeat", "note", "file", "my_number"):
            continue
        else:
            values = []
        del prop
        fields.append(ConditionField(spec["field"], label(spec.get("label", {})), values))
    return fields


def parse_condition_value(data: Mapping[str, Any], path: str, name: str, text: str) -> Any:
    """A condition value typed as text, in the type of the item it is about."""
    target = find(data, path)
    prop = target.level["properties"].get(name, {})
    if prop.get("type") == "boolean":
        return text == "true"
    if prop.get("type") == "integer":
        try:
            return int(text)
        except ValueError as exc:
            raise BuilderError(
                _("Enter the value of the condition as a whole number."), "when_value"
            ) from exc
    return text


# ---- the operations ---------------------------------------------------------------------------


def _texts(values: Mapping[str, str], old: Mapping[str, str] | None = None) -> dict[str, str]:
    """Label texts in the edited languages, keeping the other languages as they were."""
    texts = {lang: text for lang, text in (old or {}).items() if lang not in EDITED_LANGUAGES}
    for lang in EDITED_LANGUAGES:
        text = (values.get(lang) or "").strip()
        if text:
            texts[lang] = text
    ordered: dict[str, str] = {lang: texts[lang] for lang in ("ja", "ja-easy", "en") if lang in texts}
    ordered.update({lang: text for lang, text in texts.items() if lang not in ordered})
    return ordered


_MISSING = {
    ("label", "ja"): gettext_lazy("Enter the question in Japanese."),
    ("label", "en"): gettext_lazy("Enter the question in English."),
    ("add_label", "ja"): gettext_lazy("Enter the text of the “add” button in Japanese."),
    ("add_label", "en"): gettext_lazy("Enter the text of the “add” button in English."),
}


def _check_texts(values: Mapping[str, str], what: str) -> None:
    for lang in ("ja", "en"):
        if not (values.get(lang) or "").strip():
            raise BuilderError(str(_MISSING[(what, lang)]), f"{what}_{lang}")


def add_step(
    data: Mapping[str, Any], *, title: Mapping[str, str], item_type: str, item_label: Mapping[str, str]
) -> tuple[Data, str]:
    """A new last step with its first question (a step is never empty)."""
    if not (title.get("ja") or "").strip() or not (title.get("en") or "").strip():
        raise BuilderError(_("Enter the step title in Japanese and English."), "title_ja")
    result = copy.deepcopy(dict(data))
    ids = {step.get("id") for step in result["steps"]}
    step_id = unique_name(snake_case(title["en"]), ids)
    result["steps"].append({"id": step_id, "title": _texts(title), "items": []})
    result, _path = _add_item(
        result, item_type=item_type, step_id=step_id, position=0, group="", label=item_label
    )
    return result, step_id


def rename_step(data: Mapping[str, Any], step_id: str, *, title: Mapping[str, str]) -> Data:
    if not (title.get("ja") or "").strip() or not (title.get("en") or "").strip():
        raise BuilderError(_("Enter the step title in Japanese and English."), "title_ja")
    result = copy.deepcopy(dict(data))
    step = result["steps"][step_index(result, step_id)]
    step["title"] = _texts(title, step.get("title"))
    return result


def add_item(
    data: Mapping[str, Any],
    *,
    item_type: str,
    step_id: str,
    position: int | None = None,
    group: str = "",
    label: Mapping[str, str],
    required: bool = False,
) -> tuple[Data, str]:
    """Add a question of ``item_type`` to a step (or into the group at path ``group``)."""
    return _add_item(
        copy.deepcopy(dict(data)),
        item_type=item_type,
        step_id=step_id,
        position=position,
        group=group,
        label=label,
        required=required,
    )


def _add_item(
    result: Data,
    *,
    item_type: str,
    step_id: str,
    position: int | None,
    group: str,
    label: Mapping[str, str],
    required: bool = False,
) -> tuple[Data, str]:
    kind = ITEM_TYPES.get(item_type)
    if kind is None:
        raise BuilderError(_("Choose the kind of question."), "item_type")
    _check_texts(label, "label")
    if group:
        parent = find(result, group)
        if parent.spec.get("widget") not in ("fieldset", "repeat"):
            raise BuilderError(_("Questions can only be added into a group."), "group")
        if kind.group:
            raise BuilderError(_("A group cannot be put inside another group."), "item_type")
        level, prefix = _group_level(parent.spec, parent.prop)
        level.setdefault("properties", {})
        items = parent.spec.setdefault("items", [])
    else:
        level, prefix = result["schema"], ""
        items = result["steps"][step_index(result, step_id)].setdefault("items", [])
    if kind.widget == "note" and group:
        raise BuilderError(
            _("An explanatory text goes between the questions of a step, not into a group."), "item_type"
        )
    name = unique_name(snake_case(label.get("en", "")), _taken_names(result, level))
    spec: dict[str, Any] = {"field": name, "widget": kind.widget, "label": _texts(label)}
    spec.update(kind.spec())
    if kind.widget != "note":  # a note holds no answer: no schema property
        level["properties"][name] = kind.schema()
    index = len(items) if position is None else max(0, min(position, len(items)))
    items.insert(index, spec)
    place = Place(0, items, index, level, prefix)
    if required and kind.widget != "note":
        _set_required(place, True)
    _fix_example(result)
    return result, place.path


@dataclass
class ItemValues:
    """What the item editor shows and saves."""

    field: str
    label: dict[str, str]
    help: dict[str, str] = dataclass_field(default_factory=dict)
    required: bool = False
    options: list[dict[str, Any]] = dataclass_field(
        default_factory=list
    )  # [{value, label: {ja, ja-easy, en}}]
    add_label: dict[str, str] = dataclass_field(default_factory=dict)
    min_items: int | None = None
    max_items: int | None = None
    when: dict[str, Any] | None = None
    standard_item: str = ""


def item_values(data: Mapping[str, Any], path: str) -> ItemValues:
    place = find(data, path)
    spec, prop = place.spec, place.level["properties"].get(place.spec["field"], {})
    return ItemValues(
        field=spec["field"],
        label=dict(spec.get("label", {})),
        help=dict(spec.get("help", {})),
        required=is_required(place),
        options=[{"value": o["value"], "label": dict(o.get("label", {}))} for o in spec.get("options", [])],
        add_label=dict(spec.get("add_label", {})),
        min_items=prop.get("minItems") if spec.get("widget") == "repeat" else None,
        max_items=prop.get("maxItems") if spec.get("widget") == "repeat" else None,
        when=dict(spec["when"]) if spec.get("when") else None,
        standard_item=str((data.get("standard_items") or {}).get(path, "")),
    )


def _rename_paths(data: Data, old: str, new: str) -> None:
    """A field renamed: its standard_items keys follow (children of a group included)."""
    items = data.get("standard_items")
    if not items:
        return
    renamed = {}
    for key, value in items.items():
        if key == old:
            key = new
        elif key.startswith((old + ".", old + "[]")):
            key = new + key[len(old) :]
        renamed[key] = value
    data["standard_items"] = renamed


def update_item(data: Mapping[str, Any], path: str, values: ItemValues) -> tuple[Data, str]:
    """Save the item editor: labels, help, choices, required, condition, name, standard item."""
    result = copy.deepcopy(dict(data))
    place = find(result, path)
    spec, level = place.spec, place.level
    _check_texts(values.label, "label")
    old_name, new_name = spec["field"], values.field.strip()
    if new_name != old_name:
        if not FIELD_NAME.match(new_name):
            raise BuilderError(
                _(
                    "Use lowercase English letters, digits and underscores for the field name, starting with a letter."
                ),
                "field",
            )
        if new_name in _taken_names(result, level):
            raise BuilderError(_("Another question already uses that field name."), "field")
    if spec.get("label") != values.label:
        spec["label"] = _texts(values.label, spec.get("label"))
    if any((values.help.get(lang) or "").strip() for lang in EDITED_LANGUAGES):
        if spec.get("help") != values.help:
            if not (values.help.get("ja") or "").strip() or not (values.help.get("en") or "").strip():
                raise BuilderError(
                    _("Enter the help text in Japanese and English, or leave it empty."), "help_ja"
                )
            spec["help"] = _texts(values.help, spec.get("help"))
    else:
        spec.pop("help", None)
    if spec.get("widget") in ("radio", "select"):
        _update_options(spec, place.prop, values.options)
    if spec.get("widget") == "repeat":
        if spec.get("add_label") != values.add_label:
            _check_texts(values.add_label, "add_label")
            spec["add_label"] = _texts(values.add_label, spec.get("add_label"))
        low, high = values.min_items, values.max_items
        if (low, high) == (place.prop.get("minItems"), place.prop.get("maxItems")):
            pass
        elif low is None or high is None or low < 0 or high < max(low, 1) or high > 100:
            raise BuilderError(
                _("Enter how many entries as whole numbers, the most at least the fewest."), "max_items"
            )
        else:
            place.prop["minItems"], place.prop["maxItems"] = low, high
    if spec.get("widget") == "note":  # a note holds no answer: never required, always shown
        values.required, values.when = False, None
    old_when = spec.get("when")
    if values.when != (dict(old_when) if old_when else None):
        _check_condition(result, place, values.when)
        if values.when:
            spec["when"] = values.when
        else:
            spec.pop("when", None)
        if is_required(place):
            _set_required(place, False)
            _set_required(place, True)
    if values.required != is_required(place):
        _set_required(place, values.required)
    if new_name != old_name:
        _rename(result, place, old_name, new_name)
    new_path = place.group_path + new_name
    standard = values.standard_item.strip()
    items = result.get("standard_items")
    if standard != str((items or {}).get(new_path, "")):
        items = dict(items or {})
        if standard:
            items[new_path] = standard
        else:
            items.pop(new_path, None)
        result["standard_items"] = items
    _fix_example(result)
    return result, new_path


def _update_options(spec: dict[str, Any], prop: dict[str, Any], options: list[dict[str, Any]]) -> None:
    current = [{"value": o["value"], "label": dict(o.get("label", {}))} for o in spec.get("options", [])]
    if options == current:
        return
    if not options:
        raise BuilderError(_("Give at least one choice."), "options")
    old = {o["value"]: o for o in spec.get("options", [])}
    values: list[str] = []
    rows = []
    for number, option in enumerate(options, start=1):
        label = option.get("label", {})
        if not (label.get("ja") or "").strip() or not (label.get("en") or "").strip():
            raise BuilderError(
                _("Enter choice %(number)s in Japanese and English.") % {"number": number},
                f"option_{number}_ja",
            )
        value = str(option.get("value") or "").strip() or unique_name(snake_case(label["en"]), set(values))
        if not FIELD_NAME.match(value) and value not in old:
            value = unique_name(snake_case(value), set(values))
        if value in values:
            raise BuilderError(_("Two choices have the same value."), f"option_{number}_value")
        values.append(value)
        row = {**old.get(value, {}), "value": value, "label": _texts(label, old.get(value, {}).get("label"))}
        rows.append(row)
    spec["options"] = rows
    prop["enum"] = values


def _check_condition(data: Data, place: Place, when: Mapping[str, Any] | None) -> None:
    if not when:
        return
    earlier = []
    for other in iter_places(data):
        if other.path == place.path:
            break
        if other.group_path == place.group_path:
            earlier.append(other.spec.get("field"))
    if when.get("field") not in earlier:
        raise BuilderError(
            _("A condition can only depend on an earlier question of the same page or group."), "when_field"
        )
    operators = [operator for operator in OPERATORS if operator in when]
    if len(operators) != 1:
        raise BuilderError(_("Choose how the condition compares the answer."), "when_operator")
    if operators[0] == "in" and not when["in"]:
        raise BuilderError(_("Choose at least one value for the condition."), "when_value")


def _rename(data: Data, place: Place, old: str, new: str) -> None:
    level = place.level
    level["properties"] = {(new if key == old else key): value for key, value in level["properties"].items()}
    if old in level.get("required", []):
        level["required"] = [new if name == old else name for name in level["required"]]
    for rule in _rules(level):
        condition, then = rule.get("if") or {}, rule.get("then") or {}
        if old in condition.get("required", []):
            condition["required"] = [new if n == old else n for n in condition["required"]]
        if old in (condition.get("properties") or {}):
            condition["properties"] = {
                (new if k == old else k): v for k, v in condition["properties"].items()
            }
        if old in then.get("required", []):
            then["required"] = [new if n == old else n for n in then["required"]]
    place.spec["field"] = new
    for other in iter_places(data):
        if other.group_path == place.group_path and (other.spec.get("when") or {}).get("field") == old:
            other.spec["when"] = {**other.spec["when"], "field": new}
    _rename_paths(data, place.group_path + old, place.group_path + new)
    fee = data.get("fee")
    if not place.group_path and isinstance(fee, dict) and fee.get("per_item") == old:
        fee["per_item"] = new


def dependants(data: Mapping[str, Any], path: str) -> list[Place]:
    """Items whose condition depends on the item at ``path``."""
    target = find(data, path)
    return [
        place
        for place in iter_places(data)
        if place.group_path == target.group_path
        and (place.spec.get("when") or {}).get("field") == target.spec["field"]
    ]


def _questions(items: list[Any]) -> list[Any]:
    """The items of a step that ask something: a step of notes alone is no step."""
    return [item for item in items if not (isinstance(item, Mapping) and item.get("widget") == "note")]


def delete_item(data: Mapping[str, Any], path: str) -> Data:
    """Remove the item with its schema property, required entry, standard names and example answer."""
    result = copy.deepcopy(dict(data))
    place = find(result, path)
    name = place.spec["field"]
    if dependants(result, path):
        labels = "、".join(
            f"「{p.spec.get('label', {}).get('ja', p.spec['field'])}」" for p in dependants(result, path)
        )
        raise BuilderError(
            _("%(labels)s is shown depending on this question. Change that condition first.")
            % {"labels": labels}
        )
    if not place.group_path and not _questions(place.items[: place.index] + place.items[place.index + 1 :]):
        raise BuilderError(_("This is the only question of its step. Delete the step instead."))
    fee = result.get("fee")
    if isinstance(fee, dict) and not place.group_path and fee.get("per_item") == name:
        raise BuilderError(_("The fee is counted from this question, so it cannot be deleted here."))
    del place.items[place.index]
    place.level["properties"].pop(name, None)
    if name in place.level.get("required", []):
        place.level["required"] = [n for n in place.level["required"] if n != name]
    _drop_from_rules(place.level, name)
    if result.get("standard_items"):
        result["standard_items"] = {
            key: value
            for key, value in result["standard_items"].items()
            if key != path and not key.startswith((path + ".", path + "[]"))
        }
    _drop_example(result, place.group_path, name)
    _fix_example(result)
    return result


def delete_step(data: Mapping[str, Any], step_id: str) -> Data:
    """Delete a step and its questions, one by one, with the same checks as deleting a question."""
    result = copy.deepcopy(dict(data))
    index = step_index(result, step_id)
    if len(result["steps"]) == 1:
        raise BuilderError(_("A procedure needs at least one step."))
    paths = [spec["field"] for spec in result["steps"][index]["items"]]
    for path in paths:
        outside = [p for p in dependants(result, path) if p.step_index != index]
        if outside:
            raise BuilderError(
                _(
                    "A question on another step is shown depending on a question of this step. Change that condition first."
                )
            )
    schema = result["schema"]
    for name in paths:
        place = find(result, name)
        schema["properties"].pop(name, None)
        if name in schema.get("required", []):
            schema["required"] = [n for n in schema["required"] if n != name]
        _drop_from_rules(schema, name)
        _drop_example(result, place.group_path, name)
        if result.get("standard_items"):
            result["standard_items"] = {
                key: value
                for key, value in result["standard_items"].items()
                if key != name and not key.startswith((name + ".", name + "[]"))
            }
    del result["steps"][index]
    _fix_example(result)
    return result


def move_item(data: Mapping[str, Any], path: str, *, step_id: str | None = None, position: int) -> Data:
    """Move an item to ``position`` in a step (top-level items) or within its group."""
    result = copy.deepcopy(dict(data))
    place = find(result, path)
    spec = place.items.pop(place.index)
    if place.group_path or step_id is None:
        target = place.items
    else:
        target = result["steps"][step_index(result, step_id)]["items"]
    target.insert(max(0, min(position, len(target))), spec)
    if not place.group_path and not _questions(result["steps"][place.step_index]["items"]):
        raise BuilderError(_("This is the only question of its step. Delete the step instead."))
    _check_order(result)
    return result


def move_by(data: Mapping[str, Any], path: str, offset: int) -> Data:
    """One place up (-1) or down (+1); past the start or end of a step, into the step before or after."""
    place = find(data, path)
    steps = data["steps"]
    new_index = place.index + offset
    if place.group_path or 0 <= new_index < len(place.items):
        if not 0 <= new_index < len(place.items):
            raise BuilderError(_("The question is already at the edge of its group."))
        return move_item(data, path, step_id=steps[place.step_index]["id"], position=new_index)
    target = place.step_index + offset
    if not 0 <= target < len(steps):
        raise BuilderError(_("The question is already at the edge of the form."))
    position = len(steps[target]["items"]) if offset < 0 else 0
    return move_item(data, path, step_id=steps[target]["id"], position=position)


def _check_order(data: Data) -> None:
    """A condition depends on an earlier question: a move may not put a question before its condition's."""
    seen: dict[str, list[str]] = {}
    for place in iter_places(data):
        when = place.spec.get("when")
        earlier = seen.setdefault(place.group_path, [])
        if when and when.get("field") not in earlier:
            label = place.spec.get("label", {}).get("ja", place.spec["field"])
            raise BuilderError(
                _("「%(label)s」 would come before the question its condition depends on.") % {"label": label}
            )
        earlier.append(place.spec.get("field", ""))


def duplicate_item(data: Mapping[str, Any], path: str) -> tuple[Data, str]:
    """A copy right after the item, with a new field name (and its children, for a group)."""
    result = copy.deepcopy(dict(data))
    place = find(result, path)
    name = place.spec["field"]
    new_name = unique_name(name, _taken_names(result, place.level))
    spec = copy.deepcopy(place.spec)
    spec["field"] = new_name
    place.items.insert(place.index + 1, spec)
    properties = place.level["properties"]
    if name in properties:
        properties[new_name] = copy.deepcopy(properties[name])
    copy_place = Place(place.step_index, place.items, place.index + 1, place.level, place.group_path)
    if is_required(place):
        _set_required(copy_place, True)
    _fix_example(result)
    return result, copy_place.path


def set_condition(data: Mapping[str, Any], path: str, when: dict[str, Any] | None) -> Data:
    values = item_values(data, path)
    values.when = when
    return update_item(data, path, values)[0]


def set_standard_item(data: Mapping[str, Any], path: str, name: str) -> Data:
    values = item_values(data, path)
    values.standard_item = name
    return update_item(data, path, values)[0]


# ---- example answers ----------------------------------------------------------------------------


def _near_future(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def example_value(spec: Mapping[str, Any], prop: Mapping[str, Any], *, salt: int = 0) -> Any:
    """A realistic answer for one item (children included), valid against its property."""
    widget = spec.get("widget")
    kind = prop.get("type")
    if "const" in prop:
        return prop["const"]
    if "enum" in prop:
        return prop["enum"][0]
    if widget == "fieldset" or kind == "object":
        return _example_object(spec.get("items") or [], prop, salt=salt)
    if widget == "repeat" or kind == "array":
        sub = prop.get("items") or {}
        count = max(int(prop.get("minItems", 0) or 0), min(2, int(prop.get("maxItems", 2) or 2)), 1)
        return [_example_object(spec.get("items") or [], sub, salt=index) for index in range(count)]
    if kind == "boolean":
        return widget != "checkbox"
    if kind in ("integer", "number"):
        low, high = prop.get("minimum", 0), prop.get("maximum")
        name = str(spec.get("field", ""))
        value = 12_000 if (high or 0) > 100_000 or "amount" in name or "income" in name else 1
        if isinstance(high, int | float) and low <= timezone.localdate().year <= high and low >= 1868:
            value = timezone.localdate().year
        value = max(value, low)
        return min(value, high) if high is not None else value
    fmt = prop.get("format")
    auto = spec.get("autocomplete", "")
    name = str(spec.get("field", ""))
    by_format = {
        "date": _near_future(14 + 7 * salt),
        "katakana": ["イガ タロウ", "イガ ハナコ"][salt % 2],
        "jp-phone": "0595-22-9600",
        "jp-postal-code": "518-8501",
        "email": "taro.iga@example.jp",
        "attachment": "att_" + f"{salt:032x}",
    }
    pattern = prop.get("pattern")
    if isinstance(pattern, str):
        text = _matching(pattern)
    elif fmt in by_format:
        text = by_format[fmt]
    elif auto == "street-address" or "address" in name:
        text = "三重県伊賀市四十九町3184番地"
    elif auto == "name" or name.endswith("name") and "kana" not in name:
        text = ["伊賀 太郎", "伊賀 花子"][salt % 2]
    elif widget == "textarea":
        text = "特にありません。"
    else:
        text = "例"
    limit = prop.get("maxLength")
    return text[:limit] if isinstance(limit, int) else text


def _matching(pattern: str) -> str:
    """A plausible text matching a simple pattern (numbers such as 被保険者番号, a month such as 2026-06)."""
    year = timezone.localdate().year
    candidates = ["0123456789"[:length] for length in range(1, 11)]
    candidates = [text.replace("0", "1", 1) for text in candidates] + candidates
    candidates += [f"{year}-{month:02d}" for month in range(1, 13)] + [
        f"{year + 1}-{month:02d}" for month in range(1, 13)
    ]
    return next((text for text in candidates if re.search(pattern, text)), "")


def _example_object(
    items: list[Mapping[str, Any]], level: Mapping[str, Any], *, salt: int = 0
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    properties = level.get("properties", {})
    for spec in items:
        name = str(spec.get("field"))
        if name not in properties or spec.get("widget") in ("my_number", "note"):
            continue
        answers[name] = example_value(spec, properties[name], salt=salt)
    return answers


def generate_example(data: Mapping[str, Any]) -> dict[str, Any]:
    """Example answers for the whole form: every question answered, no 個人番号."""
    items = [spec for step in data.get("steps") or [] for spec in step.get("items") or []]
    return _example_object(items, data["schema"])


def regenerate_example(data: Mapping[str, Any]) -> Data:
    result = copy.deepcopy(dict(data))
    result["example"] = generate_example(result)
    return result


def _drop_example(data: Data, group_path: str, name: str) -> None:
    example = data.get("example")
    if not isinstance(example, dict):
        return
    if not group_path:
        example.pop(name, None)
        return
    group = group_path.rstrip(".").removesuffix("[]")
    value = example.get(group)
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, dict):
            entry.pop(name, None)


def _fix_example(data: Data) -> None:
    """Keep the example valid: answer new required questions, and regenerate when that is not enough."""
    if "example" not in data:
        return
    try:
        definition = parse({key: value for key, value in data.items() if key != "example"})
    except DefinitionError:
        return  # the definition has other problems; check() reports them
    example = data["example"] if isinstance(data["example"], dict) else {}
    if not validate_answers(definition, example):
        return
    filled = copy.deepcopy(example)
    fresh = generate_example(data)
    for key, value in fresh.items():
        filled.setdefault(key, value)
    if validate_answers(definition, filled):
        filled = fresh
    data["example"] = filled


# ---- problems ------------------------------------------------------------------------------------


@dataclass
class Problems:
    """Problems worded for a builder user: beside an item (by path), a step (by id), or general."""

    items: dict[str, list[str]] = dataclass_field(default_factory=dict)
    steps: dict[str, list[str]] = dataclass_field(default_factory=dict)
    general: list[str] = dataclass_field(default_factory=list)
    blocking: bool = False

    def add(self, path: str, message: str) -> None:
        messages = self.items.setdefault(path, [])
        if message not in messages:
            messages.append(message)

    def __bool__(self) -> bool:
        return bool(self.items or self.steps or self.general)

    def count(self) -> int:
        return sum(map(len, self.items.values())) + sum(map(len, self.steps.values())) + len(self.general)


_WHERE = re.compile(r"^(steps\[(\d+)\](?:\.items\[(\d+)\])?(?:\.items\[(\d+)\])?)(\.[a-z_\-]+(?:\[\d+\])?)?")


def _item_for_where(data: Mapping[str, Any], where: str) -> tuple[str, str, str]:
    """(item path, step id, the rest) for a checker location such as ``steps[2].items[3].label``."""
    match = _WHERE.match(where)
    if not match:
        return "", "", where
    steps = data.get("steps") or []
    step_number = int(match.group(2))
    if step_number >= len(steps):
        return "", "", where
    step = steps[step_number]
    if match.group(3) is None:
        return "", str(step.get("id", "")), where[match.end(1) :]
    items = step.get("items") or []
    index = int(match.group(3))
    if index >= len(items):
        return "", str(step.get("id", "")), ""
    spec = items[index]
    path = str(spec.get("field", ""))
    if match.group(4) is not None:
        children = spec.get("items") or []
        child_index = int(match.group(4))
        if child_index < len(children):
            joint = "[]." if spec.get("widget") == "repeat" else "."
            path = f"{path}{joint}{children[child_index].get('field', '')}"
    return path, str(step.get("id", "")), where[match.end(1) :]


def _worded(problem: str, rest: str) -> str:
    """The checker's problem in the builder's own words."""
    template = problem.template if isinstance(problem, Problem) else str(problem)
    lang = (problem.params.get("lang") if isinstance(problem, Problem) else "") or ""
    part = rest.lstrip(".")
    if "missing language" in template:
        japanese = lang == "ja"
        if part.startswith("title"):
            return (
                _("Enter the step title in Japanese.") if japanese else _("Enter the step title in English.")
            )
        if part.startswith("help"):
            return _("Enter the help text in Japanese.") if japanese else _("Enter the help text in English.")
        if part.startswith("options"):
            return _("Enter every choice in Japanese.") if japanese else _("Enter every choice in English.")
        if part.startswith("add_label"):
            return str(_MISSING[("add_label", "ja" if japanese else "en")])
        return str(_MISSING[("label", "ja" if japanese else "en")])
    if "no items" in template:
        return _("This step has no questions. Add one or delete the step.")
    if "duplicate id" in template:
        return _("Two steps have the same name. Rename one of them.")
    if "when needs" in template or "condition" in template or "answered can only" in template:
        return _(
            "The condition of this question depends on a question that does not exist. Choose the condition again."
        )
    if "options must list" in template:
        return _(
            "The choices of this question are out of step with its answers. Open the question and save it again."
        )
    if "needs maxLength" in template:
        return _("This text question has no length limit. Open it in the definition editor.")
    if template.startswith("example"):
        return _("The example answer does not fit this question. Regenerate the example.")
    if "presented more than once" in template:
        return _("Two questions use the same field name. Rename one of them.")
    return _("This question has a problem the builder cannot fix. Open it in the definition editor.")


def _checker_problems(data: Mapping[str, Any], problems: Problems) -> None:
    try:
        parse(data)
    except DefinitionError as exc:
        problems.blocking = True
        for problem in exc.problems:
            where = (
                problem.path if isinstance(problem, Problem) and problem.path else str(problem).split(":")[0]
            )
            if str(problem).startswith("example: "):
                answer_path = str(problem).split(": ")[1]
                item = re.sub(r"\[\d+\]", "[]", answer_path)
                item_path = next((p.path for p in iter_places(data) if p.path == item), "")
                if item_path:
                    problems.add(item_path, _worded(problem, ""))
                else:
                    problems.general.append(
                        _("The example answers do not fit the form. Regenerate the example.")
                    )
                continue
            path, step_id, rest = _item_for_where(data, where)
            if path:
                problems.add(path, _worded(problem, rest))
            elif step_id:
                problems.steps.setdefault(step_id, []).append(_worded(problem, rest))
            else:
                problems.general.append(
                    _(
                        "The definition has a problem the builder cannot fix. Open it in the definition editor."
                    )
                )


EASYJA_RULES = {
    "sentence-length": gettext_lazy("a sentence is longer than 50 characters"),
    "kanji": gettext_lazy("a sentence has more than 15 kanji"),
    "polite-form": gettext_lazy("a sentence does not end in です or ます"),
    "double-negative": gettext_lazy("a double negative; say it positively"),
    "24-hour-time": gettext_lazy("a 24-hour time; write 午後5時"),
    "era-without-western-year": gettext_lazy("an era year without the western year"),
    "hard-loanword": gettext_lazy("a hard loanword"),
}


def easy_japanese_advice(text: str) -> list[str]:
    """What the やさしい日本語 checker says about ``text``, in plain words (empty: fine)."""
    advice = []
    for breach in easyja.check(text):
        rule = EASYJA_RULES.get(breach.rule, breach.rule)
        advice.append(
            _("やさしい日本語: %(rule)s (「%(sentence)s」).") % {"rule": rule, "sentence": breach.sentence}
        )
    return advice


def _advice(data: Mapping[str, Any], problems: Problems) -> None:
    """What parse accepts but a reader would stumble on: no やさしい日本語, checker breaches, empty groups."""
    for place in iter_places(data):
        spec = place.spec
        label = spec.get("label") or {}
        if not isinstance(label, Mapping):
            continue
        if spec.get("widget") != "note" and not label.get("ja-easy"):
            problems.add(place.path, _("The question has no やさしい日本語 version yet."))
        for text in (label.get("ja-easy"), (spec.get("help") or {}).get("ja-easy")):
            if isinstance(text, str):
                for advice in easy_japanese_advice(text):
                    problems.add(place.path, advice)
        if spec.get("widget") in ("fieldset", "repeat") and not spec.get("items"):
            problems.add(place.path, _("The group has no questions yet. Add one to it."))


def check(data: Mapping[str, Any], *, advice: bool = True) -> Problems:
    """Every problem of the definition, worded for the builder and placed beside its item."""
    problems = Problems()
    _checker_problems(data, problems)
    if advice:
        _advice(data, problems)
    return problems


# ---- standard data-item names ---------------------------------------------------------------------

STANDARD_ITEMS_FILE = Path(__file__).resolve().parent / "standard_items.yaml"


@cache
def standard_item_names() -> dict[str, str]:
    """National standard data-item names offered in the picker, with a short description."""
    with STANDARD_ITEMS_FILE.open(encoding="utf-8") as file:
        entries = yaml.safe_load(file) or []
    return {str(entry["name"]): str(entry["description"]) for entry in entries}
