"""Disaster alerts in the back office (crisis-management staff): issue, confirm, update, cancel."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from idx.notifications import alerts as alert_services
from idx.notifications import selectors as alert_selectors
from idx.notifications.models import (
    Alert,
    AlertKind,
    AlertMode,
    AlertStatus,
    Area,
    ImportedAlert,
    MessageStatus,
)
from idx.web.http import IdxRequest, staff_required

LANGUAGES_EDITED = (("ja", "日本語"), ("ja-easy", "やさしい日本語"), ("en", "English"))
PENDING_KEY = "alert_confirmations"
PENDING_KEPT = 5
CLAIM_PREFIX = "alert-confirmation-used:"
CLAIM_SECONDS = 7 * 24 * 3600


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


def _delivery_labels(counts: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Channel and status codes of the delivery counts in the staff member's words."""
    channels = dict(_channel_labels())
    statuses = dict(MessageStatus.choices)
    return {
        str(channels.get(channel, channel)): {
            str(statuses.get(status, status)): count for status, count in by_status.items()
        }
        for channel, by_status in counts.items()
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
            "alerts": [
                (alert, _delivery_labels(alert_services.alert_delivery_counts(alert))) for alert in recent
            ],
            "awaiting": AlertStatus.AWAITING_CONFIRMATION,
            "active": AlertStatus.ACTIVE,
            "imported": ImportedAlert.objects.filter(municipality=request.municipality)[:20],
        },
    )


def _anchors(exc: alert_services.AlertInvalid, areas: list[Area]) -> dict[str, str]:
    """problem -> the id of the form control it concerns, for the error summary's links."""
    ids = {
        "kind": "alert-kind",
        "mode": "alert-mode-actual",
        "areas": f"alert-area-{areas[0].code}" if areas else "",
        "ja-headline": "alert-ja-headline",
    }
    return {problem: ids.get(field, "") for problem, field in exc.fields.items()}


def _reach(municipality_id: int, areas: list[Area]) -> dict[str, Any]:
    reach = alert_selectors.alert_reach(municipality_id, areas)
    return {
        "residents": reach["residents"],
        "channels": [(label, reach[channel]) for channel, label in _channel_labels()],
    }


def _channel_labels() -> tuple[tuple[str, str], ...]:
    return (
        ("inbox", _("Inbox on the portal")),
        ("email", _("E-mail")),
        ("line", "LINE"),
        ("webpush", _("Web Push (browser notifications)")),
    )


def _pending(request: IdxRequest) -> dict[str, Any]:
    pending: dict[str, Any] = request.session.get(PENDING_KEY) or {}
    return pending


def _keep_pending(request: IdxRequest, token: str, draft: dict[str, Any]) -> None:
    pending = _pending(request)
    pending[token] = draft
    # Only the latest few drafts stay; an older confirmation page then says it has expired.
    request.session[PENDING_KEY] = dict(list(pending.items())[-PENDING_KEPT:])


def _take_pending(request: IdxRequest, token: str) -> dict[str, Any] | None:
    pending = _pending(request)
    draft = pending.pop(token, None) if token else None
    request.session[PENDING_KEY] = pending
    return draft if isinstance(draft, dict) else None


def _form_values(draft: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": draft["kind"],
        "mode": draft["mode"],
        "override": draft["override"],
    }
    for code, fields in draft["texts"].items():
        for field, text in fields.items():
            values[f"{code}-{field}"] = text
    return values


def _issue(request: IdxRequest, draft: dict[str, Any], original: Alert | None) -> Alert:
    areas = list(Area.objects.filter(municipality=request.municipality, pk__in=draft["areas"]))
    if original is not None:
        return alert_services.alert_update(
            staff=request.user, original=original, texts=draft["texts"], areas=areas, kind=draft["kind"]
        )
    return alert_services.alert_issue(
        staff=request.user,
        kind=draft["kind"],
        mode=draft["mode"],
        areas=areas,
        texts=draft["texts"],
        emergency_override=draft["override"],
    )


