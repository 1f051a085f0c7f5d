"""The EBPM dashboards, KPIs and interventions for staff (/staff/insights/).

Everything here reads the fact tables through ``idx.insights`` (dashboards, selectors, effects)
and writes through ``idx.insights.services``. The filters are a GET form, the charts server-drawn
SVG, each followed by its table and a CSV of exactly that table.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.common.replica import replica_reads
from idx.identity.models import Department
from idx.identity.policy import Action, Scope, can
from idx.insights import charts, presentation
from idx.insights.dashboards import (
    Dashboard,
    Filters,
    dashboard_for_staff,
    filters_default,
    filters_parse,
    kpi_detail_for_staff,
    marker_index,
)
from idx.insights.models import Channel, Intervention, Kpi, Measure
from idx.insights.selectors import (
    add_months,
    dashboard_scope,
    departments_for_staff,
    intervention_get_for_staff,
    interventions_for_staff,
    kpi_get_for_staff,
    kpis_for_staff,
    procedures_for_staff,
    short_month_label,
)
from idx.insights.services import (
    InsightsForbidden,
    InsightsRefused,
    InterventionData,
    KpiData,
    intervention_log,
    intervention_update,
    kpi_create,
    kpi_update,
)
from idx.web.csv import csv_download, csv_lines
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, permitted, staff_required
from idx.web.summary import summary_from_form

GRANULARITY_CHOICES = [
    ("month", gettext_lazy("By month")),
    ("quarter", gettext_lazy("By quarter")),
    ("fiscal_year", gettext_lazy("By fiscal year")),
]


class FilterForm(forms.Form):
    start = forms.CharField(
        label=gettext_lazy("From (month)"), required=False, widget=forms.DateInput(attrs={"type": "month"})
    )
    end = forms.CharField(
        label=gettext_lazy("To (month)"), required=False, widget=forms.DateInput(attrs={"type": "month"})
    )
    granularity = forms.ChoiceField(
        label=gettext_lazy("Grouped"), choices=GRANULARITY_CHOICES, required=False
    )
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    procedure = forms.ChoiceField(label=gettext_lazy("Procedure"), required=False)

    def __init__(self, *args: Any, request: IdxRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department_field = self.fields["department"]
        assert isinstance(department_field, forms.ChoiceField)
        department_field.choices = [("", _("All departments"))] + [
            (str(department.pk), department.name) for department in departments_for_staff(staff=request.user)
        ]
        procedure_field = self.fields["procedure"]
        assert isinstance(procedure_field, forms.ChoiceField)
        procedure_field.choices = [("", _("All procedures"))] + [
            (procedure.code, procedure.names.get("ja", procedure.code))
            for procedure in procedures_for_staff(staff=request.user)
        ]


def _filters(request: IdxRequest, *, months_back: int | None = None) -> tuple[Filters, FilterForm]:
    default = filters_default()
    if months_back is not None:
        default = Filters(start=add_months(default.end, -months_back), end=default.end)
    filters = filters_parse(
        start=request.GET.get("start") or f"{default.start:%Y-%m}",
        end=request.GET.get("end") or f"{default.last_month:%Y-%m}",
        granularity=request.GET.get("granularity"),
        department=request.GET.get("department"),
        procedure=request.GET.get("procedure"),
    )
    form = FilterForm(
        initial={
            "start": f"{filters.start:%Y-%m}",
            "end": f"{filters.last_month:%Y-%m}",
            "granularity": filters.granularity,
            "department": str(filters.department_id or ""),
            "procedure": filters.procedure_code or "",
        },
        request=request,
    )
    return filters, form


def _labels(board_periods: Iterable[Any], granularity: str) -> list[str]:
    return [
        short_month_label(period.start) if granularity == "month" else period.label
        for period in board_periods
    ]


def _channel_chart(board: Dashboard) -> str:
    return charts.stacked_bars(
        title=_("Applications by channel, %(period)s") % {"period": board.whole.label if board.whole else ""},
        labels=_labels(board.periods, board.filters.granularity),
        series=[
            (str(Channel.ONLINE.label), "ins-bar-online", [row.online for row in board.channels]),
            (str(Channel.COUNTER.label), "ins-bar-counter", [row.counter for row in board.channels]),
            (str(Channel.PAPER.label), "ins-bar-paper", [row.paper for row in board.channels]),
            (str(Channel.IMPORTED.label), "ins-bar-imported", [row.imported for row in board.channels]),
        ],
    )


def _cards(board: Dashboard) -> list[dict[str, Any]]:
    return [
        {
            "kpi": card.kpi,
            "value": presentation.with_unit(card.value.value, card.kpi.unit),
            "target": presentation.target_text(card.kpi),
            "direction": presentation.direction_text(card.kpi),
            "status": presentation.status_text(card.kpi, card.value),
            "status_class": presentation.status_class(card.value),
        }
        for card in board.cards
    ]


@staff_required
@permitted(Action.VIEW_DASHBOARDS)
@replica_reads
def insights_home(request: IdxRequest) -> HttpResponseBase:
    filters, form = _filters(request)
    board = dashboard_for_staff(staff=request.user, filters=filters)
    return render(
        request,
        "backoffice/insights/home.html",
        {
            "board": board,
            "form": form,
            "cards": _cards(board),
            "channel_chart": _channel_chart(board),
            "sign_ins_counted": any(row.total for row in board.sign_ins),
            "staff_times": _staff_times(board),
            "own_department_only": dashboard_scope(request.user) == Scope.OWN_DEPARTMENT,
            "query": request.GET.urlencode(),
            "may_edit": can(request.user, Action.EDIT_KPIS),
        },
    )


def _number(value: Decimal | int | None) -> str:
    return "" if value is None else str(value)


def _staff_times(board: Dashboard) -> list[dict[str, Any]]:
    """The staff-time table in words: 12.5秒, 4.5分, 2時間15分; an em dash where unknown."""
    return [
        {
            "label": row.label,
            "applications": row.applications,
            "reading": presentation.seconds_text(row.reading_per_form),
            "keying": presentation.minutes_text(row.keying_minutes),
            "keyed": row.keyed,
            "deciding": presentation.duration_text(row.deciding_average_seconds),
            "deciding_count": row.deciding_count,
        }
        for row in board.staff_times
    ]


def _minutes_of(seconds: int | None) -> str:
    return "" if seconds is None else str((Decimal(seconds) / 60).quantize(Decimal("0.1")))


def _table(board: Dashboard, name: str) -> tuple[list[str], list[list[object]]]:
    """The rows of one of the page's tables, as the CSV download gives them."""
    if name == "kpis":
        return [
            _("KPI"),
            _("Period"),
            _("Value"),
            _("Unit"),
            _("Target"),
            _("Target fiscal year"),
            _("Direction"),
            _("Department in charge"),
        ], [
            [
                card.kpi.names.get("ja", card.kpi.code),
                card.value.period_label,
                _number(card.value.value),
                card.kpi.get_unit_display(),
                _number(card.kpi.target),
                card.kpi.target_fiscal_year or "",
                card.kpi.get_direction_display(),
                card.kpi.owner.name,
            ]
            for card in board.cards
        ]
    if name == "channels":
        return [
            _("Period"),
            _("Online"),
            _("At the counter"),
            _("On paper"),
            str(Channel.IMPORTED.label),
            _("Total"),
            _("Online share (%)"),
        ], [
            [
                row.period.label,
                row.online,
                row.counter,
                row.paper,
                row.imported,
                row.total,
                _number(row.online_share),
            ]
            for row in board.channels
        ]
    if name == "lead_times":
        return [
            _("Procedure"),
            _("Department"),
            _("Standard processing period (days)"),
            _("Decided"),
            _("Average days to decision"),
            _("Decided within the standard period (%)"),
        ], [
            [
                row.procedure_name,
                row.department_name,
                row.standard_days or "",
                row.decided,
                _number(row.average_days),
                _number(row.within_standard_share),
            ]
            for row in board.lead_times
        ]
    if name == "waits":
        return [
            _("Period"),
            _("Tickets"),
            _("Served"),
            _("Average wait (minutes)"),
            _("Waited more than 30 minutes (%)"),
        ], [
            [
                row.period.label,
                row.tickets,
                row.served,
                _number(row.average_minutes),
                _number(row.over_30_share),
            ]
            for row in board.waits
        ]
    if name == "staff_times":
        return [
            _("Channel"),
            _("Applications"),
            _("Machine reading (seconds per paper form)"),
            _("Keying or verifying by staff (minutes per application)"),
            _("Applications with keying time"),
            _("Review to decision (average minutes)"),
            _("Applications decided after a review"),
        ], [
            [
                row.label,
                row.applications,
                _number(row.reading_per_form),
                _number(row.keying_minutes),
                row.keyed,
                _minutes_of(row.deciding_average_seconds),
                row.deciding_count,
            ]
            for row in board.staff_times
        ]
    if name == "sign_ins":
        return [
            _("Period"),
            _("Sign-ins with the My Number Card"),
            _("Sign-ins"),
            _("My Number Card share (%)"),
        ], [[row.period.label, row.card, row.total, _number(row.card_share)] for row in board.sign_ins]
    raise Http404


