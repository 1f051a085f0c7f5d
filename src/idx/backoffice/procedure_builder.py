"""The visual procedure builder: edit a procedure's draft form step by step, without JSON.

Every page works without JavaScript: each button is a small form that posts one operation
(`idx.procedures.builder`), and the result is saved as the procedure's draft version. The
script `idx/builder.js` adds drag-and-drop moving and the やさしい日本語 check as you type.

The pages edit whatever a :class:`DefinitionHolder` holds: a procedure's draft version here, a
draft survey's questions in `idx.backoffice.survey_builder`. The holder says who may edit, how the
definition is loaded and stored, the addresses of its pages and the kinds of question offered;
the views (``page_overview``, ``page_item`` …) take one, and the procedure's pages are thin wrappers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from idx.backoffice.procedures import editable_procedure
from idx.common.i18n import pick
from idx.procedures import builder
from idx.procedures.definition import DefinitionError, parse
from idx.procedures.models import Procedure
from idx.procedures.rendering import step_fields
from idx.procedures.services import procedure_version_save_draft
from idx.web.http import IdxRequest, staff_required

LANGUAGES = (("ja", "Japanese"), ("ja-easy", "やさしい日本語"), ("en", "English"))


@dataclass
class DefinitionHolder:
    """The seam between the builder pages and what they edit.

    ``load`` gives the whole definition the engine parses; ``store`` keeps an edited one (raising
    DefinitionError when the engine refuses it) and returns the message shown after saving.
    Page addresses are the URL names ``backoffice:<url_prefix><suffix>`` with ``code`` first.
    """

    code: str
    name: str
    url_prefix: str
    list_url: str
    list_label: str
    load: Callable[[], dict[str, Any]]
    store: Callable[[dict[str, Any]], str]
    item_types: tuple[str, ...] | None = None  # None: every kind of question
    procedure: Procedure | None = None  # the procedure's own links (YAML, versions, example)
    version: Any = None
    intro: str = ""

    def url(self, suffix: str = "", *args: str) -> str:
        return reverse(f"backoffice:{self.url_prefix}{suffix}", args=[self.code, *args])

    def urls(self) -> dict[str, str]:
        return {
            "overview": self.url(),
            "action": self.url("_action"),
            "add": self.url("_add"),
            "step_add": self.url("_step_add"),
            "preview": self.url("_preview"),
            "easyja": self.url("_easyja"),
        }


def procedure_holder(request: IdxRequest, code: str) -> DefinitionHolder:
    """A procedure's draft version (else the published one: the first change starts a draft)."""
    procedure = editable_procedure(request, code)
    data, version = _current(procedure)

    def store(result: dict[str, Any]) -> str:
        saved = procedure_version_save_draft(procedure=procedure, data=result, actor=request.user)
        return _("Saved in draft version %(number)s.") % {"number": saved.number}

    return DefinitionHolder(
        code=procedure.code,
        name=pick(procedure.names),
        url_prefix="procedure_builder",
        list_url=reverse("backoffice:procedure_list"),
        list_label=_("Procedures"),
        load=lambda: dict(data),
        store=store,
        procedure=procedure,
        version=version,
    )


def _base(holder: DefinitionHolder) -> dict[str, Any]:
    return {"holder": holder, "procedure": holder.procedure, "name": holder.name, "urls": holder.urls()}


def _current(procedure: Procedure) -> tuple[dict[str, Any], Any]:
    """The definition being edited (the draft, else the published one) and its version."""
    version = (
        procedure.versions.filter(status="draft").order_by("-number").first() or procedure.published_version
    )
    if version is None:
        raise Http404
    return dict(version.definition), version


def _save(request: IdxRequest, holder: DefinitionHolder, data: dict[str, Any]) -> bool:
    try:
        message = holder.store(data)
    except DefinitionError:
        return False
    messages.success(request, message)
    return True


def _overview_url(holder: DefinitionHolder, anchor: str = "") -> str:
    url = holder.url()
    return f"{url}#{anchor}" if anchor else url


def anchor(path: str) -> str:
    return "item-" + "".join(c if c.isalnum() else "-" for c in path)


def _type_name(spec: dict[str, Any], prop: dict[str, Any]) -> str:
    kind = builder.ITEM_TYPES.get(builder.item_type_of(spec, prop))
    if kind is not None:
        return str(kind.name)
    return {"fieldset": _("Group"), "email": _("Email address"), "my_number": _("Individual Number")}.get(
        str(spec.get("widget")), str(spec.get("widget"))
    )