@staff_required
def alert_new(request: IdxRequest, identifier: str = "") -> HttpResponseBase:
    """A new alert, or (with ``identifier``) an update of an active one.

    The form leads to a confirmation page (level, mode, areas, how many residents on which
    channels); only the confirmation's POST issues the alert, once: its one-time token is kept in
    the session with what was typed and claimed in the shared cache, so a replayed or doubled
    confirmation sends nothing more."""
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
    anchors: dict[str, str] = {}
    values: dict[str, Any] = {}
    chosen_ids: set[str] = set()
    if request.method == "POST" and request.POST.get("token"):
        token = request.POST["token"]
        draft = _take_pending(request, token)
        if request.POST.get("action") == "edit" and draft is not None:
            values = _form_values(draft)
            chosen_ids = {str(pk) for pk in draft["areas"]}
        elif draft is None or not cache.add(f"{CLAIM_PREFIX}{token}", 1, CLAIM_SECONDS):
            messages.error(
                request, _("This confirmation was already used or has expired; nothing was sent again.")
            )
            return redirect("backoffice:alert_list")
        else:
            try:
                alert = _issue(request, draft, original)
            except alert_services.AlertInvalid as exc:
                errors = exc.problems
                values = _form_values(draft)
                chosen_ids = {str(pk) for pk in draft["areas"]}
            else:
                if draft.get("imported"):
                    ImportedAlert.objects.filter(
                        municipality=request.municipality, pk=draft["imported"]
                    ).update(rebroadcast=alert)
                if alert.status == AlertStatus.AWAITING_CONFIRMATION:
                    messages.warning(
                        request, _("Saved. A second authorized person must confirm it before it is sent.")
                    )
                else:
                    messages.success(request, _("The alert has been sent."))
                return redirect("backoffice:alert_list")
    elif request.method == "POST":
        values = request.POST
        chosen_ids = {str(pk) for pk in request.POST.getlist("areas")}
        chosen = [area for area in areas if str(area.pk) in chosen_ids]
        kind = request.POST.get("kind", "")
        mode = original.mode if original is not None else request.POST.get("mode", "")
        texts = _texts_from(request.POST)
        try:
            chosen, cleaned = alert_services.alert_check(
                staff=request.user, kind=kind, mode=mode, areas=chosen, texts=texts
            )
        except alert_services.AlertInvalid as exc:
            errors = exc.problems
            anchors = _anchors(exc, areas)
        else:
            draft = {
                "kind": kind,
                "mode": mode,
                "areas": [area.pk for area in chosen],
                "texts": cleaned,
                "override": "" if original is not None else request.POST.get("override", "").strip()[:300],
                "imported": imported.pk if imported is not None else None,
            }
            token = secrets.token_urlsafe(24)
            _keep_pending(request, token, draft)
            return _confirmation(
                request,
                token=token,
                draft=draft,
                areas=chosen,
                original=original,
                action_url=request.path,
            )
    elif imported is not None:
        # Re-broadcast: start from the received text; staff check and complete it, mode included.
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
        chosen_ids = {str(area.pk) for area in original.areas.all()}
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
            "errors": [(error, anchors.get(error, "")) for error in errors],
            "mode_missing": bool(errors) and original is None and not values.get("mode"),
            "imported": imported,
        },
        status=422 if errors else 200,
    )


def _confirmation(
    request: IdxRequest,
    *,
    token: str,
    draft: dict[str, Any],
    areas: list[Area],
    original: Alert | None,
    action_url: str,
) -> HttpResponseBase:
    kind = AlertKind(draft["kind"])
    mode = AlertMode(draft["mode"])
    waits = original is None and kind in alert_services.NEEDS_SECOND_PERSON and not draft["override"]
    return render(
        request,
        "backoffice/alert_confirm.html",
        {
            "token": token,
            "action_url": action_url,
            "kind_label": kind.label,
            "mode": mode.value,
            "mode_label": mode.label,
            "areas": areas,
            "texts": draft["texts"],
            "languages": LANGUAGES_EDITED,
            "override": draft["override"],
            "original": original,
            "waits": waits,
            "second_person": False,
            "imported_id": draft.get("imported"),
            "reach": _reach(request.municipality.pk, areas),
        },
    )


def _confirm_stored(
    request: IdxRequest, alert: Alert, *, second_person: bool = False, cancelling: bool = False
) -> HttpResponseBase:
    """The confirmation page for an alert already stored (the second person's look, a cancellation)."""
    areas = list(alert.areas.all())
    mode = AlertMode(alert.mode)
    return render(
        request,
        "backoffice/alert_confirm.html",
        {
            "token": "",
            "action_url": request.path,
            "kind_label": alert.get_kind_display(),
            "mode": mode.value,
            "mode_label": mode.label,
            "areas": areas,
            "texts": alert.texts,
            "languages": LANGUAGES_EDITED,
            "override": "",
            "original": None,
            "waits": False,
            "second_person": second_person,
            "cancelling": cancelling,
            "issued_by": alert.issued_by,
            "reach": _reach(request.municipality.pk, areas),
        },
    )


@staff_required
def alert_confirm(request: IdxRequest, identifier: str) -> HttpResponseBase:
    """The second authorized person's look at a レベル4–5 alert (GET), then its sending (POST).

    Sending twice is impossible: the alert leaves 「確認待ち」 when it is confirmed, and a second POST
    is refused."""
    _require_crisis(request)
    alert = _alert(request, identifier)
    if request.method == "POST":
        try:
            alert_services.alert_confirm(staff=request.user, alert=alert)
        except alert_services.AlertInvalid as exc:
            messages.error(request, "; ".join(exc.problems))
        else:
            messages.success(request, _("The alert has been confirmed and sent."))
        return redirect("backoffice:alert_list")
    if alert.status != AlertStatus.AWAITING_CONFIRMATION or alert.issued_by_id == request.user.pk:
        messages.error(request, _("This alert is not waiting for your confirmation."))
        return redirect("backoffice:alert_list")
    return _confirm_stored(request, alert, second_person=True)


@staff_required
def alert_cancel(request: IdxRequest, identifier: str) -> HttpResponseBase:
    """Cancelling reaches residents too: a confirmation page first (GET), then the cancellation
    (POST), refused once the alert is no longer active, so it is never sent twice."""
    _require_crisis(request)
    alert = _alert(request, identifier)
    if request.method == "POST":
        try:
            alert_services.alert_cancel(staff=request.user, original=alert)
        except alert_services.AlertInvalid as exc:
            messages.error(request, "; ".join(exc.problems))
        else:
            messages.success(request, _("The alert has been cancelled; residents are told."))
        return redirect("backoffice:alert_list")
    if alert.status != AlertStatus.ACTIVE or alert.msg_type == "Cancel":
        messages.error(request, _("only an active alert can be cancelled"))
        return redirect("backoffice:alert_list")
    return _confirm_stored(request, alert, cancelling=True)