TABLES = ("kpis", "channels", "lead_times", "waits", "staff_times", "sign_ins")


@staff_required
@permitted(Action.VIEW_DASHBOARDS)
@replica_reads
def insights_csv(request: IdxRequest, table: str) -> HttpResponseBase:
    if table not in TABLES:
        raise Http404
    filters, _form = _filters(request)
    board = dashboard_for_staff(staff=request.user, filters=filters)
    header, rows = _table(board, table)
    filename = f"insights-{table}-{filters.start:%Y%m}-{filters.last_month:%Y%m}.csv"
    return csv_download(csv_lines([header, *rows]), filename)


def _kpi(request: IdxRequest, pk: int) -> Kpi:
    kpi = kpi_get_for_staff(staff=request.user, pk=pk)
    if kpi is None:
        raise Http404
    return kpi


@staff_required
@permitted(Action.VIEW_DASHBOARDS)
@replica_reads
def insights_kpi(request: IdxRequest, pk: int) -> HttpResponseBase:
    from idx.insights.effects import effect_estimate

    kpi = _kpi(request, pk)
    filters, form = _filters(request, months_back=24)
    detail = kpi_detail_for_staff(staff=request.user, kpi=kpi, filters=filters)
    markers = []
    for intervention in detail.interventions:
        index = marker_index(detail.periods, intervention.started_on)
        if index is not None:
            markers.append(charts.Marker(index=index, label=Truncator(intervention.title).chars(15)))
    chart = charts.line_chart(
        title=_("%(kpi)s, %(first)s to %(last)s")
        % {
            "kpi": kpi.name,
            "first": detail.periods[0].label if detail.periods else "",
            "last": detail.periods[-1].label if detail.periods else "",
        },
        labels=_labels(detail.periods, filters.granularity),
        values=[point.value for point in detail.series],
        target=kpi.target,
        target_label=presentation.target_text(kpi),
        markers=markers,
        unit_suffix="%" if kpi.unit == Kpi.Unit.PERCENT else "",
        max_value=100.0 if kpi.unit == Kpi.Unit.PERCENT else None,
    )
    effects = [
        {"intervention": intervention, "report": effect_estimate(kpi=kpi, intervention=intervention)}
        for intervention in detail.interventions
    ]
    return render(
        request,
        "backoffice/insights/kpi.html",
        {
            "kpi": kpi,
            "detail": detail,
            "form": form,
            "chart": chart,
            "rows": [
                {
                    "label": point.period.label,
                    "value": presentation.with_unit(point.value, kpi.unit),
                    "numerator": point.numerator,
                    "denominator": point.denominator,
                }
                for point in detail.series
            ],
            "value": presentation.with_unit(detail.value.value, kpi.unit),
            "status": presentation.status_text(kpi, detail.value),
            "target": presentation.target_text(kpi),
            "direction": presentation.direction_text(kpi),
            "effects": effects,
            "query": request.GET.urlencode(),
            "may_edit": can(request.user, Action.EDIT_KPIS, kpi.owner),
            "numerator_label": Measure(kpi.numerator).label,
            "denominator_label": Measure(kpi.denominator).label if kpi.denominator else "",
        },
    )


