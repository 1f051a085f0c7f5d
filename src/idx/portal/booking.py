"""Resident pages of counter bookings (窓口予約) and waiting tickets.

Services and free slots are public; booking, cancelling and rebooking need a resident's sign-in.
The slot picker is a plain form (one radio button per free slot, grouped by day), so it works
without JavaScript. The waiting-room display and the ticket page need no sign-in: they show
numbers only, never names, and refresh themselves with ``<meta http-equiv="refresh">``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from idx.booking import selectors
from idx.booking.ics import booking_ics
from idx.booking.models import Booking, Service, TicketStatus
from idx.booking.opening import TOKYO
from idx.booking.services import bookings as booking_services
from idx.identity.models import Department
from idx.web.http import IdxRequest, resident_required

WEEK = 7
DISPLAY_REFRESH_SECONDS = 10
TICKET_REFRESH_SECONDS = 30
_OPEN_TICKET = (TicketStatus.WAITING, TicketStatus.CALLED)


def _service(request: IdxRequest, code: str) -> Service:
    service = selectors.service_get(municipality=request.municipality, code=code)
    if service is None:
        raise Http404
    return service


def _own(request: IdxRequest, public_id: str) -> Booking:
    booking = selectors.booking_get_for_resident(resident=request.user, public_id=public_id)
    if booking is None:
        raise Http404
    return booking


def _first_day(request: IdxRequest) -> dt.date:
    today = selectors.today_in_japan()
    try:
        chosen = dt.date.fromisoformat(request.GET.get("from", "")[:10])
    except ValueError:
        return today
    return max(today, chosen)


def _parse_start(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value[:40])
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=TOKYO)


def _chosen_slot_url(request: IdxRequest) -> str:
    """This picker's address with the posted time (and its week) chosen: no note, no personal data."""
    starts_at = _parse_start(request.POST.get("starts_at", ""))
    if starts_at is None:
        return request.path
    kept = {
        "from": starts_at.astimezone(TOKYO).date().isoformat(),
        "starts_at": request.POST["starts_at"][:40],
    }
    if request.POST.get("online") == "on":
        kept["online"] = "on"
    return f"{request.path}?{urlencode(kept)}"


def service_list(request: IdxRequest) -> HttpResponseBase:
    services_ = list(selectors.services_for_residents(municipality=request.municipality))
    return render(request, "portal/booking/services.html", {"services": services_})


def _picker_context(request: IdxRequest, service: Service, first: dt.date) -> dict[str, Any]:
    days = selectors.slot_days(service=service, first_day=first, days=WEEK)
    today = selectors.today_in_japan()
    horizon = today + dt.timedelta(days=service.horizon_days)
    previous = first - dt.timedelta(days=WEEK)
    following = first + dt.timedelta(days=WEEK)
    return {
        "service": service,
        "days": days,
        "first": first,
        "previous": max(previous, today) if first > today else None,
        "following": following if following <= horizon else None,
        "horizon": horizon,
        "any_free": any(slot.free for day in days for slot in day.slots),
    }


def service_detail(request: IdxRequest, code: str) -> HttpResponseBase:
    """The slot picker of one service (a week at a time); POST books the chosen slot."""
    service = _service(request, code)
    errors: list[str] = []
    values: dict[str, Any] = {}
    if request.method == "POST":
        if not request.user.is_authenticated or not request.user.is_resident:
            # Back to this picker after signing in, with the chosen time still chosen.
            return redirect(f"{reverse('portal:login')}?{urlencode({'next': _chosen_slot_url(request)})}")
        values = request.POST
        starts_at = _parse_start(request.POST.get("starts_at", ""))
        if starts_at is None:
            errors.append(_("Choose a time."))
        else:
            try:
                booking = booking_services.booking_create(
                    resident=request.user,
                    service=service,
                    starts_at=starts_at,
                    online=request.POST.get("online") == "on",
                    note=request.POST.get("note", "").strip(),
                )
            except booking_services.BookingRefused as exc:
                errors.append(str(exc.message))
            except booking_services.NotPermitted as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("Your booking is confirmed. We have sent you a confirmation."))
                return redirect("portal:booking_detail", public_id=booking.public_id)
    if request.method != "POST":
        values = {key: request.GET[key][:40] for key in ("starts_at", "online") if key in request.GET}
    context = _picker_context(request, service, _first_day(request))
    context.update({"errors": errors, "values": values, "rebooking": None})
    return render(request, "portal/booking/service.html", context, status=422 if errors else 200)


