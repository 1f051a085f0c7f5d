"""The city's own wording of messages (templates per purpose and language), for city administrators."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from idx.identity.policy import Action, Scope, scope_of
from idx.notifications import services
from idx.notifications.models import MessageTemplate
from idx.web.http import IdxRequest, staff_required


def _require_admin(request: IdxRequest) -> None:
    if scope_of(request.user.role, Action.EDIT_PROCEDURE) != Scope.ALL_DEPARTMENTS:
        raise Http404


# What residents receive most comes first; purposes registered later by other domains follow by name.
_FIRST = ("application_status", "inquiry", "alert")


def _listing_order(purpose: str) -> tuple[int, str]:
    return (_FIRST.index(purpose) if purpose in _FIRST else len(_FIRST), purpose)


@staff_required
def template_list(request: IdxRequest) -> HttpResponseBase:
    _require_admin(request)
    own = {
        (template.purpose, template.language): template
        for template in MessageTemplate.objects.filter(municipality=request.municipality)
    }
    rows = [
        {"purpose": purpose, "language": code, "language_name": name, "template": own.get((purpose, code))}
        for purpose in sorted(services.PLACEHOLDERS, key=_listing_order)
        for code, name in settings.LANGUAGES
    ]
    return render(request, "backoffice/message_templates.html", {"rows": rows})


@staff_required
def template_edit(request: IdxRequest, purpose: str, language: str) -> HttpResponseBase:
    _require_admin(request)
    if purpose not in services.PLACEHOLDERS or language not in dict(settings.LANGUAGES):
        raise Http404
    existing = MessageTemplate.objects.filter(
        municipality=request.municipality, purpose=purpose, language=language
    ).first()
    values = {"subject": existing.subject if existing else "", "body": existing.body if existing else ""}
    problems: list[str] = []
    if request.method == "POST":
        values = {
            "subject": request.POST.get("subject", "").strip(),
            "body": request.POST.get("body", "").strip(),
        }
        if request.POST.get("action") == "delete":
            MessageTemplate.objects.filter(
                municipality=request.municipality, purpose=purpose, language=language
            ).delete()
            messages.success(request, _("The shipped wording is used again."))
            return redirect("backoffice:template_list")
        if not values["subject"] or not values["body"]:
            problems.append(_("Enter a subject and a text."))
        else:
            try:
                services.template_save(
                    municipality=request.municipality,
                    purpose=purpose,
                    language=language,
                    subject=values["subject"],
                    body=values["body"],
                )
            except services.TemplateInvalid as exc:
                problems = exc.problems
            else:
                messages.success(request, _("The template has been saved."))
                return redirect("backoffice:template_list")
    return render(
        request,
        "backoffice/message_template_edit.html",
        {
            "purpose": purpose,
            "language": language,
            "placeholders": services.PLACEHOLDERS[purpose].items(),
            "values": values,
            "problems": problems,
            "existing": existing,
        },
        status=422 if problems else 200,
    )
