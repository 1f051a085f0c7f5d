"""Staff pages of the paper intake: upload scans, follow a batch page by page with what was read,
verify a read form item by item (it then becomes a case on paper), and print a procedure's paper
form prefilled at the counter (窓口で印字)."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST
from PIL import Image

from idx.applications.prefill import applicant_group
from idx.applications.services import AnswersInvalid
from idx.common.errors import DomainError
from idx.common.i18n import pick
from idx.identity.models import User
from idx.identity.policy import Action, can
from idx.intake import selectors, services
from idx.intake.models import ScanBatch, ScanPage
from idx.intake.paper import form_pdf, new_serial
from idx.intake.reading import PX_PER_MM
from idx.intake.verification import general_problems, typed_answers, verify_items
from idx.procedures.rendering import html_id, html_name, item_label
from idx.procedures.selectors import procedure_catalog, procedure_get_published
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import SummaryItem, summary_from_answers, summary_from_form

REASONS: dict[str, Any] = {
    "blank": gettext_lazy("The page is blank."),
    "no_form": gettext_lazy("No form QR code was found: match the page by hand."),
    "title_match": gettext_lazy(
        "No form QR code was found, but the printed title names one of our forms: check it and match the page by hand."
    ),
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
            "waiting": [
                {
                    "batch": entry.batch,
                    "form": entry.form,
                    "name": pick(entry.form.version.definition["name"]),
                }
                for entry in selectors.forms_waiting(staff=staff)[:50]
            ],
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
    verifications = {record.first_page: record for record in selectors.verification_list(batch=batch)}
    paper_forms = []
    for paper_form in selectors.paper_forms(pages=pages):
        # Least sure first, each item by its label and its value as people write it.
        items = [
            {"label": item.label, "shown": _shown(item), "confidence": item.confidence}
            for item in sorted(verify_items(paper_form), key=lambda item: item.confidence)
            if item.value_read is not None
        ]
        definition = paper_form.version.parsed
        paper_forms.append(
            {
                "name": pick(paper_form.version.definition["name"]),
                "first_page": paper_form.first_page,
                "verification": verifications.get(paper_form.first_page),
                "serial": paper_form.serial,
                "items": items,
                "problems": [
                    label
                    for problem in paper_form.problems
                    if (label := item_label(definition, definition.item(problem.path), problem.path))
                ],
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


def _shown(item: Any) -> str:
    """A value read, as the form's option label for a choice (はい, not true)."""
    if item.choice:
        return dict(item.options).get(item.shown, item.shown)
    return str(item.shown)


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


def _batch(request: IdxRequest, public_id: str) -> ScanBatch:
    staff: User = request.user
    if not _may_use(staff):
        raise Http404
    batch = selectors.batch_get(municipality=request.municipality, public_id=public_id)
    if batch is None:
        raise Http404
    return batch


# Room around a zone on its cut image, in millimetres: the box's borders and what spills over them.
CUT_MARGIN_MM = 2.0


def _page_png(page: ScanPage, box: dict[str, Any] | None) -> HttpResponse:
    with page.image.open("rb") as handle, Image.open(handle) as opened:
        image: Image.Image = opened
        if box is not None:
            left = max(0, round((float(box["x"]) - CUT_MARGIN_MM) * PX_PER_MM))
            top = max(0, round((float(box["y"]) - CUT_MARGIN_MM) * PX_PER_MM))
            right = min(image.width, round((float(box["x"]) + float(box["w"]) + CUT_MARGIN_MM) * PX_PER_MM))
            bottom = min(image.height, round((float(box["y"]) + float(box["h"]) + CUT_MARGIN_MM) * PX_PER_MM))
            image = image.crop((left, top, max(right, left + 1), max(bottom, top + 1)))
        out = io.BytesIO()
        image.save(out, format="PNG")
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=600"
    return response


def _scan_page(request: IdxRequest, public_id: str, number: int) -> ScanPage:
    batch = _batch(request, public_id)
    page = selectors.page_list(batch=batch).filter(number=number).first()
    if page is None or not page.image:
        raise Http404
    return page


