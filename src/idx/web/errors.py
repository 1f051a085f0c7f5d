"""A refusal of a domain (``idx.common.errors.DomainError``) on a page: an error of the form.

The page then shows it like any other error of its form, in the error summary at the top
(``idx.web.summary.summary_from_form`` and ``portal/_error_summary.html``) and next to the field
it concerns: on the field the error names, else on ``fallback_field``, else on the whole form.
"""

from __future__ import annotations

from django import forms
from django.utils.functional import Promise

from idx.common.errors import DomainError

__all__ = ["form_add_domain_error"]


def form_add_domain_error(
    form: forms.Form,
    error: DomainError,
    *,
    message: str | Promise | None = None,
    fallback_field: str | None = None,
) -> None:
    """Add ``error`` to ``form``; ``message`` replaces the error's own text when the page words it."""
    field = error.field if error.field in form.fields else None
    if field is None and fallback_field in form.fields:
        field = fallback_field
    form.add_error(field, str(message) if message is not None else error.text())