def _condition_summary(data: dict[str, Any], place: builder.Place) -> str:
    when = place.spec.get("when")
    if not when:
        return ""
    operator, value = builder.condition_text(when)
    other = next(
        (
            p
            for p in builder.iter_places(data)
            if p.group_path == place.group_path and p.spec.get("field") == when.get("field")
        ),
        None,
    )
    label = pick(other.spec.get("label", {})) if other else str(when.get("field"))
    names = {
        str(o["value"]): pick(o.get("label", {})) for o in (other.spec.get("options", []) if other else [])
    }

    def shown(v: Any) -> str:
        if v is True:
            return _("Yes")
        if v is False:
            return _("No")
        return names.get(str(v), str(v))

    if operator == "answered":
        return _("Shown when “%(label)s” is answered") % {"label": label}
    if operator == "in":
        return _("Shown when “%(label)s” is one of: %(values)s") % {
            "label": label,
            "values": "、".join(shown(v) for v in value),
        }
    if operator == "not_equals":
        return _("Shown when “%(label)s” is not “%(value)s”") % {"label": label, "value": shown(value)}
    return _("Shown when “%(label)s” is “%(value)s”") % {"label": label, "value": shown(value)}


def _overview_context(
    holder: DefinitionHolder, data: dict[str, Any], problems: builder.Problems
) -> dict[str, Any]:
    steps = []
    places = list(builder.iter_places(data))
    items_base = holder.url() + "items/"
    for number, step in enumerate(data["steps"]):
        rows = []
        for place in places:
            if place.step_index != number:
                continue
            rows.append(
                {
                    "path": place.path,
                    "url": items_base + quote(place.path, safe=""),
                    "anchor": anchor(place.path),
                    "label": pick(place.spec.get("label", {})),
                    "type": _type_name(place.spec, place.level["properties"].get(place.spec["field"], {})),
                    "required": builder.is_required(place)
                    if place.spec["field"] in place.level["properties"]
                    else False,
                    "condition": _condition_summary(data, place),
                    "standard": (data.get("standard_items") or {}).get(place.path, ""),
                    "child": bool(place.group_path),
                    "group": place.spec.get("widget") in ("fieldset", "repeat"),
                    "first": place.index == 0,
                    "last": place.index == len(place.items) - 1,
                    "problems": problems.items.get(place.path, []),
                }
            )
        steps.append(
            {
                "id": step["id"],
                "number": number + 1,
                "title": pick(step.get("title", {})),
                "items": rows,
                "problems": problems.steps.get(step["id"], []),
                "rename_url": holder.url("_step", step["id"]),
                "delete_url": holder.url("_step_delete", step["id"]),
            }
        )
    return {
        **_base(holder),
        "version": holder.version,
        "steps": steps,
        "problems": problems,
        "action_url": holder.url("_action"),
        "add_url": holder.url("_add"),
    }


def page_overview(request: IdxRequest, holder: DefinitionHolder) -> HttpResponseBase:
    data = holder.load()
    context = _overview_context(holder, data, builder.check(data))
    return render(request, "backoffice/builder/overview.html", context)


def page_action(request: IdxRequest, holder: DefinitionHolder) -> HttpResponseBase:
    """One button of the overview: move up, down or to a place, duplicate, regenerate the example."""
    if request.method != "POST":
        return redirect(_overview_url(holder))
    data = holder.load()
    action = request.POST.get("action", "")
    path = request.POST.get("path", "")
    if request.POST.get("op"):  # a button of the overview: "down:applicant.phone"
        action, _sep, path = request.POST["op"].partition(":")
    new_path = path
    try:
        if action == "up":
            result = builder.move_by(data, path, -1)
        elif action == "down":
            result = builder.move_by(data, path, +1)
        elif action == "move":
            step_id, _sep, position = request.POST.get("target", "").partition(":")
            if not position.isdigit():
                raise builder.BuilderError(_("Choose where to move the question."), "target")
            place = builder.find(data, path)
            if place.group_path:
                raise builder.BuilderError(_("A question inside a group moves with 上へ and 下へ."))
            moving_down = step_id == data["steps"][place.step_index]["id"] and int(position) > place.index
            result = builder.move_item(data, path, step_id=step_id, position=int(position) - moving_down)
        elif action == "duplicate":
            result, new_path = builder.duplicate_item(data, path)
        elif action == "example":
            result = builder.regenerate_example(data)
        else:
            raise builder.BuilderError(_("Choose an action."))
    except builder.BuilderError as exc:
        context = _overview_context(holder, data, builder.check(data))
        context.update({"error": exc.message, "error_anchor": anchor(path)})
        return render(request, "backoffice/builder/overview.html", context, status=422)
    problems = builder.check(result, advice=False)
    if problems.blocking or not _save(request, holder, result):
        context = _overview_context(holder, result, problems)
        context["error"] = _("The change was not saved: see the problems below.")
        return render(request, "backoffice/builder/overview.html", context, status=422)
    return redirect(_overview_url(holder, anchor(new_path)))


