"""Writes of the notification service: templates, messages and their delivery, subscriptions.

A message is created (``message_create``) as a row with an idempotency key per
(purpose, recipient, subject, channel) before any task is enqueued; creating it again returns the
same row. ``message_deliver`` (run by the worker) claims the row, sends it through its channel and
records the outcome: delivered, retried later with exponential backoff (``MAX_ATTEMPTS`` in all),
or failed with the reason. Quiet hours move the first attempt to their end, except emergencies.
"""

from __future__ import annotations

import datetime as dt
import logging
import string
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from idx.common.dates import uses_full_width_punctuation
from idx.common.models import Municipality
from idx.identity.models import User
from idx.notifications.channels import PermanentFailure, TemporaryFailure, channels
from idx.notifications.models import Message, MessageStatus, MessageTemplate, Subscription

logger = logging.getLogger("idx.notifications")

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 30  # 30 s, 60 s, 120 s, 240 s, 480 s between attempts
FINAL = (MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.BOUNCED)

# The placeholders each purpose offers, with what they hold (checked when a template is saved).
# The notification service declares its own purposes here; the domains that send messages
# declare theirs with ``register_placeholders`` from their ``AppConfig.ready()``.
PLACEHOLDERS: dict[str, dict[str, str]] = {
    "alert": {
        "headline": "the alert's headline",
        "description": "what happens",
        "instruction": "what to do",
        "areas": "the areas concerned",
        "municipality": "the municipality's name",
    },
}


def register_placeholders(purpose: str, placeholders: Mapping[str, str]) -> None:
    """Let cities word the messages of ``purpose`` (a domain calls this from ``AppConfig.ready()``).

    ``placeholders`` maps each name a city's template may use (``{name}``) to what it holds; the
    back office lists them and ``template_save`` refuses any other name. A purpose registered
    twice keeps its first declaration.
    """
    PLACEHOLDERS.setdefault(purpose, dict(placeholders))


