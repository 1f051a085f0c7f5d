"""Staff pages of bulk import: the sources and their column mappings, an upload checked as a dry
run, the second look before the import, and the result."""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from idx.common.errors import DomainError
from idx.common.i18n import pick
from idx.identity.models import User
from idx.imports import selectors, services
from idx.imports.models import ImportRun, ImportSource
from idx.imports.presentation import problem_lines, refusal_text
from idx.imports.reading import MAX_COLUMNS, FileRefused, file_headers
from idx.imports.rows import item_choices
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import summary_from_form

PROBLEMS_SHOWN = 500
FILE_ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SampleForm(forms.Form):
    """A new source: its procedure, its name and a sample file whose headers are read."""

    procedure = forms.ChoiceField(label=gettext_lazy("Procedure"))
    name = forms.CharField(
        max_length=80,
        label=gettext_lazy("Name of the source"),
        help_text=gettext_lazy("The system or office the files come from, for example 母子保健システム."),
    )
    file = forms.FileField(
        label=gettext_lazy("Sample file (CSV or Excel .xlsx)"),
        help_text=gettext_lazy("Only its first row, the column headers, is read."),
        widget=forms.ClearableFileInput(attrs={"accept": FILE_ACCEPT}),
    )

    def __init__(self, *args: Any, procedures: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["procedure"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = procedures


class MappingForm(forms.Form):
    """Each header of the file beside a choice of the form's items."""

    name = forms.CharField(max_length=80, label=gettext_lazy("Name of the source"))
    applicant_name_column = forms.ChoiceField(label=gettext_lazy("Column with the applicant's name"))
    birthdate_column = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Column with the applicant's date of birth"),
        help_text=gettext_lazy(
            "With a date of birth, a resident already known with the same name and date of birth becomes the applicant."
        ),
    )

    def __init__(self, *args: Any, headers: list[str], items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        columns = [(header, header) for header in headers]
        name_field = self.fields["applicant_name_column"]
        birth_field = self.fields["birthdate_column"]
        assert isinstance(name_field, forms.ChoiceField) and isinstance(birth_field, forms.ChoiceField)
        name_field.choices = columns
        birth_field.choices = [("", gettext_lazy("No such column")), *columns]
        choices = [("", gettext_lazy("Not imported")), *items]
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(required=False, label=header, choices=choices)

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{index}"] for index in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data[f"column_{index}"]
            for index, header in enumerate(self.headers)
            if self.cleaned_data.get(f"column_{index}")
        }


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File to import (CSV or Excel .xlsx)"),
        help_text=gettext_lazy("CSV in UTF-8 or Shift_JIS; the first row holds the column headers."),
        widget=forms.ClearableFileInput(attrs={"accept": FILE_ACCEPT}),
    )


def _staff(request: IdxRequest) -> User:
    staff: User = request.user
    if not selectors.may_import(staff):
        raise Http404
    return staff


def _source(staff: User, pk: int) -> ImportSource:
    source = selectors.source_get(staff=staff, pk=pk)
    if source is None:
        raise Http404
    return source


def _posted_headers(request: IdxRequest) -> list[str]:
    headers = [header.strip()[:100] for header in request.POST.getlist("header")][:MAX_COLUMNS]
    return [header for header in dict.fromkeys(headers) if header]


def _items(source_procedure: Any) -> list[tuple[str, str]]:
    return (
        item_choices(source_procedure.published_version.parsed) if source_procedure.published_version else []
    )


@staff_required
def import_sources(request: IdxRequest) -> HttpResponseBase:
    """The sources of the procedures the staff member may work, with their latest run."""
    staff = _staff(request)
    sources = list(selectors.source_list(staff=staff))
    return render(request, "backoffice/imports/sources.html", {"sources": sources})


def _mapping_page(
    request: IdxRequest, *, procedure: Any, form: MappingForm, source: ImportSource | None
) -> HttpResponseBase:
    return render(
        request,
        "backoffice/imports/mapping.html",
        {
            "form": form,
            "procedure_name": pick(procedure.names),
            "procedure_pk": procedure.pk,
            "source": source,
            "error_summary": summary_from_form(form) if form.errors else [],
        },
    )


def _save_mapping(
    request: IdxRequest, *, staff: User, procedure: Any, source: ImportSource | None
) -> HttpResponseBase:
    headers = _posted_headers(request)
    form = MappingForm(request.POST, headers=headers, items=_items(procedure))
    if form.is_valid():
        try:
            saved = services.import_source_save(
                staff=staff,
                procedure=procedure,
                name=form.cleaned_data["name"],
                mapping=form.mapping(),
                applicant_name_column=form.cleaned_data["applicant_name_column"],
                birthdate_column=form.cleaned_data.get("birthdate_column") or "",
                source=source,
            )
        except services.ImportNotPermitted as error:
            raise Http404 from error
        except DomainError as error:
            form_add_domain_error(form, error, fallback_field="name")
        else:
            return redirect("backoffice:import_source", pk=saved.pk)
    return _mapping_page(request, procedure=procedure, form=form, source=source)