@staff_required
def intake_page_image(request: IdxRequest, public_id: str, number: int) -> HttpResponseBase:
    """A whole page as stored (rectified once read), for staff of the batch's municipality."""
    return _page_png(_scan_page(request, public_id, number), None)


@staff_required
def intake_item_image(request: IdxRequest, public_id: str, number: int, index: int) -> HttpResponseBase:
    """The cut of one item's zone on a page, shown beside the value read."""
    page = _scan_page(request, public_id, number)
    if page.outcome != ScanPage.Outcome.READ or not 0 <= index < len(page.readings):
        raise Http404
    zone = page.readings[index].get("zone")
    if not isinstance(zone, dict):
        raise Http404
    return _page_png(page, zone)


def _next_waiting(staff: User, batch: ScanBatch) -> str:
    """Where the clerk goes after accepting: the batch's next form waiting, else the batch."""
    for waiting in selectors.forms_waiting(staff=staff):
        if waiting.batch.pk == batch.pk:
            return reverse("backoffice:intake_form", args=[batch.public_id, waiting.form.first_page])
    return reverse("backoffice:intake_batch", args=[batch.public_id])


@staff_required
def intake_form(request: IdxRequest, public_id: str, first_page: int) -> HttpResponseBase:
    """The verification screen of one read form: each item's cut image beside the value read, items
    to look at first; Enter accepts the answers and the form becomes a case on paper."""
    staff: User = request.user
    batch = _batch(request, public_id)
    try:
        form, record = services.paper_form_open(staff=staff, batch=batch, first_page=first_page)
    except services.FormNotFound as exc:
        raise Http404 from exc
    definition = form.version.parsed
    typed: dict[str, str] | None = None
    problems = None
    error_summary: list[SummaryItem] = []
    status = 200
    if request.method == "POST" and record.verified_at is None:
        screen = verify_items(form)
        typed = {item.path: request.POST.get(html_name(item.path), "")[:1000] for item in screen}
        answers = typed_answers(definition, screen, typed)
        try:
            application = services.paper_form_accept(
                staff=staff, batch=batch, first_page=first_page, answers=answers
            )
        except AnswersInvalid as exc:
            problems = exc.errors
            error_summary = summary_from_answers(definition, exc.errors)
            status = 422
        except DomainError as exc:
            error_summary = [SummaryItem("verify-accept", exc.text())]
            status = exc.http_status
        else:
            messages.success(
                request,
                gettext("Accepted: case %(receipt)s was made from the paper form.")
                % {"receipt": application.receipt_number},
            )
            return redirect(_next_waiting(staff, batch))
        record.refresh_from_db()
    items = verify_items(form, typed=typed, problems=problems)
    first_look = [item for item in items if item.needs_look]
    return render(
        request,
        "backoffice/intake/form.html",
        {
            "batch": batch,
            "form": form,
            "record": record,
            "name": pick(definition.data["name"]),
            "items": [
                {"item": item, "name": html_name(item.path), "id": html_id(item.path)} for item in items
            ],
            "first_look": len(first_look),
            "general_problems": general_problems(
                form, problems if problems is not None else form.problems, items
            ),
            "error_summary": error_summary,
        },
        status=status,
    )


urlpatterns = [
    path("intake/", intake_home, name="intake_home"),
    path("intake/print/", intake_print, name="intake_print"),
    path("intake/print/form.pdf", intake_print_pdf, name="intake_print_pdf"),
    path("intake/<str:public_id>/", intake_batch, name="intake_batch"),
    path("intake/<str:public_id>/forms/<int:first_page>/", intake_form, name="intake_form"),
    path("intake/<str:public_id>/pages/<int:number>.png", intake_page_image, name="intake_page_image"),
    path(
        "intake/<str:public_id>/pages/<int:number>/items/<int:index>.png",
        intake_item_image,
        name="intake_item_image",
    ),
]
