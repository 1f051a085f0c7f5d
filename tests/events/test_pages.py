"""Resident and staff pages of events: search, register (bad input kept), waiting list, QR, check-in."""

from __future__ import annotations

import pytest
from django.test import Client

from idx.events import services
from idx.events.models import Registration
from tests.conftest import IGA_HOST, signed_in
from tests.events.conftest import make_event
from tests.factories import ResidentFactory


@pytest.mark.django_db
def test_listing_and_search(iga, small_class):
    make_event(
        iga,
        category="sports",
        fee=3000,
        titles={"ja": "伊賀上野シティマラソン", "en": "Iga-Ueno City Marathon"},
    )
    client = Client(HTTP_HOST=IGA_HOST)
    page = client.get("/events/").content.decode()
    assert "Smartphone class for beginners" in page and "Iga-Ueno City Marathon" in page
    paid = client.get("/events/?fee=paid").content.decode()
    assert "Iga-Ueno City Marathon" in paid and "Smartphone class" not in paid
    digital = client.get("/events/?category=digital_support&q=Smartphone").content.decode()
    assert "Smartphone class" in digital and "Marathon" not in digital
    detail = client.get(f"/events/{small_class.public_id}/").content.decode()
    assert "No steps (step-free access)" in detail and "Wheelchair spaces" in detail
    assert "Sign in to register" in detail


@pytest.mark.django_db
def test_register_with_help_then_waiting_list_and_oversize_text_kept(iga, small_class, resident):
    for person in (ResidentFactory(municipality=iga), ResidentFactory(municipality=iga)):
        services.registration_create(event=small_class, resident=person)
    client = signed_in(resident)
    url = f"/events/{small_class.public_id}/"
    long = "スマホで写真を送りたい" * 60
    page = client.post(url, {"help_topics": ["mynumber_login"], "help_note": long})
    assert page.status_code == 400
    text = page.content.decode()
    assert "そのほか手伝ってほしいこと" in text and "500文字以内" in text  # the resident reads Japanese
    assert long in text  # nothing lost
    full = client.post(url, {"help_topics": ["mynumber_login", "line"], "help_note": "LINEで写真を送りたい"})
    assert full.status_code == 400 and "キャンセル待ちに登録する" in full.content.decode()
    joined = client.post(
        url, {"help_topics": ["mynumber_login"], "help_note": "LINEで写真を送りたい", "waitlist": "yes"}
    )
    registration = Registration.objects.get(event=small_class, resident=resident)
    assert joined.status_code == 302 and registration.status == "waitlisted"
    mine = client.get(f"/my/events/{registration.public_id}/").content.decode()
    assert "キャンセル待ちの1番目" in mine
    again = client.post(url, {"waitlist": "yes"})  # the second tab
    assert again.status_code == 302 and Registration.objects.filter(resident=resident).count() == 1


@pytest.mark.django_db
def test_registration_page_shows_qr_only_to_its_registrant(iga, small_class, resident, other_resident):
    registration = services.registration_create(event=small_class, resident=resident)
    page = signed_in(resident).get(f"/my/events/{registration.public_id}/").content.decode()
    assert "<svg" in page and registration.code in page
    assert signed_in(other_resident).get(f"/my/events/{registration.public_id}/").status_code == 404
    confirm = signed_in(resident).get(f"/my/events/{registration.public_id}/cancel/")
    assert confirm.status_code == 200 and "申込みを取り消しますか？" in confirm.content.decode()
    signed_in(resident).post(f"/my/events/{registration.public_id}/cancel/")
    registration.refresh_from_db()
    assert registration.status == "cancelled"


