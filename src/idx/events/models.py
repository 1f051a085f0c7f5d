"""Events and courses (イベント・講座), デジタル活用支援 among them, and residents' registrations.

An ``Event`` has a capacity (places, companions included) and a waiting list of its own size.
Registrations are ``confirmed`` (they hold places), ``waitlisted`` (they wait, in order of
arrival) or ``cancelled``. Every change of who holds a place happens with the event's row locked,
so the places held never exceed the capacity, the waiting list never exceeds its size, and a
cancellation promotes the next waiting registrations exactly once, in the same transaction.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from idx.common.models import TenantModel


class Category(models.TextChoices):
    SPORTS = "sports", _("Sports")
    CULTURE = "culture", _("Culture and history")
    DISASTER = "disaster", _("Disaster preparedness")
    CHILDCARE = "childcare", _("Children and parenting")
    HEALTH = "health", _("Health")
    DIGITAL_SUPPORT = "digital_support", _("Digital support")  # デジタル活用支援 (スマホ教室, help desks)


class Area(models.TextChoices):
    # The six areas of 伊賀市 (the former towns and village of 2004).
    UENO = "ueno", _("Ueno area")
    IGA = "iga", _("Iga area")
    SHIMAGAHARA = "shimagahara", _("Shimagahara area")
    AYAMA = "ayama", _("Ayama area")
    OYAMADA = "oyamada", _("Oyamada area")
    AOYAMA = "aoyama", _("Aoyama area")
    ONLINE = "online", _("Online")


class Accessibility(models.TextChoices):
    STEP_FREE = "step_free", _("No steps (step-free access)")
    WHEELCHAIR_SEATS = "wheelchair_seats", _("Wheelchair spaces")
    SIGN_LANGUAGE = "sign_language", _("Sign language interpreter")
    CAPTIONS = "captions", _("Captions on screen")
    HEARING_LOOP = "hearing_loop", _("Hearing loop")
    CHILDCARE = "childcare", _("Childcare during the event")
    ACCESSIBLE_TOILET = "accessible_toilet", _("Accessible toilet")
    EASY_JAPANESE = "easy_japanese", _("Explained in easy Japanese")


class HelpTopic(models.TextChoices):
    """What a resident may ask help with at a デジタル活用支援 event (said in advance)."""

    MYNUMBER_LOGIN = "mynumber_login", _("I want to sign in with my My Number Card")
    LINE = "line", _("How to use LINE")
    ONLINE_APPLICATION = "online_application", _("I want to try an online application")
    SMARTPHONE_BASICS = "smartphone_basics", _("Smartphone basics (calls, photos, settings)")
    VIDEO_CALL = "video_call", _("Video calls")
    SCAMS = "scams", _("Staying safe from scams")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Event(TenantModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey("identity.Department", on_delete=models.PROTECT, related_name="events")
    # Staff-authored texts per language: {"ja": …, "en": …, "ja-easy": …}
    titles = models.JSONField(default=dict)
    descriptions = models.JSONField(default=dict, blank=True)
    places = models.JSONField(default=dict, blank=True)  # 会場 (empty for an online event)
    accessibility_notes = models.JSONField(default=dict, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    area = models.CharField(max_length=20, choices=Area.choices)
    accessibility = models.JSONField(default=list, blank=True)  # Accessibility values
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    registration_deadline = models.DateTimeField()  # 申込締切
    cancel_deadline = models.DateTimeField()  # residents cancel themselves until then
    capacity = models.PositiveIntegerField()  # places, companions included
    waitlist_size = models.PositiveIntegerField(default=0)  # places on the waiting list (0: none)
    max_companions = models.PositiveSmallIntegerField(default=0)  # 同伴者 per registration
    fee = models.PositiveIntegerField(default=0)  # yen per place; 0 = free
    online = models.BooleanField(default=False)
    join_base_url = models.URLField(
        max_length=300, blank=True
    )  # the meeting; each registration gets its own link
    status = models.CharField(max_length=20, choices=EventStatus.choices, default=EventStatus.DRAFT)
    cancel_reasons = models.JSONField(default=dict, blank=True)  # why the city cancelled, per language
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["municipality", "status", "starts_at"])]

    def __str__(self) -> str:
        return str(self.titles.get("ja", self.public_id))

    @property
    def digital_support(self) -> bool:
        return self.category == Category.DIGITAL_SUPPORT

    @property
    def paid(self) -> bool:
        return self.fee > 0


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Registered")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentState(models.TextChoices):
    NONE = "", _("No fee")
    DUE = "due", _("Fee to pay")
    PAID = "paid", _("Fee paid")
    REFUNDED = "refunded", _("Fee refunded")


LIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
HELP_NOTE_MAX = 500


def new_check_in_code() -> str:
    # 10 characters without look-alikes (0/O, 1/I/L), easy to type at the door.
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def new_join_token() -> str:
    return secrets.token_urlsafe(16)


class Registration(TenantModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="registrations")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="event_registrations"
    )
    status = models.CharField(max_length=20, choices=RegistrationStatus.choices)
    companions = models.PositiveSmallIntegerField(default=0)
    help_topics = models.JSONField(default=list, blank=True)  # HelpTopic values (デジタル活用支援)
    help_note = models.TextField(blank=True)  # the resident's own words, plain text
    code = models.CharField(max_length=12, unique=True, default=new_check_in_code)  # the QR code's content
    join_token = models.CharField(max_length=40, default=new_join_token)
    payment_state = models.CharField(max_length=10, choices=PaymentState.choices, blank=True, default="")
    promoted_at = models.DateTimeField(null=True, blank=True)  # moved up from the waiting list
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_city = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # One live registration per resident and event (two tabs, two requests at once).
            models.UniqueConstraint(
                fields=["event", "resident"],
                condition=Q(status__in=["confirmed", "waitlisted"]),
                name="event_registration_one_live",
            )
        ]
        indexes = [models.Index(fields=["event", "status", "created_at"])]

    def __str__(self) -> str:
        return self.code

    @property
    def seats(self) -> int:
        return 1 + self.companions

    @property
    def join_url(self) -> str:
        """The personal link to the online event (only for its registrant, while confirmed)."""
        base = self.event.join_base_url
        if not (self.event.online and base and self.status == RegistrationStatus.CONFIRMED):
            return ""
        return f"{base}{'&' if '?' in base else '?'}t={self.join_token}"
