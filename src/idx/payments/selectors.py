"""Reads of payments for the other domains and the front doors."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from idx.applications.models import Application
from idx.payments.models import Payment


@dataclass(frozen=True)
class FeePaid:
    """What was paid for an application's fee and what has come back (for a withdrawal, 取下げ).

    ``refund``: ``"refunded"`` (all of it), ``"partly_refunded"``, or ``"ask_department"``:
    withdrawing starts no refund by itself (a certificate may already have been issued), so the
    department decides and the resident is told whom to ask.
    """

    paid_amount: int
    refunded_amount: int

    @property
    def refund(self) -> str:
        if self.refunded_amount >= self.paid_amount:
            return "refunded"
        if self.refunded_amount > 0:
            return "partly_refunded"
        return "ask_department"


def fee_paid_for(application: Application) -> FeePaid | None:
    """The fee paid for the application (all its payments together); None when nothing was paid."""
    totals = Payment.objects.filter(application=application, paid_amount__gt=0).aggregate(
        paid=Sum("paid_amount"), refunded=Sum("refunded_amount")
    )
    if not totals["paid"]:
        return None
    return FeePaid(paid_amount=int(totals["paid"]), refunded_amount=int(totals["refunded"] or 0))


def application_has_payments(application: Application) -> bool:
    """Whether any payment was ever started for the application (its record must then be kept)."""
    return Payment.objects.filter(application=application).exists()
