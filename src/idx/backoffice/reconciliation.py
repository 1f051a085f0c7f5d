"""Staff pages of reconciliation: settlement files, their mismatches, and the daily file for 財務会計.

City administrators only (``Action.RECONCILE_PAYMENTS``); everyone else gets "not found". The
finance download holds payment data of the whole city, so it asks for a recent re-authentication
like the other exports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.common.replica import replica_reads
from idx.identity.policy import Action, can
from idx.identity.reauth import reauth_required
from idx.payments import reconciliation
from idx.payments.finance_export import finance_csv_chunks, finance_export_record
from idx.payments.models import MismatchKind, ProviderConfig
from idx.web.csv import csv_download
from idx.web.http import IdxRequest, staff_required

MAX_SETTLEMENT_BYTES = 20 * 1024 * 1024
LINES_PER_PAGE = 100


def reconciler_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """404 unless the staff member may reconcile, and only on their own municipality's host."""

    @wraps(view)
    def wrapper(request: IdxRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can(request.user, Action.RECONCILE_PAYMENTS):
            raise Http404
        if request.user.municipality_id != request.municipality.pk:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


class SettlementImportForm(forms.Form):
    provider = forms.ChoiceField(label=gettext_lazy("Payment service"))
    file = forms.FileField(label=gettext_lazy("Settlement file (CSV)"))

    def __init__(self, *args: Any, providers: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        provider = self.fields["provider"]
        assert isinstance(provider, forms.ChoiceField)
        provider.choices = providers
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_SETTLEMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was done about it"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FinanceExportForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Day of receipt (収納日)"), widget=forms.DateInput(attrs={"type": "date"})
    )


def _providers(request: IdxRequest) -> list[tuple[str, str]]:
    """The registered providers settled by file, and any the city has configured under its own label."""
    choices = dict(reconciliation.settlement_providers())
    configured = ProviderConfig.objects.filter(municipality_id=request.user.municipality_id).exclude(
        provider__in=reconciliation.NOT_SETTLED_BY_FILE
    )
    for config in configured.order_by("provider"):
        choices[config.provider] = config.label or choices.get(config.provider, config.provider)
    return sorted(choices.items())


@staff_required
@reconciler_only
def settlement_list(request: IdxRequest) -> HttpResponseBase:
    settlements = reconciliation.settlement_imports_for(municipality=request.user.municipality)
    return render(
        request,
        "backoffice/payments/reconciliation/settlement_list.html",
        {"settlements": settlements[:200]},
    )


@staff_required
@reconciler_only
def settlement_import(request: IdxRequest) -> HttpResponseBase:
    providers = _providers(request)
    errors: list[tuple[int, str]] = []
    if request.method == "POST":
        form = SettlementImportForm(request.POST, request.FILES, providers=providers)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                settlement = reconciliation.settlement_import(
                    municipality=request.user.municipality,
                    actor=request.user,
                    provider=form.cleaned_data["provider"],
                    file_name=upload.name or "settlement.csv",
                    content=upload.read(),
                )
            except reconciliation.SettlementInvalid as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    _("Imported %(rows)d rows: %(matched)d matched.")
                    % {"rows": settlement.rows, "matched": settlement.matched},
                )
                return redirect("backoffice:settlement_detail", settlement_id=settlement.pk)
    else:
        form = SettlementImportForm(providers=providers)
    return render(
        request,
        "backoffice/payments/reconciliation/settlement_import.html",
        {"form": form, "errors": errors, "columns": reconciliation.SETTLEMENT_COLUMNS},
        status=400 if errors or form.errors else 200,
    )


@staff_required
@reconciler_only
def settlement_detail(request: IdxRequest, settlement_id: int) -> HttpResponseBase:
    settlement = reconciliation.settlement_get(
        municipality=request.user.municipality, settlement_id=settlement_id
    )
    if settlement is None:
        raise Http404
    mismatches_only = request.GET.get("mismatches") == "1"
    lines = reconciliation.settlement_lines(settlement=settlement, mismatches_only=mismatches_only)
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/payments/reconciliation/settlement_detail.html",
        {
            "settlement": settlement,
            "page": page,
            "mismatches_only": mismatches_only,
            "missing_there": MismatchKind.MISSING_THERE,
        },
    )


@staff_required
@reconciler_only
def settlement_resolve(request: IdxRequest, line_id: int) -> HttpResponseBase:
    line = reconciliation.settlement_line_get(municipality=request.user.municipality, line_id=line_id)
    if line is None or not line.mismatch:
        raise Http404
    error = ""
    form = ResolveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reconciliation.settlement_line_resolve(
                line=line, actor=request.user, note=form.cleaned_data["note"]
            )
        except reconciliation.ResolveRefused as exc:
            error = exc.message
        else:
            messages.success(request, _("The mismatch has been marked as resolved."))
            detail = reverse("backoffice:settlement_detail", args=[line.settlement_id])
            return redirect(f"{detail}?mismatches=1")
    return render(
        request,
        "backoffice/payments/reconciliation/settlement_resolve.html",
        {"line": line, "form": form, "error": error},
        status=400 if error or form.errors else 200,
    )


@staff_required
@reconciler_only
@reauth_required
@replica_reads
def finance_export(request: IdxRequest) -> HttpResponseBase:
    """The day's payments and refunds for 財務会計 (the download is audited)."""
    if "day" not in request.GET:
        yesterday = timezone.now().astimezone(reconciliation.TOKYO).date() - dt.timedelta(days=1)
        form = FinanceExportForm(initial={"day": yesterday})
        return render(request, "backoffice/payments/reconciliation/finance_export.html", {"form": form})
    form = FinanceExportForm(request.GET)
    if not form.is_valid():
        return render(
            request, "backoffice/payments/reconciliation/finance_export.html", {"form": form}, status=422
        )
    day: dt.date = form.cleaned_data["day"]
    municipality = request.user.municipality
    finance_export_record(municipality=municipality, actor=request.user, day=day, output="csv")
    response = csv_download(
        finance_csv_chunks(municipality=municipality, day=day),
        f"finance-{municipality.slug}-{day:%Y%m%d}.csv",
    )
    response["Cache-Control"] = "no-store"
    return response
