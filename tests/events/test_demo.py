"""The demo's events: ten over the next two months, the スマホ教室 full with a waiting list."""

from __future__ import annotations

import pytest

from idx.demo.events import load_events
from idx.events.models import Event, Registration
from idx.events.services import counts_locked


@pytest.mark.django_db
def test_demo_events_load_once(iga, watarai):
    assert load_events(iga) == 10
    assert load_events(iga) == 0
    assert load_events(watarai) == 0
    smartphone = Event.objects.get(municipality=iga, titles__en="Smartphone class for beginners")
    counts = counts_locked(smartphone)
    assert counts.confirmed == smartphone.capacity and counts.waitlisted == 1
    assert Registration.objects.filter(event=smartphone).exclude(help_topics=[]).count() == 4
    for event in Event.objects.filter(municipality=iga):
        assert {"ja", "en", "ja-easy"} <= set(event.titles) and event.accessibility
        if event.accessibility_notes:
            assert {"ja", "en", "ja-easy"} <= set(event.accessibility_notes)
    assert Event.objects.filter(municipality=iga, fee__gt=0).exists()
    assert Event.objects.filter(municipality=iga, online=True).exists()
