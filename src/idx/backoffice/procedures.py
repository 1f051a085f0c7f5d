"""The procedure editor: the list of procedures, adding one, and editing its definition as JSON or YAML.

Most changes are made in the visual builder (`procedure_builder`); this editor stays for people who
know the definition format, and both edit the same draft version. Publishing goes through the
publication confirmation page.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from idx.common.i18n import pick
from idx.identity.models import Department, User
from idx.identity.policy import Action, can, is_city_wide
from idx.procedures.definition import DefinitionError, parse
from idx.procedures.models import Procedure
from idx.procedures.rendering import step_fields
from idx.procedures.services import procedure_create, procedure_version_save_draft
from idx.web.http import IdxRequest, staff_required


def editable_procedure(request: IdxRequest, code: str) -> Procedure:
    """The procedure, when the staff member may edit it; "not found" otherwise (never across cities).

    The YAML editor, the builder and the version pages all open a procedure through here.
    """
    staff: User = request.user
    procedure = (
        Procedure.objects.filter(municipality_id=staff.municipality_id, code=code)
        .select_related("department", "published_version")
        .first()
    )
    if procedure is None or not can(staff, Action.EDIT_PROCEDURE, procedure.department):
        raise Http404
    return procedure


@staff_required
def procedure_list(request: IdxRequest) -> HttpResponseBase:
    staff: User = request.user
    if not can(staff, Action.EDIT_PROCEDURE):
        raise Http404
    procedures = Procedure.objects.filter(municipality_id=staff.municipality_id).select_related(
        "department", "published_version"
    )
    if not is_city_wide(staff):
        procedures = procedures.filter(department_id=staff.department_id or 0)
    return render(
        request,
        "backoffice/procedure_list.html",
        {"procedures": [(procedure, pick(procedure.names)) for procedure in procedures.order_by("id")]},
    )


@staff_required
def procedure_create_view(request: IdxRequest) -> HttpResponseBase:
    """Add a procedure by pasting a definition; it starts as a draft and is published from the editor."""
    staff: User = request.user
    if not can(staff, Action.EDIT_PROCEDURE):
        raise Http404
    text = request.POST.get("definition", "")[:500_000] if request.method == "POST" else ""
    problems: list[str] = []
    if request.method == "POST":
        try:
            data = yaml.safe_load(text)
            parse(data)
            department = Department.objects.filter(
                municipality_id=staff.municipality_id, code=data["department"]
            ).first()
            if department is None or not can(staff, Action.EDIT_PROCEDURE, department):
                raise DefinitionError([_("department: choose a department you administer")])
            procedure = procedure_create(municipality=staff.municipality, data=data, actor=staff)
            messages.success(request, _("The procedure was created as a draft. Publish it when it is ready."))
            return redirect("backoffice:procedure_builder", code=procedure.code)
        except yaml.YAMLError as exc:
            problems = [_("The text is not valid JSON or YAML: %(error)s") % {"error": str(exc)[:300]}]
        except DefinitionError as exc:
            problems = exc.problems_translated()
    return render(
        request,
        "backoffice/procedure_create.html",
        {"text": text, "problems": problems},
        status=422 if problems else 200,
    )


@staff_required
def procedure_edit(request: IdxRequest, code: str) -> HttpResponseBase:
    """Edit a definition as JSON or YAML: check it, preview it, save it as a draft (publishing is a separate page)."""
    staff: User = request.user
    procedure = editable_procedure(request, code)
    draft = procedure.versions.filter(status="draft").order_by("-number").first()
    source_version = draft or procedure.published_version
    text = json.dumps(source_version.definition if source_version else {}, ensure_ascii=False, indent=2)
    problems: list[str] = []
    preview: list[dict[str, Any]] = []
    if request.method == "POST":
        text = request.POST.get("definition", "")[:500_000]
        action = request.POST.get("action", "preview")
        try:
            data = yaml.safe_load(text)  # YAML is a superset of JSON: either can be pasted
            definition = parse(data)
            preview = [
                {
                    "title": pick(step.title),
                    "fields": step_fields(definition, step, definition.data.get("example") or {}),
                }
                for step in definition.steps
            ]
            if action == "save":
                version = procedure_version_save_draft(procedure=procedure, data=data, actor=staff)
                messages.success(
                    request, _("Saved as draft version %(number)s.") % {"number": version.number}
                )
                return redirect("backoffice:procedure_edit", code=procedure.code)
        except yaml.YAMLError as exc:
            problems = [_("The text is not valid JSON or YAML: %(error)s") % {"error": str(exc)[:300]}]
        except DefinitionError as exc:
            problems = exc.problems_translated()
    return render(
        request,
        "backoffice/procedure_edit.html",
        {
            "procedure": procedure,
            "name": pick(procedure.names),
            "text": text,
            "problems": problems,
            "preview": preview,
            "versions": procedure.versions.order_by("-number")[:20],
        },
        status=422 if problems else 200,
    )
