"""The printed form of a procedure, for residents who fill in paper (紙の申請書のダウンロード)."""

from __future__ import annotations

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import path

from idx.intake.paper import blank_serial, form_pdf
from idx.procedures.selectors import procedure_get_published
from idx.web.http import IdxRequest

BLANK_FORM_CACHE_SECONDS = 24 * 60 * 60


def paper_form_pdf(request: IdxRequest, code: str) -> HttpResponseBase:
    """The blank form of the published version; the same file for everyone, so it is kept a day."""
    procedure = procedure_get_published(municipality=request.municipality, code=code)
    if procedure is None or procedure.published_version is None:
        raise Http404
    version = procedure.published_version
    key = f"intake:blank-form:{version.pk}:{version.published_at.isoformat() if version.published_at else ''}"
    pdf = cache.get(key)
    if pdf is None:
        pdf = form_pdf(version, serial=blank_serial(version))
        cache.set(key, pdf, BLANK_FORM_CACHE_SECONDS)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{procedure.code}-v{version.number}.pdf"'
    return response


urlpatterns = [
    path("procedures/<slug:code>/paper-form.pdf", paper_form_pdf, name="procedure_paper_form"),
]