@staff_required
def import_source_new(request: IdxRequest) -> HttpResponseBase:
    """A new source: a sample file's headers, then the mapping of each to an item of the form."""
    staff = _staff(request)
    procedures = {str(p.pk): p for p in selectors.importable_procedures(staff=staff)}
    choices = [(key, pick(p.names)) for key, p in procedures.items()]
    if request.method == "POST" and request.POST.get("stage") == "mapping":
        procedure = procedures.get(request.POST.get("procedure", ""))
        if procedure is None:
            raise Http404
        return _save_mapping(request, staff=staff, procedure=procedure, source=None)
    form = SampleForm(procedures=choices)
    if request.method == "POST":
        form = SampleForm(request.POST, request.FILES, procedures=choices)
        if form.is_valid():
            procedure = procedures[form.cleaned_data["procedure"]]
            try:
                headers = file_headers(form.cleaned_data["file"], form.cleaned_data["file"].name or "")
            except FileRefused as error:
                form_add_domain_error(form, error)
            else:
                mapping_form = MappingForm(
                    initial={"name": form.cleaned_data["name"], "applicant_name_column": headers[0]},
                    headers=headers,
                    items=_items(procedure),
                )
                return _mapping_page(request, procedure=procedure, form=mapping_form, source=None)
    return render(
        request,
        "backoffice/imports/source_new.html",
        {"form": form, "error_summary": summary_from_form(form) if form.errors else []},
    )


@staff_required
def import_source_mapping(request: IdxRequest, pk: int) -> HttpResponseBase:
    """Change a source's name and mapping (the headers it knows, or those of a new sample file)."""
    staff = _staff(request)
    source = _source(staff, pk)
    procedure = source.procedure
    if request.method == "POST" and request.POST.get("stage") == "mapping":
        return _save_mapping(request, staff=staff, procedure=procedure, source=source)
    headers = list(dict.fromkeys([*source.mapping, source.applicant_name_column, source.birthdate_column]))
    sample = request.FILES.get("file") if request.method == "POST" else None
    if sample is not None:
        with contextlib.suppress(FileRefused):  # a file that cannot be read leaves the known headers
            headers = file_headers(sample, sample.name or "")
    headers = [header for header in headers if header]
    initial: dict[str, Any] = {
        "name": source.name,
        "applicant_name_column": source.applicant_name_column,
        "birthdate_column": source.birthdate_column,
    }
    for index, header in enumerate(headers):
        initial[f"column_{index}"] = source.mapping.get(header, "")
    form = MappingForm(initial=initial, headers=headers, items=_items(procedure))
    return _mapping_page(request, procedure=procedure, form=form, source=source)


@staff_required
def import_source(request: IdxRequest, pk: int) -> HttpResponseBase:
    """One source: its mapping, its runs, and the upload of a file (checked as a dry run)."""
    staff = _staff(request)
    source = _source(staff, pk)
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = services.import_check(staff=staff, source=source, upload=upload, name=upload.name or "")
            except services.ImportNotPermitted as error:
                raise Http404 from error
            except DomainError as error:
                form_add_domain_error(form, error, fallback_field="file")
            else:
                return redirect("backoffice:import_run", public_id=run.public_id)
    labels = dict(_items(source.procedure))
    return render(
        request,
        "backoffice/imports/source.html",
        {
            "source": source,
            "procedure_name": pick(source.procedure.names),
            "mapping": [(header, labels.get(path, path)) for header, path in source.mapping.items()],
            "runs": list(selectors.run_list(source=source)[:20]),
            "form": form,
            "error_summary": summary_from_form(form) if form.errors else [],
        },
    )


@staff_required
def import_run(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """A run: the dry run's report and the second look before the import, or the result."""
    staff = _staff(request)
    run = selectors.run_get(staff=staff, public_id=public_id)
    if run is None:
        raise Http404
    errors = selectors.run_errors(run=run, limit=PROBLEMS_SHOWN)
    return render(
        request,
        "backoffice/imports/run.html",
        {
            "run": run,
            "source": run.source,
            "procedure_name": pick(run.source.procedure.names),
            "refusal": refusal_text(run),
            "problems": problem_lines(run, errors),
            "more_problems": max(0, run.error_count - len(errors)),
            "statuses": ImportRun.Status,
        },
    )


@staff_required
@require_POST
def import_run_confirm(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """The import itself, after the second look: all rows or none."""
    staff = _staff(request)
    run = selectors.run_get(staff=staff, public_id=public_id)
    if run is None:
        raise Http404
    try:
        services.import_execute(staff=staff, run=run)
    except services.ImportNotPermitted as error:
        raise Http404 from error
    except services.RunNotReady:
        pass  # imported meanwhile (a second click): the page shows what happened
    return redirect("backoffice:import_run", public_id=run.public_id)


urlpatterns = [
    path("imports/", import_sources, name="import_sources"),
    path("imports/sources/new/", import_source_new, name="import_source_new"),
    path("imports/sources/<int:pk>/", import_source, name="import_source"),
    path("imports/sources/<int:pk>/mapping/", import_source_mapping, name="import_source_mapping"),
    path("imports/runs/<str:public_id>/", import_run, name="import_run"),
    path("imports/runs/<str:public_id>/import/", import_run_confirm, name="import_run_confirm"),
]
