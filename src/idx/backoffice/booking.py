"""Counter bookings and waiting tickets in the back office.

- The day's bookings per service, and the counter screen (check in by booking number, issue a
  walk-in ticket, call the next ticket to one's counter, mark served or no-show): staff who may
  ``SERVE_COUNTER`` in the department.
- Services, weekly hours, closures and counters: staff who may ``MANAGE_BOOKING``.

Anything outside the staff member's scope answers "not found", as elsewhere in the back office.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from idx.booking import selectors
from idx.booking.models import (
    Booking,
    BookingStatus,
    Closure,
    OpeningHours,
    Resource,
    ResourceKind,
    Service,
    TicketStatus,
    Weekday,
)
from idx.booking.opening import TOKYO
from idx.booking.services import bookings as booking_services
from idx.booking.services import setup as setup_services
from idx.booking.services import tickets as ticket_services
from idx.identity.models import Department
from idx.identity.policy import Action
from idx.web.http import IdxRequest, staff_required

RESOURCE_SESSION_KEY = "idx_booking_resource"
ISSUED_SESSION_KEY = "idx_booking_issued"
PERIODS = 2  # opening periods per weekday on the form (morning and afternoon)


def _require(request: IdxRequest, action: Action) -> list[Department]:
    departments = selectors.departments_for_staff(staff=request.user, action=action)
    if not departments:
        raise Http404
    return departments


def _day(request: IdxRequest) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("day", "")[:10])
    except ValueError:
        return selectors.today_in_japan()


# ---- the day's bookings ------------------------------------------------------------------------


@staff_required
def booking_day(request: IdxRequest) -> HttpResponseBase:
    _require(request, Action.SERVE_COUNTER)
    day = _day(request)
    services_ = list(selectors.services_for_staff(staff=request.user, action=Action.SERVE_COUNTER))
    bookings = list(selectors.bookings_of_day_for_staff(staff=request.user, day=day))
    per_service = [
        (service, [booking for booking in bookings if booking.service_id == service.pk])
        for service in services_
    ]
    return render(
        request,
        "backoffice/booking/day.html",
        {
            "day": day,
            "previous": day - dt.timedelta(days=1),
            "following": day + dt.timedelta(days=1),
            "per_service": per_service,
            "total": len([booking for booking in bookings if booking.status != BookingStatus.CANCELLED]),
        },
    )


@require_POST
@staff_required
def booking_staff_cancel(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Cancel a resident's booking for them (a phone call, a closure); the resident is told."""
    _require(request, Action.SERVE_COUNTER)
    booking = (
        Booking.objects.filter(municipality=request.municipality, public_id=public_id)
        .select_related("service", "service__department", "municipality")
        .first()
        if _is_uuid(public_id)
        else None
    )
    if booking is None:
        raise Http404
    try:
        booking_services.booking_cancel(booking=booking, actor=request.user)
    except booking_services.NotPermitted as exc:
        raise Http404 from exc
    except booking_services.BookingRefused as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The booking has been cancelled; the resident is told."))
    day = booking.starts_at.astimezone(TOKYO).date()
    return redirect(f"{reverse('backoffice:booking_day')}?day={day.isoformat()}")


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# ---- the counter screen ------------------------------------------------------------------------


@staff_required
def counter(request: IdxRequest) -> HttpResponseBase:
    _require(request, Action.SERVE_COUNTER)
    staff = request.user
    day = selectors.today_in_japan()
    resources = list(selectors.resources_for_staff(staff=staff))
    chosen_id = request.session.get(RESOURCE_SESSION_KEY)
    resource = next((item for item in resources if item.pk == chosen_id), resources[0] if resources else None)
    tickets = list(selectors.tickets_of_day_for_staff(staff=staff, day=day))
    issued_id = request.session.pop(ISSUED_SESSION_KEY, None)
    issued = next((ticket for ticket in tickets if ticket.pk == issued_id), None)
    active = [ticket for ticket in tickets if ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING)]
    waiting = [ticket for ticket in tickets if ticket.status == TicketStatus.WAITING]
    finished = [ticket for ticket in tickets if ticket.status in (TicketStatus.DONE, TicketStatus.NO_SHOW)]
    served = [ticket for ticket in finished if ticket.called_at and ticket.status == TicketStatus.DONE]
    waits = [(ticket.called_at - ticket.queue_at).total_seconds() for ticket in served if ticket.called_at]
    mean_wait = round(sum(waits) / len(waits) / 60) if waits else None
    return render(
        request,
        "backoffice/booking/counter.html",
        {
            "resources": resources,
            "resource": resource,
            "services": selectors.services_for_staff(staff=staff, action=Action.SERVE_COUNTER),
            "active": active,
            "waiting": waiting,
            "finished": finished[-10:],
            "issued": issued,
            "mean_wait": mean_wait,
            "served_count": len(served),
        },
    )


