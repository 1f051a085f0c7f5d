"""Disaster alerts: issue, confirm (two people for レベル4–5), update, cancel, and fan out.

Only staff of the municipality's crisis-management department (``Department.crisis_management``)
may act on alerts. An alert of レベル4 or レベル5 waits for a second authorized person unless the
sender records an emergency override with its reason. Updates and cancellations are alerts of
their own that reference the original (CAP ``references``). 訓練 (exercise) alerts reach residents
marked as exercises and never show the emergency banner; テスト alerts reach nobody.

Fan-out writes every message row streamed (constant memory however many residents) through
``bulk.fan_out``, shared with notices; a second run adds nothing (idempotency keys), so a crashed
fan-out is resumed by running it again.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.i18n import pick_entry
from idx.identity.models import Department, User
from idx.identity.policy import Action, can
from idx.notifications.bulk import fan_out, message_row
from idx.notifications.models import Alert, AlertKind, AlertMode, AlertStatus, Area, Message
from idx.notifications.selectors import alert_push_browsers, alert_subscriptions

NEEDS_SECOND_PERSON = {AlertKind.LEVEL4, AlertKind.LEVEL5}
CHUNK = 1000
TEXT_FIELDS = ("headline", "description", "instruction")


class AlertError(DomainError):
    code = "alert_error"


class AlertNotPermitted(AlertError):
    code = "not_permitted"
    http_status = 403


class AlertInvalid(AlertError):
    code = "invalid"
    http_status = 422

    def __init__(self, problems: list[str], fields: dict[str, str] | None = None):
        super().__init__("; ".join(problems))
        self.problems = problems
        # problem -> the form field it concerns ("kind", "mode", "areas", "ja-headline")
        self.fields = fields or {}


def crisis_department(municipality_id: int) -> Department | None:
    return Department.objects.filter(municipality_id=municipality_id, crisis_management=True).first()


def may_issue(staff: User) -> bool:
    department = crisis_department(staff.municipality_id)
    return department is not None and staff.is_staff_member and can(staff, Action.ISSUE_ALERT, department)


def _require(staff: User) -> None:
    if not may_issue(staff):
        raise AlertNotPermitted()


def _identifier(municipality_code: str, now: dt.datetime) -> str:
    # CAP: no spaces, commas or restricted characters; unique per sender.
    return f"jp.idx.{municipality_code}.{now.strftime('%Y%m%d%H%M%S')}.{secrets.token_hex(4)}"


def _clean_texts(texts: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    cleaned: dict[str, dict[str, str]] = {}
    for language, fields in texts.items():
        entry = {field: str(fields.get(field, "")).strip()[:2000] for field in TEXT_FIELDS}
        if any(entry.values()):
            cleaned[language] = entry
    problems = []
    if not cleaned.get("ja", {}).get("headline"):
        problems.append(_("a Japanese headline is required"))
    if problems:
        raise AlertInvalid(problems)
    return cleaned


def alert_check(
    *,
    staff: User,
    kind: str,
    mode: str,
    areas: Iterable[Area],
    texts: Mapping[str, Mapping[str, str]],
) -> tuple[list[Area], dict[str, dict[str, str]]]:
    """Every problem of an alert before it is issued, all at once: the mode (本番, 訓練 or テスト)
    is never assumed, it must be chosen. Returns the areas of the staff member's municipality and
    the cleaned texts; raises :class:`AlertInvalid` listing the problems."""
    _require(staff)
    fields: dict[str, str] = {}
    if not mode:
        fields[_("Mode: choose whether this is actual (本番), an exercise (訓練) or a test (テスト)")] = (
            "mode"
        )
    if kind not in AlertKind.values or (mode and mode not in AlertMode.values):
        fields[_("unknown kind or mode")] = "kind" if kind not in AlertKind.values else "mode"
    area_list = [area for area in areas if area.municipality_id == staff.municipality_id]
    if not area_list:
        fields[_("choose at least one area")] = "areas"
    cleaned: dict[str, dict[str, str]] = {}
    try:
        cleaned = _clean_texts(texts)
    except AlertInvalid as exc:
        fields.update(dict.fromkeys(exc.problems, "ja-headline"))
    if fields:
        raise AlertInvalid(list(fields), fields)
    return area_list, cleaned


def alert_issue(
    *,
    staff: User,
    kind: str,
    mode: str,
    areas: Iterable[Area],
    texts: Mapping[str, Mapping[str, str]],
    emergency_override: str = "",
    msg_type: str = "Alert",
    references: Alert | None = None,
) -> Alert:
    """A new alert: active at once, or waiting for a second person (レベル4–5 without override)."""
    area_list, cleaned = alert_check(staff=staff, kind=kind, mode=mode, areas=areas, texts=texts)
    now = timezone.now()
    waits = kind in NEEDS_SECOND_PERSON and not emergency_override.strip() and msg_type != "Cancel"
    with transaction.atomic():
        alert = Alert.objects.create(
            municipality_id=staff.municipality_id,
            identifier=_identifier(staff.municipality.code, now),
            kind=kind,
            mode=mode,
            status=AlertStatus.AWAITING_CONFIRMATION if waits else AlertStatus.ACTIVE,
            msg_type=msg_type,
            texts=cleaned,
            references=references,
            issued_by=staff,
            emergency_override=emergency_override.strip()[:300],
            sent_at=None if waits else now,
        )
        alert.areas.set(area_list)
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action=f"alert.{msg_type.lower()}",
            target_type="alert",
            target_id=alert.identifier,
            after={
                "kind": kind,
                "mode": mode,
                "areas": [area.code for area in area_list],
                "status": alert.status,
                "override": bool(alert.emergency_override),
            },
        )
        if not waits:
            _activated(alert)
    return alert


def _activated(alert: Alert) -> None:
    """What happens when an alert goes out: the one it replaces steps down; residents are told."""
    if alert.references_id is not None and alert.msg_type in ("Update", "Cancel"):
        Alert.objects.filter(pk=alert.references_id, status=AlertStatus.ACTIVE).update(
            status=AlertStatus.CANCELLED if alert.msg_type == "Cancel" else AlertStatus.SUPERSEDED,
            updated_at=timezone.now(),
        )
    if alert.msg_type == "Cancel":
        Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.CANCELLED)
        alert.status = AlertStatus.CANCELLED
    alert_id = alert.pk
    transaction.on_commit(lambda: _enqueue_fan_out(alert_id))


def _enqueue_fan_out(alert_id: int) -> None:
    from idx.notifications.tasks import fan_out_alert

    fan_out_alert.enqueue(alert_id)


def alert_confirm(*, staff: User, alert: Alert) -> Alert:
    """The second authorized person's confirmation of a レベル4–5 alert."""
    _require(staff)
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.municipality_id != staff.municipality_id:
            raise AlertNotPermitted()
        if locked.status != AlertStatus.AWAITING_CONFIRMATION:
            raise AlertInvalid([_("this alert is not waiting for confirmation")])
        if locked.issued_by_id == staff.pk:
            raise AlertInvalid([_("a second person must confirm")])
        locked.status = AlertStatus.ACTIVE
        locked.confirmed_by = staff
        locked.sent_at = timezone.now()
        locked.save(update_fields=["status", "confirmed_by", "sent_at", "updated_at"])
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="alert.confirm",
            target_type="alert",
            target_id=locked.identifier,
        )
        _activated(locked)
    return locked


