"""The 領収書 (receipt) of a payment as a PDF in Japanese, with embedded fonts (WeasyPrint)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import timezone, translation

from idx.common.wareki import format_both
from idx.payments.models import Payment

if TYPE_CHECKING:
    from weasyprint.document import Document


def payment_receipt_pdf(payment: Payment) -> bytes:
    return bytes(payment_receipt_document(payment).write_pdf())


def payment_receipt_document(payment: Payment) -> Document:
    """The laid-out 領収書 (one A5 landscape page; tests check the page count)."""
    from weasyprint import HTML

    paid_at = timezone.localtime(payment.paid_at) if payment.paid_at else None
    with translation.override("ja"):  # an official receipt: in Japanese, as the city issues it
        html = render_to_string(
            "payments/receipt_pdf.html",
            {
                "payment": payment,
                "municipality": payment.municipality,
                "department": payment.department,
                "paid_at": paid_at,
                "paid_on": format_both(paid_at.date()) if paid_at else "",
            },
        )
    return HTML(string=html).render()