def _texts(post: Any, prefix: str) -> dict[str, str]:
    return {
        lang: post.get(f"{prefix}_{lang.replace('-', '_')}", "").strip()[:2000] for lang, _name in LANGUAGES
    }


def _offered(holder: DefinitionHolder, item_type: str) -> str:
    """The kind of question posted, refused when the holder does not offer it."""
    if holder.item_types is not None and item_type not in holder.item_types:
        raise builder.BuilderError(_("Choose the kind of question."), "item_type")
    return item_type


def _item_types(holder: DefinitionHolder) -> list[dict[str, str]]:
    return [
        {"key": key, "name": str(kind.name), "description": str(kind.description)}
        for key, kind in builder.ITEM_TYPES.items()
        if holder.item_types is None or key in holder.item_types
    ]


def page_add_item(request: IdxRequest, holder: DefinitionHolder) -> HttpResponseBase:
    """Add a question: its kind (by name, with a one-line description) and its text."""
    data = holder.load()
    source = request.POST if request.method == "POST" else request.GET
    step_id = source.get("step") or data["steps"][-1]["id"]
    group = source.get("group", "")
    position = source.get("position", "")
    error, error_field = "", ""
    label = _texts(request.POST, "label") if request.method == "POST" else {}
    if request.method == "POST":
        try:
            result, path = builder.add_item(
                data,
                item_type=_offered(holder, request.POST.get("item_type", "")),
                step_id=step_id,
                position=int(position) if position.isdigit() else None,
                group=group,
                label=label,
                required=request.POST.get("required") == "on",
            )
            if builder.check(result, advice=False).blocking or not _save(request, holder, result):
                raise builder.BuilderError(
                    _("The question could not be added. Check the form and try again.")
                )
            return redirect(holder.url("_item", path))
        except builder.BuilderError as exc:
            error, error_field = exc.message, exc.field
    try:
        group_label = pick(builder.find(data, group).spec.get("label", {})) if group else ""
        step_title = pick(data["steps"][builder.step_index(data, step_id)]["title"])
    except builder.BuilderError as exc:
        raise Http404 from exc
    types = [t for t in _item_types(holder) if not (group and t["key"] in ("repeat", "note"))]
    if group:
        siblings = builder.find(data, group).spec.get("items") or []
    else:
        siblings = data["steps"][builder.step_index(data, step_id)]["items"]
    places = [
        {"value": str(index), "label": _("Before “%(label)s”") % {"label": pick(spec.get("label", {}))}}
        for index, spec in enumerate(siblings)
    ]
    places.append({"value": "", "label": _("At the end")})
    return render(
        request,
        "backoffice/builder/add_item.html",
        {
            **_base(holder),
            "types": types,
            "chosen": request.POST.get("item_type", ""),
            "step_id": step_id,
            "step_title": step_title,
            "group": group,
            "group_label": group_label,
            "position": position,
            "places": places,
            "label": label,
            "label_easy": label.get("ja-easy", ""),
            "required": request.POST.get("required") == "on",
            "error": error,
            "error_field": error_field,
        },
        status=422 if error else 200,
    )


def _options_from(post: Any) -> list[dict[str, Any]]:
    options = []
    count = (
        min(int(post.get("option_count", "0") or 0), 200)
        if (post.get("option_count", "0") or "0").isdigit()
        else 0
    )
    for number in range(1, count + 3):
        if post.get(f"option_{number}_remove") == "on":
            continue
        label = _texts(post, f"option_{number}")
        value = post.get(f"option_{number}_value", "").strip()
        if not any(label.values()):
            continue
        options.append({"value": value, "label": {k: v for k, v in label.items() if v}})
    return options


