"""Fixtures of the booking tests: a service with known hours, fixed clocks, SMTP with attachments."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from typing import Any

import pytest

from idx.booking.models import OpeningHours, Resource, Service
from idx.booking.opening import TOKYO
from tests.notifications.conftest import smtp  # noqa: F401  (the real local SMTP server)

# A Tuesday without holidays around it: 2026-12-01 10:00 in Japan.
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=TOKYO)


def at(day: str, time: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=TOKYO)


def make_service(municipality, department_code: str = "kodomo-katei", **fields: Any) -> Service:
    from idx.identity.models import Department

    department = Department.objects.get(municipality=municipality, code=department_code)
    defaults: dict[str, Any] = {
        "code": f"test-{department_code}",
        "name": "試験相談",
        "name_en": "Test consultation",
        "ticket_prefix": "T",
        "slot_minutes": 30,
        "capacity": 1,
        "horizon_days": 60,
        "min_notice_minutes": 60,
        "max_per_account": 2,
    }
    defaults.update(fields)
    service = Service.objects.create(municipality=municipality, department=department, **defaults)
    for weekday in range(5):
        OpeningHours.objects.create(
            municipality=municipality, service=service, weekday=weekday, opens=dt.time(9), closes=dt.time(12)
        )
    counter = Resource.objects.create(
        municipality=municipality, department=department, name=f"{service.code} 窓口"
    )
    service.resources.add(counter)
    return service


@pytest.fixture
def service(iga) -> Service:
    """こども家庭課's test service: Mon–Fri 9:00–12:00, 30-minute slots, one seat each."""
    return make_service(iga)


@pytest.fixture
def counter(service) -> Resource:
    return service.resources.get()


@pytest.fixture
def smtp_raw(smtp):  # noqa: F811
    """The ``smtp`` box, also keeping each whole message (to read its attachments)."""
    raw: list[email.message.EmailMessage] = []
    original = smtp.handle_DATA

    async def handle_data(server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        raw.append(email.message_from_bytes(content, policy=email.policy.default))  # type: ignore[arg-type]
        return await original(server, session, envelope)

    smtp.handle_DATA = handle_data  # aiosmtpd looks the hook up per connection
    smtp.raw = raw
    return smtp
