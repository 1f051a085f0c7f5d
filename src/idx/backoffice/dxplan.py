"""The DX action plan for staff and the 推進本部 (/staff/dx-plan/).

Every staff member who may see the dashboards reads the whole plan of the municipality; those
with ``EDIT_DX_PLAN`` over an initiative's owner department (the city administrator: all) edit
it, write quarterly notes and publish them after a second look (publishing is irreversible).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.dxplan import selectors, services
from idx.dxplan.models import Initiative, ProgressNote, Status, fiscal_year_label
from idx.identity.policy import Action
from idx.insights.models import Kpi
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, permitted, staff_required
from idx.web.summary import summary_from_form


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 4 else None


@staff_required
@permitted(Action.VIEW_DASHBOARDS)
def plan_home(request: IdxRequest) -> HttpResponseBase:
    """The 推進本部's view: every initiative by basic policy, with what needs attention."""
    filters = selectors.Filters(
        policy=_int(request.GET.get("policy")),
        department=request.GET.get("department", "")[:40],
        status=request.GET.get("status", "") if request.GET.get("status") in Status.values else "",
    )
    groups = selectors.plan_overview(municipality=request.municipality, filters=filters, staff=request.user)
    initiatives = [item for group in groups for item in group.initiatives]
    counts = dict.fromkeys(Status.values, 0)
    for item in initiatives:
        counts[item.initiative.status] += 1
    year, quarter = selectors.current_quarter()
    return render(
        request,
        "backoffice/dxplan/home.html",
        {
            "groups": groups,
            "filters": filters,
            "policies": selectors.policy_list(municipality=request.municipality),
            "departments": selectors.departments_in_plan(municipality=request.municipality),
            "statuses": Status.choices,
            "status_counts": [(label, counts[value]) for value, label in Status.choices],
            "shown": len(initiatives),
            "current_quarter": ProgressNote(fiscal_year=year, quarter=quarter).period_label,
            "dataset_published": selectors.plan_dataset_published(municipality=request.municipality),
            "dataset_name": selectors.plan_dataset_name(),
        },
    )


@staff_required
@permitted(Action.VIEW_DASHBOARDS)
def initiative_detail(request: IdxRequest, code: str) -> HttpResponseBase:
    """One initiative's whole history: notes by quarter (drafts too), milestones, yearly targets."""
    item = selectors.initiative_detail(
        municipality=request.municipality, code=code, published_only=False, staff=request.user
    )
    if item is None:
        raise Http404
    return render(
        request,
        "backoffice/dxplan/initiative.html",
        {"item": item, "initiative": item.initiative, "today": selectors.today()},
    )


def _editable(request: IdxRequest, code: str) -> Initiative:
    initiative = selectors.initiative_for_edit(staff=request.user, code=code)
    if initiative is None:
        raise Http404
    return initiative


