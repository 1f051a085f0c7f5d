"""Reading and writing answer values by path (``claimant.name``, ``children[1].birth_date``)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from idx.procedures.definition import Definition, is_visible

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _PART.findall(path)]


def get_path(answers: Mapping[str, Any], path: str) -> Any:
    node: Any = answers
    for part in split_path(path):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
            node = node[part]
        else:
            if not isinstance(node, Mapping):
                return None
            node = node.get(part)
    return node


def set_path(answers: dict[str, Any], path: str, value: Any) -> None:
    parts = split_path(path)
    node: Any = answers
    for part, following in zip(parts, parts[1:], strict=False):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            while len(node) <= part:
                node.append({})
            if not isinstance(node[part], (dict, list)):
                node[part] = empty
            node = node[part]
        else:
            if not isinstance(node.get(part), (dict, list)):
                node[part] = empty
            node = node[part]
    last = parts[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
        node[last] = value
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


def merge_flagged(old: Mapping[str, Any], new: Mapping[str, Any], flagged: list[str]) -> dict[str, Any]:
    """The old answers with only the flagged paths taken from the new ones (a correction)."""
    merged = copy.deepcopy(dict(old))
    for path in flagged:
        set_path(merged, path, copy.deepcopy(get_path(new, path)))
    return merged


def visible_answers(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers without those to questions hidden by a condition (they are not part of the submission)."""
    visible: dict[str, Any] = {}
    items = {item.field: item for step in definition.steps for item in step.items}
    for key, value in answers.items():
        item = items.get(key)
        if item is not None and not is_visible(item, answers):
            continue
        if item is not None and any(child.when for child in item.children):
            if isinstance(value, Mapping):
                value = _visible_in_group(item, value)
            elif isinstance(value, list):
                value = [
                    _visible_in_group(item, entry) if isinstance(entry, Mapping) else entry for entry in value
                ]
        visible[key] = value
    return visible


def _visible_in_group(item: Any, group: Mapping[str, Any]) -> dict[str, Any]:
    hidden = {child.field for child in item.children if not is_visible(child, group)}
    return {key: value for key, value in group.items() if key not in hidden}


def applicant_name_from(definition: Definition, answers: Mapping[str, Any]) -> str:
    """The first person's name in the form (the applicant, claimant or insured person)."""
    for item in definition.items():
        if "[]" in item.path:
            continue
        if item.path.split(".")[-1] == "name" and isinstance(get_path(answers, item.path), str):
            return str(get_path(answers, item.path))[:100]
    return ""