@pytest.mark.django_db
def test_staff_participants_help_and_check_in(
    iga, small_class, resident, clerk, clerk_other_department, city_admin
):
    registration = services.registration_create(
        event=small_class,
        resident=resident,
        help_topics=["online_application"],
        help_note="電子申請を試したい",
    )
    staff = signed_in(clerk)
    listing = staff.get("/staff/events/").content.decode()
    assert "スマホ教室" in listing
    page = staff.get(f"/staff/events/{small_class.public_id}/").content.decode()
    assert resident.full_name in page and "電子申請を試したい" in page
    first = staff.post(f"/staff/events/{small_class.public_id}/check-in/", {"code": registration.code})
    assert first.status_code == 200 and 'id="check-in-result"' in first.content.decode()
    again = staff.post(f"/staff/events/{small_class.public_id}/check-in/", {"code": registration.code})
    assert "受付済み" in again.content.decode()
    wrong = staff.post(f"/staff/events/{small_class.public_id}/check-in/", {"code": "XXXX"})
    assert wrong.status_code == 400
    assert signed_in(clerk_other_department).get(f"/staff/events/{small_class.public_id}/").status_code == 404
    assert signed_in(city_admin).get("/staff/events/managed/").status_code == 200
    assert signed_in(city_admin).get("/staff/events/").status_code == 404


@pytest.mark.django_db
def test_city_cancel_has_a_second_look(iga, small_class, supervisor, resident):
    services.registration_create(event=small_class, resident=resident)
    client = signed_in(supervisor)
    look = client.get(f"/staff/events/{small_class.public_id}/cancel/")
    assert look.status_code == 200
    empty = client.post(f"/staff/events/{small_class.public_id}/cancel/", {"reason": ""})
    assert empty.status_code == 400
    done = client.post(
        f"/staff/events/{small_class.public_id}/cancel/", {"reason": "講師の急病のため中止します。"}
    )
    assert done.status_code == 302
    small_class.refresh_from_db()
    assert small_class.status == "cancelled"


@pytest.mark.django_db
def test_every_post_form_of_events_carries_a_csrf_token(iga, small_class, resident, supervisor):
    import re

    registration = services.registration_create(event=small_class, resident=resident)
    pages = [
        (signed_in(resident), f"/events/{small_class.public_id}/"),
        (signed_in(resident), f"/my/events/{registration.public_id}/"),
        (signed_in(resident), f"/my/events/{registration.public_id}/cancel/"),
        (signed_in(supervisor), f"/staff/events/{small_class.public_id}/"),
        (signed_in(supervisor), f"/staff/events/{small_class.public_id}/check-in/"),
        (signed_in(supervisor), f"/staff/events/{small_class.public_id}/cancel/"),
    ]
    for client, url in pages:
        html = client.get(url).content.decode()
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, flags=re.S)
        assert forms or "/my/events/" in url and "/cancel/" not in url, url
        for body in forms:
            assert "csrfmiddlewaretoken" in body, url


@pytest.mark.django_db
def test_a_supervisor_publishes_a_new_event(iga, supervisor, clerk):
    client = signed_in(supervisor)
    assert client.get("/staff/events/new/").status_code == 200
    assert signed_in(clerk).get("/staff/events/new/").status_code == 404  # a clerk checks in only
    form = {
        "title_ja": "防災講座「非常持ち出し袋をつくろう」",
        "title_en": "Make your emergency bag",
        "description_ja": "非常持ち出し袋の中身を一緒に考えます。",
        "category": "disaster",
        "area": "iga",
        "place_ja": "伊賀支所 会議室",
        "starts_at": "2027-01-20T10:00",
        "ends_at": "2027-01-20T09:00",
        "registration_deadline": "2027-01-15T17:00",
        "capacity": "30",
        "waitlist_size": "5",
        "max_companions": "1",
        "fee": "0",
        "accessibility": ["step_free", "sign_language"],
    }
    wrong = client.post("/staff/events/new/", form)
    assert wrong.status_code == 400
    made = client.post("/staff/events/new/", {**form, "ends_at": "2027-01-20T12:00"})
    assert made.status_code == 302
    from idx.events.models import Event

    event = Event.objects.get(titles__ja="防災講座「非常持ち出し袋をつくろう」")
    assert event.status == "published" and event.accessibility == ["step_free", "sign_language"]
    public = Client(HTTP_HOST=IGA_HOST).get(f"/events/{event.public_id}/").content.decode()
    assert "Make your emergency bag" in public