@staff_required
@permitted(Action.VIEW_DASHBOARDS)
@replica_reads
def insights_kpi_csv(request: IdxRequest, pk: int) -> HttpResponseBase:
    kpi = _kpi(request, pk)
    filters, _form = _filters(request, months_back=24)
    detail = kpi_detail_for_staff(staff=request.user, kpi=kpi, filters=filters)
    header = [_("Period"), kpi.names.get("ja", kpi.code), str(Measure(kpi.numerator).label)]
    if kpi.denominator:
        header.append(str(Measure(kpi.denominator).label))
    rows: list[list[object]] = []
    for point in detail.series:
        row: list[object] = [point.period.label, _number(point.value), point.numerator]
        if kpi.denominator:
            row.append(point.denominator if point.denominator is not None else "")
        rows.append(row)
    filename = f"kpi-{kpi.code}-{filters.start:%Y%m}-{filters.last_month:%Y%m}.csv"
    return csv_download(csv_lines([header, *rows]), filename)


# ---- KPI and intervention forms ----------------------------------------------------------------


def _editable_departments(request: IdxRequest) -> list[Department]:
    departments = Department.objects.filter(municipality=request.municipality).order_by("code")
    return [department for department in departments if can(request.user, Action.EDIT_KPIS, department)]


def _codes(text: str) -> list[str]:
    return [code for code in text.replace("、", ",").replace("\n", ",").split(",") if code.strip()]


