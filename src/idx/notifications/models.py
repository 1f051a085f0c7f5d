"""Messages to residents, their templates and subscriptions, and disaster alerts.

Every message is a row before anything is sent (``Message``): a crashed worker leaves a row that
the next one picks up, and the idempotency key makes a second enqueue of the same message a no-op.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idx.common.i18n import Translatable
from idx.common.models import TenantModel


class Topic(models.TextChoices):
    DISASTER = "disaster", _("Disaster prevention and safety")
    CHILDCARE = "childcare", _("Child-rearing")
    CARE = "care", _("Nursing care and welfare")
    HEALTH = "health", _("Health")
    EVENTS = "events", _("Events")
    ENVIRONMENT = "environment", _("Waste and environment")
    TAX = "tax", _("Taxes")
    LIVING = "living", _("Daily life")


class Area(TenantModel):
    """An area residents subscribe to and alerts are addressed to (e.g. a 住民自治協議会 area)."""

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=60)
    name_en = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["municipality", "code"], name="area_code_unique")]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """What a resident wants to hear about, where, and how."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscription"
    )
    topics = models.JSONField(default=list, blank=True)
    areas = models.ManyToManyField(Area, blank=True, related_name="subscriptions")
    channels = models.JSONField(default=list, blank=True)  # external channels; the inbox always receives
    line_user_id = models.CharField(max_length=64, blank=True)
    # A short code the resident sends to the city's LINE account to link it (hash only; expires).
    line_link_code_hash = models.CharField(max_length=64, blank=True)
    line_link_expires_at = models.DateTimeField(null=True, blank=True)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"subscription of {self.user_id}"


class MessageTemplate(TenantModel):
    """A city's own wording for one purpose and language; the shipped wording is used otherwise."""

    purpose = models.SlugField(max_length=40)
    language = models.CharField(max_length=10)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=5000)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "purpose", "language"], name="message_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose}/{self.language}"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class Message(TenantModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.CharField(max_length=20)
    address = models.CharField(max_length=254, blank=True)  # e-mail address, LINE user id …
    purpose = models.SlugField(max_length=40)
    topic = models.CharField(max_length=20, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    language = models.CharField(max_length=10, default="ja")
    emergency = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)  # quiet hours or the next retry
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    alert = models.ForeignKey(
        "Alert", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    notice = models.ForeignKey(
        "Notice", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    # One text attachment for e-mail (an appointment's .ics); other channels ignore it.
    attachment_name = models.CharField(max_length=100, blank=True, db_default="")
    attachment_type = models.CharField(max_length=100, blank=True, db_default="")
    attachment_text = models.TextField(blank=True, db_default="")

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "channel", "-created_at"]),
            models.Index(fields=["status", "not_before"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.purpose}:{self.pk}"


class AlertKind(models.TextChoices):
    LEVEL3 = "level3", _("Level 3: older people and others evacuate")
    LEVEL4 = "level4", _("Level 4: evacuation order")
    LEVEL5 = "level5", _("Level 5: emergency safety measures")
    SHELTER_OPEN = "shelter_open", _("Evacuation shelters open")
    WEATHER_WARNING = "weather_warning", _("Weather warning")
    OTHER = "other", _("Other")


class AlertMode(models.TextChoices):
    ACTUAL = "actual", _("Actual (本番)")
    EXERCISE = "exercise", _("Exercise (訓練)")
    TEST = "test", _("Test (テスト)")


class AlertStatus(models.TextChoices):
    AWAITING_CONFIRMATION = "awaiting", _("Awaiting confirmation")
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")
    SUPERSEDED = "superseded", _("Superseded by an update")


class Alert(TenantModel):
    """A disaster alert (避難情報 and others); updates and cancellations point to what they replace."""

    identifier = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    mode = models.CharField(max_length=10, choices=AlertMode.choices, default=AlertMode.ACTUAL)
    status = models.CharField(max_length=12, choices=AlertStatus.choices)
    msg_type = models.CharField(max_length=10, default="Alert")  # CAP: Alert, Update, Cancel
    areas = models.ManyToManyField(Area, related_name="alerts")
    texts = models.JSONField(default=dict)  # language -> {"headline": …, "description": …, "instruction": …}
    references = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    emergency_override = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.identifier


class Notice(TenantModel):
    """A message to every resident who follows a topic (in some areas, or everywhere)."""

    topic = models.CharField(max_length=20, choices=Topic.choices)
    areas = models.ManyToManyField(Area, blank=True, related_name="notices")
    texts = models.JSONField(default=dict)  # language -> {"subject": …, "body": …}
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "identity.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"notice {self.pk} ({self.topic})"


class ImportedAlert(TenantModel):
    """A CAP 1.2 alert received from another sender (e.g. the prefecture), shown to staff to re-broadcast."""

    sender = models.CharField(max_length=255)
    identifier = models.CharField(max_length=255)
    sent = models.CharField(max_length=40)
    status = models.CharField(max_length=12)
    msg_type = models.CharField(max_length=10)
    event = models.CharField(max_length=255, blank=True)
    headline = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    instruction = models.TextField(blank=True)
    areas = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=300, blank=True)  # where it came from (feed URL or "api")
    rebroadcast = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "sender", "identifier"], name="imported_alert_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender}:{self.identifier}"


class WebPushSubscription(models.Model):
    """A browser's push subscription (Web Push with VAPID) for the installable portal."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="web_push")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"web push of {self.user_id}"


class DisasterGuide(Translatable, TenantModel):
    """What the disaster information page tells residents before any alert: the hazard map and
    how to receive alerts in this municipality (set by crisis-management staff)."""

    TRANSLATED_FIELDS = ("how_to_receive",)

    hazard_map_url = models.URLField(max_length=500, blank=True)
    # How residents receive alerts here besides this portal: 防災行政無線 and its phone line,
    # 緊急速報メール, community FM, the city's LINE account … (plain text, shown as written).
    how_to_receive = models.TextField(max_length=3000, blank=True)
    # Other languages of how_to_receive (see idx.common.i18n).
    i18n = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality"], name="disaster_guide_one_per_municipality")
        ]

    def __str__(self) -> str:
        return f"disaster guide of {self.municipality_id}"

    @property
    def how_to_receive_label(self) -> str:
        """How to receive alerts, in the resident's language."""
        return self.localized("how_to_receive")


class Shelter(Translatable, TenantModel):
    """A designated evacuation shelter (指定避難所) or evacuation site (指定緊急避難場所)."""

    TRANSLATED_FIELDS = ("name", "address", "hazards")

    name = models.CharField(max_length=100)
    address = models.CharField(max_length=200)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="shelters")
    # Which disasters it is for (洪水, 土砂災害, 地震, 大規模な火事 …), as the city's list says.
    hazards = models.CharField(max_length=200, blank=True)
    map_url = models.URLField(max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    # Other languages of name, address and hazards (see idx.common.i18n).
    i18n = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the resident's language."""
        return self.localized("name")

    @property
    def address_label(self) -> str:
        return self.localized("address")

    @property
    def hazards_label(self) -> str:
        return self.localized("hazards")


class LineWebhookEvent(models.Model):
    """A LINE webhook event already applied (its ``webhookEventId``): a replay or redelivery applies nothing.

    Kept as long as an event of that age could still be accepted (``idx.notifications.line``).
    """

    municipality = models.ForeignKey("common.Municipality", on_delete=models.CASCADE, related_name="+")
    webhook_event_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "webhook_event_id"], name="line_webhook_event_once"
            )
        ]

    def __str__(self) -> str:
        return self.webhook_event_id
