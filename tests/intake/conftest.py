"""Shared helpers of the intake tests: printed forms rendered once per session (WeasyPrint takes seconds)."""

from __future__ import annotations

from typing import Any

import pytest

_PDFS: dict[tuple[Any, ...], bytes] = {}


def cached_form_pdf(version, *, serial: str, answers: dict[str, Any] | None = None) -> bytes:
    from idx.intake.paper import form_pdf

    key = (version.pk, version.procedure.municipality_id, serial, repr(answers))
    if key not in _PDFS:
        _PDFS[key] = form_pdf(version, serial=serial, answers=answers)
    return _PDFS[key]


@pytest.fixture
def child_allowance_version(iga):
    from tests.conftest import procedure

    return procedure(iga).published_version


def read_form(
    clerk,
    answers: dict[str, Any],
    *,
    serial: str = "P0TEST",
    confidence: dict[str, float] | None = None,
    misread: dict[str, Any] | None = None,
    seconds: float = 1.5,
):
    """A batch holding one child-allowance form as the reader would leave it, without OCR: each
    page a plain image and readings made from ``answers`` (``misread`` replaces values read,
    ``confidence`` sets an item's confidence; every other item is read surely)."""
    import io
    import secrets

    from django.core.files.base import ContentFile
    from PIL import Image

    from idx.intake.models import ScanBatch, ScanPage
    from idx.intake.paper import form_layout, value_at
    from tests.conftest import procedure

    version = procedure(clerk.municipality).published_version
    layout = form_layout(version)
    batch = ScanBatch(
        municipality=clerk.municipality,
        public_id=f"scn_{secrets.token_hex(12)}",
        uploaded_by=clerk,
        original_name="scan.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        status=ScanBatch.Status.DONE,
        page_count=len(layout.pages),
    )
    batch.file.save("upload", ContentFile(b"%PDF-1.4"), save=False)
    batch.save()
    out = io.BytesIO()
    Image.new("L", (1654, 2339), 255).save(out, format="PNG")
    for index, page in enumerate(layout.pages, start=1):
        readings = []
        for zone in page.zones:
            value = value_at(answers, zone.path)
            if value == "":
                value = None
            if zone.format == "phone" and isinstance(value, str):
                value = value.replace("-", "")
            if misread and zone.path in misread:
                value = misread[zone.path]
            text = "" if value is None else str(value)
            if zone.kind == "choice" and value is not None:
                text = next((option.label for option in zone.options if option.value == value), text)
            readings.append(
                {
                    "path": zone.path,
                    "value": value,
                    "text": text,
                    "confidence": (confidence or {}).get(zone.path, 0.98),
                    "zone": {"x": zone.frame.x, "y": zone.frame.y, "w": zone.frame.w, "h": zone.frame.h},
                }
            )
        scan = ScanPage(
            municipality=clerk.municipality,
            batch=batch,
            number=index,
            outcome=ScanPage.Outcome.READ,
            procedure_version=version,
            form_serial=serial,
            form_page=index,
            form_pages=len(layout.pages),
            marks_found=4,
            readings=readings,
            seconds=seconds,
        )
        scan.image.save(f"page-{index:04d}.png", ContentFile(out.getvalue()), save=False)
        scan.save()
    return batch