@resident_required
def my_bookings(request: IdxRequest) -> HttpResponseBase:
    upcoming = list(selectors.bookings_for_resident(resident=request.user))
    past = list(
        selectors.bookings_for_resident(resident=request.user, include_past=True)
        .exclude(pk__in=[booking.pk for booking in upcoming])
        .order_by("-starts_at")[:20]
    )
    return render(request, "portal/booking/mine.html", {"upcoming": upcoming, "past": past})


@resident_required
def booking_detail(request: IdxRequest, public_id: str) -> HttpResponseBase:
    booking = _own(request, public_id)
    return render(request, "portal/booking/detail.html", {"booking": booking, "service": booking.service})


@resident_required
def booking_cancel(request: IdxRequest, public_id: str) -> HttpResponseBase:
    booking = _own(request, public_id)
    if request.method != "POST":  # e.g. back from signing in: the booking's page has the cancel button
        return redirect("portal:booking_detail", public_id=booking.public_id)
    try:
        booking_services.booking_cancel(booking=booking, actor=request.user)
    except booking_services.BookingRefused as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your booking has been cancelled."))
    return redirect("portal:booking_detail", public_id=booking.public_id)


@resident_required
def booking_rebook(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Choose another time for a booking; the old one is released only when the new one is made."""
    booking = _own(request, public_id)
    if not booking.is_live:
        raise Http404
    errors: list[str] = []
    if request.method == "POST":
        starts_at = _parse_start(request.POST.get("starts_at", ""))
        if starts_at is None:
            errors.append(_("Choose a time."))
        else:
            try:
                new = booking_services.booking_rebook(
                    booking=booking, resident=request.user, starts_at=starts_at
                )
            except booking_services.BookingRefused as exc:
                errors.append(str(exc.message))
            else:
                messages.success(request, _("Your booking has been changed. We have sent you the new time."))
                return redirect("portal:booking_detail", public_id=new.public_id)
    context = _picker_context(request, booking.service, _first_day(request))
    context.update({"errors": errors, "values": request.POST, "rebooking": booking})
    return render(request, "portal/booking/service.html", context, status=422 if errors else 200)


@require_GET
@resident_required
def booking_calendar(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """The booking as an .ics file (the same event as the e-mail's attachment)."""
    booking = _own(request, public_id)
    method = "REQUEST" if booking.status != "cancelled" else "CANCEL"
    text = booking_ics(
        booking,
        method=method,
        summary=f"{booking.service.name} ({booking.municipality.name})",
        description=_("Booking number: %(code)s") % {"code": booking.code},
    )
    response = HttpResponse(text, content_type=f"text/calendar; charset=utf-8; method={method}")
    response["Content-Disposition"] = 'attachment; filename="booking.ics"'
    return response


# ---- waiting: display and ticket ---------------------------------------------------------------


def _refresh(request: IdxRequest) -> bool:
    return request.GET.get("refresh") != "off"


@require_GET
@never_cache
def display(request: IdxRequest) -> HttpResponseBase:
    """The waiting-room screen: numbers called now (and to which counter), and the next ones."""
    department_code = request.GET.get("department", "")[:40]
    department = (
        Department.objects.filter(municipality=request.municipality, code=department_code).first()
        if department_code
        else None
    )
    if department_code and department is None:
        raise Http404
    state = selectors.display_state(municipality=request.municipality, department=department)
    return render(
        request,
        "portal/booking/display.html",
        {
            "state": state,
            "department": department,
            "departments": selectors.display_departments(municipality=request.municipality),
            "refresh": DISPLAY_REFRESH_SECONDS if _refresh(request) else None,
            "now": dt.datetime.now(TOKYO),
        },
    )


@require_GET
@never_cache
def ticket_lookup(request: IdxRequest) -> HttpResponseBase:
    """Type the code printed on the ticket to follow it on a phone."""
    code = request.GET.get("code", "")
    error = ""
    if code:
        ticket = selectors.ticket_get_by_code(municipality=request.municipality, code=code)
        if ticket is not None:
            return redirect("portal:booking_ticket", code=ticket.code)
        error = _("No ticket of today has this code. Check the code printed on your ticket.")
    return render(
        request, "portal/booking/ticket_lookup.html", {"error": error}, status=404 if error else 200
    )


@require_GET
@never_cache
def ticket(request: IdxRequest, code: str) -> HttpResponseBase:
    found = selectors.ticket_get_by_code(municipality=request.municipality, code=code)
    if found is None or found.day != selectors.today_in_japan():
        raise Http404
    position = selectors.ticket_position(found)
    return render(
        request,
        "portal/booking/ticket.html",
        {
            "ticket": found,
            "position": position,
            "refresh": TICKET_REFRESH_SECONDS if _refresh(request) and found.status in _OPEN_TICKET else None,
        },
    )
