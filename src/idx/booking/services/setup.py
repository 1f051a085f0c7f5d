"""Writes of the booking configuration (``MANAGE_BOOKING``): services, their weekly opening hours,
closures and the counters (resources) that serve them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.booking.models import Closure, OpeningHours, Resource, Service
from idx.booking.services.bookings import BookingRefused, NotPermitted
from idx.identity.models import Department, User
from idx.identity.policy import Action, can

SERVICE_FIELDS = (
    "code",
    "name",
    "name_en",
    "description",
    "ticket_prefix",
    "slot_minutes",
    "capacity",
    "horizon_days",
    "min_notice_minutes",
    "max_per_account",
    "online_possible",
    "meeting_url",
    "location",
    "bookable",
    "active",
)


def _require_manage(staff: User, department: Department) -> None:
    if department.municipality_id != staff.municipality_id or not can(
        staff, Action.MANAGE_BOOKING, department
    ):
        raise NotPermitted


def service_save(
    *, staff: User, department: Department, values: dict[str, Any], service: Service | None = None
) -> Service:
    """Create or change a service (validated by the caller's form)."""
    _require_manage(staff, department)
    if service is not None:
        _require_manage(staff, service.department)
    with transaction.atomic(durable=True):
        before = {name: getattr(service, name) for name in SERVICE_FIELDS} if service else {}
        if service is None:
            service = Service(municipality_id=staff.municipality_id)
        service.department = department
        for name in SERVICE_FIELDS:
            if name in values:
                setattr(service, name, values[name])
        service.save()
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="booking.service_save",
            target_type="booking_service",
            target_id=service.code,
            before=before,
            after={name: getattr(service, name) for name in SERVICE_FIELDS},
        )
    return service


def hours_replace(
    *, staff: User, service: Service, hours: Iterable[tuple[int, dt.time, dt.time]]
) -> list[OpeningHours]:
    """Replace the weekly opening hours of ``service`` (existing bookings are kept)."""
    _require_manage(staff, service.department)
    rows = sorted(set(hours))
    for weekday, opens, closes in rows:
        if not 0 <= weekday <= 6 or closes <= opens:
            raise BookingRefused("invalid_hours", _("Each period must end after it begins."))
    with transaction.atomic(durable=True):
        previous = [
            [hour.weekday, f"{hour.opens:%H:%M}", f"{hour.closes:%H:%M}"]
            for hour in OpeningHours.objects.filter(service=service).order_by("weekday", "opens", "closes")
        ]
        OpeningHours.objects.filter(service=service).delete()
        made = OpeningHours.objects.bulk_create(
            OpeningHours(
                municipality_id=service.municipality_id,
                service=service,
                weekday=weekday,
                opens=opens,
                closes=closes,
            )
            for weekday, opens, closes in rows
        )
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="booking.hours_replace",
            target_type="booking_service",
            target_id=service.code,
            before={"hours": previous},
            after={
                "hours": [[weekday, f"{opens:%H:%M}", f"{closes:%H:%M}"] for weekday, opens, closes in rows]
            },
        )
    return made


def closure_add(
    *,
    staff: User,
    department: Department,
    service: Service | None,
    first_day: dt.date,
    last_day: dt.date,
    reason: str,
) -> Closure:
    """Close a department (or one of its services) on some days; bookings already made stay and
    are listed for the staff to contact."""
    _require_manage(staff, department)
    if service is not None and service.department_id != department.pk:
        raise NotPermitted
    if last_day < first_day:
        raise BookingRefused("invalid_closure", _("The last day must not be before the first day."))
    with transaction.atomic(durable=True):
        closure = Closure.objects.create(
            municipality_id=staff.municipality_id,
            department=department,
            service=service,
            first_day=first_day,
            last_day=last_day,
            reason=reason[:200],
        )
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="booking.closure_add",
            target_type="booking_closure",
            target_id=closure.pk,
            after={
                "department": department.code,
                "service": service.code if service else "",
                "first_day": first_day.isoformat(),
                "last_day": last_day.isoformat(),
            },
        )
    return closure


def closure_delete(*, staff: User, closure: Closure) -> None:
    if closure.department is None or closure.municipality_id != staff.municipality_id:
        raise NotPermitted
    _require_manage(staff, closure.department)
    with transaction.atomic(durable=True):
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="booking.closure_delete",
            target_type="booking_closure",
            target_id=closure.pk,
            before={"first_day": closure.first_day.isoformat(), "last_day": closure.last_day.isoformat()},
        )
        closure.delete()


def resource_save(
    *,
    staff: User,
    department: Department,
    name: str,
    kind: str,
    services: Iterable[Service],
    resource: Resource | None = None,
    active: bool = True,
) -> Resource:
    _require_manage(staff, department)
    chosen = [service for service in services if service.department_id == department.pk]
    with transaction.atomic(durable=True):
        if resource is None:
            resource = Resource(municipality_id=staff.municipality_id, department=department)
        elif resource.department_id != department.pk:
            raise NotPermitted
        resource.name, resource.kind, resource.active = name[:60], kind, active
        resource.save()
        for service in Service.objects.filter(resources=resource).exclude(
            pk__in=[item.pk for item in chosen]
        ):
            service.resources.remove(resource)
        for service in chosen:
            service.resources.add(resource)
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="booking.resource_save",
            target_type="booking_resource",
            target_id=resource.pk,
            after={"name": resource.name, "kind": kind, "services": [service.code for service in chosen]},
        )
    return resource