def _when_from(post: Any, data: dict[str, Any], path: str) -> dict[str, Any] | None:
    name = post.get("when_field", "")
    if not name:
        return None
    operator = post.get("when_operator", "equals")
    if operator not in builder.OPERATORS:
        raise builder.BuilderError(_("Choose how the condition compares the answer."), "when_operator")
    if operator == "answered":
        return {"field": name, "answered": True}
    prefix = f"{name}:"
    if operator == "in":
        picked = [v.removeprefix(prefix) for v in post.getlist("when_values") if v.startswith(prefix)]
        if not picked:
            raise builder.BuilderError(_("Choose at least one value for the condition."), "when_values")
        return {"field": name, "in": [builder.parse_condition_value(data, path, name, v) for v in picked]}
    raw = post.get("when_value", "")
    text = raw.removeprefix(prefix) if raw.startswith(prefix) else post.get("when_text", "").strip()
    if not text:
        raise builder.BuilderError(_("Choose the value of the condition."), "when_value")
    return {"field": name, operator: builder.parse_condition_value(data, path, name, text)}


def _values_from(post: Any, data: dict[str, Any], path: str) -> builder.ItemValues:
    current = builder.item_values(data, path)

    def merged(prefix: str, old: dict[str, str]) -> dict[str, str]:
        edited = _texts(post, prefix)
        if all(edited.get(lang, "") == old.get(lang, "") for lang, _n in LANGUAGES):
            return old  # unchanged: keep the other languages exactly
        return {**{k: v for k, v in old.items() if k not in edited}, **{k: v for k, v in edited.items() if v}}

    def number(name: str, old: int | None) -> int | None:
        text = post.get(name, "").strip()
        if not text:
            return old
        if not text.isdigit():
            raise builder.BuilderError(_("Enter how many entries as whole numbers."), name)
        return int(text)

    options = current.options
    if "option_count" in post:
        edited = _options_from(post)
        old_by_value = {o["value"]: o for o in current.options}
        options = []
        for option in edited:
            old = old_by_value.get(option["value"])
            if old is not None:
                label = merged_option(option["label"], old["label"])
                options.append({"value": option["value"], "label": label})
            else:
                options.append(option)
    return builder.ItemValues(
        field=post.get("field", current.field).strip(),
        label=merged("label", current.label),
        help=merged("help", current.help),
        required=post.get("required") == "on",
        options=options,
        add_label=merged("add_label", current.add_label) if current.add_label else current.add_label,
        min_items=number("min_items", current.min_items),
        max_items=number("max_items", current.max_items),
        when=_when_from(post, data, path),
        standard_item=post.get("standard_item", "").strip(),
    )


def merged_option(edited: dict[str, str], old: dict[str, str]) -> dict[str, str]:
    if all(edited.get(lang, "") == old.get(lang, "") for lang, _n in LANGUAGES):
        return old
    return {**{k: v for k, v in old.items() if k not in ("ja", "ja-easy", "en")}, **edited}


def page_item(request: IdxRequest, holder: DefinitionHolder, path: str) -> HttpResponseBase:
    """The item editor: texts side by side, choices, required, condition, standard data-item name."""
    data = holder.load()
    try:
        place = builder.find(data, path)
    except builder.BuilderError as exc:
        raise Http404 from exc
    error, error_field = "", ""
    values = builder.item_values(data, path)
    advice: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            values = _values_from(request.POST, data, path)
            standard = values.standard_item
            if (
                standard
                and standard not in builder.standard_item_names()
                and standard != builder.item_values(data, path).standard_item
            ):
                raise builder.BuilderError(
                    _("Choose the standard data-item name from the list."), "standard_item"
                )
            result, new_path = builder.update_item(data, path, values)
            problems = builder.check(result, advice=False)
            if problems.blocking:
                messages_ = [m for ms in problems.items.values() for m in ms] + problems.general
                raise builder.BuilderError(
                    messages_[0] if messages_ else _("The question could not be saved.")
                )
            if not _save(request, holder, result):
                raise builder.BuilderError(_("The question could not be saved."))
            return redirect(_overview_url(holder, anchor(new_path)))
        except builder.BuilderError as exc:
            error, error_field = exc.message, exc.field
    for key, text in (("label", values.label.get("ja-easy", "")), ("help", values.help.get("ja-easy", ""))):
        if text:
            advice[key] = builder.easy_japanese_advice(text)
    when_operator, when_value = builder.condition_text(values.when)
    when_values = when_value if isinstance(when_value, list) else [when_value]
    fields = builder.condition_fields(data, path, pick)
    when_field = (values.when or {}).get("field", "")
    names = builder.standard_item_names()
    return render(
        request,
        "backoffice/builder/item.html",
        {
            **_base(holder),
            "path": path,
            "anchor": anchor(path),
            "widget": place.spec.get("widget"),
            "type_name": _type_name(place.spec, place.prop),
            "values": values,
            "label_easy": values.label.get("ja-easy", ""),
            "help_easy": values.help.get("ja-easy", ""),
            "add_label_easy": values.add_label.get("ja-easy", ""),
            "options": [
                {"number": n, "value": o["value"], "label": o["label"], "easy": o["label"].get("ja-easy", "")}
                for n, o in enumerate(values.options, start=1)
            ],
            "blank_options": [len(values.options) + 1, len(values.options) + 2],
            "condition_fields": fields,
            "when_field": when_field,
            "when_operator": when_operator or "equals",
            "when_selected": [f"{when_field}:{_value_text(v)}" for v in when_values if v is not None],
            "when_text": _value_text(when_value)
            if when_value is not None and not isinstance(when_value, list)
            else "",
            "standard_names": sorted(names.items()),
            "standard_description": names.get(values.standard_item, ""),
            "advice": advice,
            "error": error,
            "error_field": error_field,
        },
        status=422 if error else 200,
    )


