"""パブリックコメント for residents: the cases, a draft section by section, opinions per section
(form, confirmation, receipt number) until the deadline, and 「意見の概要と市の考え方」."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

from django import forms
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.common import ratelimit
from idx.common.files import serve_private_file
from idx.common.i18n import pick
from idx.public_comment import selectors, services
from idx.public_comment.limits import opinion_flood_wait
from idx.public_comment.models import Consultation, Eligibility, Relation
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest
from idx.web.summary import summary_from_form


def flood_wait(request: IdxRequest) -> int | None:
    """Count one sending of opinions; the seconds to wait when this client sent too many."""
    return opinion_flood_wait(
        address=ratelimit.client_address(request),
        user_id=request.user.pk if request.user.is_authenticated else None,
    )


def _sections(consultation: Consultation) -> list[dict[str, Any]]:
    return [
        {
            "section": section,
            "number": section.number,
            "heading": pick(section.headings),
            "text": pick(section.texts),
            "opinion_summary": pick(section.opinion_summaries),
            "city_view": pick(section.city_views),
            "count": getattr(section, "count", 0),
        }
        for section in consultation.sections.all()
    ]


def _case(consultation: Consultation) -> dict[str, Any]:
    return {
        "consultation": consultation,
        "uid": str(consultation.uid),
        "title": pick(consultation.titles),
        "summary": pick(consultation.summaries),
        "state": consultation.state,
        "related_only": consultation.eligibility == Eligibility.RELATED,
    }


def _published(request: IdxRequest, uid: UUID) -> Consultation:
    consultation = selectors.consultation_get_public(municipality=request.municipality, uid=str(uid))
    if consultation is None:
        raise Http404
    return consultation


def consultation_list(request: IdxRequest) -> HttpResponseBase:
    cases = [
        _case(consultation)
        for consultation in selectors.consultation_list_public(municipality=request.municipality)
    ]
    return render(
        request,
        "portal/public_comment/list.html",
        {
            "open_cases": [case for case in cases if case["state"] in ("open", "upcoming")],
            "closed_cases": [case for case in cases if case["state"] in ("closed", "result")],
        },
    )


def consultation_detail(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    consultation = _published(request, uid)
    return render(
        request,
        "portal/public_comment/detail.html",
        {
            **_case(consultation),
            "sections": _sections(consultation),
            "documents": [
                {"document": document, "name": pick(document.names)}
                for document in consultation.documents.all()
            ],
        },
    )


def document_download(request: IdxRequest, uid: UUID, document: UUID) -> HttpResponseBase:
    found = selectors.document_get_public(
        municipality=request.municipality, uid=str(uid), document_uid=str(document)
    )
    if found is None:
        raise Http404
    response = serve_private_file(
        found.file, content_type="application/pdf", as_attachment=False, filename=found.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class OpinionForm(forms.Form):
    """One text box per section (any may stay empty), then who sends them as the case's rule asks."""

    name = forms.CharField(label=gettext_lazy("Full name"), required=False, strip=True)
    address = forms.CharField(label=gettext_lazy("Address"), required=False, strip=True)
    relation = forms.ChoiceField(
        label=gettext_lazy("How you are related to the city"),
        required=False,
        choices=[("", "—"), *Relation.choices],
    )

    def __init__(self, *args: Any, consultation: Consultation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section_fields: list[tuple[dict[str, Any], forms.BoundField]] = []
        fields: dict[str, forms.Field] = {}
        for section in consultation.sections.all():
            fields[f"opinion_{section.number}"] = forms.CharField(
                label=_("Opinion on section %(number)s") % {"number": section.number},
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 5}),
            )
        self.fields = {**fields, **self.fields}
        if consultation.eligibility != Eligibility.RELATED:
            del self.fields["relation"]
        self.consultation = consultation

    def opinions(self) -> dict[int, str]:
        return {
            section.number: self.cleaned_data.get(f"opinion_{section.number}", "")
            for section in self.consultation.sections.all()
        }


def _session_key(consultation: Consultation) -> str:
    return f"public_comment:{consultation.uid}"


def _add_error(form: OpinionForm, exc: services.PublicCommentRefused) -> None:
    field = exc.field
    if field == "opinions":
        first = next(iter(form.fields), None)
        form.add_error(first, exc.text())
        return
    form_add_domain_error(form, exc)


def _form_page(
    request: IdxRequest, consultation: Consultation, form: OpinionForm, status: int = 200
) -> HttpResponse:
    sections = _sections(consultation)
    for item in sections:
        item["field"] = form[f"opinion_{item['number']}"]
    return render(
        request,
        "portal/public_comment/opinion.html",
        {
            **_case(consultation),
            "sections": sections,
            "form": form,
            "limit": f"{services.OPINION_MAX:,}",
            "error_summary": summary_from_form(form) if form.errors else [],
        },
        status=status,
    )


