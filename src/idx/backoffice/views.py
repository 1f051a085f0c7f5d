"""Staff pages: queues, cases, exports and the procedure editor."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import yaml
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.http import (
    FileResponse,
    Http404,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.applications import services
from idx.applications.exports import export_csv_rows, export_json_chunks
from idx.applications.models import Application, ApplicationSignature, Status
from idx.applications.presentation import answer_rows
from idx.applications.selectors import (
    CaseFilters,
    case_get_for_staff,
    case_list_for_staff,
    decided_cases_for_export,
)
from idx.applications.signing import signature_still_covers
from idx.applications.workflow import Actor, InvalidTransition, allowed_events
from idx.audit.exports import audit_csv_chunks
from idx.audit.forms import AuditPeriodForm
from idx.audit.selectors import audit_entries_for_period, audit_entries_for_target
from idx.audit.services import audit_export_record, audit_record
from idx.common import my_number
from idx.common.http import IdxRequest, sign_in_required
from idx.identity.contrib.oidc.pages import allow_forms_to, provider_origins
from idx.identity.mfa import selectors as mfa_selectors
from idx.identity.mfa import services as mfa_services
from idx.identity.mfa import views as mfa_views
from idx.identity.models import Department, IdentityProvider, ProviderKind, User
from idx.identity.policy import Action, can, is_city_wide
from idx.identity.reauth import has_recent_reauth, reauth_required
from idx.procedures.definition import DefinitionError, parse
from idx.procedures.i18n import pick
from idx.procedures.models import Procedure
from idx.procedures.rendering import step_fields
from idx.procedures.services import procedure_create, procedure_version_publish, procedure_version_save_draft

PAGE_SIZE = 50


staff_required = sign_in_required(lambda user: user.is_staff_member, "backoffice:login")


def permitted(action: Action) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """404 for staff whose role may not ``action`` (checked before asking them to re-authenticate)."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: IdxRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not can(request.user, action):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _case(request: IdxRequest, public_id: str) -> Application:
    application = case_get_for_staff(staff=request.user, public_id=public_id)
    if application is None:
        raise Http404
    return application


def sign_in(request: IdxRequest) -> HttpResponseBase:
    """The password step. It does not sign in: the second factor (idx.identity.mfa.views) does."""
    error = ""
    if request.method == "POST":
        email = request.POST.get("email", "")
        user = authenticate(request, email=email, password=request.POST.get("password", ""))
        account = (
            user
            if user is not None and user.is_staff_member
            else mfa_selectors.staff_for_sign_in(municipality=request.municipality, email=email)
        )
        if account is not None and mfa_selectors.is_locked(account):
            error = mfa_views.locked_message()
            mfa_services.sign_in_failure_record(user=account, step="password")
        elif user is None or not user.is_staff_member:
            error = _("The e-mail address or password is not correct.")
            if account is not None and mfa_services.sign_in_failure_record(user=account, step="password"):
                error = mfa_views.locked_message()
            elif account is None:
                audit_record(
                    municipality=request.municipality,
                    actor=None,
                    action="staff.sign_in_failed",
                    target_type="user",
                    target_id="-",
                )
        else:
            target = request.GET.get("next", "")
            if not target.startswith("/staff/"):
                target = reverse("backoffice:queue")
            return mfa_views.begin_second_factor(request, user, target)
    directories = list(
        IdentityProvider.objects.filter(
            municipality=request.municipality, kind=ProviderKind.STAFF, enabled=True
        ).order_by("pk")
    )
    response = render(
        request,
        "backoffice/sign_in.html",
        {"error": error, "directories": directories, "next": request.GET.get("next", "")},
        status=422 if error else 200,
    )
    return allow_forms_to(response, provider_origins(directories))


@require_POST
def sign_out(request: IdxRequest) -> HttpResponseBase:
    logout(request)
    return redirect("backoffice:login")


def _filters(request: IdxRequest) -> CaseFilters:
    get = request.GET
    return CaseFilters(
        procedure=get.get("procedure", "")[:80],
        status=get.get("status", "open")[:24],
        assignee=get.get("assignee", "")[:12],
        due=get.get("due", "")[:10],
        query=get.get("q", "")[:60],
        department=get.get("department", "")[:40],
    )


