"""Resident pages, back-office pages and the API: scope, isolation and the no-JavaScript flows."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from idx.booking import selectors
from idx.booking.models import Booking, BookingStatus, Service
from idx.booking.services import bookings as booking_services
from idx.booking.services import tickets as ticket_services
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in

pytestmark = pytest.mark.django_db


def _free_slot(service: Service, index: int = 0):
    return [slot for day in selectors.slot_days(service=service) for slot in day.slots if slot.free][index]


def _english(client: Client) -> Client:
    client.cookies["idx_language"] = "en"
    return client


def test_services_and_slot_picker_without_sign_in(iga_client, service):
    page = iga_client.get("/booking/")
    assert page.status_code == 200
    assert f'href="/booking/{service.code}/"' in page.content.decode()
    picker = iga_client.get(f"/booking/{service.code}/").content.decode()
    assert picker.count('type="radio" name="starts_at"') >= 1
    assert iga_client.get("/booking/no-such-service/").status_code == 404


def test_booking_needs_a_resident(iga_client, clerk, service):
    slot = _free_slot(service)
    for client in (iga_client, signed_in(clerk)):
        response = client.post(f"/booking/{service.code}/", {"starts_at": slot.starts_at.isoformat()})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Booking.objects.filter(service=service).exists()


def test_book_see_rebook_and_cancel_in_the_portal(resident_client, resident, service):
    slot, other = _free_slot(service, 0), _free_slot(service, 1)
    response = resident_client.post(
        f"/booking/{service.code}/", {"starts_at": slot.starts_at.isoformat(), "note": "相談"}
    )
    booking = Booking.objects.get(resident=resident, service=service)
    assert response.status_code == 302 and response["Location"] == f"/booking/my/{booking.public_id}/"
    detail = resident_client.get(response["Location"]).content.decode()
    assert booking.code in detail
    assert booking.code in resident_client.get("/booking/my/").content.decode()
    ics = resident_client.get(f"/booking/my/{booking.public_id}/booking.ics")
    assert ics["Content-Type"].startswith("text/calendar") and b"BEGIN:VEVENT" in ics.content
    moved = resident_client.post(
        f"/booking/my/{booking.public_id}/rebook/", {"starts_at": other.starts_at.isoformat()}
    )
    new = Booking.objects.get(resident=resident, status=BookingStatus.CONFIRMED)
    assert moved["Location"] == f"/booking/my/{new.public_id}/" and new.starts_at == other.starts_at
    resident_client.post(f"/booking/my/{new.public_id}/cancel/")
    new.refresh_from_db()
    assert new.status == BookingStatus.CANCELLED


def test_a_refused_booking_says_why(resident_client, service):
    client = _english(resident_client)
    page = client.post(f"/booking/{service.code}/", {"starts_at": "2020-01-06T09:00:00+09:00"})
    assert page.status_code == 422
    assert "already passed" in page.content.decode()
    assert client.post(f"/booking/{service.code}/", {"starts_at": "nonsense"}).status_code == 422


def test_someone_elses_booking_is_not_found(resident, other_resident_client, service):
    slot = _free_slot(service)
    booking = booking_services.booking_create(resident=resident, service=service, starts_at=slot.starts_at)
    for path in ("", "rebook/", "booking.ics"):
        assert other_resident_client.get(f"/booking/my/{booking.public_id}/{path}").status_code == 404
    assert other_resident_client.post(f"/booking/my/{booking.public_id}/cancel/").status_code == 404
    assert other_resident_client.get("/booking/my/not-a-uuid/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    api = other_resident_client.post(f"/api/v1/booking/bookings/{booking.public_id}/cancel")
    assert api.status_code == 404


def test_nothing_crosses_municipalities(
    iga, watarai, resident, watarai_resident, service, clerk_other_municipality
):
    slot = _free_slot(service)
    booking = booking_services.booking_create(resident=resident, service=service, starts_at=slot.starts_at)
    watarai_client = signed_in(watarai_resident, host=WATARAI_HOST)
    assert watarai_client.get(f"/booking/my/{booking.public_id}/").status_code == 404
    assert watarai_client.get(f"/booking/{service.code}/").status_code == 404  # 伊賀市's own service
    assert booking.code not in watarai_client.get("/booking/my/").content.decode()
    staff = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert booking.code not in staff.get(f"/staff/booking/?day={slot.starts_at:%Y-%m-%d}").content.decode()
    assert staff.post("/staff/booking/counter/check-in/", {"code": booking.code}).status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    codes = [item["code"] for item in Client(HTTP_HOST=WATARAI_HOST).get("/api/v1/booking/services").json()]
    assert service.code not in codes and "kosodate-soudan" in codes  # each town has its own


def test_staff_day_page_is_scoped_to_the_department(resident, service, clerk, clerk_other_department):
    slot = _free_slot(service)
    booking = booking_services.booking_create(resident=resident, service=service, starts_at=slot.starts_at)
    day = f"/staff/booking/?day={slot.starts_at:%Y-%m-%d}"
    page = signed_in(clerk).get(day).content.decode()
    assert booking.code in page and resident.full_name in page
    other = signed_in(clerk_other_department).get(day).content.decode()
    assert booking.code not in other
    assert (
        signed_in(clerk_other_department)
        .post(f"/staff/booking/bookings/{booking.public_id}/cancel/")
        .status_code
        == 404
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_counter_screen_walk_in_call_and_finish(clerk_client, clerk_other_department, service, counter):
    assert clerk_client.get("/staff/booking/counter/").status_code == 200
    clerk_client.post("/staff/booking/counter/walk-in/", {"service": service.pk})
    page = clerk_client.get("/staff/booking/counter/").content.decode()
    assert re.search(r'id="issued-number">T-\d{3}<', page)
    ticket = service.tickets.get()
    # Another department's clerk can neither issue for this service nor move its tickets.
    other = signed_in(clerk_other_department)
    other.post("/staff/booking/counter/walk-in/", {"service": service.pk})
    assert service.tickets.count() == 1
    assert other.post(f"/staff/booking/tickets/{ticket.pk}/cancel/").status_code == 404
    assert other.post("/staff/booking/counter/call-next/", {"resource": counter.pk}).status_code == 404
    clerk_client.post("/staff/booking/counter/call-next/", {"resource": counter.pk})
    clerk_client.post(f"/staff/booking/tickets/{ticket.pk}/finish/")
    ticket.refresh_from_db()
    assert ticket.status == "done" and ticket.finished_at and ticket.served_at


def test_manage_needs_manage_booking(
    clerk_client, supervisor_client, city_admin_client, clerk_other_municipality
):
    assert clerk_client.get("/staff/booking/manage/").status_code == 404
    assert supervisor_client.get("/staff/booking/manage/").status_code == 200
    assert city_admin_client.get("/staff/booking/manage/").status_code == 200
    assert (
        signed_in(clerk_other_municipality, host=WATARAI_HOST).get("/staff/booking/manage/").status_code
        == 404
    )


def test_supervisor_defines_a_service_with_hours_and_a_closure(iga, supervisor, supervisor_client):
    from idx.identity.models import Department

    department = Department.objects.get(municipality=iga, code="kodomo-katei")
    other_department = Department.objects.get(municipality=iga, code="zeimu")
    data = {
        "department": department.pk,
        "code": "nyuen-soudan",
        "name": "入園相談",
        "name_en": "Nursery consultation",
        "ticket_prefix": "N",
        "slot_minutes": "20",
        "capacity": "2",
        "horizon_days": "21",
        "min_notice_minutes": "60",
        "max_per_account": "1",
        "bookable": "on",
        "active": "on",
        "h0-0-opens": "09:00",
        "h0-0-closes": "11:00",
        "h2-0-opens": "13:00",
        "h2-0-closes": "15:00",
    }
    assert (
        supervisor_client.post(
            "/staff/booking/manage/services/new/", {**data, "department": other_department.pk}
        ).status_code
        == 422
    )
    response = supervisor_client.post("/staff/booking/manage/services/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    service = Service.objects.get(municipality=iga, code="nyuen-soudan")
    assert service.department == department and service.capacity == 2
    assert sorted(service.hours.values_list("weekday", flat=True)) == [0, 2]
    bad = supervisor_client.post(
        f"/staff/booking/manage/services/{service.pk}/",
        {**data, "h1-0-opens": "12:00", "h1-0-closes": "10:00"},
    )
    assert bad.status_code == 422
    supervisor_client.post(
        "/staff/booking/manage/closures/",
        {"department": department.pk, "service": service.pk, "first_day": "2026-12-02", "reason": "研修"},
    )
    assert service.closures.get().reason == "研修"


def test_display_and_ticket_pages_show_numbers_only(iga_client, resident, service, counter, clerk):
    booking = booking_services.booking_create(
        resident=resident, service=service, starts_at=_free_slot(service).starts_at
    )
    walk_in = ticket_services.ticket_issue_walk_in(staff=clerk, service=service)
    second = ticket_services.ticket_issue_walk_in(staff=clerk, service=service)
    ticket_services.ticket_call_next(staff=clerk, resource=counter)
    page = iga_client.get("/booking/display/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="10">' in html
    assert walk_in.display_number in html and second.display_number in html and counter.name in html
    assert resident.full_name not in html and booking.code not in html
    assert (
        "script-src 'self'" in page["Content-Security-Policy"]
    )  # nothing inline; the refresh needs no script
    assert "http-equiv" not in iga_client.get("/booking/display/?refresh=off").content.decode()
    assert iga_client.get(f"/booking/display/?department={service.department.code}").status_code == 200
    assert iga_client.get("/booking/display/?department=nope").status_code == 404
    ticket_page = _english(iga_client).get(f"/booking/ticket/{second.code}/").content.decode()
    assert second.display_number in ticket_page and 'class="ticket-ahead">0<' in ticket_page
    assert (
        iga_client.get(f"/booking/ticket/?code={second.code.lower()}")["Location"]
        == f"/booking/ticket/{second.code}/"
    )
    assert iga_client.get("/booking/ticket/?code=WRONG").status_code == 404
    assert Client(HTTP_HOST=WATARAI_HOST).get(f"/booking/ticket/{second.code}/").status_code == 404


# ---- the API -------------------------------------------------------------------------------------


def test_api_book_list_and_refusals(resident_client, service):
    days = Client(HTTP_HOST=IGA_HOST).get(f"/api/v1/booking/services/{service.code}/slots?days=14").json()
    slot = next(slot for day in days for slot in day["slots"] if slot["free"])
    made = resident_client.post(
        "/api/v1/booking/bookings",
        {"service": service.code, "starts_at": slot["starts_at"]},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["starts_at"].endswith("+09:00")
    again = resident_client.post(
        "/api/v1/booking/bookings",
        {"service": service.code, "starts_at": slot["starts_at"]},
        content_type="application/json",
    )
    assert again.status_code == 422 and again.json()["code"] == "full"
    holiday = resident_client.post(
        "/api/v1/booking/bookings",
        {"service": service.code, "starts_at": "2020-01-01T09:00:00+09:00"},
        content_type="application/json",
    )
    assert holiday.json()["code"] == "past"
    mine = resident_client.get("/api/v1/booking/bookings").json()
    assert [item["id"] for item in mine] == [made.json()["id"]]
    cancelled = resident_client.post(f"/api/v1/booking/bookings/{made.json()['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"


def test_api_staff_walk_in_call_next_and_public_ticket_status(
    clerk_client, clerk_other_department, service, counter
):
    issued = clerk_client.post(
        "/api/v1/staff/booking/walk-in", {"service": service.code}, content_type="application/json"
    )
    assert issued.status_code == 201
    code = issued.json()["code"]
    status = Client(HTTP_HOST=IGA_HOST).get(f"/api/v1/booking/tickets/{code}").json()
    assert status["status"] == "waiting" and status["ahead"] == 0
    refused = signed_in(clerk_other_department).post(
        "/api/v1/staff/booking/call-next", {"resource": counter.pk}, content_type="application/json"
    )
    assert refused.status_code == 404
    called = clerk_client.post(
        "/api/v1/staff/booking/call-next", {"resource": counter.pk}, content_type="application/json"
    )
    assert called.json()["status"] == "called" and called.json()["counter"] == counter.name
    empty = clerk_client.post(
        "/api/v1/staff/booking/call-next", {"resource": counter.pk}, content_type="application/json"
    )
    assert empty.status_code == 204
    display = Client(HTTP_HOST=IGA_HOST).get("/api/v1/booking/display").json()
    assert display["calling"][0]["number"] == issued.json()["number"]