def alert_update(
    *,
    staff: User,
    original: Alert,
    texts: Mapping[str, Mapping[str, str]],
    areas: Iterable[Area],
    kind: str = "",
) -> Alert:
    if original.status != AlertStatus.ACTIVE or original.municipality_id != staff.municipality_id:
        raise AlertInvalid([_("only an active alert can be updated")])
    return alert_issue(
        staff=staff,
        kind=kind or original.kind,
        mode=original.mode,
        areas=areas,
        texts=texts,
        msg_type="Update",
        references=original,
    )


def alert_cancel(
    *, staff: User, original: Alert, texts: Mapping[str, Mapping[str, str]] | None = None
) -> Alert:
    if original.status != AlertStatus.ACTIVE or original.municipality_id != staff.municipality_id:
        raise AlertInvalid([_("only an active alert can be cancelled")])
    headline = {
        language: {"headline": _cancel_headline(language, fields.get("headline", ""))}
        for language, fields in original.texts.items()
    }
    return alert_issue(
        staff=staff,
        kind=original.kind,
        mode=original.mode,
        areas=list(original.areas.all()),
        texts=texts or headline,
        msg_type="Cancel",
        references=original,
    )


def _cancel_headline(language: str, headline: str) -> str:
    with translation.override(language if language != "ja-easy" else "ja-easy"):
        return _("Cancelled: %(headline)s") % {"headline": headline}


