"""What changed between two versions of a procedure's definition, in words for staff.

Items are matched by their answer path (``applicant.name``, ``items[].quantity``), steps by their
id. Each change carries a sentence in the active language that names items by their label, never by
path or code, so a supervisor can read what residents will see differently before publishing
(公開前の確認). The comparison reads the definitions as stored; it does not need them to be valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from idx.common.i18n import pick
from idx.procedures.definition import WHEN_OPERATORS

LANGUAGE_NAMES = {
    "ja": gettext_lazy("Japanese"),
    "ja-easy": gettext_lazy("Easy Japanese"),
    "en": gettext_lazy("English"),
    "pt-br": gettext_lazy("Brazilian Portuguese"),
    "vi": gettext_lazy("Vietnamese"),
    "zh-hans": gettext_lazy("Simplified Chinese"),
    "es": gettext_lazy("Spanish"),
    "fil": gettext_lazy("Filipino"),
}

WIDGET_NAMES = {
    "text": gettext_lazy("one line of text"),
    "textarea": gettext_lazy("several lines of text"),
    "number": gettext_lazy("a number"),
    "date": gettext_lazy("a date"),
    "email": gettext_lazy("an email address"),
    "tel": gettext_lazy("a telephone number"),
    "postal_code": gettext_lazy("a postal code"),
    "select": gettext_lazy("a choice from a list"),
    "radio": gettext_lazy("a choice of buttons"),
    "checkbox": gettext_lazy("a tick box"),
    "yes_no": gettext_lazy("yes or no"),
    "file": gettext_lazy("an attached file"),
    "my_number": gettext_lazy("an individual number (My Number)"),
    "fieldset": gettext_lazy("a group of questions"),
    "repeat": gettext_lazy("a repeated group of questions"),
    "note": gettext_lazy("a note without an answer"),
}

LIMIT_NAMES = {
    "maxLength": gettext_lazy("the longest answer (characters)"),
    "minLength": gettext_lazy("the shortest answer (characters)"),
    "minimum": gettext_lazy("the smallest number"),
    "maximum": gettext_lazy("the largest number"),
    "minItems": gettext_lazy("the fewest entries"),
    "maxItems": gettext_lazy("the most entries"),
    "pattern": gettext_lazy("the form of the answer"),
    "format": gettext_lazy("the kind of value checked"),
    "const": gettext_lazy("the only accepted answer"),
    "type": gettext_lazy("the type of the answer"),
}

# Top-level parts of a definition that staff edit as text or settings, in the order shown.
TEXT_NAMES = {
    "name": gettext_lazy("Name of the procedure"),
    "summary": gettext_lazy("Summary"),
    "eligibility": gettext_lazy("Who can apply"),
    "legal_basis": gettext_lazy("Legal basis"),
    "declaration": gettext_lazy("Declaration"),
    "fee": gettext_lazy("Fee"),
    "required_documents": gettext_lazy("Documents to attach"),
    "processing_days": gettext_lazy("Days to process"),
    "identity_verification": gettext_lazy("Identity check"),
    "signature_required": gettext_lazy("Electronic signature"),
    "proxy_allowed": gettext_lazy("Applying for someone else"),
    "department": gettext_lazy("Department in charge"),
    "category": gettext_lazy("Category"),
    "life_event": gettext_lazy("Life event"),
}
# Compared elsewhere (items, steps) or not seen by residents.
_NOT_TEXT = {"code", "schema", "steps", "example", "standard_items"}


@dataclass(frozen=True)
class Detail:
    """One changed attribute of an item: ``attribute`` is stable (``label``, ``options``,
    ``required``, ``widget``, ``condition``, ``standard_item``, ``limit``, ``help``, ``step``,
    ``add_label``), ``key`` narrows it (a language, an option value, a limit), ``text`` says it."""

    attribute: str
    key: str
    text: str


@dataclass(frozen=True)
class ItemChange:
    kind: str  # added, removed, changed
    path: str
    label: str
    text: str
    details: tuple[Detail, ...] = ()

    @property
    def attributes(self) -> list[str]:
        return sorted({detail.attribute for detail in self.details})


@dataclass(frozen=True)
class StepChange:
    kind: str  # added, removed, renamed, reordered
    step_id: str
    text: str


@dataclass(frozen=True)
class TextChange:
    key: str
    name: str
    before: str
    after: str
    text: str


@dataclass
class VersionDiff:
    texts: list[TextChange] = field(default_factory=list)
    steps: list[StepChange] = field(default_factory=list)
    items: list[ItemChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.texts or self.steps or self.items)

    def sentences(self) -> list[str]:
        """Every change as one line (an item's details each on a line after it)."""
        lines = [change.text for change in self.texts] + [change.text for change in self.steps]
        for item in self.items:
            lines.append(item.text)
            lines += [detail.text for detail in item.details]
        return lines

    def item(self, path: str) -> ItemChange | None:
        return next((change for change in self.items if change.path == path), None)


@dataclass(frozen=True)
class _Entry:
    path: str
    spec: Mapping[str, Any]
    schema: Mapping[str, Any]
    required: bool
    step_id: str
    siblings: Mapping[str, Mapping[str, Any]]  # items of the same level by field (for conditions)


def _walk(data: Mapping[str, Any]) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}

    def visit(raw_items: Any, schema: Mapping[str, Any], prefix: str, step_id: str) -> None:
        if not isinstance(raw_items, list):
            return
        properties = schema.get("properties") or {}
        required = schema.get("required") or []
        # A top-level question may depend on one of an earlier step; a group's on its own level.
        siblings = (
            top_level
            if not prefix
            else {str(raw["field"]): raw for raw in raw_items if isinstance(raw, Mapping) and "field" in raw}
        )
        for raw in raw_items:
            if not isinstance(raw, Mapping) or not isinstance(raw.get("field"), str):
                continue
            name = raw["field"]
            prop = properties.get(name) or {}
            path = f"{prefix}{name}"
            entries[path] = _Entry(path, raw, prop, name in required, step_id, siblings)
            if raw.get("widget") == "fieldset":
                visit(raw.get("items"), prop, f"{path}.", step_id)
            elif raw.get("widget") == "repeat":
                visit(raw.get("items"), prop.get("items") or {}, f"{path}[].", step_id)

    top_level: dict[str, Mapping[str, Any]] = {
        str(raw["field"]): raw
        for step in data.get("steps") or []
        if isinstance(step, Mapping) and isinstance(step.get("items"), list)
        for raw in step["items"]
        if isinstance(raw, Mapping) and "field" in raw
    }
    for step in data.get("steps") or []:
        if isinstance(step, Mapping):
            visit(step.get("items"), data.get("schema") or {}, "", str(step.get("id", "")))
    return entries


