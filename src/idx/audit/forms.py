from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_PERIOD_DAYS = 3660


class AuditPeriodForm(forms.Form):
    """The period of an audit log export: first and last day, both inclusive."""

    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        date_from: dt.date | None = data.get("date_from")
        date_to: dt.date | None = data.get("date_to")
        if date_from and date_to:
            if date_to < date_from:
                raise forms.ValidationError(_("The last day is before the first day."))
            if (date_to - date_from).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(_("Choose a period of at most ten years."))
        return data
