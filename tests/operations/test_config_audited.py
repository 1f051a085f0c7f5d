"""Every configuration a clerk or an administrator can change is audited: the list of those
services, each read for its audit entry, and the ones that had none run against the database."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect

import pytest

from idx.audit.models import AuditEntry
from idx.common.changes import changed_fields
from idx.identity.models import Department, Role

# (module, service): every write of settings that staff make through a page, the API or a command.
# Municipalities, departments, notification channels, payment providers and feature flags are
# set from the environment and the municipality's configuration file, not from a page.
CONFIGURATION_SERVICES = [
    ("idx.booking.services.setup", "service_save"),  # counters and services
    ("idx.booking.services.setup", "hours_replace"),  # opening hours
    ("idx.booking.services.setup", "closure_add"),
    ("idx.booking.services.setup", "closure_delete"),
    ("idx.booking.services.setup", "resource_save"),
    ("idx.handover.services", "target_save"),  # hand-over targets
    ("idx.imports.services", "import_source_save"),  # import mappings
    ("idx.procedures.services", "procedure_create"),  # procedure publishing
    ("idx.procedures.services", "procedure_version_save_draft"),
    ("idx.procedures.services", "procedure_version_schedule"),
    ("idx.procedures.services", "procedure_version_unschedule"),
    ("idx.procedures.services", "procedure_version_withdraw"),
    ("idx.notifications.services", "template_save"),  # message wording
    ("idx.notifications.services", "template_reset"),
    ("idx.notifications.guide", "guide_save"),  # disaster guide and shelters
    ("idx.identity.place_texts", "place_texts_save"),
    ("idx.identity.services", "staff_create"),  # staff accounts
    ("idx.identity.services", "api_token_issue"),  # API access
    ("idx.identity.services", "personal_token_create"),
    ("idx.assist.routing", "general_desk_set"),  # inquiry routing
    ("idx.assist.services.faqs", "synonyms_save"),
    ("idx.insights.services", "kpi_create"),
    ("idx.insights.services", "kpi_update"),
]


@pytest.mark.parametrize(("module", "name"), CONFIGURATION_SERVICES)
def test_each_configuration_service_writes_an_audit_entry(module, name):
    source = inspect.getsource(getattr(importlib.import_module(module), name))
    assert "audit_record(" in source, f"{module}.{name} changes configuration without an audit entry"


def test_changed_fields_keeps_only_what_changed():
    assert changed_fields(None, {"a": 1}) == ({}, {"a": 1})
    assert changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3}) == ({"b": 2}, {"b": 3})
    assert changed_fields({"a": 1}, {"a": 1}) == ({}, {})


@pytest.mark.django_db
def test_a_message_template_change_is_audited_with_what_changed(iga, city_admin):
    from idx.notifications.services import template_save

    entries = AuditEntry.objects.filter(municipality=iga, action="config.message_template.update")
    template_save(
        municipality=iga,
        purpose="booking_reminder",
        language="ja",
        subject="予約の前日のお知らせ",
        body="{service}の予約は明日です。",
        actor=city_admin,
    )
    template_save(
        municipality=iga,
        purpose="booking_reminder",
        language="ja",
        subject="予約の前日のお知らせ",
        body="{service}のご予約は明日です。",
        actor=city_admin,
    )
    # Saving the same wording again changes nothing and writes nothing.
    template_save(
        municipality=iga,
        purpose="booking_reminder",
        language="ja",
        subject="予約の前日のお知らせ",
        body="{service}のご予約は明日です。",
        actor=city_admin,
    )
    first, second = entries.order_by("pk")
    assert first.actor_id == city_admin.pk and first.target_id == "booking_reminder:ja"
    assert first.before in (None, {}) and set(first.after) == {"subject", "body"}
    assert second.before == {"body": "{service}の予約は明日です。"}
    assert second.after == {"body": "{service}のご予約は明日です。"}


@pytest.mark.django_db
def test_the_staff_page_saves_and_resets_a_message_template_audited_with_the_clerk(iga, city_admin):
    from tests.conftest import signed_in

    edit = "/staff/templates/booking_confirmation/ja/"
    client = signed_in(city_admin)
    saved = client.post(edit, {"action": "save", "subject": "【{municipality}】ご予約", "body": "{name} 様"})
    assert saved.status_code == 302
    assert client.post(edit + "reset/").status_code == 302
    entries = AuditEntry.objects.filter(municipality=iga, target_id="booking_confirmation:ja").order_by("pk")
    assert [(entry.action, entry.actor_id) for entry in entries] == [
        ("config.message_template.update", city_admin.pk),
        ("config.message_template.delete", city_admin.pk),
    ]
    assert entries[1].before == {"subject": "【{municipality}】ご予約", "body": "{name} 様"}


@pytest.mark.django_db
def test_an_api_token_and_a_staff_account_are_audited_without_secrets(iga):
    from idx.identity.services import api_token_issue, staff_create

    department = Department.objects.filter(municipality=iga).first()
    staff = staff_create(
        municipality=iga,
        email="new-clerk@staff.iga.example.jp",
        password="a-long-password-2026",
        full_name="新任 職員",
        role=Role.CLERK,
        department=department,
    )
    created = AuditEntry.objects.get(municipality=iga, action="config.staff.create", target_id=str(staff.pk))
    assert created.after == {"role": str(Role.CLERK), "department": department.code}

    raw = api_token_issue(user=staff, name="core-system")
    issued = AuditEntry.objects.filter(municipality=iga, action="api_token.create").latest("pk")
    assert issued.after == {"name": "core-system", "user": staff.pk, "role": staff.role}
    for entry in (created, issued):
        text = str(entry.before) + str(entry.after)
        for secret in (raw, "a-long-password-2026", "new-clerk@staff.iga.example.jp", "新任"):
            assert secret not in text


@pytest.mark.django_db
def test_opening_hours_are_audited_with_the_hours_before_and_after(iga):
    from idx.booking.models import Service
    from idx.booking.services.setup import hours_replace
    from idx.identity.models import User

    service = Service.objects.filter(municipality=iga).select_related("department").first()
    if service is None:
        pytest.skip("no booking service in the demo municipality")
    staff = User.objects.filter(municipality=iga, role=Role.CITY_ADMIN).first()
    hours_replace(staff=staff, service=service, hours=[(0, dt.time(9), dt.time(12))])
    hours_replace(staff=staff, service=service, hours=[(0, dt.time(9), dt.time(16))])
    entry = AuditEntry.objects.filter(municipality=iga, action="booking.hours_replace").latest("pk")
    assert entry.before == {"hours": [[0, "09:00", "12:00"]]}
    assert entry.after == {"hours": [[0, "09:00", "16:00"]]}