def _steps(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(step.get("id", "")): step for step in data.get("steps") or [] if isinstance(step, Mapping)}


def _label(entry: _Entry) -> str:
    return pick(entry.spec.get("label")) or entry.path


def _separator() -> str:
    return "、" if (get_language() or "ja").startswith("ja") else ", "


def _language(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))


def _value_text(value: Any, spec: Mapping[str, Any] | None) -> str:
    """An answer value as a person reads it: the option's label, はい/いいえ, or the value."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    for option in (spec or {}).get("options") or []:
        if isinstance(option, Mapping) and option.get("value") == value:
            return pick(option.get("label")) or str(value)
    return str(value)


def describe_condition(when: Any, siblings: Mapping[str, Mapping[str, Any]]) -> str:
    """A ``when`` in words: 「地区」が「大山田地区」のとき."""
    if not isinstance(when, Mapping):
        return _("always asked")
    target = siblings.get(str(when.get("field")))
    question = pick((target or {}).get("label")) or str(when.get("field"))
    operator = next((key for key in WHEN_OPERATORS if key in when), "")
    operand = when.get(operator)
    if operator == "equals":
        return _("asked when “%(question)s” is “%(value)s”") % {
            "question": question,
            "value": _value_text(operand, target),
        }
    if operator == "not_equals":
        return _("asked when “%(question)s” is answered and is not “%(value)s”") % {
            "question": question,
            "value": _value_text(operand, target),
        }
    if operator == "in" and isinstance(operand, list):
        values = _separator().join(
            _("“%(value)s”") % {"value": _value_text(value, target)} for value in operand
        )
        return _("asked when “%(question)s” is one of %(values)s") % {"question": question, "values": values}
    if operator == "answered":
        return _("asked when “%(question)s” is answered") % {"question": question}
    return _("asked under a condition that cannot be read")


def _texts_of(value: Any) -> dict[str, str]:
    return {str(key): str(text) for key, text in value.items()} if isinstance(value, Mapping) else {}


def _language_details(attribute: str, before: Any, after: Any, message: str) -> Iterator[Detail]:
    old, new = _texts_of(before), _texts_of(after)
    for language in [*old, *(code for code in new if code not in old)]:
        if old.get(language, "") != new.get(language, ""):
            yield Detail(
                attribute,
                language,
                message
                % {
                    "language": _language(language),
                    "old": old.get(language) or "—",
                    "new": new.get(language) or "—",
                },
            )


def _option_details(before: _Entry, after: _Entry) -> Iterator[Detail]:
    old = {
        option.get("value"): option
        for option in before.spec.get("options") or []
        if isinstance(option, Mapping)
    }
    new = {
        option.get("value"): option
        for option in after.spec.get("options") or []
        if isinstance(option, Mapping)
    }
    for value, option in new.items():
        if value not in old:
            yield Detail(
                "options", str(value), _("Choice “%(option)s” added") % {"option": pick(option.get("label"))}
            )
    for value, option in old.items():
        if value not in new:
            yield Detail(
                "options",
                str(value),
                _("Choice “%(option)s” removed") % {"option": pick(option.get("label"))},
            )
        elif _texts_of(option.get("label")) != _texts_of(new[value].get("label")):
            yield Detail(
                "options",
                str(value),
                _("Choice “%(old)s” renamed “%(new)s”")
                % {"old": pick(option.get("label")), "new": pick(new[value].get("label"))},
            )
    common_old = [value for value in old if value in new]
    common_new = [value for value in new if value in old]
    if common_old != common_new:
        yield Detail("options", "", _("The order of the choices changed"))


def _limit_text(name: str, value: Any) -> str:
    if value is None:
        return _("none")
    if name == "format" or name == "type" or name == "pattern":
        return str(value)
    return _value_text(value, None) if isinstance(value, bool) else str(value)


def _item_details(
    before: _Entry, after: _Entry, old_data: Mapping[str, Any], new_data: Mapping[str, Any]
) -> list[Detail]:
    details: list[Detail] = []
    details += _language_details(
        "label",
        before.spec.get("label"),
        after.spec.get("label"),
        _("Question (%(language)s): “%(old)s” → “%(new)s”"),
    )
    details += _language_details(
        "help",
        before.spec.get("help"),
        after.spec.get("help"),
        _("Hint (%(language)s): “%(old)s” → “%(new)s”"),
    )
    details += _language_details(
        "add_label",
        before.spec.get("add_label"),
        after.spec.get("add_label"),
        _("Add button (%(language)s): “%(old)s” → “%(new)s”"),
    )
    old_widget, new_widget = before.spec.get("widget"), after.spec.get("widget")
    if old_widget != new_widget:
        details.append(
            Detail(
                "widget",
                "",
                _("Kind of answer: %(old)s → %(new)s")
                % {
                    "old": WIDGET_NAMES.get(str(old_widget), str(old_widget)),
                    "new": WIDGET_NAMES.get(str(new_widget), str(new_widget)),
                },
            )
        )
    if old_widget in ("select", "radio") or new_widget in ("select", "radio"):
        details += _option_details(before, after)
    if before.required != after.required:
        details.append(
            Detail("required", "", _("Now required") if after.required else _("No longer required"))
        )
    if before.spec.get("when") != after.spec.get("when"):
        details.append(
            Detail(
                "condition",
                "",
                _("Condition: %(old)s → %(new)s")
                % {
                    "old": describe_condition(before.spec.get("when"), before.siblings),
                    "new": describe_condition(after.spec.get("when"), after.siblings),
                },
            )
        )
    old_standard = (old_data.get("standard_items") or {}).get(before.path)
    new_standard = (new_data.get("standard_items") or {}).get(after.path)
    if old_standard != new_standard:
        details.append(
            Detail(
                "standard_item",
                "",
                _("Standard data item: %(old)s → %(new)s")
                % {"old": old_standard or _("none"), "new": new_standard or _("none")},
            )
        )
    for name in LIMIT_NAMES:
        old_limit, new_limit = before.schema.get(name), after.schema.get(name)
        if old_limit != new_limit:
            details.append(
                Detail(
                    "limit",
                    name,
                    _("%(limit)s: %(old)s → %(new)s")
                    % {
                        "limit": str(LIMIT_NAMES[name]).capitalize(),
                        "old": _limit_text(name, old_limit),
                        "new": _limit_text(name, new_limit),
                    },
                )
            )
    if before.step_id != after.step_id:
        old_step = _steps(old_data).get(before.step_id) or {}
        new_step = _steps(new_data).get(after.step_id) or {}
        details.append(
            Detail(
                "step",
                "",
                _("Moved from the step “%(old)s” to “%(new)s”")
                % {"old": pick(old_step.get("title")), "new": pick(new_step.get("title"))},
            )
        )
    return details


def _is_note(entry: _Entry) -> bool:
    return entry.spec.get("widget") == "note"


def _added_details(entry: _Entry) -> Iterator[Detail]:
    """What a new question is: its kind of answer, whether it is required, when it is asked."""
    widget = str(entry.spec.get("widget"))
    if widget == "note":
        return
    yield Detail("widget", "", _("Kind of answer: %(kind)s") % {"kind": WIDGET_NAMES.get(widget, widget)})
    if entry.required:
        yield Detail("required", "", _("Required answer"))
    if entry.spec.get("when") is not None:
        yield Detail(
            "condition",
            "",
            _("Condition: %(condition)s")
            % {"condition": describe_condition(entry.spec["when"], entry.siblings)},
        )


def _group_label(path: str, entries: Mapping[str, _Entry]) -> str:
    """The label of the group an item belongs to (「出すもの」 for ``items[].quantity``), or ""."""
    parent = path.rpartition(".")[0].removesuffix("[]")
    return _label(entries[parent]) if parent in entries else ""


def _item_text(kind: str, label: str, group: str, *, note: bool = False) -> str:
    if note:  # an explanatory text between the questions (widget ``note``)
        if kind == "added":
            return _("Explanatory text “%(label)s” added") % {"label": label}
        if kind == "removed":
            return _("Explanatory text “%(label)s” removed") % {"label": label}
        return _("Explanatory text “%(label)s” changed") % {"label": label}
    if kind == "added":
        if group:
            return _("Question “%(label)s” added to “%(group)s”") % {"label": label, "group": group}
        return _("Question “%(label)s” added") % {"label": label}
    if kind == "removed":
        if group:
            return _("Question “%(label)s” removed from “%(group)s”") % {"label": label, "group": group}
        return _("Question “%(label)s” removed") % {"label": label}
    if group:
        return _("Question “%(label)s” in “%(group)s” changed") % {"label": label, "group": group}
    return _("Question “%(label)s” changed") % {"label": label}


def _shown(value: Any) -> str:
    if isinstance(value, Mapping) and value and all(isinstance(text, str) for text in value.values()):
        return pick(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def diff_definitions(old: Mapping[str, Any], new: Mapping[str, Any]) -> VersionDiff:
    """Changes from the definition ``old`` to ``new``, worded in the active language."""
    result = VersionDiff()
    keys = [
        *TEXT_NAMES,
        *sorted(key for key in {*old, *new} if key not in TEXT_NAMES and key not in _NOT_TEXT),
    ]
    for key in keys:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        name = str(TEXT_NAMES.get(key, key))
        languages = _texts_of(before).keys() | _texts_of(after).keys()
        if (isinstance(before, Mapping) or isinstance(after, Mapping)) and languages and key != "fee":
            changed = [
                code
                for code in LANGUAGE_NAMES
                if code in languages and _texts_of(before).get(code) != _texts_of(after).get(code)
            ]
            text = _("%(name)s changed (%(languages)s)") % {
                "name": name,
                "languages": _separator().join(_language(code) for code in changed),
            }
        else:
            text = _("%(name)s changed") % {"name": name}
        result.texts.append(TextChange(key, name, _shown(before), _shown(after), text))

    old_steps, new_steps = _steps(old), _steps(new)
    for step_id, step in new_steps.items():
        if step_id not in old_steps:
            result.steps.append(
                StepChange("added", step_id, _("Step “%(title)s” added") % {"title": pick(step.get("title"))})
            )
        elif _texts_of(old_steps[step_id].get("title")) != _texts_of(step.get("title")):
            result.steps.append(
                StepChange(
                    "renamed",
                    step_id,
                    _("Step “%(old)s” renamed “%(new)s”")
                    % {"old": pick(old_steps[step_id].get("title")), "new": pick(step.get("title"))},
                )
            )
    for step_id, step in old_steps.items():
        if step_id not in new_steps:
            result.steps.append(
                StepChange(
                    "removed", step_id, _("Step “%(title)s” removed") % {"title": pick(step.get("title"))}
                )
            )
    kept_old = [step_id for step_id in old_steps if step_id in new_steps]
    kept_new = [step_id for step_id in new_steps if step_id in old_steps]
    if kept_old != kept_new:
        order = " → ".join(pick(new_steps[step_id].get("title")) for step_id in kept_new)
        result.steps.append(
            StepChange("reordered", "", _("Order of the steps: %(order)s") % {"order": order})
        )

    old_items, new_items = _walk(old), _walk(new)
    for path, entry in new_items.items():
        if path not in old_items:
            group = _group_label(path, new_items)
            result.items.append(
                ItemChange(
                    "added",
                    path,
                    _label(entry),
                    _item_text("added", _label(entry), group, note=_is_note(entry)),
                    tuple(_added_details(entry)),
                )
            )
            continue
        details = _item_details(old_items[path], entry, old, new)
        if details:
            group = _group_label(path, new_items)
            result.items.append(
                ItemChange(
                    "changed",
                    path,
                    _label(entry),
                    _item_text("changed", _label(entry), group, note=_is_note(entry)),
                    tuple(details),
                )
            )
    for path, entry in old_items.items():
        if path not in new_items:
            group = _group_label(path, old_items)
            result.items.append(
                ItemChange(
                    "removed",
                    path,
                    _label(entry),
                    _item_text("removed", _label(entry), group, note=_is_note(entry)),
                )
            )
    return result