# ---- reads ----------------------------------------------------------------------------------


def active_alerts(municipality_id: int) -> QuerySet[Alert]:
    """Real alerts in force: the portal's emergency banner shows them (never 訓練 or テスト)."""
    return (
        Alert.objects.filter(
            municipality_id=municipality_id,
            status=AlertStatus.ACTIVE,
            mode=AlertMode.ACTUAL,
            msg_type__in=("Alert", "Update"),
        )
        .prefetch_related("areas")
        .order_by("-sent_at")
    )


def texts_for(alert: Alert, language: str) -> dict[str, str]:
    texts = pick_entry(alert.texts, language)
    return texts if texts is not None else next(iter(alert.texts.values()), {"headline": alert.identifier})


# ---- fan-out --------------------------------------------------------------------------------


def _recipients(alert: Alert) -> Iterator[tuple[int, str, str, list[str], str]]:
    """(user id, e-mail, language, channels, LINE id) of every resident subscribed to an area of
    the alert, as plain tuples: no model objects for a hundred thousand rows."""
    rows = alert_subscriptions(alert.municipality_id, alert.areas.all())
    for _pk, user_id, email, language, channels, line_user_id in rows.iterator(chunk_size=CHUNK):
        yield user_id, email, language, channels or [], line_user_id


def _message_texts(alert: Alert, language: str) -> tuple[str, str]:
    fields = texts_for(alert, language)
    with translation.override(language):
        prefix = ""
        if alert.mode == AlertMode.EXERCISE:
            prefix = _("[Exercise] ")
        headline = prefix + fields.get("headline", "")
        area_names = "、".join(area.name for area in alert.areas.all())
        body = "\n\n".join(
            part
            for part in (
                headline,
                fields.get("description", ""),
                fields.get("instruction", ""),
                _("Areas: %(areas)s") % {"areas": area_names},
                alert.municipality.name,
            )
            if part
        )
    return headline[:200], body


def alert_fan_out(alert_id: int) -> int:
    """Write every resident's messages for an alert; returns how many rows were new."""
    from idx.notifications.services import targets

    alert = Alert.objects.select_related("municipality").filter(pk=alert_id).first()
    if alert is None or alert.mode == AlertMode.TEST or alert.sent_at is None:
        return 0
    rendered: dict[str, tuple[str, str]] = {}
    pushes = alert_push_browsers(alert.areas.all())
    now = timezone.now()

    def rows() -> Iterator[tuple[Any, ...]]:
        for user_id, email, language_code, channels, line_user_id in _recipients(alert):
            language = language_code or "ja"
            if language not in rendered:
                rendered[language] = _message_texts(alert, language)
            subject, body = rendered[language]
            for channel, address in targets(
                email=email, channels=channels, line_user_id=line_user_id, push_ids=pushes.get(user_id, [])
            ):
                inbox = channel == "inbox"
                key = f"alert:{user_id}:{alert.identifier}:{channel}" + (
                    f":{address}" if channel == "webpush" else ""
                )
                yield message_row(
                    municipality_id=alert.municipality_id,
                    now=now,
                    recipient_id=user_id,
                    channel=channel,
                    address=address,
                    purpose="alert",
                    topic="disaster",
                    subject=subject,
                    body=body,
                    language=language,
                    emergency=True,
                    idempotency_key=key,
                    delivered=inbox,
                    alert_id=alert.pk,
                )

    def done() -> None:
        Alert.objects.filter(pk=alert.pk).update(fanned_out_at=timezone.now())

    return fan_out(rows(), messages=Message.objects.filter(alert=alert), done=done)


def alert_delivery_counts(alert: Alert) -> dict[str, Any]:
    from django.db.models import Count

    rows = alert.messages.values("channel", "status").annotate(count=Count("pk"))
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["channel"], {})[row["status"]] = row["count"]
    return counts
