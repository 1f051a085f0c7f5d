"""Staff pages of the paper intake: upload scans, follow a batch page by page with what was read,
and print a procedure's paper form prefilled at the counter (窓口で印字)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from idx.applications.prefill import applicant_group
from idx.common.errors import DomainError
from idx.common.i18n import pick
from idx.identity.models import User
from idx.identity.policy import Action, can
from idx.intake import selectors, services
from idx.intake.models import ScanPage
from idx.intake.paper import form_pdf, new_serial
from idx.procedures.selectors import procedure_catalog, procedure_get_published
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import summary_from_form

REASONS: dict[str, Any] = {
    "blank": gettext_lazy("The page is blank."),
    "no_form": gettext_lazy("No form QR code was found: match the page by hand."),
    "unknown_form": gettext_lazy("The QR code names a form this municipality does not have."),
    "no_marks": gettext_lazy("The registration marks could not be found."),
    "ocr_failed": gettext_lazy("The text recognition failed."),
    "error": gettext_lazy("The page could not be read."),
    "pdf_password": gettext_lazy("The PDF is protected by a password."),
    "too_many_pixels": gettext_lazy("The image is too large to read."),
    "too_many_pages": gettext_lazy("The file has too many pages."),
    "unreadable": gettext_lazy("The file could not be opened."),
    "no_pages": gettext_lazy("The file has no pages."),
}


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Scanned forms (PDF, PNG, JPEG or TIFF)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.tif,.tiff"}),
    )


class CounterPrintForm(forms.Form):
    """What the counter already knows about the applicant, printed into the form's boxes."""

    procedure = forms.ChoiceField(label=gettext_lazy("Procedure"))
    name = forms.CharField(max_length=50, required=False, label=pgettext_lazy("person", "Name"))
    name_kana = forms.CharField(max_length=50, required=False, label=gettext_lazy("Name in katakana"))
    birth_date = forms.DateField(
        required=False, label=gettext_lazy("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    postal_code = forms.CharField(max_length=8, required=False, label=gettext_lazy("Postal code"))
    address = forms.CharField(max_length=150, required=False, label=gettext_lazy("Address"))
    phone = forms.CharField(max_length=20, required=False, label=gettext_lazy("Phone number"))

    def __init__(self, *args: Any, procedures: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["procedure"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = procedures


def _may_use(staff: User) -> bool:
    return can(staff, Action.WORK_CASE)


@staff_required
def intake_home(request: IdxRequest) -> HttpResponseBase:
    """Recent batches of scans and the upload form."""
    staff: User = request.user
    if not _may_use(staff):
        raise Http404
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                batch = services.scan_batch_receive(
                    municipality=request.municipality, staff=staff, upload=form.cleaned_data["file"]
                )
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                return redirect("backoffice:intake_batch", public_id=batch.public_id)
    batches = list(selectors.batch_list(municipality=request.municipality)[:50])
    return render(
        request,
        "backoffice/intake/home.html",
        {
            "form": form,
            "batches": batches,
            "reasons": REASONS,
            "error_summary": summary_from_form(form) if form.errors else [],
        },
    )


@staff_required
def intake_batch(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """One batch: every page with its outcome, and each form read with its items, least sure first."""
    staff: User = request.user
    if not _may_use(staff):
        raise Http404
    batch = selectors.batch_get(municipality=request.municipality, public_id=public_id)
    if batch is None:
        raise Http404
    pages = list(selectors.page_list(batch=batch))
    paper_forms = []
    for paper_form in selectors.paper_forms(pages=pages):
        items = sorted(
            (item for page in paper_form.pages for item in page.readings if item["value"] is not None),
            key=lambda item: item["confidence"],
        )
        paper_forms.append(
            {
                "name": pick(paper_form.version.definition["name"]),
                "serial": paper_form.serial,
                "items": items,
                "problems": [problem.path for problem in paper_form.problems],
                "missing_pages": paper_form.missing_pages,
            }
        )
    return render(
        request,
        "backoffice/intake/batch.html",
        {
            "batch": batch,
            "pages": pages,
            "forms": paper_forms,
            "reasons": REASONS,
            "outcomes": ScanPage.Outcome,
        },
    )


def _procedure_choices(request: IdxRequest) -> list[tuple[str, str]]:
    return [
        (procedure.code, pick(procedure.names))
        for procedure in procedure_catalog(municipality=request.municipality)
    ]


@staff_required
def intake_print(request: IdxRequest) -> HttpResponseBase:
    """The counter prints a procedure's form with what the applicant has told (posted, not in the URL)."""
    staff: User = request.user
    if not _may_use(staff):
        raise Http404
    form = CounterPrintForm(procedures=_procedure_choices(request))
    return render(request, "backoffice/intake/print.html", {"form": form})


@staff_required
@require_POST
def intake_print_pdf(request: IdxRequest) -> HttpResponseBase:
    staff: User = request.user
    if not _may_use(staff):
        raise Http404
    form = CounterPrintForm(request.POST, procedures=_procedure_choices(request))
    if not form.is_valid():
        context = {"form": form, "error_summary": summary_from_form(form)}
        return render(request, "backoffice/intake/print.html", context, status=400)
    procedure = procedure_get_published(
        municipality=request.municipality, code=form.cleaned_data["procedure"]
    )
    if procedure is None or procedure.published_version is None:
        raise Http404
    version = procedure.published_version
    answers: dict[str, Any] = {}
    group = applicant_group(version.parsed)
    if group is not None:
        known = {
            key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in form.cleaned_data.items()
            if key != "procedure" and value
        }
        answers[group.field] = known
    pdf = form_pdf(version, answers=answers, serial=new_serial())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{procedure.code}-v{version.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("intake/", intake_home, name="intake_home"),
    path("intake/print/", intake_print, name="intake_print"),
    path("intake/print/form.pdf", intake_print_pdf, name="intake_print_pdf"),
    path("intake/<str:public_id>/", intake_batch, name="intake_batch"),
]