@require_POST
@staff_required
def check_in(request: IdxRequest) -> HttpResponseBase:
    _require(request, Action.SERVE_COUNTER)
    try:
        ticket = ticket_services.ticket_check_in(staff=request.user, code=request.POST.get("code", ""))
    except ticket_services.TicketInvalid as exc:
        messages.error(request, str(exc.message))
    else:
        request.session[ISSUED_SESSION_KEY] = ticket.pk
        messages.success(request, _("Checked in: ticket %(number)s.") % {"number": ticket.display_number})
    return redirect("backoffice:booking_counter")


@require_POST
@staff_required
def walk_in(request: IdxRequest) -> HttpResponseBase:
    _require(request, Action.SERVE_COUNTER)
    service = selectors.service_get_for_staff(
        staff=request.user, action=Action.SERVE_COUNTER, pk=request.POST.get("service", "")
    )
    if service is None:
        messages.error(request, _("Choose the service."))
        return redirect("backoffice:booking_counter")
    try:
        ticket = ticket_services.ticket_issue_walk_in(staff=request.user, service=service)
    except booking_services.NotPermitted as exc:
        raise Http404 from exc
    request.session[ISSUED_SESSION_KEY] = ticket.pk
    messages.success(request, _("Ticket %(number)s issued.") % {"number": ticket.display_number})
    return redirect("backoffice:booking_counter")


@require_POST
@staff_required
def call_next(request: IdxRequest) -> HttpResponseBase:
    _require(request, Action.SERVE_COUNTER)
    resource_id = request.POST.get("resource", "")
    resource = (
        selectors.resources_for_staff(staff=request.user).filter(pk=resource_id).first()
        if resource_id.isdecimal()
        else None
    )
    if resource is None:
        raise Http404
    request.session[RESOURCE_SESSION_KEY] = resource.pk
    ticket = ticket_services.ticket_call_next(staff=request.user, resource=resource)
    if ticket is None:
        messages.info(request, _("Nobody is waiting."))
    else:
        messages.success(
            request,
            _("Called %(number)s to %(counter)s.")
            % {"number": ticket.display_number, "counter": resource.name},
        )
    return redirect("backoffice:booking_counter")


@require_POST
@staff_required
def ticket_move(request: IdxRequest, ticket_id: int, move: str) -> HttpResponseBase:
    _require(request, Action.SERVE_COUNTER)
    ticket = selectors.ticket_get_for_staff(staff=request.user, pk=ticket_id)
    if ticket is None:
        raise Http404
    try:
        ticket_services.ticket_move(staff=request.user, ticket=ticket, move=move)
    except booking_services.NotPermitted as exc:
        raise Http404 from exc
    except ticket_services.TicketInvalid as exc:
        messages.error(request, str(exc.message))
    return redirect("backoffice:booking_counter")


# ---- configuration ------------------------------------------------------------------------------


