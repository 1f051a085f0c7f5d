"""Reminders before deadlines a procedure defines (e.g. 現況届 by 30 June every year).

A definition's ``reminder`` gives the yearly deadline (``MM-DD``) and the days before it on which
to remind. ``reminders_send`` (run daily: ``idx notifications reminders``, registered in
``ApplicationsConfig.ready()``) writes one message per resident who follows the procedure's topic
and has not submitted that procedure this year; the key (procedure, deadline, days before) makes a
second run on the same day send nothing new.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from idx.applications.models import Application, Status
from idx.common.i18n import pick
from idx.common.wareki import format_for_language
from idx.identity.models import Role
from idx.notifications.models import Subscription, Topic
from idx.notifications.services import message_to_person
from idx.procedures.models import Procedure

CATEGORY_TOPIC = {
    "childcare": Topic.CHILDCARE,
    "nursing_care": Topic.CARE,
    "disaster": Topic.DISASTER,
    "registry": Topic.LIVING,
    "environment": Topic.ENVIRONMENT,
    "events": Topic.EVENTS,
}


def _deadline(text: str, today: dt.date) -> dt.date | None:
    month, day = (int(part) for part in text.split("-"))
    for year in (today.year, today.year + 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def reminders_send(today: dt.date) -> int:
    """Write today's reminders; returns how many messages were new."""
    made = 0
    procedures = Procedure.objects.filter(published_version__isnull=False).select_related(
        "published_version", "municipality"
    )
    for procedure in procedures.iterator():
        data = procedure.published_version.definition  # type: ignore[union-attr]
        reminder = data.get("reminder")
        if not reminder:
            continue
        deadline = _deadline(reminder["deadline"], today)
        if deadline is None or (deadline - today).days not in reminder["days_before"]:
            continue
        topic = CATEGORY_TOPIC.get(data["category"], Topic.LIVING)
        done = set(
            Application.objects.filter(
                procedure__code=procedure.code,
                municipality=procedure.municipality,
                submitted_at__year=deadline.year,
            )
            .exclude(Q(status=Status.DRAFT) | Q(status=Status.WITHDRAWN))
            .values_list("applicant_id", flat=True)
        )
        subscriptions = Subscription.objects.filter(
            user__municipality=procedure.municipality, user__role=Role.RESIDENT, user__is_active=True
        ).select_related("user")
        for subscription in subscriptions.iterator(chunk_size=1000):
            user = subscription.user
            if topic not in subscription.topics or user.pk in done:
                continue
            language = user.preferred_language or "ja"
            with translation.override(language):
                name = pick(data["name"], language)
                due = format_for_language(deadline, language)
                subject = _("Reminder: %(procedure)s is due by %(date)s") % {"procedure": name, "date": due}
                body = _("%(procedure)s is due by %(date)s. You can send it online: %(url)s") % {
                    "procedure": name,
                    "date": due,
                    "url": f"{procedure.municipality.public_url.rstrip('/')}/procedures/{procedure.code}/",
                }
            days = (deadline - today).days
            made += message_to_person(
                municipality=procedure.municipality,
                recipient=user,
                purpose="reminder",
                key=f"{procedure.code}:{deadline.isoformat()}:{days}",
                subject=subject,
                body=body,
                language=language,
                topic=topic,
            )
    return made
