"""Events of the tests: made here (the demo loader's events are not loaded for tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone, translation

from idx.events.models import Event, EventStatus
from idx.identity.models import Department


@pytest.fixture(autouse=True)
def english_messages(settings) -> Iterator[None]:
    settings.LANGUAGE_CODE = "en"
    settings.IDX_RATELIMIT_ENABLED = False
    with translation.override("en"):
        yield


def make_event(municipality: Any, *, department: str = "kodomo-katei", **fields: Any) -> Event:
    now = timezone.now()
    starts = fields.pop("starts_at", now + dt.timedelta(days=10))
    values: dict[str, Any] = {
        "titles": {
            "ja": "スマホ教室（初めての方）",
            "en": "Smartphone class for beginners",
            "ja-easy": "スマホ きょうしつ",
        },
        "descriptions": {
            "ja": "スマートフォンの基本操作を学びます。",
            "en": "Learn the basics of your smartphone.",
        },
        "places": {"ja": "ハイトピア伊賀 4階", "en": "Hightopia Iga, 4th floor"},
        "category": "digital_support",
        "area": "ueno",
        "accessibility": ["step_free", "wheelchair_seats"],
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=2),
        "registration_deadline": starts - dt.timedelta(days=2),
        "cancel_deadline": starts - dt.timedelta(days=1),
        "capacity": 2,
        "waitlist_size": 2,
        "status": EventStatus.PUBLISHED,
    }
    values.update(fields)
    return Event.objects.create(
        municipality=municipality,
        department=Department.objects.get(municipality=municipality, code=department),
        **values,
    )


@pytest.fixture
def small_class(iga) -> Event:
    """A スマホ教室 with 2 places and 2 on the waiting list."""
    return make_event(iga)