class TemplateInvalid(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def template_problems(purpose: str, *texts: str) -> list[str]:
    """Unknown placeholders, attribute or index access, format specs and broken braces."""
    known = PLACEHOLDERS.get(purpose)
    if known is None:
        return [f"unknown purpose {purpose!r}"]
    problems: list[str] = []
    separator = "、" if uses_full_width_punctuation() else ", "  # 使えるもの：{code}、{date}…
    for text in texts:
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError:
            problems.append(_("The braces { } do not match."))
            continue
        for _literal, field, spec, conversion in parsed:
            if field is None:
                continue
            if field not in known:
                problems.append(
                    _("Unknown placeholder {%(name)s}; you can use: %(known)s")
                    % {"name": field, "known": separator.join("{" + name + "}" for name in sorted(known))}
                )
            elif spec or conversion:
                problems.append(_("{%(name)s} takes no format or conversion") % {"name": field})
    return problems


def template_save(
    *,
    municipality: Municipality,
    purpose: str,
    language: str,
    subject: str,
    body: str,
    actor: User | None = None,
) -> MessageTemplate:
    """Save the city's wording of a message; the change is audited (``config.message_template.update``)."""
    from idx.audit.services import audit_record
    from idx.common.changes import changed_fields

    problems = template_problems(purpose, subject, body)
    if problems:
        raise TemplateInvalid(problems)
    with transaction.atomic():
        existing = (
            MessageTemplate.objects.select_for_update()
            .filter(municipality=municipality, purpose=purpose, language=language)
            .values("subject", "body")
            .first()
        )
        template, _made = MessageTemplate.objects.update_or_create(
            municipality=municipality,
            purpose=purpose,
            language=language,
            defaults={"subject": subject, "body": body},
        )
        before, after = changed_fields(existing, {"subject": subject, "body": body})
        if after:
            audit_record(
                municipality=municipality,
                actor=actor,
                action="config.message_template.update",
                target_type="message_template",
                target_id=f"{purpose}:{language}",
                before=before or None,
                after=after,
            )
    return template


def template_reset(*, template: MessageTemplate, actor: User | None) -> None:
    """Go back to the standard wording: the city's own is deleted, and the deletion audited."""
    from idx.audit.services import audit_record

    with transaction.atomic():
        audit_record(
            municipality=template.municipality,
            actor=actor,
            action="config.message_template.delete",
            target_type="message_template",
            target_id=f"{template.purpose}:{template.language}",
            before={"subject": template.subject, "body": template.body},
        )
        template.delete()


def render_for(
    *,
    municipality: Municipality,
    purpose: str,
    language: str,
    placeholders: Mapping[str, str],
    context: Mapping[str, Any],
    shipped: str,
) -> tuple[str, str]:
    """(subject, body): the city's template for the language if there is one, else the shipped one.

    A city's template gets ``placeholders`` (the purpose's declared names, as text); the shipped
    Django templates ``<shipped>_subject.txt`` and ``<shipped>_body.txt`` get ``context``.
    """
    own = MessageTemplate.objects.filter(
        municipality=municipality, purpose=purpose, language=language
    ).first()
    if own is not None:
        safe = {key: str(placeholders.get(key, "")) for key in PLACEHOLDERS[purpose]}
        return own.subject.format_map(safe), own.body.format_map(safe)
    with translation.override(language):
        subject = render_to_string(f"{shipped}_subject.txt", dict(context)).strip()
        body = render_to_string(f"{shipped}_body.txt", dict(context))
    return subject, body


def quiet_until(subscription: Subscription | None, now: dt.datetime) -> dt.datetime | None:
    """The end of the recipient's quiet hours when ``now`` falls in them, else ``None``."""
    if subscription is None or subscription.quiet_start is None or subscription.quiet_end is None:
        return None
    local = timezone.localtime(now)
    start, end, time = subscription.quiet_start, subscription.quiet_end, local.time()
    inside = start <= time < end if start < end else (time >= start or time < end)
    if not inside:
        return None
    end_at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_at <= local:
        end_at += dt.timedelta(days=1)
    return end_at


def message_create(
    *,
    municipality: Municipality,
    recipient: User | None,
    channel: str,
    address: str,
    purpose: str,
    key: str,
    subject: str,
    body: str,
    language: str,
    topic: str = "",
    emergency: bool = False,
    alert_id: int | None = None,
    attachment: tuple[str, str, str] | None = None,
) -> tuple[Message, bool]:
    """The message row for ``key`` (created when new); the task is enqueued after commit.

    ``attachment`` is ``(file name, MIME type, text)``, sent with e-mail only (an .ics file).
    """
    idempotency_key = f"{purpose}:{recipient.pk if recipient else address}:{key}:{channel}"
    if channel == "webpush":
        idempotency_key += f":{address}"  # one per browser
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    is_inbox = not channels[channel].external
    subscription = (
        Subscription.objects.filter(user=recipient).first() if recipient and not emergency else None
    )
    try:
        with transaction.atomic():
            message = Message.objects.create(
                municipality=municipality,
                recipient=recipient,
                channel=channel,
                address=address,
                purpose=purpose,
                topic=topic,
                subject=subject[:200],
                body=body,
                language=language,
                emergency=emergency,
                idempotency_key=idempotency_key,
                status=MessageStatus.DELIVERED if is_inbox else MessageStatus.QUEUED,
                sent_at=now if is_inbox else None,
                not_before=None if is_inbox else quiet_until(subscription, now),
                alert_id=alert_id,
                **(
                    {
                        "attachment_name": attachment[0],
                        "attachment_type": attachment[1],
                        "attachment_text": attachment[2],
                    }
                    if attachment and channel == "email"
                    else {}
                ),
            )
    except IntegrityError:
        return Message.objects.get(idempotency_key=idempotency_key), False
    if not is_inbox:
        message_id = message.pk
        transaction.on_commit(lambda: enqueue_delivery(message_id))
    return message, True


def enqueue_delivery(message_id: int, run_after: dt.datetime | None = None) -> None:
    """Enqueue the delivery task; a queue that does not answer loses nothing: the row stays
    ``queued`` and ``idx notifications requeue`` (cron) enqueues it again."""
    from idx.notifications.tasks import deliver_message, delivery_queue

    channel = Message.objects.filter(pk=message_id).values_list("channel", flat=True).first()
    task = deliver_message.using(queue_name=delivery_queue(channel or "email"))
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    elif run_after is not None:
        return  # no deferred tasks here: `idx notifications requeue` picks it up when due
    try:
        task.enqueue(message_id)
    except Exception:  # the message is a row already: never fail the request that wrote it
        logger.warning("message %s not enqueued (the queue did not answer); requeue will", message_id)


def enqueue_batch(message_ids: list[int]) -> None:
    from idx.notifications.tasks import deliver_messages

    deliver_messages.enqueue(list(message_ids))


def _over_channel_rate(channel: str) -> int | None:
    from django.conf import settings

    from idx.common.ratelimit import hit, parse_rate

    rate = parse_rate(settings.IDX_CHANNEL_RATES.get(channel, ""))
    return hit(f"channel:{channel}", rate) if rate is not None else None


def message_deliver(message_id: int) -> str:
    """Send one message once; returns its status afterwards.

    The claim is one conditional UPDATE (queued → sending): of two tasks for the same message only
    one sends, and no transaction is held open. A message a dead worker left ``sending`` is put
    back to ``queued`` by ``messages_requeue``.
    """
    now = timezone.now()
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return "missing"
    if message.status != MessageStatus.QUEUED:
        return str(message.status)  # final, or being sent by another worker
    if message.not_before is not None and message.not_before > now:
        enqueue_delivery(message_id, message.not_before)
        return str(message.status)
    wait = _over_channel_rate(message.channel)
    if wait is not None:
        # Over the channel's send rate: try again when the window turns (not an attempt).
        later = now + dt.timedelta(seconds=wait)
        Message.objects.filter(pk=message.pk).update(not_before=later)
        enqueue_delivery(message_id, later)
        return str(message.status)
    claimed = Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return str(MessageStatus.SENDING)
    message.status = MessageStatus.SENDING
    message.attempts += 1
    return _send_claimed(message)


def messages_deliver(message_ids: list[int]) -> int:
    """Send many messages (an alert's or a notice's batch); returns how many were delivered.

    Those due and on channels without a send rate are claimed together with one UPDATE … RETURNING
    (PostgreSQL, SQLite 3.35+), then sent one by one, each outcome written at once, so a crash
    costs at most the message in flight. The rest take the one-by-one path of ``message_deliver``.
    """
    from django.conf import settings
    from django.db import connection

    from idx.common.ratelimit import parse_rate

    unrated = [channel for channel, rate in settings.IDX_CHANNEL_RATES.items() if parse_rate(rate) is None]
    now = timezone.now()
    table = Message._meta.db_table
    claimed_ids: list[int] = []
    if message_ids and unrated:
        id_marks = ", ".join(["%s"] * len(message_ids))
        channel_marks = ", ".join(["%s"] * len(unrated))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = %s, attempts = attempts + 1, updated_at = %s "  # noqa: S608 - table from the model
                f"WHERE id IN ({id_marks}) AND status = %s AND channel IN ({channel_marks}) "
                "AND (not_before IS NULL OR not_before <= %s) RETURNING id",
                [MessageStatus.SENDING, now, *message_ids, MessageStatus.QUEUED, *unrated, now],
            )
            claimed_ids = [row[0] for row in cursor.fetchall()]
    delivered = 0
    for message in Message.objects.filter(pk__in=claimed_ids).select_related("municipality").order_by("pk"):
        # Renew the claim just before sending: a message of a long batch that ``messages_requeue``
        # took back meanwhile (it looked stuck) is another task's now and is not sent here too.
        renewed = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING, updated_at=now).update(
            updated_at=timezone.now()
        )
        if renewed:
            delivered += _send_claimed(message) == MessageStatus.DELIVERED
    claimed = set(claimed_ids)
    for message_id in message_ids:
        if message_id not in claimed:
            delivered += message_deliver(message_id) == MessageStatus.DELIVERED
    return delivered


