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