def _value_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def page_move(request: IdxRequest, holder: DefinitionHolder, path: str) -> HttpResponseBase:
    """Choose where a question goes: before any question of any step, or at the end of a step."""
    data = holder.load()
    try:
        place = builder.find(data, path)
    except builder.BuilderError as exc:
        raise Http404 from exc
    if place.group_path:
        raise Http404
    positions = []
    for step in data["steps"]:
        options = [
            {
                "value": f"{step['id']}:{index}",
                "label": pick(spec.get("label", {})),
                "current": spec.get("field") == place.spec["field"],
            }
            for index, spec in enumerate(step["items"])
        ]
        options.append(
            {
                "value": f"{step['id']}:{len(step['items'])}",
                "label": _("(at the end of the step)"),
                "current": False,
            }
        )
        positions.append({"title": pick(step.get("title", {})), "options": options})
    return render(
        request,
        "backoffice/builder/move.html",
        {
            **_base(holder),
            "path": path,
            "label": pick(place.spec.get("label", {})),
            "positions": positions,
            "back": _overview_url(holder, anchor(path)),
        },
    )


def page_delete_item(request: IdxRequest, holder: DefinitionHolder, path: str) -> HttpResponseBase:
    """Delete a question after a confirmation page (its answers in the draft go with it)."""
    data = holder.load()
    try:
        place = builder.find(data, path)
    except builder.BuilderError as exc:
        raise Http404 from exc
    error = ""
    if request.method == "POST":
        try:
            result = builder.delete_item(data, path)
            if builder.check(result, advice=False).blocking or not _save(request, holder, result):
                raise builder.BuilderError(_("The question could not be deleted."))
            return redirect(_overview_url(holder))
        except builder.BuilderError as exc:
            error = exc.message
    return render(
        request,
        "backoffice/builder/confirm_delete.html",
        {
            **_base(holder),
            "what": pick(place.spec.get("label", {})),
            "is_step": False,
            "error": error,
            "back": _overview_url(holder, anchor(path)),
        },
        status=422 if error else 200,
    )


def page_step(request: IdxRequest, holder: DefinitionHolder, step_id: str = "") -> HttpResponseBase:
    """Add a step (with its first question) or rename one."""
    data = holder.load()
    step = None
    if step_id:
        try:
            step = data["steps"][builder.step_index(data, step_id)]
        except builder.BuilderError as exc:
            raise Http404 from exc
    error, error_field = "", ""
    title = _texts(request.POST, "title") if request.method == "POST" else dict((step or {}).get("title", {}))
    label = _texts(request.POST, "label") if request.method == "POST" else {}
    if request.method == "POST":
        try:
            if step is None:
                result, new_id = builder.add_step(
                    data,
                    title=title,
                    item_type=_offered(holder, request.POST.get("item_type", "")),
                    item_label=label,
                )
            else:
                old = step.get("title", {})
                if all(title.get(k, "") == old.get(k, "") for k, _n in LANGUAGES):
                    return redirect(_overview_url(holder, f"step-{step_id}"))
                result, new_id = builder.rename_step(data, step_id, title=title), step_id
            if builder.check(result, advice=False).blocking or not _save(request, holder, result):
                raise builder.BuilderError(_("The step could not be saved."))
            return redirect(_overview_url(holder, f"step-{new_id}"))
        except builder.BuilderError as exc:
            error, error_field = exc.message, exc.field
    return render(
        request,
        "backoffice/builder/step.html",
        {
            **_base(holder),
            "step": step,
            "title": title,
            "title_easy": title.get("ja-easy", ""),
            "label": label,
            "label_easy": label.get("ja-easy", ""),
            "types": _item_types(holder),
            "chosen": request.POST.get("item_type", (holder.item_types or ("yes_no",))[0]),
            "error": error,
            "error_field": error_field,
        },
        status=422 if error else 200,
    )