@staff_required
def queue(request: IdxRequest) -> HttpResponseBase:
    staff: User = request.user
    filters = _filters(request)
    cases = case_list_for_staff(staff=staff, filters=filters)
    # Offset pages without COUNT(*): a count over a million rows costs more than the page itself.
    number = int(request.GET.get("page", "1")) if request.GET.get("page", "1").isdecimal() else 1
    number = max(1, min(number, 10_000))
    rows = list(cases[(number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1])
    page = {
        "cases": rows[:PAGE_SIZE],
        "number": number,
        "has_next": len(rows) > PAGE_SIZE,
        "has_previous": number > 1,
    }
    procedures = Procedure.objects.filter(municipality_id=staff.municipality_id).order_by("id")
    if not is_city_wide(staff):
        procedures = procedures.filter(department_id=staff.department_id or 0)
    colleagues = User.objects.filter(
        municipality_id=staff.municipality_id, department_id=staff.department_id or 0
    ).exclude(role="resident")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/queue.html",
        {
            "page": page,
            "filters": filters,
            "procedures": [(procedure.code, pick(procedure.names)) for procedure in procedures],
            "statuses": Status.choices,
            "colleagues": colleagues,
            "can_assign_others": can(staff, Action.ASSIGN_OTHERS),
            "can_export": can(staff, Action.EXPORT_CASES),
            "query_string": query.urlencode(),
            "today": timezone.localdate(),
        },
    )


@require_POST
@staff_required
def bulk_assign(request: IdxRequest) -> HttpResponseBase:
    staff: User = request.user
    assignee = User.objects.filter(
        pk=request.POST.get("assignee") or 0,
        municipality_id=staff.municipality_id,
        department_id=staff.department_id or 0,
    ).first()
    cases = [
        case
        for case in (
            case_get_for_staff(staff=staff, public_id=value) for value in request.POST.getlist("cases")[:200]
        )
        if case is not None
    ]
    if assignee is None or not cases:
        messages.error(request, _("Choose cases and a colleague."))
        return redirect("backoffice:queue")
    try:
        done = services.cases_bulk_assign(staff=staff, applications=cases, assignee=assignee)
        messages.success(request, _("%(count)s cases assigned.") % {"count": done})
    except services.NotPermitted:
        messages.error(request, _("You may not assign cases to others."))
    except services.ChangedMeanwhile:
        messages.error(request, _("A case was changed meanwhile. Nothing was assigned; please try again."))
    return redirect("backoffice:queue")


def _case_payment(application: Application) -> dict[str, Any] | None:
    """The fee of the case and the payment that settled it, if the procedure has a fee."""
    from idx.payments.services import fee_of, paid_for

    fee = fee_of(application)
    if fee.amount <= 0:
        return None
    return {"fee": fee, "paid": paid_for(application)}


@staff_required
def case_detail(request: IdxRequest, public_id: str) -> HttpResponseBase:
    staff: User = request.user
    application = _case(request, public_id)
    services.case_record_view(application=application, staff=staff)
    events = [event.value for event in allowed_events(application.status, Actor.STAFF)]
    may_work = can(staff, Action.WORK_CASE, application.department)
    definition = application.procedure_version.parsed
    signature = ApplicationSignature.objects.filter(application=application).first()
    return render(
        request,
        "backoffice/case_detail.html",
        {
            "application": application,
            "signature": signature,
            "signature_covers_answers": signature is not None
            and signature_still_covers(application, signature.digest_sha256),
            "procedure_name": pick(definition.data["name"]),
            "rows": answer_rows(application),
            "history": application.status_changes.select_related("actor"),
            "comments": application.comments.select_related("author"),
            "attachments": application.attachments.all(),
            "events": events if may_work else [],
            "may_work": may_work,
            "may_decide": may_work and can(staff, Action.DECIDE_CASE, application.department),
            "may_unseal": can(staff, Action.UNSEAL_MY_NUMBER, application.department)
            and my_number.can_unseal(),
            "payment": _case_payment(application),
            "may_take_payment": can(staff, Action.TAKE_PAYMENT, application.department),
            "audit": audit_entries_for_target(
                municipality=application.municipality,
                target_type="application",
                target_id=application.public_id,
            ).order_by("-id")[:50]
            if can(staff, Action.VIEW_AUDIT, application.department) or may_work
            else [],
        },
    )


def _expected_version(request: IdxRequest) -> int:
    value = request.POST.get("row_version", "")
    return int(value) if value.isdecimal() and len(value) <= 9 else -1