def opinion_form(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    """Opinions on one or more sections; then the confirmation page. Nothing typed is ever lost:
    a refused form comes back with the texts in it."""
    consultation = _published(request, uid)
    if request.method != "POST":
        saved = request.session.get(_session_key(consultation))
        initial: dict[str, Any] = {}
        if saved:
            initial = {f"opinion_{number}": text for number, text in saved["opinions"].items()}
            initial.update(name=saved["name"], address=saved["address"], relation=saved["relation"])
        elif request.user.is_authenticated and request.user.is_resident:
            initial = {
                "name": request.user.verified_name or request.user.full_name,
                "address": request.user.verified_address,
            }
        form = OpinionForm(initial=initial, consultation=consultation)
        return _form_page(request, consultation, form)
    form = OpinionForm(request.POST, consultation=consultation)
    if form.is_valid():
        try:
            written = services.submission_check(
                consultation=consultation,
                opinions=form.opinions(),
                name=form.cleaned_data["name"],
                address=form.cleaned_data["address"],
                relation=form.cleaned_data.get("relation", ""),
            )
        except services.PublicCommentRefused as exc:
            _add_error(form, exc)
        else:
            request.session[_session_key(consultation)] = {
                "opinions": {str(number): text for number, text in written.items()},
                "name": form.cleaned_data["name"],
                "address": form.cleaned_data["address"],
                "relation": form.cleaned_data.get("relation", ""),
            }
            return redirect("portal:public_comment_confirm", uid=consultation.uid)
    return _form_page(request, consultation, form, status=422)


def opinion_confirm(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    """The second look before sending; sending gives the receipt number."""
    consultation = _published(request, uid)
    saved = request.session.get(_session_key(consultation))
    if not saved:
        return redirect("portal:public_comment_opinion", uid=consultation.uid)
    opinions = {int(number): text for number, text in saved["opinions"].items()}
    error = ""
    status = 200
    if request.method == "POST":
        wait = flood_wait(request)
        if wait is not None:
            minutes = max(1, math.ceil(wait / 60))
            error = _(
                "Too many opinions were sent from here. Your text is kept: try again in %(minutes)s minutes."
            ) % {"minutes": minutes}
            status = 429
        else:
            try:
                submission = services.submission_create(
                    consultation=consultation,
                    opinions=opinions,
                    name=saved["name"],
                    address=saved["address"],
                    relation=saved["relation"],
                    user=request.user if request.user.is_authenticated else None,
                    language=translation.get_language() or "",
                )
            except services.PublicCommentRefused as exc:
                error = exc.text()
                status = 409 if isinstance(exc, services.PublicCommentClosed) else 422
            else:
                del request.session[_session_key(consultation)]
                request.session[f"{_session_key(consultation)}:receipt"] = submission.receipt_number
                return redirect("portal:public_comment_done", uid=consultation.uid)
    sections = [item for item in _sections(consultation) if item["number"] in opinions]
    for item in sections:
        item["opinion"] = opinions[item["number"]]
    relation = saved.get("relation", "")
    return render(
        request,
        "portal/public_comment/confirm.html",
        {
            **_case(consultation),
            "sections": sections,
            "name": saved["name"],
            "address": saved["address"],
            "relation_label": Relation(relation).label if relation in Relation.values else "",
            "error": error,
            "error_summary": [],
        },
        status=status,
    )


def opinion_done(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    consultation = _published(request, uid)
    receipt = request.session.get(f"{_session_key(consultation)}:receipt")
    if not receipt:
        return redirect("portal:public_comment_detail", uid=consultation.uid)
    return render(
        request,
        "portal/public_comment/done.html",
        {**_case(consultation), "receipt_number": receipt, "today": timezone.localdate()},
    )


def result(request: IdxRequest, uid: UUID) -> HttpResponseBase:
    consultation = _published(request, uid)
    if not consultation.result_is_published:
        raise Http404
    sections = _sections(consultation)
    return render(
        request,
        "portal/public_comment/result.html",
        {
            **_case(consultation),
            "sections": sections,
            "notes": pick(consultation.result_notes),
            "submissions": selectors.submission_count(consultation=consultation),
            "opinions": sum(item["count"] for item in sections),
            "dataset": services.dataset_name(consultation),
        },
    )


urlpatterns = [
    path("public-comment/", consultation_list, name="public_comment_list"),
    path("public-comment/<uuid:uid>/", consultation_detail, name="public_comment_detail"),
    path("public-comment/<uuid:uid>/opinion/", opinion_form, name="public_comment_opinion"),
    path("public-comment/<uuid:uid>/opinion/confirm/", opinion_confirm, name="public_comment_confirm"),
    path("public-comment/<uuid:uid>/opinion/done/", opinion_done, name="public_comment_done"),
    path("public-comment/<uuid:uid>/result/", result, name="public_comment_result"),
    path(
        "public-comment/<uuid:uid>/documents/<uuid:document>/",
        document_download,
        name="public_comment_document",
    ),
]
