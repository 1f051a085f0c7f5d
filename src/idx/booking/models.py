"""Counter bookings (窓口予約) and waiting tickets (受付番号札).

A department offers *services* (子育て相談, マイナンバーカード受取 …) at *resources* (its counters
or staff), on weekly *opening hours*, except on public holidays, 年末年始 (12/29–1/3) and
*closures*. A slot is ``slot_minutes`` long and holds ``capacity`` bookings.

No slot is ever overbooked: each booking takes one *seat* (1 … capacity) of its slot, and a
partial unique constraint on (service, starts_at, seat) among live bookings makes the database
refuse a second booking of the same seat, whatever the number of concurrent requests.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idx.common.i18n import Translatable
from idx.common.models import TenantModel

# Codes a person reads aloud or types: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


class ResourceKind(models.TextChoices):
    COUNTER = "counter", _("Counter")
    STAFF = "staff", _("Staff member")
    ROOM = "room", _("Consultation room")


class Resource(Translatable, TenantModel):
    """A counter, a consultation room or a staff member that serves residents; tickets are called to it."""

    TRANSLATED_FIELDS = ("name",)

    department = models.ForeignKey(
        "identity.Department", on_delete=models.PROTECT, related_name="booking_resources"
    )
    name = models.CharField(max_length=60)
    name_en = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=ResourceKind.choices, default=ResourceKind.COUNTER)
    active = models.BooleanField(default=True)
    # Other languages of the name (see idx.common.i18n).
    i18n = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["department__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "department", "name"], name="booking_resource_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the resident's language (1番窓口, Counter 1 …)."""
        return self.localized("name")


class Service(Translatable, TenantModel):
    """Something residents book at a department's counter (a consultation, a card pick-up …)."""

    TRANSLATED_FIELDS = ("name", "description", "location")

    department = models.ForeignKey(
        "identity.Department", on_delete=models.PROTECT, related_name="booking_services"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    name_en = models.CharField(max_length=120, blank=True)
    description = models.TextField(max_length=2000, blank=True)
    # Letter(s) before waiting-ticket numbers; services may share one.
    ticket_prefix = models.CharField(max_length=2, default="A")
    slot_minutes = models.PositiveSmallIntegerField(default=30)
    capacity = models.PositiveSmallIntegerField(default=1, help_text="bookings per slot")
    horizon_days = models.PositiveSmallIntegerField(default=28, help_text="how far ahead residents book")
    min_notice_minutes = models.PositiveIntegerField(default=60)
    max_per_account = models.PositiveSmallIntegerField(
        default=2, help_text="future bookings of this service one account may hold"
    )
    online_possible = models.BooleanField(default=False)  # オンライン相談
    meeting_url = models.URLField(
        blank=True,
        help_text="the video meeting service for online consultations: each booking gets a room of its own under it",
    )
    location = models.CharField(max_length=100, blank=True, help_text="blank: the department's counter")
    bookable = models.BooleanField(default=True)  # residents may book; walk-ins are always possible
    active = models.BooleanField(default=True)
    resources = models.ManyToManyField(Resource, blank=True, related_name="services")
    # Other languages of name, description and location (see idx.common.i18n).
    i18n = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["department__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="booking_service_code_unique"),
            models.CheckConstraint(condition=models.Q(slot_minutes__gte=5), name="booking_slot_minutes_min"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="booking_capacity_min"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def place(self) -> str:
        """Where residents go, in their language: the service's own place or the department's counter."""
        return self.localized("location") if self.location else self.department.counter_label

    @property
    def label(self) -> str:
        """The name in the resident's language (see ``idx.common.i18n.fallback_order``)."""
        return self.localized("name")

    @property
    def description_label(self) -> str:
        return self.localized("description")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(TenantModel):
    """One opening period of a service on a weekday (a day may have two: morning and afternoon)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="booking_hours_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Closure(TenantModel):
    """Days without bookings beyond holidays and 年末年始: of the whole city, a department or a service."""

    department = models.ForeignKey(
        "identity.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="closures"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="booking_closure_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_day}–{self.last_day} {self.reason}"


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("Did not come")
    CANCELLED = "cancelled", _("Cancelled")


# Bookings that hold their seat (everything but a cancellation).
SEAT_HOLDING = [
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
]


class Booking(TenantModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What the resident shows or types at check-in (予約番号); unique within the municipality.
    code = models.CharField(max_length=12, default=new_code)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    seat = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED)
    online = models.BooleanField(default=False)  # the resident chose the online consultation
    # The video meeting of an online consultation: a room of its own, never shared between bookings.
    meeting_url = models.URLField(max_length=300, blank=True)
    note = models.CharField(max_length=500, blank=True)  # what the resident wants to talk about
    # The calendar event: a rebooking keeps the UID and raises the SEQUENCE, so calendars move it.
    ics_uid = models.CharField(max_length=100)
    ics_sequence = models.PositiveIntegerField(default=0)
    rebooked_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rebooked_to"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "seat"]
        constraints = [
            # The guarantee against overbooking: one live booking per seat of a slot.
            models.UniqueConstraint(
                fields=["service", "starts_at", "seat"],
                condition=models.Q(status__in=SEAT_HOLDING),
                name="booking_one_per_seat",
            ),
            models.UniqueConstraint(fields=["municipality", "code"], name="booking_code_unique"),
            models.CheckConstraint(condition=models.Q(seat__gte=1), name="booking_seat_min"),
        ]
        indexes = [
            models.Index(fields=["resident", "status", "starts_at"]),
            models.Index(fields=["service", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.service_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.status == BookingStatus.CONFIRMED


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    SERVING = "serving", _("Being served")
    DONE = "done", _("Done")
    NO_SHOW = "no_show", _("Did not come")
    CANCELLED = "cancelled", _("Cancelled")


class TicketSequence(TenantModel):
    """The last ticket number given per prefix and day (locked while a ticket is issued)."""

    day = models.DateField()
    prefix = models.CharField(max_length=2)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "day", "prefix"], name="booking_ticket_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.prefix} {self.last_number}"


class Ticket(TenantModel):
    """A waiting ticket (番号札) of one day; times are kept for waiting- and service-time figures."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="tickets")
    booking = models.OneToOneField(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket"
    )
    day = models.DateField()
    prefix = models.CharField(max_length=2)
    number = models.PositiveIntegerField()
    # Printed on the ticket: opens the ticket's page (position, estimated wait) on a phone.
    code = models.CharField(max_length=12, default=new_code, unique=True)
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    # Order in the queue: arrival, or the booked time when a booked resident arrives early.
    queue_at = models.DateTimeField()
    resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    called_at = models.DateTimeField(null=True, blank=True)
    served_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["queue_at", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "day", "prefix", "number"], name="booking_ticket_unique"
            )
        ]
        indexes = [models.Index(fields=["municipality", "day", "status"])]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.prefix}-{self.number:03d}"
