"""Reads of the notification service that pages need before anything is sent.

``alert_reach`` tells the crisis-management staff, on the confirmation page of an alert, how many
residents the alert will reach and on which channels. It counts exactly those the fan-out writes
to (:func:`idx.notifications.alerts.alert_fan_out`): active residents of the municipality whose
subscription covers one of the areas, each on the channels :func:`idx.notifications.services.targets`
chooses for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from idx.identity.models import Role
from idx.notifications.models import Area, Subscription, WebPushSubscription

CHUNK = 1000
REACH_CHANNELS = ("inbox", "email", "line", "webpush")


def alert_subscriptions(municipality_id: int, areas: Iterable[Area] | QuerySet[Area]) -> QuerySet[Any]:
    """(subscription id, user id, e-mail, language, channels, LINE id) of every active resident of
    the municipality subscribed to one of ``areas``, one row per resident, in a stable order."""
    return (
        Subscription.objects.filter(
            areas__in=areas,
            user__municipality_id=municipality_id,
            user__is_active=True,
            user__role=Role.RESIDENT,
        )
        .values_list("pk", "user_id", "user__email", "user__preferred_language", "channels", "line_user_id")
        .distinct()
        .order_by("pk")
    )


def alert_push_browsers(areas: Iterable[Area] | QuerySet[Area]) -> dict[int, list[int]]:
    """The Web Push browsers (ids) of each person subscribed to one of ``areas``."""
    pushes: dict[int, list[int]] = {}
    for user_id, push_id in (
        WebPushSubscription.objects.filter(user__subscription__areas__in=areas)
        .values_list("user_id", "pk")
        .distinct()
    ):
        pushes.setdefault(user_id, []).append(push_id)
    return pushes


def _recipient_rows(
    municipality_id: int, areas: Iterable[Area] | QuerySet[Area]
) -> Iterator[tuple[int, str, str, list[str], str]]:
    for _pk, user_id, email, language, channels, line_user_id in alert_subscriptions(
        municipality_id, areas
    ).iterator(chunk_size=CHUNK):
        yield user_id, email, language, channels or [], line_user_id


def alert_reach(municipality_id: int, areas: Iterable[Area]) -> dict[str, int]:
    """How many residents an alert to ``areas`` reaches: ``residents`` in all, and per channel
    (``inbox``, ``email``, ``line``, ``webpush``) how many of them it reaches there."""
    from idx.notifications.services import targets

    area_list = [area for area in areas if area.municipality_id == municipality_id]
    reach = {"residents": 0, **dict.fromkeys(REACH_CHANNELS, 0)}
    if not area_list:
        return reach
    pushes = alert_push_browsers(area_list)
    seen: set[int] = set()
    for user_id, email, _language, channels, line_user_id in _recipient_rows(municipality_id, area_list):
        if user_id in seen:
            continue
        seen.add(user_id)
        reach["residents"] += 1
        found = {
            channel
            for channel, _address in targets(
                email=email, channels=channels, line_user_id=line_user_id, push_ids=pushes.get(user_id, [])
            )
        }
        for channel in found:
            reach[channel] = reach.get(channel, 0) + 1
    return reach
