"""Downloads for staff: decided cases of a procedure (CSV or JSON) and the audit log of a period."""

from __future__ import annotations

from django.http import Http404, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from idx.applications import services
from idx.applications.exports import (
    HEADER_MODES,
    VALUE_MODES,
    ExportLayout,
    export_codes_csv,
    export_csv_rows,
    export_json_chunks,
    export_zip_chunks,
)
from idx.applications.models import Application
from idx.applications.selectors import decided_cases_for_export
from idx.audit.exports import audit_csv_chunks
from idx.audit.forms import AuditPeriodForm
from idx.audit.selectors import audit_entries_for_period
from idx.audit.services import audit_export_record, audit_record
from idx.common import my_number
from idx.common.i18n import pick
from idx.common.replica import replica_reads
from idx.identity.models import User
from idx.identity.policy import Action, can, is_city_wide
from idx.identity.reauth import has_recent_reauth, reauth_required
from idx.procedures.models import Procedure
from idx.web.csv import csv_download
from idx.web.http import IdxRequest, permitted, staff_required

# csv: the data; zip: data.csv + codes.csv + README.txt; codes: the code list alone; json: answers.
OUTPUTS = ("csv", "zip", "codes", "json")


@staff_required
@permitted(Action.EXPORT_CASES)
@reauth_required
@replica_reads
def export(request: IdxRequest) -> HttpResponseBase:
    staff: User = request.user
    if not can(staff, Action.EXPORT_CASES):
        raise Http404
    procedures = Procedure.objects.filter(municipality_id=staff.municipality_id)
    if not is_city_wide(staff):
        procedures = procedures.filter(department_id=staff.department_id or 0)
    code = request.GET.get("procedure", "")
    output = request.GET.get("format", "")
    headers = request.GET.get("headers", "standard")
    values = request.GET.get("values", "codes")
    procedure = procedures.filter(code=code).select_related("published_version").first()
    if procedure is None or output not in OUTPUTS or headers not in HEADER_MODES or values not in VALUE_MODES:
        # A submitted form (it always sends a format) names each choice it could not use.
        errors: list[tuple[str, str]] = []
        if "format" in request.GET:
            if procedure is None:
                errors.append((_("Procedure: choose one of the procedures in the list."), "procedure"))
            if headers not in HEADER_MODES:
                errors.append(
                    (_("Column names: choose one of the two ways of naming the columns."), "headers-standard")
                )
            if values not in VALUE_MODES:
                errors.append((_("Values: choose codes or labels."), "values-codes"))
            if output not in OUTPUTS:
                errors.append((_("File: choose one of the files."), "format-csv"))
        return render(
            request,
            "backoffice/export.html",
            {
                "procedures": [(p.code, pick(p.names)) for p in procedures.order_by("id")],
                "chosen": {
                    "procedure": code,
                    "format": output if output in OUTPUTS else "csv",
                    "headers": headers,
                    "values": values,
                },
                "errors": errors,
            },
        )
    layout = ExportLayout(headers=headers, values=values)
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
        after={
            "format": output,
            "headers": headers,
            "values": values,
            "my_number": "opened" if reveal else "sealed",
        },
    )

    def opener(application: Application, path: str) -> str:
        return services.my_number_unseal(application=application, staff=staff, path=path)

    unseal = opener if reveal else None
    filename = f"{procedure.code}-decided.{output}"
    if output == "csv":
        return csv_download(
            export_csv_rows(cases, definition, layout=layout, open_my_number=unseal), filename
        )
    if output == "codes":
        return csv_download(export_codes_csv(cases, definition, layout=layout), f"{procedure.code}-codes.csv")
    if output == "zip":
        archive = StreamingHttpResponse(
            export_zip_chunks(cases, definition, layout=layout, open_my_number=unseal),
            content_type="application/zip",
        )
        archive["Content-Disposition"] = f'attachment; filename="{procedure.code}-decided.zip"'
        return archive
    response = StreamingHttpResponse(
        export_json_chunks(cases, definition, open_my_number=unseal),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_required
@permitted(Action.EXPORT_AUDIT)
@reauth_required
@replica_reads
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
    return csv_download(audit_csv_chunks(entries), f"audit-{date_from}-{date_to}.csv")
