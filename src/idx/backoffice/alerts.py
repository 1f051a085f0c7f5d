"""Disaster alerts in the back office (crisis-management staff): issue, confirm, update, cancel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.notifications import alerts as alert_services
from idx.notifications.models import Alert, AlertKind, AlertMode, AlertStatus, Area, ImportedAlert
from idx.web.http import IdxRequest, staff_required

LANGUAGES_EDITED = (("ja", "日本語"), ("ja-easy", "やさしい日本語"), ("en", "English"))


def _require_crisis(request: IdxRequest) -> None:
    if not alert_services.may_issue(request.user):
        raise Http404


def _alert(request: IdxRequest, identifier: str) -> Alert:
    alert = Alert.objects.filter(municipality=request.municipality, identifier=identifier).first()
    if alert is None:
        raise Http404
    return alert


def _texts_from(post: Any) -> dict[str, dict[str, str]]:
    return {
        code: {field: post.get(f"{code}-{field}", "") for field in alert_services.TEXT_FIELDS}
        for code, _name in LANGUAGES_EDITED
    }


@staff_required
def alert_list(request: IdxRequest) -> HttpResponseBase:
    _require_crisis(request)
    recent = (
        Alert.objects.filter(municipality=request.municipality)
        .select_related("issued_by", "confirmed_by")
        .prefetch_related("areas")[:50]
    )
    return render(
        request,
        "backoffice/alerts.html",
        {
            "alerts": [(alert, alert_services.alert_delivery_counts(alert)) for alert in recent],
            "awaiting": AlertStatus.AWAITING_CONFIRMATION,
            "active": AlertStatus.ACTIVE,
            "imported": ImportedAlert.objects.filter(municipality=request.municipality)[:20],
        },
    )


@staff_required
def alert_new(request: IdxRequest, identifier: str = "") -> HttpResponseBase:
    """A new alert, or (with ``identifier``) an update of an active one."""
    _require_crisis(request)
    original = _alert(request, identifier) if identifier else None
    areas = list(Area.objects.filter(municipality=request.municipality))
    source_id = request.POST.get("imported") or request.GET.get("imported", "")
    imported = (
        ImportedAlert.objects.filter(municipality=request.municipality, pk=source_id).first()
        if source_id.isdecimal()
        else None
    )
    errors: list[str] = []
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = request.POST
        chosen = [area for area in areas if str(area.pk) in request.POST.getlist("areas")]
        try:
            if original is not None:
                alert = alert_services.alert_update(
                    staff=request.user,
                    original=original,
                    texts=_texts_from(request.POST),
                    areas=chosen,
                    kind=request.POST.get("kind", ""),
                )
            else:
                alert = alert_services.alert_issue(
                    staff=request.user,
                    kind=request.POST.get("kind", ""),
                    mode=request.POST.get("mode", ""),
                    areas=chosen,
                    texts=_texts_from(request.POST),
                    emergency_override=request.POST.get("override", ""),
                )
        except alert_services.AlertInvalid as exc:
            errors = exc.problems
        else:
            if imported is not None:
                ImportedAlert.objects.filter(pk=imported.pk).update(rebroadcast=alert)
            if alert.status == AlertStatus.AWAITING_CONFIRMATION:
                messages.warning(
                    request, _("Saved. A second authorized person must confirm it before it is sent.")
                )
            else:
                messages.success(request, _("The alert has been sent."))
            return redirect("backoffice:alert_list")
    elif imported is not None:
        # Re-broadcast: start from the received text; staff check and complete it.
        values = {
            "ja-headline": imported.headline,
            "ja-description": imported.description,
            "ja-instruction": imported.instruction,
            "mode": "exercise" if imported.status == "Exercise" else "actual",
        }
    elif original is not None:
        values = {"kind": original.kind, "mode": original.mode}
        for code, fields in original.texts.items():
            for field, text in fields.items():
                values[f"{code}-{field}"] = text
    chosen_ids = (
        {str(pk) for pk in request.POST.getlist("areas")}
        if request.method == "POST"
        else {str(area.pk) for area in original.areas.all()}
        if original
        else set()
    )
    return render(
        request,
        "backoffice/alert_form.html",
        {
            "original": original,
            "kinds": AlertKind.choices,
            "modes": AlertMode.choices,
            "areas": [(area, str(area.pk) in chosen_ids) for area in areas],
            "languages": LANGUAGES_EDITED,
            "fields": alert_services.TEXT_FIELDS,
            "values": values,
            "errors": errors,
            "imported": imported,
        },
        status=422 if errors else 200,
    )


@require_POST
@staff_required
def alert_confirm(request: IdxRequest, identifier: str) -> HttpResponseBase:
    _require_crisis(request)
    try:
        alert_services.alert_confirm(staff=request.user, alert=_alert(request, identifier))
    except alert_services.AlertInvalid as exc:
        messages.error(request, "; ".join(exc.problems))
    else:
        messages.success(request, _("The alert has been confirmed and sent."))
    return redirect("backoffice:alert_list")


@require_POST
@staff_required
def alert_cancel(request: IdxRequest, identifier: str) -> HttpResponseBase:
    _require_crisis(request)
    try:
        alert_services.alert_cancel(staff=request.user, original=_alert(request, identifier))
    except alert_services.AlertInvalid as exc:
        messages.error(request, "; ".join(exc.problems))
    else:
        messages.success(request, _("The alert has been cancelled; residents are told."))
    return redirect("backoffice:alert_list")