def _send_claimed(message: Message) -> str:
    """Send a message this worker has claimed (status ``sending``) and record the outcome."""
    channel_class = channels.get(message.channel)
    outcome: dict[str, Any]
    try:
        if channel_class is None:
            raise PermanentFailure(f"unknown channel {message.channel!r}")
        channel_class().send(message)
    except TemporaryFailure as exc:
        if message.attempts >= MAX_ATTEMPTS:
            outcome = {"status": MessageStatus.FAILED, "last_error": f"gave up: {exc}"[:300]}
        else:
            retry_at = timezone.now() + dt.timedelta(seconds=BACKOFF_SECONDS * 2 ** (message.attempts - 1))
            outcome = {"status": MessageStatus.QUEUED, "last_error": str(exc)[:300], "not_before": retry_at}
    except PermanentFailure as exc:
        outcome = {"status": MessageStatus.FAILED, "last_error": str(exc)[:300]}
    else:
        outcome = {"status": MessageStatus.DELIVERED, "sent_at": timezone.now(), "last_error": ""}
    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now(), **outcome)
    if outcome["status"] == MessageStatus.QUEUED:
        enqueue_delivery(message.pk, outcome["not_before"])
    if outcome["status"] == MessageStatus.FAILED:
        logger.warning("message %s failed on %s: %s", message.pk, message.channel, outcome["last_error"])
    return str(outcome["status"])