class ServiceForm(forms.ModelForm):
    meeting_url = forms.URLField(
        required=False, assume_scheme="https", max_length=200, label=gettext_lazy("Video meeting link")
    )

    class Meta:
        model = Service
        fields = list(setup_services.SERVICE_FIELDS)
        labels = {
            "code": gettext_lazy("Code (letters, digits and hyphens; used in the address)"),
            "name": gettext_lazy("Name (Japanese)"),
            "name_en": gettext_lazy("Name (English)"),
            "description": gettext_lazy("Description for residents"),
            "ticket_prefix": gettext_lazy("Ticket letter (A-012)"),
            "slot_minutes": gettext_lazy("Slot length (minutes)"),
            "capacity": gettext_lazy("Bookings per slot"),
            "horizon_days": gettext_lazy("Bookable days ahead"),
            "min_notice_minutes": gettext_lazy("Minimum notice (minutes)"),
            "max_per_account": gettext_lazy("Future bookings per resident"),
            "online_possible": gettext_lazy("Online consultation possible"),
            "meeting_url": gettext_lazy("Video meeting link"),
            "location": gettext_lazy("Place (blank: the department's counter)"),
            "bookable": gettext_lazy("Residents can book it online"),
            "active": gettext_lazy("In use"),
        }
        help_texts = dict.fromkeys(setup_services.SERVICE_FIELDS, "")

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"] = forms.ModelChoiceField(
            queryset=Department.objects.filter(pk__in=[department.pk for department in departments]),
            label=gettext_lazy("Department"),
            empty_label=None,
        )
        if self.instance.pk:
            self.fields["department"].initial = self.instance.department_id
        self.fields["ticket_prefix"].validators.append(_letters)

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        taken = Service.objects.filter(municipality_id=self.instance.municipality_id, code=code)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another service has this code."))
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("online_possible") and not cleaned.get("meeting_url"):
            self.add_error("meeting_url", _("Give the video meeting link for online consultations."))
        if (cleaned.get("slot_minutes") or 5) < 5:
            self.add_error("slot_minutes", _("A slot is at least 5 minutes."))
        if (cleaned.get("capacity") or 1) < 1:
            self.add_error("capacity", _("A slot holds at least one booking."))
        return cleaned


def _letters(value: str) -> None:
    if not value.isascii() or not value.isalpha() or not value.isupper():
        raise forms.ValidationError(_("Use one or two capital letters."))


def _hours_rows(service: Service | None, data: Any = None) -> list[dict[str, Any]]:
    """One row per weekday with PERIODS (opens, closes) pairs, from the form data or the service."""
    existing: dict[int, list[OpeningHours]] = {}
    if service is not None and service.pk:
        for hours in OpeningHours.objects.filter(service=service).order_by("opens"):
            existing.setdefault(hours.weekday, []).append(hours)
    rows = []
    for weekday, label in Weekday.choices:
        periods = []
        for index in range(PERIODS):
            if data is not None:
                opens = data.get(f"h{weekday}-{index}-opens", "")
                closes = data.get(f"h{weekday}-{index}-closes", "")
            else:
                known = existing.get(weekday, [])
                opens = f"{known[index].opens:%H:%M}" if index < len(known) else ""
                closes = f"{known[index].closes:%H:%M}" if index < len(known) else ""
            periods.append({"index": index, "opens": opens, "closes": closes})
        rows.append({"weekday": weekday, "label": label, "periods": periods})
    return rows


def _parse_hours(rows: list[dict[str, Any]]) -> tuple[list[tuple[int, dt.time, dt.time]], list[str]]:
    parsed: list[tuple[int, dt.time, dt.time]] = []
    problems: list[str] = []
    for row in rows:
        for period in row["periods"]:
            if not period["opens"] and not period["closes"]:
                continue
            try:
                opens = dt.time.fromisoformat(period["opens"])
                closes = dt.time.fromisoformat(period["closes"])
            except ValueError:
                problems.append(_("%(day)s: enter both times as HH:MM.") % {"day": row["label"]})
                continue
            if closes <= opens:
                problems.append(_("%(day)s: a period must end after it begins.") % {"day": row["label"]})
                continue
            parsed.append((row["weekday"], opens, closes))
    return parsed, problems


@staff_required
def manage(request: IdxRequest) -> HttpResponseBase:
    departments = _require(request, Action.MANAGE_BOOKING)
    services_ = list(
        selectors.services_for_staff(
            staff=request.user, action=Action.MANAGE_BOOKING, include_inactive=True
        ).prefetch_related("hours", "resources")
    )
    closures = Closure.objects.filter(
        municipality=request.municipality,
        department__in=departments,
        last_day__gte=selectors.today_in_japan(),
    ).select_related("department", "service")
    resources = (
        Resource.objects.filter(municipality=request.municipality, department__in=departments)
        .select_related("department")
        .prefetch_related("services")
    )
    return render(
        request,
        "backoffice/booking/manage.html",
        {
            "services": services_,
            "departments": departments,
            "closures": closures,
            "resources": resources,
            "kinds": ResourceKind.choices,
        },
    )


