"""お知らせ配信: a notice to every resident who follows a topic, in chosen areas or everywhere.

Unlike alerts, notices respect quiet hours and carry a one-click link to stop the topic. The
fan-out streams subscriptions (constant memory) through ``bulk.fan_out``, shared with alerts, and
is idempotent like theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.i18n import pick_entry
from idx.identity.models import Role, User
from idx.identity.policy import Action, Scope, can, scope_of
from idx.notifications.bulk import fan_out, message_row
from idx.notifications.models import Area, Message, Notice, Subscription, Topic
from idx.notifications.unsubscribe import unsubscribe_token

CHUNK = 1000


class NoticeError(DomainError):
    code = "notice_error"


class NoticeNotPermitted(NoticeError):
    code = "not_permitted"
    http_status = 403


class NoticeInvalid(NoticeError):
    code = "invalid"
    http_status = 422

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def may_send(staff: User) -> bool:
    if not staff.is_staff_member:
        return False
    if scope_of(staff.role, Action.SEND_NOTICE) == Scope.ALL_DEPARTMENTS:
        return True
    return staff.department is not None and can(staff, Action.SEND_NOTICE, staff.department)


def notice_send(
    *, staff: User, topic: str, areas: Iterable[Area], texts: Mapping[str, Mapping[str, str]]
) -> Notice:
    if not may_send(staff):
        raise NoticeNotPermitted()
    problems = []
    if topic not in Topic.values:
        problems.append(_("choose a topic"))
    cleaned = {
        language: {
            "subject": str(fields.get("subject", "")).strip()[:200],
            "body": str(fields.get("body", "")).strip()[:4000],
        }
        for language, fields in texts.items()
        if str(fields.get("subject", "")).strip()
    }
    if not cleaned.get("ja", {}).get("body"):
        problems.append(_("a Japanese subject and text are required"))
    area_list = [area for area in areas if area.municipality_id == staff.municipality_id]
    if problems:
        raise NoticeInvalid(problems)
    with transaction.atomic():
        notice = Notice.objects.create(
            municipality_id=staff.municipality_id,
            topic=topic,
            texts=cleaned,
            issued_by=staff,
            department=staff.department,
            sent_at=timezone.now(),
        )
        notice.areas.set(area_list)
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="notice.send",
            target_type="notice",
            target_id=notice.pk,
            after={"topic": topic, "areas": [area.code for area in area_list]},
        )
        notice_id = notice.pk
        transaction.on_commit(lambda: _enqueue(notice_id))
    return notice


def _enqueue(notice_id: int) -> None:
    from idx.notifications.tasks import fan_out_notice

    fan_out_notice.enqueue(notice_id)


def _texts(notice: Notice, language: str) -> dict[str, str]:
    texts = pick_entry(notice.texts, language)
    return texts if texts is not None else next(iter(notice.texts.values()))


def notice_fan_out(notice_id: int) -> int:
    """Write the notice for every follower of its topic (in its areas); returns rows added."""
    from idx.notifications.services import quiet_until, targets

    notice = Notice.objects.select_related("municipality").filter(pk=notice_id).first()
    if notice is None:
        return 0
    area_ids = set(notice.areas.values_list("pk", flat=True))
    subscriptions = (
        Subscription.objects.filter(
            user__municipality_id=notice.municipality_id, user__is_active=True, user__role=Role.RESIDENT
        )
        .select_related("user")
        .prefetch_related("areas", "user__web_push")
        .order_by("pk")
    )
    base = notice.municipality.public_url.rstrip("/")
    now = timezone.now()

    def rows() -> Iterator[tuple[Any, ...]]:
        for subscription in subscriptions.iterator(chunk_size=CHUNK):
            if notice.topic not in subscription.topics:
                continue
            if area_ids and not area_ids & {area.pk for area in subscription.areas.all()}:
                continue
            user = subscription.user
            language = user.preferred_language or "ja"
            fields = _texts(notice, language)
            link = base + reverse(
                "notifications:unsubscribe", kwargs={"token": unsubscribe_token(user.pk, notice.topic)}
            )
            with translation.override(language):
                footer = _("To stop messages about “%(topic)s”: %(link)s") % {
                    "topic": Topic(notice.topic).label,
                    "link": link,
                }
            body = f"{fields['body']}\n\n{notice.municipality.name}\n{footer}"
            quiet = quiet_until(subscription, now)
            for channel, address in targets(
                email=user.email,
                channels=subscription.channels,
                line_user_id=subscription.line_user_id,
                push_ids=[push.pk for push in user.web_push.all()],
            ):
                yield message_row(
                    municipality_id=notice.municipality_id,
                    now=now,
                    recipient_id=user.pk,
                    channel=channel,
                    address=address,
                    purpose="notice",
                    topic=notice.topic,
                    subject=fields["subject"],
                    body=body,
                    language=language,
                    emergency=False,
                    idempotency_key=f"notice:{user.pk}:{notice.pk}:{channel}"
                    + (f":{address}" if channel == "webpush" else ""),
                    delivered=channel == "inbox",
                    notice_id=notice.pk,
                    not_before=quiet,
                )

    def done() -> None:
        Notice.objects.filter(pk=notice.pk).update(fanned_out_at=timezone.now())

    return fan_out(rows(), messages=Message.objects.filter(notice=notice), done=done)
