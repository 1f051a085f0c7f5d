"""Hand-over to core systems in the back office: the targets with their last run and the cases
not yet acknowledged, a target's settings, "run now" after a second look, the run history with
each manifest. Staff who may export a procedure's cases (``EXPORT_CASES``) see its targets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from idx.handover import selectors, services
from idx.handover.forms import HandoverTargetForm
from idx.handover.models import HandoverTarget, RunStatus
from idx.identity.models import User
from idx.identity.policy import Action, can, is_city_wide
from idx.procedures.models import Procedure
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import summary_from_form

RUNS_SHOWN = 50


def _staff(request: IdxRequest) -> User:
    staff: User = request.user
    if not can(staff, Action.EXPORT_CASES):
        raise Http404
    return staff


def _target(request: IdxRequest, pk: int) -> HandoverTarget:
    target = selectors.target_get_for_staff(staff=_staff(request), pk=pk)
    if target is None:
        raise Http404
    return target


def _procedures(staff: User) -> Any:
    procedures = Procedure.objects.filter(municipality_id=staff.municipality_id)
    if not is_city_wide(staff):
        procedures = procedures.filter(department_id=staff.department_id or 0)
    return procedures.order_by("id")


@staff_required
def handover_list(request: IdxRequest) -> HttpResponseBase:
    staff = _staff(request)
    targets = list(selectors.targets_for_staff(staff=staff))
    latest = selectors.last_runs(targets)
    rows = [{"target": target, "last_run": latest.get(target.pk)} for target in targets]
    return render(request, "backoffice/handover/list.html", {"rows": rows})


def _form_page(request: IdxRequest, target: HandoverTarget | None) -> HttpResponseBase:
    staff = _staff(request)
    form = HandoverTargetForm(
        request.POST if request.method == "POST" else None,
        instance=target,
        procedures=_procedures(staff),
        municipality_id=staff.municipality_id,
    )
    if request.method == "POST" and form.is_valid():
        before = services.target_facts(target) if target is not None else None
        saved = form.save(commit=False)
        saved.municipality_id = staff.municipality_id
        services.target_save(target=saved, actor=staff, before=before)
        messages.success(request, _("The hand-over target was saved."))
        return redirect("backoffice:handover_target", pk=saved.pk)
    return render(
        request,
        "backoffice/handover/form.html",
        {"form": form, "target": target, "error_summary": summary_from_form(form) if form.errors else []},  # type: ignore[arg-type]
        status=422 if form.errors else 200,
    )


@staff_required
def handover_new(request: IdxRequest) -> HttpResponseBase:
    return _form_page(request, None)


@staff_required
def handover_edit(request: IdxRequest, pk: int) -> HttpResponseBase:
    return _form_page(request, _target(request, pk))


@staff_required
def handover_target(request: IdxRequest, pk: int) -> HttpResponseBase:
    target = _target(request, pk)
    runs = list(selectors.runs_of_target(target=target)[:RUNS_SHOWN])
    return render(
        request,
        "backoffice/handover/target.html",
        {"target": target, "runs": runs, "destination": services.target_destination(target)},
    )


@staff_required
def handover_run_now(request: IdxRequest, pk: int) -> HttpResponseBase:
    """The second look (how many cases would go, and where), then the run itself."""
    target = _target(request, pk)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            run = services.handover_run(target=target, actor=request.user)
        except services.HandoverBusy as exc:
            messages.error(request, exc.text())
        else:
            if run.status == RunStatus.DELIVERED:
                messages.success(
                    request,
                    _("%(count)s cases were handed over in %(file)s.")
                    % {"count": run.case_count, "file": run.file_name},
                )
            elif run.status == RunStatus.NOTHING_NEW:
                messages.info(request, _("There were no new cases to hand over. No file was written."))
            else:
                messages.error(
                    request, _("The delivery failed; no case was handed over. The run history shows why.")
                )
        return redirect("backoffice:handover_target", pk=target.pk)
    return render(
        request,
        "backoffice/handover/run.html",
        {
            "target": target,
            "waiting": services.new_cases(target).count(),
            "limit": services.MAX_CASES_PER_RUN,
            "destination": services.target_destination(target),
        },
    )


@staff_required
def handover_manifest(request: IdxRequest, pk: int, run_pk: int) -> HttpResponseBase:
    target = _target(request, pk)
    run = selectors.runs_of_target(target=target).filter(pk=run_pk).exclude(manifest="").first()
    if run is None:
        raise Http404
    response = HttpResponse(run.manifest.encode("utf-8"), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{run.manifest_name}"'
    return response


urlpatterns = [
    path("handover/", handover_list, name="handover_list"),
    path("handover/new/", handover_new, name="handover_new"),
    path("handover/<int:pk>/", handover_target, name="handover_target"),
    path("handover/<int:pk>/edit/", handover_edit, name="handover_edit"),
    path("handover/<int:pk>/run/", handover_run_now, name="handover_run"),
    path("handover/<int:pk>/runs/<int:run_pk>/manifest.json", handover_manifest, name="handover_manifest"),
]
