"""The events API with real rows, checked against the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from idx.events import services
from tests.api.contract import conforms
from tests.conftest import IGA_HOST, signed_in
from tests.events.conftest import make_event
from tests.factories import ResidentFactory


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


@pytest.mark.django_db
def test_public_search_and_event(iga, small_class):
    make_event(iga, category="sports", fee=3000, titles={"ja": "伊賀上野シティマラソン"})
    client = Client(HTTP_HOST=IGA_HOST)
    body = conforms(client.get("/api/v1/events?fee=free"), "GET", "/api/v1/events")
    assert [item["id"] for item in body] == [str(small_class.public_id)]
    assert body[0]["accessibility"] == ["step_free", "wheelchair_seats"] and body[0]["places_left"] == 2
    one = conforms(client.get(f"/api/v1/events/{small_class.public_id}"), "GET", "/api/v1/events/{event_id}")
    assert one["digital_support"] and "mynumber_login" in one["help_topics"]
    conforms(
        client.get("/api/v1/events/00000000-0000-0000-0000-000000000000"), "GET", "/api/v1/events/{event_id}"
    )
    bad = client.get("/api/v1/events?category=nonsense")
    assert bad.status_code == 422


@pytest.mark.django_db
def test_register_waitlist_cancel_and_mine(iga, small_class, resident):
    for person in (ResidentFactory(municipality=iga), ResidentFactory(municipality=iga)):
        services.registration_create(event=small_class, resident=person)
    client = signed_in(resident)
    path = f"/api/v1/events/{small_class.public_id}/registrations"
    full = conforms(post(client, path, {"help_topics": ["line"]}), "POST", path)
    assert full["code"] == "full"
    too_long = conforms(post(client, path, {"help_note": "あ" * 501, "accept_waitlist": True}), "POST", path)
    assert too_long["code"] == "too_long" and too_long["errors"][0]["path"] == "help_note"
    response = post(
        client, path, {"help_topics": ["line"], "help_note": "写真を送りたい", "accept_waitlist": True}
    )
    assert response.status_code == 201
    made = conforms(response, "POST", path)
    assert made["status"] == "waitlisted" and made["waitlist_position"] == 1 and made["check_in_code"] == ""
    twice = conforms(post(client, path, {"accept_waitlist": True}), "POST", path)
    assert twice["code"] == "already_registered"
    mine = conforms(client.get("/api/v1/my/event-registrations"), "GET", "/api/v1/my/event-registrations")
    assert [item["id"] for item in mine] == [made["id"]]
    cancel = f"/api/v1/my/event-registrations/{made['id']}/cancel"
    assert conforms(post(client, cancel), "POST", cancel)["status"] == "cancelled"
    assert (
        Client(HTTP_HOST=IGA_HOST).post(path, data="{}", content_type="application/json").status_code == 401
    )


@pytest.mark.django_db
def test_staff_participants_and_check_in(iga, small_class, resident, clerk, clerk_other_municipality):
    registration = services.registration_create(
        event=small_class, resident=resident, help_topics=["mynumber_login"], help_note="暗証番号を忘れた"
    )
    staff = signed_in(clerk)
    path = f"/api/v1/staff/events/{small_class.public_id}/participants"
    rows = conforms(staff.get(path), "GET", path)
    assert rows[0]["help_topics"] == ["mynumber_login"] and rows[0]["help_note"] == "暗証番号を忘れた"
    check = f"/api/v1/staff/events/{small_class.public_id}/check-in"
    first = conforms(post(staff, check, {"code": registration.code}), "POST", check)
    again = conforms(post(staff, check, {"code": registration.code}), "POST", check)
    assert not first["already_checked_in"] and again["already_checked_in"]
    unknown = conforms(post(staff, check, {"code": "ZZZZZZ"}), "POST", check)
    assert unknown["code"] == "unknown_code"
    assert signed_in(resident).get(path).status_code == 403
    other = signed_in(clerk_other_municipality, host="watarai.localhost")
    assert other.get(path).status_code == 404