def _case_action(
    request: IdxRequest, public_id: str, action: Callable[[Application, User, int], Any]
) -> HttpResponseBase:
    staff: User = request.user
    application = _case(request, public_id)
    try:
        action(application, staff, _expected_version(request))
    except services.ChangedMeanwhile:
        messages.error(
            request,
            _("This case was changed by someone else meanwhile. Check the latest state below and try again."),
        )
    except InvalidTransition:
        messages.error(request, _("That action is not possible in the case's current state."))
    except services.NotPermitted:
        messages.error(request, _("You may not do that."))
    except services.AnswersInvalid:
        messages.error(request, _("Fill in the required items (a reason, a note per flagged item)."))
    else:
        messages.success(request, _("Saved."))
    return redirect("backoffice:case_detail", public_id=application.public_id)


@require_POST
@staff_required
def case_assign_self(request: IdxRequest, public_id: str) -> HttpResponseBase:
    return _case_action(
        request,
        public_id,
        lambda application, staff, version: services.case_assign(
            application=application, staff=staff, assignee=staff, expected_version=version
        ),
    )


@require_POST
@staff_required
def case_start_review(request: IdxRequest, public_id: str) -> HttpResponseBase:
    return _case_action(
        request,
        public_id,
        lambda application, staff, version: services.case_start_review(
            application=application, staff=staff, expected_version=version
        ),
    )


@require_POST
@staff_required
def case_request_correction(request: IdxRequest, public_id: str) -> HttpResponseBase:
    flagged = request.POST.getlist("flag")
    notes = {
        path: request.POST.get(f"note:{path}", "") or _("Please check this item.") for path in flagged[:100]
    }
    return _case_action(
        request,
        public_id,
        lambda application, staff, version: services.case_request_correction(
            application=application,
            staff=staff,
            notes=notes,
            message=request.POST.get("message", ""),
            expected_version=version,
        ),
    )


@require_POST
@staff_required
def case_decide(request: IdxRequest, public_id: str) -> HttpResponseBase:
    approve = request.POST.get("decision") == "approve"
    return _case_action(
        request,
        public_id,
        lambda application, staff, version: services.case_decide(
            application=application,
            staff=staff,
            approve=approve,
            reason=request.POST.get("reason", ""),
            expected_version=version,
        ),
    )


@require_POST
@staff_required
def case_comment(request: IdxRequest, public_id: str) -> HttpResponseBase:
    return _case_action(
        request,
        public_id,
        lambda application, staff, _version: services.case_comment_add(
            application=application, staff=staff, body=request.POST.get("body", "")
        ),
    )


@staff_required
def case_attachment(request: IdxRequest, public_id: str, attachment_id: str) -> HttpResponseBase:
    application = _case(request, public_id)
    attachment = application.attachments.filter(public_id=attachment_id).first()
    if attachment is None:
        raise Http404
    services.case_record_view(application=application, staff=request.user, what="attachment")
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.original_name,
    )