def messages_requeue(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Enqueue again what is due and not final: retries whose time has come, and messages left
    ``sending`` by a worker that stopped (the channel's retry key prevents a double send).

    Only rows untouched for ``older_than`` count: a message written a moment ago has its task on
    the queue still (or parked in the database while the queue is away), and enqueueing it again at
    every run of cron would pile up thousands of jobs behind a large fan-out. A row whose task was
    lost (a queue restarted without persistence) is picked up once it is that old."""
    now = timezone.now()
    due = Message.objects.filter(status=MessageStatus.QUEUED, updated_at__lt=now - older_than).exclude(
        not_before__gt=now
    )
    stuck = Message.objects.filter(status=MessageStatus.SENDING, updated_at__lt=now - older_than)
    count = 0
    for message_id in stuck.values_list("pk", flat=True).iterator():
        taken_back = Message.objects.filter(
            pk=message_id, status=MessageStatus.SENDING, updated_at__lt=now - older_than
        ).update(status=MessageStatus.QUEUED, updated_at=now)
        if not taken_back:
            continue  # its worker renewed the claim meanwhile
        enqueue_delivery(message_id)
        count += 1
    for message_id in due.values_list("pk", flat=True).iterator():
        # Touched when enqueued again: the next runs leave it alone for ``older_than`` again.
        touched = Message.objects.filter(
            pk=message_id, status=MessageStatus.QUEUED, updated_at__lt=now - older_than
        ).update(updated_at=now)
        if touched:
            enqueue_delivery(message_id)
            count += 1
    return count


# ---- subscriptions -------------------------------------------------------------------------


def subscription_update(
    *,
    user: User,
    topics: Iterable[str],
    area_ids: Iterable[int],
    channel_names: Iterable[str],
    quiet_start: dt.time | None,
    quiet_end: dt.time | None,
) -> Subscription:
    from idx.notifications.models import Area, Topic

    subscription, _made = Subscription.objects.get_or_create(user=user)
    subscription.topics = sorted(set(topics) & set(Topic.values))
    subscription.channels = sorted({name for name in channel_names if name in ("email", "line", "webpush")})
    subscription.quiet_start = quiet_start
    subscription.quiet_end = quiet_end
    subscription.save()
    subscription.areas.set(Area.objects.filter(municipality_id=user.municipality_id, pk__in=list(area_ids)))
    return subscription


def unsubscribe_topic(*, user: User, topic: str) -> None:
    subscription = Subscription.objects.filter(user=user).first()
    if subscription is not None and topic in subscription.topics:
        subscription.topics = [item for item in subscription.topics if item != topic]
        subscription.save(update_fields=["topics", "updated_at"])


class SubscriptionTaken(Exception):
    """The browser's push endpoint is registered to another account."""


def web_push_subscribe(*, user: User, endpoint: str, p256dh: str, auth: str) -> None:
    """Register (or refresh the keys of) this resident's browser subscription and choose Web Push.

    The endpoint must be a public push service (:func:`push_endpoints.endpoint_check`). A
    subscription stays with the resident who made it: posting the same endpoint from another
    account raises :class:`SubscriptionTaken` and changes nothing.
    """
    from idx.notifications.models import WebPushSubscription
    from idx.notifications.push_endpoints import endpoint_check

    endpoint_check(endpoint)
    try:
        with transaction.atomic():
            existing = WebPushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
            if existing is not None and existing.user_id != user.pk:
                raise SubscriptionTaken
            if existing is None:
                WebPushSubscription.objects.create(user=user, endpoint=endpoint, p256dh=p256dh, auth=auth)
            else:
                existing.p256dh, existing.auth = p256dh, auth
                existing.save(update_fields=["p256dh", "auth"])
            subscription, _made = Subscription.objects.get_or_create(user=user)
            if "webpush" not in subscription.channels:
                subscription.channels = sorted({*subscription.channels, "webpush"})
                subscription.save(update_fields=["channels", "updated_at"])
    except IntegrityError as exc:  # the same endpoint registered by another account meanwhile
        raise SubscriptionTaken from exc


def targets(
    *, email: str, channels: list[str] | None, line_user_id: str, push_ids: Iterable[int]
) -> list[tuple[str, str]]:
    """(channel, address) pairs a message to one resident goes to: the inbox always; e-mail when
    there is an address and it was chosen (or nothing was chosen yet); LINE when linked and
    chosen; each subscribed browser when Web Push was chosen. Shared by personal messages,
    notices and alerts."""
    chosen = set(channels or [])
    found = [("inbox", "")]
    if email and ("email" in chosen or not chosen):
        found.append(("email", email))
    if line_user_id and "line" in chosen:
        found.append(("line", line_user_id))
    if "webpush" in chosen:
        found.extend(("webpush", str(push_id)) for push_id in push_ids)
    return found


def channels_of(user: User) -> list[tuple[str, str]]:
    """Where a personal message to ``user`` goes (see :func:`targets`)."""
    subscription = Subscription.objects.filter(user=user).first()
    return targets(
        email=user.email,
        channels=subscription.channels if subscription is not None else None,
        line_user_id=subscription.line_user_id if subscription is not None else "",
        push_ids=user.web_push.values_list("pk", flat=True),
    )


# ---- personal messages -----------------------------------------------------------------------


def message_to_person(
    *,
    municipality: Municipality,
    recipient: User | None,
    purpose: str,
    key: str,
    subject: str,
    body: str,
    language: str,
    topic: str = "",
    attachment: tuple[str, str, str] | None = None,
    email: str = "",
) -> int:
    """One message to one person on each of their channels (``channels_of``), or to ``email`` for
    someone without an account; returns how many were new (the key makes a repeat a no-op)."""
    destinations = channels_of(recipient) if recipient is not None else [("email", email)]
    made = 0
    for channel, address in destinations:
        _message, created = message_create(
            municipality=municipality,
            recipient=recipient,
            channel=channel,
            address=address,
            purpose=purpose,
            key=key,
            subject=subject,
            body=body,
            language=language,
            topic=topic,
            attachment=attachment,
        )
        made += int(created)
    return made
