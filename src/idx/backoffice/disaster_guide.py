"""The disaster information page's guide (shelters, hazard map, how to receive alerts), kept by
crisis-management staff; and the general desk for inquiries whose resident did not know where
to send them."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from idx.assist.routing import general_desk, general_desk_set
from idx.common.http import IdxRequest, sign_in_required
from idx.identity.models import Department
from idx.identity.policy import Action, can, is_city_wide
from idx.notifications import alerts as alert_services
from idx.notifications import guide

staff_required = sign_in_required(lambda user: user.is_staff_member, "backoffice:login")


@staff_required
def disaster_guide_edit(request: IdxRequest) -> HttpResponseBase:
    if not alert_services.may_issue(request.user):
        raise Http404
    current = guide.guide_for(request.municipality)
    values = {
        "hazard_map_url": current.hazard_map_url if current else "",
        "how_to_receive": current.how_to_receive if current else "",
        "shelters": guide.shelters_as_lines(guide.shelters_for(request.municipality)),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        try:
            guide.guide_save(
                municipality=request.municipality,
                actor=request.user,
                hazard_map_url=values["hazard_map_url"],
                how_to_receive=values["how_to_receive"],
                shelters_text=values["shelters"],
            )
        except guide.GuideInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, _("The disaster information page was updated."))
            return redirect("backoffice:disaster_guide")
    return render(
        request,
        "backoffice/disaster_guide.html",
        {"values": values, "errors": errors},
        status=422 if errors else 200,
    )


@staff_required
def inquiry_desk_edit(request: IdxRequest) -> HttpResponseBase:
    if not (is_city_wide(request.user) and can(request.user, Action.EDIT_FAQ)):
        raise Http404
    departments = Department.objects.filter(municipality=request.municipality).order_by("code")
    error = ""
    if request.method == "POST":
        department = departments.filter(code=request.POST.get("department", "")).first()
        if department is None:
            error = _("Choose the department that answers when residents do not know whom to ask.")
        else:
            general_desk_set(municipality=request.municipality, department=department, actor=request.user)
            messages.success(request, _("Saved."))
            return redirect("backoffice:inquiry_desk")
    return render(
        request,
        "backoffice/inquiry_desk.html",
        {"departments": departments, "current": general_desk(request.municipality), "error": error},
        status=422 if error else 200,
    )
