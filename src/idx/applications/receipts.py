"""The application receipt (受付票) as a PDF with embedded Japanese fonts."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from idx.applications.models import Application
from idx.applications.presentation import answer_rows
from idx.common.i18n import pick


def receipt_pdf(application: Application, language: str) -> bytes:
    # WeasyPrint lays out HTML with the system's fonts (fonts-noto-cjk) and embeds the glyphs it uses.
    from weasyprint import HTML

    with translation.override(language):
        html = render_to_string(
            "applications/receipt_pdf.html",
            {
                "application": application,
                "procedure_name": pick(application.procedure_version.definition["name"], language),
                "rows": answer_rows(application),
                "municipality": application.municipality,
                "department": application.department,
            },
        )
    return bytes(HTML(string=html).write_pdf())
