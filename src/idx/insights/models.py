"""The platform's own statistics (EBPM): pre-aggregated facts, KPIs defined as data, interventions.

Facts are rebuilt from the operational tables (applications, counter tickets, the assistant,
alerts, sign-ins) by ``services.facts_refresh``; dashboards, KPIs and the published statistics
read only the facts, so they stay fast however large the operational tables grow. A fact row
holds counts and sums, never a person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from idx.common.i18n import pick
from idx.common.models import TenantModel
from idx.identity.models import Department
from idx.procedures.models import Procedure


class Channel(models.TextChoices):
    """How an application reached the city."""

    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At the counter")
    PAPER = "paper", _("On paper")
    IMPORTED = "imported", pgettext_lazy("application channel", "Imported")


class ApplicationMonthFact(TenantModel):
    """Applications of one procedure, submitted in one month through one channel."""

    month = models.DateField()  # the first day of the month
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    submitted = models.PositiveIntegerField(default=0)
    # Of those submitted this month: how many are decided, how many within 標準処理期間, and the
    # sum of their lead times in days (submission to decision).
    decided = models.PositiveIntegerField(default=0)
    decided_within_standard = models.PositiveIntegerField(default=0)
    lead_days_sum = models.PositiveBigIntegerField(default=0)
    # Staff time per step (whole seconds; each sum with the number of applications it covers):
    # the machine reading a paper form; a clerk putting the application in (verifying a read
    # paper form, filling it in at the counter until it is submitted); review to decision (from
    # the first opening for review to the decision, wall-clock time, not working time).
    reading_seconds_sum = models.PositiveBigIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)
    keying_seconds_sum = models.PositiveBigIntegerField(default=0)
    keyed = models.PositiveIntegerField(default=0)
    deciding_seconds_sum = models.PositiveBigIntegerField(default=0)
    deciding_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "month", "procedure", "channel"], name="application_month_fact_unique"
            )
        ]
        indexes = [models.Index(fields=["municipality", "month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.procedure_id} {self.channel}: {self.submitted}"


class CounterDayFact(TenantModel):
    """Waiting tickets of one counter service on one day."""

    day = models.DateField()
    service_key = models.CharField(max_length=80)  # the booking service's code
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    tickets = models.PositiveIntegerField(default=0)
    served = models.PositiveIntegerField(default=0)  # called and served (waits are known)
    wait_minutes_sum = models.PositiveBigIntegerField(default=0)
    waited_over_30 = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "day", "service_key"], name="counter_day_fact_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.service_key}: {self.tickets}"


class EventMonthFact(TenantModel):
    """Counts of one kind of event in one month: questions to the assistant per category,
    disaster alerts per kind, sign-ins per method."""

    class Kind(models.TextChoices):
        ASSISTANT_QUESTION = "assistant_question", _("Questions to the assistant")
        ALERT = "alert", _("Disaster alerts issued")
        SIGN_IN = "sign_in", _("Sign-ins")

    month = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The category of the question, the kind of the alert, the sign-in method ("my_number_card", ...).
    key = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "month", "kind", "key"], name="event_month_fact_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind} {self.key}: {self.count}"


class FactsRefresh(TenantModel):
    """One run of the nightly rebuild: when, how long, how many rows (shown on the dashboards)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class Measure(models.TextChoices):
    """A sum over the facts; a KPI is one measure divided by another (or a measure alone)."""

    APPLICATIONS = "applications", pgettext_lazy("a measure of the facts", "Applications")
    APPLICATIONS_ONLINE = "applications_online", _("Applications made online")
    APPLICATIONS_COUNTER = "applications_counter", _("Applications made at the counter")
    APPLICATIONS_PAPER = "applications_paper", _("Applications made on paper")
    APPLICATIONS_IMPORTED = "applications_imported", _("Applications imported from another system")
    DECIDED = "decided", _("Applications decided")
    DECIDED_WITHIN_STANDARD = "decided_within_standard", _("Decided within the standard processing period")
    LEAD_DAYS = "lead_days", _("Days from submission to decision (sum)")
    # Staff time in minutes (the facts keep seconds; a KPI's unit has minutes, not seconds).
    KEYING_MINUTES = "keying_minutes", _("Minutes staff spent putting applications in (sum)")
    KEYED = "keyed", _("Applications put in by staff")
    DECIDING_MINUTES = "deciding_minutes", _("Minutes from review to decision (sum)")
    DECIDING_COUNT = "deciding_count", _("Applications decided after a review")
    TICKETS = "tickets", _("Counter tickets")
    SERVED = "served", _("Residents served at the counter")
    WAIT_MINUTES = "wait_minutes", _("Minutes waited at the counter (sum)")
    WAITED_OVER_30 = "waited_over_30", _("Residents who waited more than 30 minutes")
    ASSISTANT_QUESTIONS = "assistant_questions", _("Questions to the assistant")
    ALERTS = "alerts", _("Disaster alerts issued")
    SIGN_INS = "sign_ins", _("Sign-ins")
    CARD_SIGN_INS = "card_sign_ins", _("Sign-ins with the My Number Card")


class Kpi(TenantModel):
    """A key performance indicator, defined as data: numerator / denominator × scale, a target."""

    class Direction(models.TextChoices):
        UP = "up", _("Higher is better")
        DOWN = "down", _("Lower is better")

    class Unit(models.TextChoices):
        PERCENT = "percent", _("Percent")
        DAYS = "days", _("Days")
        MINUTES = "minutes", _("Minutes")
        COUNT = "count", _("Number")

    code = models.SlugField(max_length=60)
    names = models.JSONField(default=dict)
    descriptions = models.JSONField(default=dict, blank=True)
    numerator = models.CharField(max_length=30, choices=Measure.choices)
    denominator = models.CharField(max_length=30, choices=Measure.choices, blank=True)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    # Which procedures count (codes; empty: all); the national KPI lists the 27 procedures.
    procedure_codes = models.JSONField(default=list, blank=True)
    target = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    target_fiscal_year = models.PositiveIntegerField(null=True, blank=True)
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.UP)
    owner = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="kpis")
    is_public = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="kpi_code_unique_per_municipality")
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        return pick(self.names)


class Intervention(TenantModel):
    """A change the city made (「6月1日から現況届のリマインダーをLINEでも送信」), logged so that
    its effect on KPIs can be estimated around its start date."""

    titles = models.JSONField(default=dict)
    descriptions = models.JSONField(default=dict, blank=True)
    started_on = models.DateField()
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="interventions")
    kpis = models.ManyToManyField(Kpi, related_name="interventions", blank=True)
    # The procedures it touched, and comparable procedures it did not (difference-in-differences).
    procedure_codes = models.JSONField(default=list, blank=True)
    comparison_procedure_codes = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_on", "-id"]

    def __str__(self) -> str:
        return f"{self.started_on} {self.titles.get('ja', '')}"

    @property
    def title(self) -> str:
        return pick(self.titles)