@staff_required
def case_my_number(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Open a sealed 個人番号 once: permission, recent re-authentication, POST; audited, never cached."""
    staff: User = request.user
    application = _case(request, public_id)
    if not can(staff, Action.UNSEAL_MY_NUMBER, application.department):
        raise Http404
    path = (request.POST.get("path") or request.GET.get("path", ""))[:200]
    if not has_recent_reauth(request):
        # Back here (GET, with the item) after re-authenticating; opening then takes one more POST.
        here = reverse("backoffice:case_my_number", args=[application.public_id])
        query = urlencode({"next": f"{here}?{urlencode({'path': path})}"})
        return HttpResponseRedirect(f"{reverse('backoffice:reauth')}?{query}")
    context: dict[str, Any] = {"application": application, "path": path}
    if request.method != "POST":
        return render(request, "backoffice/my_number.html", context)
    try:
        number = services.my_number_unseal(application=application, staff=staff, path=path)
    except (services.NotPermitted, LookupError) as exc:
        raise Http404 from exc
    except (my_number.MyNumberUnavailable, my_number.MyNumberSealBroken):
        context["unavailable"] = True
        response = render(request, "backoffice/my_number.html", context, status=503)
    else:
        context["number"] = f"{number[:4]} {number[4:8]} {number[8:]}"
        response = render(request, "backoffice/my_number.html", context)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@staff_required
@permitted(Action.EXPORT_CASES)
@reauth_required
def export(request: IdxRequest) -> HttpResponseBase:
    staff: User = request.user
    if not can(staff, Action.EXPORT_CASES):
        raise Http404
    procedures = Procedure.objects.filter(municipality_id=staff.municipality_id)
    if not is_city_wide(staff):
        procedures = procedures.filter(department_id=staff.department_id or 0)
    code = request.GET.get("procedure", "")
    output = request.GET.get("format", "")
    procedure = procedures.filter(code=code).select_related("published_version").first()
    if procedure is None or output not in ("csv", "json"):
        return render(
            request,
            "backoffice/export.html",
            {"procedures": [(p.code, pick(p.names)) for p in procedures.order_by("id")]},
        )
    cases = decided_cases_for_export(staff=staff, procedure_code=code)
    version = procedure.published_version or procedure.versions.order_by("-number").first()
    if version is None:
        raise Http404
    definition = version.parsed
    # 個人番号 is opened only for staff who may see it, recently re-authenticated, in a process
    # holding the private key; otherwise the export says "sealed". Each opening is audited.
    reveal = (
        can(staff, Action.UNSEAL_MY_NUMBER, procedure.department)
        and has_recent_reauth(request)
        and my_number.can_unseal()
    )
    audit_record(
        municipality=staff.municipality,
        actor=staff,
        action="cases.export",
        target_type="procedure",
        target_id=procedure.code,
        after={"format": output, "my_number": "opened" if reveal else "sealed"},
    )

    def opener(application: Application, path: str) -> str:
        return services.my_number_unseal(application=application, staff=staff, path=path)

    if output == "csv":
        response = StreamingHttpResponse(
            export_csv_rows(cases, definition, open_my_number=opener if reveal else None),
            content_type="text/csv; charset=utf-8",
        )
    else:
        response = StreamingHttpResponse(
            export_json_chunks(cases, definition, open_my_number=opener if reveal else None),
            content_type="application/json",
        )
    response["Content-Disposition"] = f'attachment; filename="{procedure.code}-decided.{output}"'
    return response


@staff_required
@permitted(Action.EXPORT_AUDIT)
@reauth_required
def audit_export(request: IdxRequest) -> HttpResponseBase:
    """Auditors and city administrators download the audit log of a period as CSV (the download is audited)."""
    staff: User = request.user
    if not can(staff, Action.EXPORT_AUDIT):
        raise Http404
    form = AuditPeriodForm(request.GET if "date_from" in request.GET else None)
    if not form.is_valid():
        return render(
            request, "backoffice/audit_export.html", {"form": form}, status=422 if form.is_bound else 200
        )
    date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    audit_export_record(
        municipality=staff.municipality, actor=staff, date_from=date_from, date_to=date_to, output="csv"
    )
    entries = audit_entries_for_period(municipality=staff.municipality, date_from=date_from, date_to=date_to)
    response = StreamingHttpResponse(audit_csv_chunks(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{date_from}-{date_to}.csv"'
    return response


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
            return redirect("backoffice:procedure_edit", code=procedure.code)
        except yaml.YAMLError as exc:
            problems = [_("The text is not valid JSON or YAML: %(error)s") % {"error": str(exc)[:300]}]
        except DefinitionError as exc:
            problems = exc.problems
    return render(
        request,
        "backoffice/procedure_create.html",
        {"text": text, "problems": problems},
        status=422 if problems else 200,
    )


@staff_required
def procedure_edit(request: IdxRequest, code: str) -> HttpResponseBase:
    """Edit a definition as JSON or YAML: check it, preview it, save it as a draft, publish it."""
    staff: User = request.user
    procedure = (
        Procedure.objects.filter(municipality_id=staff.municipality_id, code=code)
        .select_related("department", "published_version")
        .first()
    )
    if procedure is None or not can(staff, Action.EDIT_PROCEDURE, procedure.department):
        raise Http404
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
            if action in ("save", "publish"):
                version = procedure_version_save_draft(procedure=procedure, data=data, actor=staff)
                if action == "publish":
                    procedure_version_publish(version=version, actor=staff)
                    messages.success(
                        request, _("Published as version %(number)s.") % {"number": version.number}
                    )
                else:
                    messages.success(
                        request, _("Saved as draft version %(number)s.") % {"number": version.number}
                    )
                return redirect("backoffice:procedure_edit", code=procedure.code)
        except yaml.YAMLError as exc:
            problems = [_("The text is not valid JSON or YAML: %(error)s") % {"error": str(exc)[:300]}]
        except DefinitionError as exc:
            problems = exc.problems
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