def page_delete_step(request: IdxRequest, holder: DefinitionHolder, step_id: str) -> HttpResponseBase:
    data = holder.load()
    try:
        step = data["steps"][builder.step_index(data, step_id)]
    except builder.BuilderError as exc:
        raise Http404 from exc
    error = ""
    if request.method == "POST":
        try:
            result = builder.delete_step(data, step_id)
            if builder.check(result, advice=False).blocking or not _save(request, holder, result):
                raise builder.BuilderError(_("The step could not be deleted."))
            return redirect(_overview_url(holder))
        except builder.BuilderError as exc:
            error = exc.message
    return render(
        request,
        "backoffice/builder/confirm_delete.html",
        {
            **_base(holder),
            "what": pick(step.get("title", {})),
            "is_step": True,
            "error": error,
            "back": _overview_url(holder, f"step-{step_id}"),
        },
        status=422 if error else 200,
    )


def page_preview(request: IdxRequest, holder: DefinitionHolder) -> HttpResponseBase:
    """The draft as a resident sees it on a phone, one step at a time, filled with the example."""
    data = holder.load()
    try:
        definition = parse(data)
    except DefinitionError:
        definition = None
    number = request.GET.get("step", "1")
    index = int(number) - 1 if number.isdigit() else 0
    if definition is None or not 0 <= index < len(definition.steps):
        raise Http404
    step = definition.steps[index]
    return render(
        request,
        "backoffice/builder/preview.html",
        {
            **_base(holder),
            "title": pick(step.title),
            "fields": step_fields(definition, step, definition.data.get("example") or {}),
            "number": index + 1,
            "count": len(definition.steps),
            "steps_range": range(1, len(definition.steps) + 1),
            "editable_repeat": False,
            "form_action": holder.url("_preview"),
        },
    )


def page_easy_japanese(request: IdxRequest, holder: DefinitionHolder) -> HttpResponse:
    """The やさしい日本語 check of one text, for the editor's check as you type."""
    text = request.GET.get("text", "")[:2000]
    return JsonResponse({"advice": builder.easy_japanese_advice(text)})


# ---- the procedure's pages (backoffice/urls.py) ----------------------------------------------------


@staff_required
def builder_overview(request: IdxRequest, code: str) -> HttpResponseBase:
    return page_overview(request, procedure_holder(request, code))


@staff_required
def builder_action(request: IdxRequest, code: str) -> HttpResponseBase:
    return page_action(request, procedure_holder(request, code))


@staff_required
def builder_add_item(request: IdxRequest, code: str) -> HttpResponseBase:
    return page_add_item(request, procedure_holder(request, code))


@staff_required
def builder_item(request: IdxRequest, code: str, path: str) -> HttpResponseBase:
    return page_item(request, procedure_holder(request, code), path=path)


@staff_required
def builder_move(request: IdxRequest, code: str, path: str) -> HttpResponseBase:
    return page_move(request, procedure_holder(request, code), path=path)


@staff_required
def builder_delete_item(request: IdxRequest, code: str, path: str) -> HttpResponseBase:
    return page_delete_item(request, procedure_holder(request, code), path=path)


@staff_required
def builder_step(request: IdxRequest, code: str, step_id: str = "") -> HttpResponseBase:
    return page_step(request, procedure_holder(request, code), step_id=step_id)


@staff_required
def builder_delete_step(request: IdxRequest, code: str, step_id: str) -> HttpResponseBase:
    return page_delete_step(request, procedure_holder(request, code), step_id=step_id)


@staff_required
def builder_preview(request: IdxRequest, code: str) -> HttpResponseBase:
    return page_preview(request, procedure_holder(request, code))


@staff_required
def builder_easy_japanese(request: IdxRequest, code: str) -> HttpResponse:
    return page_easy_japanese(request, procedure_holder(request, code))