class InitiativeForm(forms.Form):
    title_ja = forms.CharField(label=gettext_lazy("Title (Japanese)"), max_length=200)
    title_ja_easy = forms.CharField(
        label=gettext_lazy("Title (Easy Japanese)"), max_length=200, required=False
    )
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200, required=False)
    description_ja = forms.CharField(
        label=gettext_lazy("Description (Japanese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    description_en = forms.CharField(
        label=gettext_lazy("Description (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Status.choices)
    kpis = forms.MultipleChoiceField(
        label=gettext_lazy("Linked KPIs"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, kpis: list[Kpi], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kpis"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(kpi.code, kpi.names.get("ja", kpi.code)) for kpi in kpis]


@staff_required
def initiative_edit(request: IdxRequest, code: str) -> HttpResponseBase:
    initiative = _editable(request, code)
    kpis = list(Kpi.objects.filter(municipality=request.municipality).order_by("position", "id"))
    form = InitiativeForm(
        request.POST or None,
        kpis=kpis,
        initial={
            "title_ja": initiative.titles.get("ja", ""),
            "title_ja_easy": initiative.titles.get("ja-easy", ""),
            "title_en": initiative.titles.get("en", ""),
            "description_ja": initiative.descriptions.get("ja", ""),
            "description_en": initiative.descriptions.get("en", ""),
            "status": initiative.status,
            "kpis": [kpi.code for kpi in initiative.kpis.all()],
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.initiative_update(
                initiative=initiative,
                actor=request.user,
                titles={"ja": data["title_ja"], "ja-easy": data["title_ja_easy"], "en": data["title_en"]},
                descriptions={"ja": data["description_ja"], "en": data["description_en"]},
                status=data["status"],
                kpi_codes=data["kpis"],
            )
        except services.DxPlanRefused as exc:
            exc.field = {"titles": "title_ja", "descriptions": "description_ja"}.get(
                exc.field or "", exc.field
            )
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The initiative was saved."))
            return redirect("backoffice:dxplan_initiative", code=initiative.code)
    return render(
        request,
        "backoffice/dxplan/edit.html",
        {
            "initiative": initiative,
            "form": form,
            "error_summary": summary_from_form(form) if form.errors else [],
        },
        status=422 if form.errors else 200,
    )


def _quarters() -> list[tuple[str, str]]:
    year, quarter = selectors.current_quarter()
    choices = []
    for _step in range(8):
        choices.append((f"{year}-{quarter}", ProgressNote(fiscal_year=year, quarter=quarter).period_label))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return choices


class NoteForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Quarter"))
    status = forms.ChoiceField(label=gettext_lazy("Status at the end of the quarter"), choices=Status.choices)
    text_ja = forms.CharField(
        label=gettext_lazy("Progress (Japanese)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "What was done, figures against the target, and for a delay its reason and what happens next."
        ),
    )
    text_en = forms.CharField(
        label=gettext_lazy("Progress (English)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["period"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _quarters()

    def chosen_period(self) -> tuple[int, int]:
        year, quarter = self.cleaned_data["period"].split("-")
        return int(year), int(quarter)


@staff_required
def note_new(request: IdxRequest, code: str) -> HttpResponseBase:
    initiative = _editable(request, code)
    corrects = None
    corrects_id = _int(request.GET.get("corrects") or request.POST.get("corrects"))
    if corrects_id:
        corrects = ProgressNote.objects.filter(
            initiative=initiative, pk=corrects_id, published_at__isnull=False
        ).first()
    year, quarter = selectors.current_quarter()
    initial: dict[str, Any] = {"period": f"{year}-{quarter}", "status": initiative.status}
    if corrects is not None:
        initial = {
            "period": f"{corrects.fiscal_year}-{corrects.quarter}",
            "status": corrects.status,
            "text_ja": corrects.texts.get("ja", ""),
        }
    form = NoteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fiscal_year, quarter_number = form.chosen_period()
        try:
            note = services.note_create(
                initiative=initiative,
                fiscal_year=fiscal_year,
                quarter=quarter_number,
                status=form.cleaned_data["status"],
                texts={"ja": form.cleaned_data["text_ja"], "en": form.cleaned_data["text_en"]},
                actor=request.user,
                corrects=corrects,
            )
        except services.DxPlanRefused as exc:
            exc.field = {"texts": "text_ja", "quarter": "period", "fiscal_year": "period"}.get(
                exc.field or "", exc.field
            )
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved as a draft. Nothing is public until you publish it."))
            return redirect("backoffice:dxplan_note", code=initiative.code, note_id=note.pk)
    return render(
        request,
        "backoffice/dxplan/note_form.html",
        {
            "initiative": initiative,
            "form": form,
            "corrects": corrects,
            "note": None,
            "error_summary": summary_from_form(form) if form.errors else [],
        },
        status=422 if form.errors else 200,
    )


@staff_required
def note_detail(request: IdxRequest, code: str, note_id: int) -> HttpResponseBase:
    """A draft note to change (then publish), or a published note to read (and correct)."""
    note = selectors.note_for_edit(staff=request.user, code=code, note_id=note_id)
    if note is None:
        raise Http404
    initiative = note.initiative
    form = None
    if not note.is_published:
        form = NoteForm(
            request.POST or None,
            initial={
                "period": f"{note.fiscal_year}-{note.quarter}",
                "status": note.status,
                "text_ja": note.texts.get("ja", ""),
                "text_en": note.texts.get("en", ""),
            },
        )
        if request.method == "POST" and form.is_valid():
            fiscal_year, quarter_number = form.chosen_period()
            try:
                services.note_update(
                    note=note,
                    fiscal_year=fiscal_year,
                    quarter=quarter_number,
                    status=form.cleaned_data["status"],
                    texts={"ja": form.cleaned_data["text_ja"], "en": form.cleaned_data["text_en"]},
                    actor=request.user,
                )
            except services.DxPlanRefused as exc:
                exc.field = {"texts": "text_ja", "quarter": "period"}.get(exc.field or "", exc.field)
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _("The draft was saved."))
                return redirect("backoffice:dxplan_note", code=initiative.code, note_id=note.pk)
    return render(
        request,
        "backoffice/dxplan/note_form.html",
        {
            "initiative": initiative,
            "note": note,
            "form": form,
            "corrects": note.corrects,
            "error_summary": summary_from_form(form) if form is not None and form.errors else [],
        },
        status=422 if form is not None and form.errors else 200,
    )


@staff_required
def note_publish(request: IdxRequest, code: str, note_id: int) -> HttpResponseBase:
    """The second look before a note is public for good."""
    note = selectors.note_for_edit(staff=request.user, code=code, note_id=note_id)
    if note is None:
        raise Http404
    if note.is_published:
        return redirect("backoffice:dxplan_note", code=code, note_id=note.pk)
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            services.note_publish(note=note, actor=request.user)
        except services.DxPlanRefused as exc:
            messages.error(request, exc.text())
        else:
            messages.success(
                request, _("Published. Residents see it on the DX plan's page and in the open data.")
            )
            return redirect("backoffice:dxplan_initiative", code=code)
    return render(
        request, "backoffice/dxplan/note_publish.html", {"initiative": note.initiative, "note": note}
    )


class MilestoneForm(forms.Form):
    title_ja = forms.CharField(label=gettext_lazy("Milestone (Japanese)"), max_length=200)
    title_en = forms.CharField(label=gettext_lazy("Milestone (English)"), max_length=200, required=False)
    due_on = forms.DateField(label=gettext_lazy("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
    done_on = forms.DateField(
        label=gettext_lazy("Done on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave it empty until the milestone is reached."),
    )


@staff_required
def milestone_edit(request: IdxRequest, code: str, milestone_id: int | None = None) -> HttpResponseBase:
    """Add a milestone, or move one's due date and record when it was done."""
    initiative = _editable(request, code)
    milestone = None
    if milestone_id is not None:
        milestone = selectors.milestone_for_edit(staff=request.user, code=code, milestone_id=milestone_id)
        if milestone is None:
            raise Http404
    form = MilestoneForm(
        request.POST or None,
        initial={
            "title_ja": milestone.titles.get("ja", ""),
            "title_en": milestone.titles.get("en", ""),
            "due_on": milestone.due_on,
            "done_on": milestone.done_on,
        }
        if milestone is not None
        else {},
    )
    if milestone is not None:
        for name in ("title_ja", "title_en"):
            form.fields[name].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        due_on: dt.date = data["due_on"]
        try:
            if milestone is None:
                milestone = services.milestone_add(
                    initiative=initiative,
                    titles={"ja": data["title_ja"], "en": data["title_en"]},
                    due_on=due_on,
                    actor=request.user,
                )
                if data["done_on"]:
                    services.milestone_update(
                        milestone=milestone, due_on=due_on, done_on=data["done_on"], actor=request.user
                    )
            else:
                services.milestone_update(
                    milestone=milestone, due_on=due_on, done_on=data["done_on"], actor=request.user
                )
        except services.DxPlanRefused as exc:
            exc.field = {"titles": "title_ja"}.get(exc.field or "", exc.field)
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The milestone was saved."))
            return redirect("backoffice:dxplan_initiative", code=initiative.code)
    return render(
        request,
        "backoffice/dxplan/milestone.html",
        {
            "initiative": initiative,
            "milestone": milestone,
            "form": form,
            "error_summary": summary_from_form(form) if form.errors else [],
        },
        status=422 if form.errors else 200,
    )


class TargetForm(forms.Form):
    text_ja = forms.CharField(label=gettext_lazy("Target (Japanese)"), max_length=500, required=False)
    text_en = forms.CharField(label=gettext_lazy("Target (English)"), max_length=500, required=False)
    value = forms.DecimalField(
        label=gettext_lazy("Figure"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=gettext_lazy("Only when the target is a number, e.g. 40."),
    )
    unit = forms.CharField(
        label=gettext_lazy("Unit"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("e.g. %, 件, 人, 分"),
    )


@staff_required
def targets_edit(request: IdxRequest, code: str) -> HttpResponseBase:
    """The initiative's targets, one fieldset per fiscal year (the plan's three years and any others kept)."""
    initiative = _editable(request, code)
    existing = {target.fiscal_year: target for target in initiative.targets.all()}
    year, _quarter = selectors.current_quarter()
    years = sorted(set(existing) | {year - 1, year, year + 1})
    forms_by_year = {
        fiscal_year: TargetForm(
            request.POST or None,
            prefix=f"fy{fiscal_year}",
            initial={
                "text_ja": existing[fiscal_year].texts.get("ja", ""),
                "text_en": existing[fiscal_year].texts.get("en", ""),
                "value": existing[fiscal_year].value,
                "unit": existing[fiscal_year].unit,
            }
            if fiscal_year in existing
            else {},
        )
        for fiscal_year in years
    }
    if request.method == "POST" and all(form.is_valid() for form in forms_by_year.values()):
        failed = False
        for fiscal_year, form in forms_by_year.items():
            data = form.cleaned_data
            if not data["text_ja"] and fiscal_year not in existing and not data["text_en"]:
                continue  # a year left empty stays without a target
            try:
                services.target_put(
                    initiative=initiative,
                    fiscal_year=fiscal_year,
                    texts={"ja": data["text_ja"], "en": data["text_en"]},
                    value=data["value"],
                    unit=data["unit"],
                    actor=request.user,
                )
            except services.DxPlanRefused as exc:
                exc.field = {"texts": "text_ja"}.get(exc.field or "", exc.field)
                form_add_domain_error(form, exc)
                failed = True
        if not failed:
            messages.success(request, _("The targets were saved."))
            return redirect("backoffice:dxplan_initiative", code=initiative.code)
    errors = [item for form in forms_by_year.values() if form.errors for item in summary_from_form(form)]
    return render(
        request,
        "backoffice/dxplan/targets.html",
        {
            "initiative": initiative,
            "year_forms": [
                (fiscal_year_label(fiscal_year), form) for fiscal_year, form in forms_by_year.items()
            ],
            "error_summary": errors,
        },
        status=422 if errors else 200,
    )


urlpatterns: list[URLPattern] = [
    path("dx-plan/", plan_home, name="dxplan_home"),
    path("dx-plan/<slug:code>/", initiative_detail, name="dxplan_initiative"),
    path("dx-plan/<slug:code>/edit/", initiative_edit, name="dxplan_initiative_edit"),
    path("dx-plan/<slug:code>/notes/new/", note_new, name="dxplan_note_new"),
    path("dx-plan/<slug:code>/notes/<int:note_id>/", note_detail, name="dxplan_note"),
    path("dx-plan/<slug:code>/notes/<int:note_id>/publish/", note_publish, name="dxplan_note_publish"),
    path("dx-plan/<slug:code>/targets/", targets_edit, name="dxplan_targets"),
    path("dx-plan/<slug:code>/milestones/new/", milestone_edit, name="dxplan_milestone_new"),
    path("dx-plan/<slug:code>/milestones/<int:milestone_id>/", milestone_edit, name="dxplan_milestone"),
]