class KpiForm(forms.Form):
    name_ja = forms.CharField(label=gettext_lazy("Name (Japanese)"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200, required=False)
    code = forms.SlugField(
        label=gettext_lazy("Short code"),
        max_length=60,
        help_text=gettext_lazy("Lowercase letters, digits and hyphens, e.g. online-share."),
    )
    numerator = forms.ChoiceField(label=gettext_lazy("What is counted (numerator)"), choices=Measure.choices)
    denominator = forms.ChoiceField(
        label=gettext_lazy("Divided by (denominator)"),
        choices=[("", gettext_lazy("Nothing: the count itself")), *Measure.choices],
        required=False,
    )
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), choices=Kpi.Unit.choices)
    procedures = forms.MultipleChoiceField(
        label=gettext_lazy("Procedures that count"),
        required=False,
        help_text=gettext_lazy("None chosen: every procedure."),
        widget=forms.CheckboxSelectMultiple,
    )
    target = forms.DecimalField(label=gettext_lazy("Target"), required=False, max_digits=12, decimal_places=2)
    target_fiscal_year = forms.IntegerField(
        label=gettext_lazy("Fiscal year of the target"),
        required=False,
        help_text=gettext_lazy("Four digits, e.g. 2027 for 令和9年度."),
    )
    direction = forms.ChoiceField(label=gettext_lazy("Better when"), choices=Kpi.Direction.choices)
    owner = forms.ChoiceField(label=gettext_lazy("Department in charge"))
    is_public = forms.BooleanField(label=gettext_lazy("Show on the public dashboards"), required=False)
    description_ja = forms.CharField(
        label=gettext_lazy("Description (Japanese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(
        self, *args: Any, departments: list[Department], procedures: list[tuple[str, str]], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = [(str(department.pk), department.name) for department in departments]
        procedure_field = self.fields["procedures"]
        assert isinstance(procedure_field, forms.MultipleChoiceField)
        procedure_field.choices = procedures


def _procedure_choices(request: IdxRequest) -> list[tuple[str, str]]:
    from idx.procedures.models import Procedure

    return [
        (code, names.get("ja", code))
        for code, names in Procedure.objects.filter(municipality=request.municipality)
        .order_by("department__code", "code")
        .values_list("code", "names")
    ]


def _kpi_data(form: KpiForm, departments: list[Department], kpi: Kpi | None) -> KpiData:
    data = form.cleaned_data
    owner = next((department for department in departments if str(department.pk) == data["owner"]), None)
    return KpiData(
        code=data["code"],
        names={"ja": data["name_ja"], "en": data["name_en"]}
        | {
            language: text
            for language, text in (kpi.names.items() if kpi else [])
            if language not in ("ja", "en")
        },
        descriptions={"ja": data["description_ja"]}
        | {
            language: text for language, text in (kpi.descriptions.items() if kpi else []) if language != "ja"
        },
        numerator=data["numerator"],
        denominator=data["denominator"] or "",
        unit=data["unit"],
        procedure_codes=list(data["procedures"]),
        target=data["target"],
        target_fiscal_year=data["target_fiscal_year"],
        direction=data["direction"],
        owner=owner,
        is_public=data["is_public"],
        position=kpi.position if kpi else 0,
    )


def _kpi_form_page(request: IdxRequest, kpi: Kpi | None) -> HttpResponseBase:
    departments = _editable_departments(request)
    if not departments or (kpi is not None and not can(request.user, Action.EDIT_KPIS, kpi.owner)):
        raise Http404
    initial: dict[str, Any] = {"owner": str(request.user.department_id or ""), "unit": Kpi.Unit.PERCENT}
    if kpi is not None:
        initial = {
            "name_ja": kpi.names.get("ja", ""),
            "name_en": kpi.names.get("en", ""),
            "code": kpi.code,
            "numerator": kpi.numerator,
            "denominator": kpi.denominator,
            "unit": kpi.unit,
            "procedures": kpi.procedure_codes,
            "target": kpi.target,
            "target_fiscal_year": kpi.target_fiscal_year,
            "direction": kpi.direction,
            "owner": str(kpi.owner_id),
            "is_public": kpi.is_public,
            "description_ja": kpi.descriptions.get("ja", ""),
        }
    form = KpiForm(
        request.POST or None, initial=initial, departments=departments, procedures=_procedure_choices(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            data = _kpi_data(form, departments, kpi)
            if kpi is None:
                saved = kpi_create(actor=request.user, data=data)
            else:
                saved = kpi_update(actor=request.user, kpi=kpi, data=data)
        except (InsightsRefused, InsightsForbidden) as exc:
            form_add_domain_error(form, exc, fallback_field="name_ja")
        else:
            messages.success(request, _("The KPI was saved."))
            return redirect("backoffice:insights_kpi", pk=saved.pk)
    return render(
        request,
        "backoffice/insights/kpi_form.html",
        {"form": form, "kpi": kpi, "error_summary": summary_from_form(form) if form.errors else []},
        status=422 if form.errors else 200,
    )


@staff_required
@permitted(Action.EDIT_KPIS)
def insights_kpi_new(request: IdxRequest) -> HttpResponseBase:
    return _kpi_form_page(request, None)


@staff_required
@permitted(Action.EDIT_KPIS)
def insights_kpi_edit(request: IdxRequest, pk: int) -> HttpResponseBase:
    return _kpi_form_page(request, _kpi(request, pk))


@staff_required
@permitted(Action.VIEW_DASHBOARDS)
@replica_reads
def insights_interventions(request: IdxRequest) -> HttpResponseBase:
    interventions = interventions_for_staff(staff=request.user).prefetch_related("kpis")
    return render(
        request,
        "backoffice/insights/interventions.html",
        {"interventions": interventions, "may_edit": can(request.user, Action.EDIT_KPIS)},
    )


class InterventionForm(forms.Form):
    title_ja = forms.CharField(
        label=gettext_lazy("What was changed (Japanese)"),
        max_length=200,
        help_text=gettext_lazy("e.g. 現況届のリマインダーをLINEでも送信"),
    )
    title_en = forms.CharField(
        label=gettext_lazy("What was changed (English)"), max_length=200, required=False
    )
    description_ja = forms.CharField(
        label=gettext_lazy("Details (Japanese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    started_on = forms.DateField(
        label=gettext_lazy("Start date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    department = forms.ChoiceField(label=gettext_lazy("Department in charge"))
    kpis = forms.MultipleChoiceField(
        label=gettext_lazy("KPIs it should move"), required=False, widget=forms.CheckboxSelectMultiple
    )
    procedures = forms.MultipleChoiceField(
        label=gettext_lazy("Procedures it touched"), required=False, widget=forms.CheckboxSelectMultiple
    )
    comparison_procedures = forms.MultipleChoiceField(
        label=gettext_lazy("Comparable procedures it did not touch"),
        required=False,
        help_text=gettext_lazy(
            "Similar procedures the change left alone: the estimate compares with them "
            "(difference-in-differences)."
        ),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        departments: list[Department],
        kpis: list[Kpi],
        procedures: list[tuple[str, str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        assert isinstance(department, forms.ChoiceField)
        department.choices = [(str(item.pk), item.name) for item in departments]
        kpi_field = self.fields["kpis"]
        assert isinstance(kpi_field, forms.MultipleChoiceField)
        kpi_field.choices = [(str(kpi.pk), kpi.names.get("ja", kpi.code)) for kpi in kpis]
        for name in ("procedures", "comparison_procedures"):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = procedures


def _intervention_form_page(request: IdxRequest, intervention: Intervention | None) -> HttpResponseBase:
    departments = _editable_departments(request)
    if not departments or (
        intervention is not None and not can(request.user, Action.EDIT_KPIS, intervention.department)
    ):
        raise Http404
    kpis = list(kpis_for_staff(staff=request.user))
    initial: dict[str, Any] = {"department": str(request.user.department_id or "")}
    if intervention is not None:
        initial = {
            "title_ja": intervention.titles.get("ja", ""),
            "title_en": intervention.titles.get("en", ""),
            "description_ja": intervention.descriptions.get("ja", ""),
            "started_on": intervention.started_on,
            "department": str(intervention.department_id),
            "kpis": [str(pk) for pk in intervention.kpis.values_list("pk", flat=True)],
            "procedures": intervention.procedure_codes,
            "comparison_procedures": intervention.comparison_procedure_codes,
        }
    form = InterventionForm(
        request.POST or None,
        initial=initial,
        departments=departments,
        kpis=kpis,
        procedures=_procedure_choices(request),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = set(data["kpis"])
        payload = InterventionData(
            titles={"ja": data["title_ja"], "en": data["title_en"]}
            | {
                language: text
                for language, text in (intervention.titles.items() if intervention else [])
                if language not in ("ja", "en")
            },
            descriptions={"ja": data["description_ja"]},
            started_on=data["started_on"],
            department=next((item for item in departments if str(item.pk) == data["department"]), None),
            kpis=[kpi for kpi in kpis if str(kpi.pk) in chosen],
            procedure_codes=list(data["procedures"]),
            comparison_procedure_codes=list(data["comparison_procedures"]),
        )
        try:
            if intervention is None:
                intervention_log(actor=request.user, data=payload)
            else:
                intervention_update(actor=request.user, intervention=intervention, data=payload)
        except (InsightsRefused, InsightsForbidden) as exc:
            form_add_domain_error(form, exc, fallback_field="title_ja")
        else:
            messages.success(request, _("The intervention was saved."))
            return redirect("backoffice:insights_interventions")
    return render(
        request,
        "backoffice/insights/intervention_form.html",
        {
            "form": form,
            "intervention": intervention,
            "error_summary": summary_from_form(form) if form.errors else [],
        },
        status=422 if form.errors else 200,
    )


@staff_required
@permitted(Action.EDIT_KPIS)
def insights_intervention_new(request: IdxRequest) -> HttpResponseBase:
    return _intervention_form_page(request, None)


@staff_required
@permitted(Action.EDIT_KPIS)
def insights_intervention_edit(request: IdxRequest, pk: int) -> HttpResponseBase:
    intervention = intervention_get_for_staff(staff=request.user, pk=pk)
    if intervention is None:
        raise Http404
    return _intervention_form_page(request, intervention)


urlpatterns: list[URLPattern] = [
    path("insights/", insights_home, name="insights_home"),
    path("insights/csv/<slug:table>/", insights_csv, name="insights_csv"),
    path("insights/kpis/new/", insights_kpi_new, name="insights_kpi_new"),
    path("insights/kpis/<int:pk>/", insights_kpi, name="insights_kpi"),
    path("insights/kpis/<int:pk>/csv/", insights_kpi_csv, name="insights_kpi_csv"),
    path("insights/kpis/<int:pk>/edit/", insights_kpi_edit, name="insights_kpi_edit"),
    path("insights/interventions/", insights_interventions, name="insights_interventions"),
    path("insights/interventions/new/", insights_intervention_new, name="insights_intervention_new"),
    path(
        "insights/interventions/<int:pk>/edit/", insights_intervention_edit, name="insights_intervention_edit"
    ),
]
