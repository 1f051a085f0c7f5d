"""パブリックコメント in the back office: the owner department drafts a case (sections, PDF
documents), publishes it after a second look, reads the opinions by section after the deadline,
writes 「意見の概要と市の考え方」 per section and publishes it after a second look."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.common.files import serve_private_file
from idx.common.replica import replica_reads
from idx.identity.models import Department
from idx.identity.policy import Action, can
from idx.public_comment import selectors, services
from idx.public_comment.models import Consultation, Eligibility
from idx.web.csv import csv_download, csv_lines
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, permitted, staff_required
from idx.web.summary import summary_from_form

LANGUAGE_SUFFIXES = (("ja", "ja"), ("ja_easy", "ja-easy"), ("en", "en"))


def _texts(data: dict[str, Any], prefix: str) -> dict[str, str]:
    return {language: data.get(f"{prefix}_{suffix}", "") or "" for suffix, language in LANGUAGE_SUFFIXES}


def _departments(request: IdxRequest) -> list[Department]:
    return [
        department
        for department in Department.objects.filter(municipality=request.municipality).order_by("code")
        if can(request.user, Action.MANAGE_PUBLIC_COMMENT, department)
    ]


def _consultation(request: IdxRequest, uid: UUID) -> Consultation:
    consultation = selectors.consultation_get_for_staff(staff=request.user, uid=str(uid))
    if consultation is None:
        raise Http404
    return consultation


@staff_required
@permitted(Action.MANAGE_PUBLIC_COMMENT)
def consultation_list(request: IdxRequest) -> HttpResponseBase:
    return render(
        request,
        "backoffice/public_comment/list.html",
        {"consultations": selectors.consultation_list_for_staff(staff=request.user)},
    )


class ConsultationForm(forms.Form):
    department = forms.ChoiceField(label=gettext_lazy("Department in charge"))
    title_ja = forms.CharField(label=gettext_lazy("Title (Japanese)"), max_length=200)
    title_ja_easy = forms.CharField(
        label=gettext_lazy("Title (Easy Japanese)"), max_length=200, required=False
    )
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200, required=False)
    summary_ja = forms.CharField(
        label=gettext_lazy("Summary (Japanese)"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    summary_ja_easy = forms.CharField(
        label=gettext_lazy("Summary (Easy Japanese)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )
    summary_en = forms.CharField(
        label=gettext_lazy("Summary (English)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )
    opens_on = forms.DateField(
        label=gettext_lazy("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closes_on = forms.DateField(
        label=gettext_lazy("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("At least 30 days from the first day, as the city's rules ask."),
    )
    names = forms.ChoiceField(
        label=gettext_lazy("Names"),
        widget=forms.RadioSelect,
        choices=[
            ("named", gettext_lazy("Name and address required")),
            ("anonymous", gettext_lazy("Anonymous opinions allowed")),
        ],
        initial="named",
    )
    eligibility = forms.ChoiceField(
        label=gettext_lazy("Who may send opinions"),
        widget=forms.RadioSelect,
        choices=Eligibility.choices,
        initial=Eligibility.ANYONE,
    )

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(department.code, department.name) for department in departments]


@staff_required
@permitted(Action.MANAGE_PUBLIC_COMMENT)
def consultation_new(request: IdxRequest) -> HttpResponseBase:
    departments = _departments(request)
    if not departments:
        raise Http404
    form = ConsultationForm(
        request.POST or None,
        departments=departments,
        initial={"department": request.user.department.code if request.user.department else ""},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        department = next(department for department in departments if department.code == data["department"])
        try:
            consultation = services.consultation_create(
                municipality=request.municipality,
                department=department,
                titles=_texts(data, "title"),
                summaries=_texts(data, "summary"),
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                anonymous_allowed=data["names"] == "anonymous",
                eligibility=data["eligibility"],
                actor=request.user,
            )
        except services.PublicCommentRefused as exc:
            exc.field = {"titles": "title_ja", "summaries": "summary_ja"}.get(exc.field or "", exc.field)
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The case was created as a draft. Add its sections and documents."))
            return redirect("backoffice:public_comment_detail", uid=consultation.uid)
    return render(
        request,
        "backoffice/public_comment/new.html",
        {"form": form, "error_summary": summary_from_form(form) if form.errors else []},
        status=422 if form.errors else 200,
    )


class SectionForm(forms.Form):
    number = forms.IntegerField(label=gettext_lazy("Section number"), min_value=1, max_value=999)
    heading_ja = forms.CharField(label=gettext_lazy("Heading (Japanese)"), max_length=200)
    heading_ja_easy = forms.CharField(
        label=gettext_lazy("Heading (Easy Japanese)"), max_length=200, required=False
    )
    heading_en = forms.CharField(label=gettext_lazy("Heading (English)"), max_length=200, required=False)
    text_ja = forms.CharField(label=gettext_lazy("Text (Japanese)"), widget=forms.Textarea(attrs={"rows": 6}))
    text_ja_easy = forms.CharField(
        label=gettext_lazy("Text (Easy Japanese)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    text_en = forms.CharField(
        label=gettext_lazy("Text (English)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class DocumentForm(forms.Form):
    name_ja = forms.CharField(label=gettext_lazy("Document name (Japanese)"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Document name (English)"), max_length=200, required=False)
    file = forms.FileField(label=gettext_lazy("PDF file"))


@staff_required
@permitted(Action.MANAGE_PUBLIC_COMMENT)
def consultation_detail(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    consultation = _consultation(request, uid)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    sections = list(consultation.sections.all())
    next_number = (sections[-1].number + 1) if sections else 1
    section_form = SectionForm(request.POST if action == "section" else None, initial={"number": next_number})
    document_form = DocumentForm(
        request.POST if action == "document" else None, request.FILES if action == "document" else None
    )
    if action == "section" and section_form.is_valid():
        data = section_form.cleaned_data
        try:
            services.section_put(
                consultation=consultation,
                number=data["number"],
                headings=_texts(data, "heading"),
                texts=_texts(data, "text"),
                actor=request.user,
            )
        except services.PublicCommentRefused as exc:
            exc.field = {"headings": "heading_ja", "texts": "text_ja"}.get(exc.field or "", exc.field)
            form_add_domain_error(section_form, exc)
        else:
            messages.success(request, _("Section %(number)s was saved.") % {"number": data["number"]})
            return redirect("backoffice:public_comment_detail", uid=consultation.uid)
    if action == "document" and document_form.is_valid():
        data = document_form.cleaned_data
        try:
            services.document_add(
                consultation=consultation,
                names={"ja": data["name_ja"], "en": data["name_en"]},
                filename=data["file"].name,
                content=data["file"].read(),
                actor=request.user,
            )
        except services.PublicCommentRefused as exc:
            exc.field = {"names": "name_ja"}.get(exc.field or "", exc.field)
            form_add_domain_error(document_form, exc, fallback_field="file")
        else:
            messages.success(request, _("The document was checked and added."))
            return redirect("backoffice:public_comment_detail", uid=consultation.uid)
    failed = bool(section_form.errors or document_form.errors)
    return render(
        request,
        "backoffice/public_comment/detail.html",
        {
            "consultation": consultation,
            "sections": sections,
            "section_form": section_form,
            "document_form": document_form,
            "submissions": selectors.submission_count(consultation=consultation),
            "error_summary": (summary_from_form(section_form) + summary_from_form(document_form))
            if failed
            else [],
        },
        status=422 if failed else 200,
    )


@staff_required
@permitted(Action.MANAGE_PUBLIC_COMMENT)
def consultation_publish(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    """The second look before the draft is public and opinions are taken."""
    consultation = _consultation(request, uid)
    if consultation.is_published:
        return redirect("backoffice:public_comment_detail", uid=consultation.uid)
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            services.consultation_publish(consultation=consultation, actor=request.user)
        except services.PublicCommentRefused as exc:
            messages.error(request, exc.text())
        else:
            messages.success(request, _("Published. Residents can read the draft and send opinions."))
        return redirect("backoffice:public_comment_detail", uid=consultation.uid)
    return render(
        request,
        "backoffice/public_comment/publish.html",
        {"consultation": consultation, "sections": list(consultation.sections.all())},
    )


@staff_required
@permitted(Action.MANAGE_PUBLIC_COMMENT)
def comments(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    consultation = _consultation(request, uid)
    return render(
        request,
        "backoffice/public_comment/comments.html",
        {
            "consultation": consultation,
            "groups": selectors.opinions_by_section(consultation=consultation),
            "submissions": selectors.submission_count(consultation=consultation),
        },
    )


@staff_required
@permitted(Action.MANAGE_PUBLIC_COMMENT)
@replica_reads
def comments_csv(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    """Every opinion as CSV (UTF-8 with BOM for Excel; cells that look like formulas are kept as text)."""
    consultation = _consultation(request, uid)
    return csv_download(
        csv_lines(selectors.comment_rows(consultation=consultation)),
        f"public-comment-{consultation.opens_on:%Y%m%d}.csv",
    )


def _with_easy(section: Any) -> Any:
    section.easy_summary = section.opinion_summaries.get("ja-easy", "")
    section.easy_view = section.city_views.get("ja-easy", "")
    return section


LANGUAGE_NAMES = {"ja-easy": gettext_lazy("easy Japanese"), "en": gettext_lazy("English")}


class ResultForm(forms.Form):
    notes_ja = forms.CharField(
        label=gettext_lazy("How the plan changed (Japanese)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )
    notes_easy = forms.CharField(
        label=gettext_lazy("How the plan changed (easy Japanese)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )
    notes_en = forms.CharField(
        label=gettext_lazy("How the plan changed (English)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )

    def __init__(self, *args: Any, sections: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = sections
        for section in sections:
            number = section.number
            self.fields[f"summary_{number}"] = forms.CharField(
                label=_("Section %(number)s: summary of opinions") % {"number": number},
                widget=forms.Textarea(attrs={"rows": 4}),
                required=False,
                max_length=4000,
            )
            self.fields[f"view_{number}"] = forms.CharField(
                label=_("Section %(number)s: the city's view") % {"number": number},
                widget=forms.Textarea(attrs={"rows": 4}),
                required=False,
                max_length=4000,
            )
            for suffix, language in (("easy", _("easy Japanese")), ("en", _("English"))):
                self.fields[f"summary_{suffix}_{number}"] = forms.CharField(
                    label=_("Section %(number)s: summary of opinions (%(language)s)")
                    % {"number": number, "language": language},
                    widget=forms.Textarea(attrs={"rows": 3}),
                    required=False,
                    max_length=4000,
                )
                self.fields[f"view_{suffix}_{number}"] = forms.CharField(
                    label=_("Section %(number)s: the city's view (%(language)s)")
                    % {"number": number, "language": language},
                    widget=forms.Textarea(attrs={"rows": 3}),
                    required=False,
                    max_length=4000,
                )
            self.fields[f"changed_{number}"] = forms.ChoiceField(
                label=_("Section %(number)s: was the draft changed?") % {"number": number},
                widget=forms.RadioSelect,
                choices=[("yes", _("Draft changed")), ("no", _("Not changed"))],
                required=False,
            )

    def section_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "section": section,
                "summary": self[f"summary_{section.number}"],
                "view": self[f"view_{section.number}"],
                "others": [
                    self[f"{kind}_{suffix}_{section.number}"]
                    for suffix in ("easy", "en")
                    for kind in ("summary", "view")
                ],
                "changed": self[f"changed_{section.number}"],
            }
            for section in self.sections
        ]


def _result_form(consultation: Consultation, data: Any = None) -> ResultForm:
    sections = list(consultation.sections.all())
    initial: dict[str, Any] = {
        "notes_ja": consultation.result_notes.get("ja", ""),
        "notes_easy": consultation.result_notes.get("ja-easy", ""),
        "notes_en": consultation.result_notes.get("en", ""),
    }
    for section in sections:
        for suffix, language in (("", "ja"), ("easy_", "ja-easy"), ("en_", "en")):
            initial[f"summary_{suffix}{section.number}"] = section.opinion_summaries.get(language, "")
            initial[f"view_{suffix}{section.number}"] = section.city_views.get(language, "")
        initial[f"changed_{section.number}"] = (
            "" if section.changed is None else ("yes" if section.changed else "no")
        )
    return ResultForm(data, sections=sections, initial=initial)


@staff_required
@permitted(Action.MANAGE_PUBLIC_COMMENT)
def result_edit(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    """Per section: 意見の概要, 市の考え方, 修正あり/なし; saved as a draft of the result."""
    consultation = _consultation(request, uid)
    if not consultation.has_closed() or not consultation.is_published or consultation.result_is_published:
        return redirect("backoffice:public_comment_detail", uid=consultation.uid)
    form = _result_form(consultation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        failed = False
        for section in form.sections:
            number = section.number
            try:
                services.section_result_put(
                    section=section,
                    opinion_summaries={
                        # Languages the form does not show (written through the API) are kept.
                        **section.opinion_summaries,
                        "ja": data[f"summary_{number}"],
                        "ja-easy": data[f"summary_easy_{number}"],
                        "en": data[f"summary_en_{number}"],
                    },
                    city_views={
                        **section.city_views,
                        "ja": data[f"view_{number}"],
                        "ja-easy": data[f"view_easy_{number}"],
                        "en": data[f"view_en_{number}"],
                    },
                    changed={"yes": True, "no": False}.get(data[f"changed_{number}"]),
                    actor=request.user,
                )
            except services.PublicCommentRefused as exc:
                exc.field = {
                    "opinion_summaries": f"summary_{number}",
                    "city_views": f"view_{number}",
                    "opinion_summaries_easy": f"summary_easy_{number}",
                    "city_views_easy": f"view_easy_{number}",
                }.get(exc.field or "", exc.field)
                form_add_domain_error(form, exc)
                failed = True
        if not failed and request.POST.get("action") == "publish":
            notes = {"ja": data["notes_ja"], "ja-easy": data["notes_easy"], "en": data["notes_en"]}
            try:
                services.easy_japanese_check(notes, "result_notes")
            except services.PublicCommentRefused as exc:
                form.add_error("notes_easy", exc.text())
                failed = True
            else:
                request.session[f"public_comment_notes:{consultation.uid}"] = notes
        if not failed:
            if request.POST.get("action") == "publish":
                return redirect("backoffice:public_comment_result_publish", uid=consultation.uid)
            messages.success(request, _("The result was saved. It is not public yet."))
            return redirect("backoffice:public_comment_result", uid=consultation.uid)
    counts = {section.pk: getattr(section, "count", 0) for section in consultation.sections.all()}
    rows = form.section_rows()
    for row in rows:
        row["count"] = counts.get(row["section"].pk, 0)
    return render(
        request,
        "backoffice/public_comment/result.html",
        {
            "consultation": consultation,
            "form": form,
            "rows": rows,
            "error_summary": summary_from_form(form) if form.errors else [],
        },
        status=422 if form.errors else 200,
    )


@staff_required
@permitted(Action.MANAGE_PUBLIC_COMMENT)
def result_publish(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    """The second look: the result as residents will read it, then publish (for good)."""
    consultation = _consultation(request, uid)
    notes = request.session.get(f"public_comment_notes:{consultation.uid}")
    if consultation.result_is_published or not notes:
        return redirect("backoffice:public_comment_detail", uid=consultation.uid)
    error = ""
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            services.result_publish(consultation=consultation, notes=notes, actor=request.user)
        except services.PublicCommentRefused as exc:
            error = exc.text()
        else:
            del request.session[f"public_comment_notes:{consultation.uid}"]
            messages.success(
                request, _("The result was published, with its open dataset. Residents can read it now.")
            )
            return redirect("backoffice:public_comment_detail", uid=consultation.uid)
    return render(
        request,
        "backoffice/public_comment/result_publish.html",
        {
            "consultation": consultation,
            "sections": [_with_easy(section) for section in consultation.sections.all()],
            "notes": notes,
            "notes_easy": notes.get("ja-easy", ""),
            "missing": [
                (number, [LANGUAGE_NAMES[language] for language in languages])
                for number, languages in services.result_languages_missing(consultation)
            ],
            "error": error,
        },
        status=422 if error else 200,
    )


@staff_required
@permitted(Action.MANAGE_PUBLIC_COMMENT)
def document_download(request: IdxRequest, uid: UUID, document: UUID) -> HttpResponseBase:
    consultation = _consultation(request, uid)
    found = next((item for item in consultation.documents.all() if item.uid == document), None)
    if found is None:
        raise Http404
    response = serve_private_file(
        found.file, content_type="application/pdf", as_attachment=False, filename=found.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("public-comment/", consultation_list, name="public_comment_home"),
    path("public-comment/new/", consultation_new, name="public_comment_new"),
    path("public-comment/<uuid:uid>/", consultation_detail, name="public_comment_detail"),
    path("public-comment/<uuid:uid>/publish/", consultation_publish, name="public_comment_publish"),
    path("public-comment/<uuid:uid>/comments/", comments, name="public_comment_comments"),
    path("public-comment/<uuid:uid>/comments.csv", comments_csv, name="public_comment_csv"),
    path("public-comment/<uuid:uid>/result/", result_edit, name="public_comment_result"),
    path("public-comment/<uuid:uid>/result/publish/", result_publish, name="public_comment_result_publish"),
    path(
        "public-comment/<uuid:uid>/documents/<uuid:document>/",
        document_download,
        name="public_comment_document",
    ),
]