@staff_required
def service_edit(request: IdxRequest, service_id: int | None = None) -> HttpResponseBase:
    departments = _require(request, Action.MANAGE_BOOKING)
    service = None
    if service_id is not None:
        service = selectors.service_get_for_staff(
            staff=request.user, action=Action.MANAGE_BOOKING, pk=service_id
        )
        if service is None:
            raise Http404
    instance = service or Service(municipality=request.municipality)
    problems: list[str] = []
    if request.method == "POST":
        form = ServiceForm(request.POST, instance=instance, departments=departments)
        rows = _hours_rows(service, request.POST)
        hours, problems = _parse_hours(rows)
        if form.is_valid() and not problems:
            values = {name: form.cleaned_data[name] for name in setup_services.SERVICE_FIELDS}
            # The form wrote the values onto the instance; the service compares against the stored row.
            stored = (
                Service.objects.filter(pk=service.pk).select_related("department").first()
                if service
                else None
            )
            saved = setup_services.service_save(
                staff=request.user, department=form.cleaned_data["department"], values=values, service=stored
            )
            setup_services.hours_replace(staff=request.user, service=saved, hours=hours)
            messages.success(request, _("The service has been saved."))
            return redirect("backoffice:booking_manage")
    else:
        form = ServiceForm(instance=instance, departments=departments)
        rows = _hours_rows(service)
    return render(
        request,
        "backoffice/booking/service_form.html",
        {"form": form, "service": service, "rows": rows, "problems": problems},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@staff_required
def closure_add(request: IdxRequest) -> HttpResponseBase:
    departments = _require(request, Action.MANAGE_BOOKING)
    department = next((item for item in departments if str(item.pk) == request.POST.get("department")), None)
    if department is None:
        raise Http404
    service_id = request.POST.get("service", "")
    service = None
    if service_id:
        service = selectors.service_get_for_staff(
            staff=request.user, action=Action.MANAGE_BOOKING, pk=service_id
        )
        if service is None:
            raise Http404
    try:
        first_day = dt.date.fromisoformat(request.POST.get("first_day", ""))
        last_day = dt.date.fromisoformat(
            request.POST.get("last_day", "") or request.POST.get("first_day", "")
        )
    except ValueError:
        messages.error(request, _("Enter the days as YYYY-MM-DD."))
        return redirect("backoffice:booking_manage")
    try:
        setup_services.closure_add(
            staff=request.user,
            department=department,
            service=service,
            first_day=first_day,
            last_day=last_day,
            reason=request.POST.get("reason", "").strip(),
        )
    except booking_services.NotPermitted as exc:
        raise Http404 from exc
    except booking_services.BookingRefused as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("The closure has been saved. Bookings already made on these days are kept.")
        )
    return redirect("backoffice:booking_manage")


@require_POST
@staff_required
def closure_delete(request: IdxRequest, closure_id: int) -> HttpResponseBase:
    departments = _require(request, Action.MANAGE_BOOKING)
    closure = Closure.objects.filter(
        municipality=request.municipality, pk=closure_id, department__in=departments
    ).first()
    if closure is None:
        raise Http404
    setup_services.closure_delete(staff=request.user, closure=closure)
    messages.success(request, _("The closure has been removed."))
    return redirect("backoffice:booking_manage")


@require_POST
@staff_required
def resource_add(request: IdxRequest) -> HttpResponseBase:
    departments = _require(request, Action.MANAGE_BOOKING)
    department = next((item for item in departments if str(item.pk) == request.POST.get("department")), None)
    name = request.POST.get("name", "").strip()
    kind = request.POST.get("kind", "")
    if department is None or kind not in ResourceKind.values:
        raise Http404
    if not name:
        messages.error(request, _("Enter the counter's name."))
        return redirect("backoffice:booking_manage")
    chosen = Service.objects.filter(
        municipality=request.municipality,
        department=department,
        pk__in=[value for value in request.POST.getlist("services") if value.isdecimal()],
    )
    existing = Resource.objects.filter(
        municipality=request.municipality, department=department, name=name
    ).first()
    setup_services.resource_save(
        staff=request.user, department=department, name=name, kind=kind, services=chosen, resource=existing
    )
    messages.success(request, _("The counter has been saved."))
    return redirect("backoffice:booking_manage")
