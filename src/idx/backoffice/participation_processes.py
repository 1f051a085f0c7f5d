"""Staff pages that create and edit participation themes (テーマ) and their phases, in every language,
and publish a theme after a second look at what residents will read (and which languages lack it).

Japanese, やさしい日本語 and English are shown open; the five other languages of the portal sit in a
disclosure below them (optional: a missing one falls back to Japanese and is listed as missing).
The やさしい日本語 texts are checked with the same checker as the procedure builder.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.common.errors import DomainError
from idx.identity.models import Department
from idx.identity.policy import Action, can
from idx.participation import process_editing, selectors
from idx.participation.models import Phase, PhaseKind, Process, ProcessStatus
from idx.procedures.builder import easy_japanese_advice
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, permitted, staff_required
from idx.web.summary import summary_from_form

# Shown open; the other languages of the portal are in a disclosure.
MAIN_LANGUAGES = ("ja", "ja-easy", "en")


def _language_label(text: str, code: str) -> str:
    name = dict(settings.LANGUAGES)[code]
    return _("%(text)s (%(language)s)") % {"text": text, "language": name}


def _add_language_fields(form: forms.Form, name: str, label: str, *, rows: int) -> None:
    for code, _language in settings.LANGUAGES:
        widget: forms.Widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
        widget.attrs["lang"] = "ja" if code == "ja-easy" else code
        form.fields[f"{name}-{code}"] = forms.CharField(
            label=_language_label(label, code), required=False, widget=widget, strip=False
        )


def _texts_of(data: dict[str, Any], name: str) -> dict[str, str]:
    return {code: data.get(f"{name}-{code}") or "" for code, _language in settings.LANGUAGES}


def _initial_texts(name: str, texts: dict[str, str]) -> dict[str, str]:
    return {f"{name}-{code}": texts.get(code, "") for code, _language in settings.LANGUAGES}


def _groups(form: forms.Form, names: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Per text: its legend, the bound fields shown open and those in the disclosure."""
    groups = []
    for name, legend in names:
        main = [form[f"{name}-{code}"] for code in MAIN_LANGUAGES]
        more = [
            form[f"{name}-{code}"] for code, _language in settings.LANGUAGES if code not in MAIN_LANGUAGES
        ]
        groups.append(
            {
                "legend": legend,
                "main": main,
                "more": more,
                "more_open": any(field.errors or field.value() for field in more),
            }
        )
    return groups


class ProcessForm(forms.Form):
    department = forms.ChoiceField(label=gettext_lazy("Department in charge"))
    slug = forms.CharField(
        label=gettext_lazy("Address on the portal"),
        help_text=gettext_lazy(
            "Lowercase letters a–z, digits and hyphens, e.g. ueno-akiya. Fixed once published."
        ),
        required=False,
    )
    supports_need_card = forms.BooleanField(
        label=gettext_lazy("Supporting needs a My Number Card sign-in"), required=False
    )
    supports_per_resident = forms.IntegerField(
        label=gettext_lazy("Supports per resident"),
        help_text=gettext_lazy("How many proposals one resident may support; 0 for no limit."),
        min_value=0,
        max_value=process_editing.SUPPORTS_PER_RESIDENT_MAX,
        initial=10,
    )

    def __init__(
        self, *args: Any, departments: list[Department] | None, published: bool = False, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        if departments is None:
            del self.fields["department"]
        else:
            field = self.fields["department"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(department.code, department.name) for department in departments]
        if published:
            self.fields["slug"].disabled = True
        _add_language_fields(self, "title", str(_("Title")), rows=0)
        _add_language_fields(self, "description", str(_("Description")), rows=4)
        # The Japanese title and the address are what every language falls back to and links use.
        self.fields["title-ja"].required = True
        self.fields["slug"].required = not published

    def settings_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("department", "slug", "supports_per_resident") if name in self.fields]

    def text_groups(self) -> list[dict[str, Any]]:
        return _groups(self, [("title", _("Title")), ("description", _("Description"))])


class PhaseForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of phase"), choices=PhaseKind.choices)
    starts_on = forms.DateField(
        label=gettext_lazy("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=gettext_lazy("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    budget_total = forms.IntegerField(
        label=gettext_lazy("Budget residents distribute (yen)"),
        help_text=gettext_lazy("Only for a participatory budgeting vote."),
        required=False,
        min_value=1,
        max_value=process_editing.BUDGET_MAX,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_language_fields(self, "rules", str(_("Rules")), rows=3)

    def settings_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("kind", "starts_on", "ends_on", "budget_total")]

    def text_groups(self) -> list[dict[str, Any]]:
        return _groups(self, [("rules", _("Rules"))])


def _departments(request: IdxRequest) -> list[Department]:
    return [
        department
        for department in Department.objects.filter(municipality=request.municipality).order_by("code")
        if can(request.user, Action.MANAGE_PARTICIPATION, department)
    ]


def _process(request: IdxRequest, pk: int) -> Process:
    process = selectors.process_get_for_staff(staff=request.user, pk=pk)
    if process is None or not can(request.user, Action.MANAGE_PARTICIPATION, process.department):
        raise Http404
    return process


def _phase(process: Process, phase_pk: int) -> Phase:
    phase = next((phase for phase in process.phases.all() if phase.pk == phase_pk), None)
    if phase is None:
        raise Http404
    return phase


def _form_error(form: forms.Form, exc: DomainError) -> None:
    form_add_domain_error(form, exc, fallback_field=next(iter(form.fields)))


def _page(
    request: IdxRequest, template: str, context: dict[str, Any], *forms_shown: forms.Form
) -> HttpResponseBase:
    summary = [
        item for form in forms_shown if form.is_bound and form.errors for item in summary_from_form(form)
    ]
    return render(request, template, {**context, "error_summary": summary}, status=422 if summary else 200)


@staff_required
@permitted(Action.MANAGE_PARTICIPATION)
def process_list(request: IdxRequest) -> HttpResponseBase:
    processes = [
        process
        for process in selectors.process_list_for_staff(staff=request.user)
        .prefetch_related("phases")
        .order_by("-created_at")[:200]
        if can(request.user, Action.MANAGE_PARTICIPATION, process.department)
    ]
    for process in processes:
        process.phase_list = list(process.phases.all())  # type: ignore[attr-defined]
        process.last_day = max((phase.ends_on for phase in process.phase_list), default=None)  # type: ignore[attr-defined]
    return render(
        request,
        "backoffice/participation_processes/list.html",
        {"processes": processes, "may_create": bool(_departments(request))},
    )


@staff_required
@permitted(Action.MANAGE_PARTICIPATION)
def process_new(request: IdxRequest) -> HttpResponseBase:
    departments = _departments(request)
    if not departments:
        raise Http404
    own = request.user.department
    form = ProcessForm(
        request.POST or None,
        departments=departments,
        initial={"department": own.code if own and own in departments else departments[0].code},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        department = next(department for department in departments if department.code == data["department"])
        try:
            process = process_editing.process_draft_create(
                staff=request.user,
                department=department,
                slug=data["slug"] or "",
                titles=_texts_of(data, "title"),
                descriptions=_texts_of(data, "description"),
                supports_need_card=data["supports_need_card"],
                supports_per_resident=data["supports_per_resident"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The theme was created as a draft. Add its phases."))
            return redirect("backoffice:participation_process_edit", pk=process.pk)
    return _page(request, "backoffice/participation_processes/new.html", {"form": form}, form)


def _advice(process: Process, phases: list[Phase]) -> list[dict[str, Any]]:
    texts = [
        (_("Title"), process.titles.get("ja-easy", "")),
        (_("Description"), process.descriptions.get("ja-easy", "")),
    ]
    texts += [
        (
            _("Rules of the “%(kind)s” phase") % {"kind": phase.get_kind_display()},
            phase.rules.get("ja-easy", ""),
        )
        for phase in phases
    ]
    found = [{"text": name, "advice": easy_japanese_advice(text)} for name, text in texts if text]
    return [item for item in found if item["advice"]]


def _overview(process: Process) -> dict[str, Any]:
    phases = list(Phase.objects.filter(process=process).order_by("starts_on", "id"))
    return {
        "process": process,
        "phases": phases,
        "missing": process_editing.missing_translations(process, phases),
        "advice": _advice(process, phases),
        "problems": process_editing.publish_problems(process, phases),
        "published": process.status == ProcessStatus.PUBLISHED,
    }


@staff_required
@permitted(Action.MANAGE_PARTICIPATION)
def process_edit(request: IdxRequest, pk: int) -> HttpResponseBase:
    process = _process(request, pk)
    published = process.status == ProcessStatus.PUBLISHED
    which = request.POST.get("form", "") if request.method == "POST" else ""
    process_form = ProcessForm(
        request.POST if which == "process" else None,
        departments=None,
        published=published,
        initial={
            "slug": process.slug,
            "supports_need_card": process.supports_need_card,
            "supports_per_resident": process.supports_per_resident,
            **_initial_texts("title", process.titles),
            **_initial_texts("description", process.descriptions),
        },
    )
    phase_form = PhaseForm(request.POST if which == "phase" else None, prefix="new")
    if which == "process" and process_form.is_valid():
        data = process_form.cleaned_data
        try:
            process_editing.process_update(
                staff=request.user,
                process=process,
                titles=_texts_of(data, "title"),
                descriptions=_texts_of(data, "description"),
                slug=None if published else (data["slug"] or ""),
                supports_need_card=data["supports_need_card"],
                supports_per_resident=data["supports_per_resident"],
            )
        except DomainError as exc:
            _form_error(process_form, exc)
        else:
            messages.success(request, _("The theme's texts and settings are saved."))
            return redirect("backoffice:participation_process_edit", pk=process.pk)
    if which == "phase" and phase_form.is_valid():
        try:
            process_editing.phase_add(staff=request.user, process=process, **_phase_values(phase_form))
        except DomainError as exc:
            _form_error(phase_form, exc)
        else:
            messages.success(request, _("The phase was added."))
            return redirect("backoffice:participation_process_edit", pk=process.pk)
    return _page(
        request,
        "backoffice/participation_processes/edit.html",
        {
            **_overview(process),
            "process_form": process_form,
            "phase_form": phase_form,
            "today": timezone.localdate(),
        },
        process_form,
        phase_form,
    )


def _phase_values(form: forms.Form) -> dict[str, Any]:
    """The phase form's answers as the phase services take them."""
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "starts_on": data["starts_on"],
        "ends_on": data["ends_on"],
        "rules": _texts_of(data, "rules"),
        "budget_total": data["budget_total"],
    }


@staff_required
@permitted(Action.MANAGE_PARTICIPATION)
def phase_edit(request: IdxRequest, pk: int, phase_pk: int) -> HttpResponseBase:
    process = _process(request, pk)
    phase = _phase(process, phase_pk)
    form = PhaseForm(
        request.POST or None,
        initial={
            "kind": phase.kind,
            "starts_on": phase.starts_on,
            "ends_on": phase.ends_on,
            "budget_total": phase.budget_total,
            **_initial_texts("rules", phase.rules),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            process_editing.phase_update(staff=request.user, phase=phase, **_phase_values(form))
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The phase is saved."))
            return redirect("backoffice:participation_process_edit", pk=process.pk)
    today = timezone.localdate()
    return _page(
        request,
        "backoffice/participation_processes/phase.html",
        {
            "process": process,
            "phase": phase,
            "form": form,
            "removable": process.status == ProcessStatus.DRAFT or phase.starts_on > today,
            "locked": process.status == ProcessStatus.PUBLISHED and phase.ends_on < today,
        },
        form,
    )


@staff_required
@permitted(Action.MANAGE_PARTICIPATION)
def phase_remove(request: IdxRequest, pk: int, phase_pk: int) -> HttpResponseBase:
    process = _process(request, pk)
    phase = _phase(process, phase_pk)
    if request.method == "POST":
        try:
            process_editing.phase_remove(staff=request.user, phase=phase)
        except DomainError as exc:
            messages.error(request, exc.text())
            return redirect("backoffice:participation_phase_edit", pk=process.pk, phase_pk=phase.pk)
        messages.success(request, _("The phase was removed."))
        return redirect("backoffice:participation_process_edit", pk=process.pk)
    return render(
        request, "backoffice/participation_processes/phase_remove.html", {"process": process, "phase": phase}
    )


@staff_required
@permitted(Action.MANAGE_PARTICIPATION)
def process_publish(request: IdxRequest, pk: int) -> HttpResponseBase:
    """The second look: the theme as residents will read it, what is missing, then publish."""
    process = _process(request, pk)
    if process.status == ProcessStatus.PUBLISHED:
        return redirect("backoffice:participation_process_edit", pk=process.pk)
    if request.method == "POST":
        try:
            process_editing.process_publish(staff=request.user, process=process)
        except DomainError as exc:
            messages.error(request, exc.text())
            return redirect("backoffice:participation_process_publish", pk=process.pk)
        messages.success(request, _("The theme is published: residents see it on the portal."))
        return redirect("backoffice:participation_process_edit", pk=process.pk)
    overview = _overview(process)
    languages = [
        {
            "code": code,
            "name": name,
            "lang": "ja" if code == "ja-easy" else code,
            "title": process.titles.get(code, ""),
            "description": process.descriptions.get(code, ""),
        }
        for code, name in settings.LANGUAGES
        if code in MAIN_LANGUAGES
    ]
    return render(
        request, "backoffice/participation_processes/publish.html", {**overview, "languages": languages}
    )


urlpatterns = [
    path("participation/themes/", process_list, name="participation_processes"),
    path("participation/themes/new/", process_new, name="participation_process_new"),
    path("participation/themes/<int:pk>/edit/", process_edit, name="participation_process_edit"),
    path("participation/themes/<int:pk>/publish/", process_publish, name="participation_process_publish"),
    path("participation/themes/<int:pk>/phases/<int:phase_pk>/", phase_edit, name="participation_phase_edit"),
    path(
        "participation/themes/<int:pk>/phases/<int:phase_pk>/remove/",
        phase_remove,
        name="participation_phase_remove",
    ),
]
