"""Automated checks in the back office: a case's results, running them again, and the supervisor's
page of cases that passed every check with their approval in bulk after a second look."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.applications.models import Application
from idx.applications.selectors import case_get_for_staff
from idx.applications.services import ChangedMeanwhile, NotPermitted
from idx.applications.workflow import InvalidTransition
from idx.checks import selectors, services
from idx.checks.presentation import result_rows
from idx.common.i18n import pick
from idx.identity.models import User
from idx.identity.policy import Action, can
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import SummaryItem


def case_checks_context(application: Application, staff: User) -> dict[str, Any] | None:
    """What the case page shows of the checks (``None`` when the procedure declares none)."""
    run = selectors.check_run_for_case(application=application)
    declared = bool(application.procedure_version.definition.get("checks"))
    if run is None and not declared:
        return None
    rows = result_rows(run, application.procedure_version.definition) if run is not None else []
    return {
        "run": run,
        "rows": rows,
        "failed": sum(row.outcome == "failed" for row in rows),
        "open": sum(row.outcome == "could_not_check" for row in rows),
        "current": run is not None
        and run.answers_sha256 == services.answers_digest(application.answers or {}),
        "may_run": can(staff, Action.WORK_CASE, application.department)
        and application.status not in ("draft", "approved", "rejected", "withdrawn"),
    }


@staff_required
@require_POST
def case_checks_run(request: IdxRequest, public_id: str) -> HttpResponseBase:
    application = case_get_for_staff(staff=request.user, public_id=public_id)
    if application is None or not can(request.user, Action.WORK_CASE, application.department):
        raise Http404
    services.application_checks_run(application=application, actor=request.user)
    messages.success(request, _("The checks were run again."))
    return redirect(reverse("backoffice:case_detail", args=[application.public_id]) + "#checks")


def _may_approve_in_bulk(staff: User) -> bool:
    return bool(staff.department_id) and can(staff, Action.APPROVE_IN_BULK, staff.department)


def _rows(cases: list[Application]) -> list[dict[str, Any]]:
    return [
        {
            "case": case,
            "procedure": pick(case.procedure_version.definition.get("name")),
            "checks": case.check_run.rule_count,
        }
        for case in cases
    ]


@staff_required
def checks_passing(request: IdxRequest) -> HttpResponseBase:
    """The department's open cases whose every check passed, for approval in bulk."""
    staff: User = request.user
    if not _may_approve_in_bulk(staff):
        raise Http404
    cases = list(selectors.cases_passing_for_staff(staff=staff)[: services.MAX_BULK])
    return render(
        request, "backoffice/checks/passing.html", {"rows": _rows(cases), "limit": services.MAX_BULK}
    )


@staff_required
@require_POST
def checks_approve(request: IdxRequest) -> HttpResponseBase:
    """The second look (the chosen cases and what was checked), then one approval of them all."""
    staff: User = request.user
    if not _may_approve_in_bulk(staff):
        raise Http404
    chosen: dict[str, str] = {}
    for value in request.POST.getlist("cases")[: services.MAX_BULK]:
        public_id, _sep, version = value.partition(":")
        chosen[public_id] = version
    cases = selectors.cases_for_bulk_approval(staff=staff, public_ids=list(chosen))
    if not cases:
        messages.error(request, _("Choose at least one case."))
        return redirect("backoffice:checks_passing")
    reason = request.POST.get("reason", "").strip()[:2000]
    errors: list[SummaryItem] = []
    if request.POST.get("approve"):
        pairs = [
            (case, int(chosen[str(case.public_id)]) if chosen[str(case.public_id)].isdecimal() else -1)
            for case in cases
        ]
        try:
            done = services.cases_approve_in_bulk(
                staff=staff, cases=pairs, confirmed=request.POST.get("confirm") == "yes", reason=reason
            )
        except services.NotConfirmed as exc:
            errors.append(SummaryItem("bulk-confirm", exc.text()))
        except (services.NotChecked, ChangedMeanwhile, InvalidTransition, NotPermitted):
            messages.error(
                request,
                _("A case changed or no longer passes every check. Nothing was approved; please look again."),
            )
            return redirect("backoffice:checks_passing")
        else:
            messages.success(request, _("%(count)s cases approved.") % {"count": done})
            return redirect("backoffice:checks_passing")
    rows = _rows(cases)
    for row in rows:
        row["version"] = chosen[str(row["case"].public_id)]
        row["results"] = result_rows(row["case"].check_run, row["case"].procedure_version.definition)
        row["current"] = row["case"].check_run.answers_sha256 == services.answers_digest(
            row["case"].answers or {}
        )
    return render(
        request,
        "backoffice/checks/approve.html",
        {"rows": rows, "reason": reason, "error_summary": errors},
        status=400 if errors else 200,
    )


urlpatterns = [
    path("checks/passed/", checks_passing, name="checks_passing"),
    path("checks/passed/approve/", checks_approve, name="checks_approve"),
    path("cases/<str:public_id>/checks/run/", case_checks_run, name="case_checks_run"),
]
