"""The DX action plan (DX実行計画) and its progress, kept by the 推進本部.

The city's DX vision (IDXビジョン) sets three basic policies (基本方針); the action plan lists
initiatives (施策) under each, every one owned by a department, with yearly targets, milestones
and a status. Each quarter the owner writes a progress note; once published, a note is never
changed in place: a correction is a new note, so the history of what the city said stays whole.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext, pgettext_lazy

from idx.common.i18n import pick
from idx.common.models import TenantModel
from idx.identity.models import Department
from idx.insights.models import Kpi


class Status(models.TextChoices):
    """How an initiative stands (進捗状況)."""

    NOT_STARTED = "not_started", pgettext_lazy("dx plan status", "Not started")
    ON_TRACK = "on_track", pgettext_lazy("dx plan status", "On track")
    DELAYED = "delayed", pgettext_lazy("dx plan status", "Delayed")
    AT_RISK = "at_risk", pgettext_lazy("dx plan status", "At risk")
    DONE = "done", pgettext_lazy("dx plan status", "Done")


# A sign next to the word (never colour alone): read by sight, hidden from screen readers.
STATUS_ICONS = {
    Status.NOT_STARTED: "○",
    Status.ON_TRACK: "◎",
    Status.DELAYED: "△",
    Status.AT_RISK: "！",
    Status.DONE: "✓",
}


def fiscal_year_label(year: int) -> str:
    """「2025年度」, "FY2025" …"""
    return gettext("FY%(year)s") % {"year": year}


def quarter_label(year: int, quarter: int) -> str:
    """「2025年度 第3四半期」, "FY2025 Q3" …"""
    return gettext("FY%(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}


def number_label(value: Decimal | None) -> str:
    """A number as people read it: grouped, no trailing zeros (1,500 / 12.5)."""
    if value is None:
        return ""
    value = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return number_format(value, use_l10n=True, force_grouping=True)


class BasicPolicy(TenantModel):
    """One of the vision's basic policies (基本方針1〜3)."""

    number = models.PositiveSmallIntegerField()
    titles = models.JSONField(default=dict)
    descriptions = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "number"], name="dxplan_policy_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.titles.get('ja', '')}"

    @property
    def title(self) -> str:
        return pick(self.titles)

    @property
    def description(self) -> str:
        return pick(self.descriptions)


class Initiative(TenantModel):
    """An initiative (施策) of the action plan under one basic policy."""

    policy = models.ForeignKey(BasicPolicy, on_delete=models.PROTECT, related_name="initiatives")
    code = models.SlugField(max_length=60)
    titles = models.JSONField(default=dict)
    descriptions = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="dx_initiatives")
    other_departments = models.ManyToManyField(Department, related_name="dx_initiatives_shared", blank=True)
    kpis = models.ManyToManyField(Kpi, related_name="dx_initiatives", blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["policy__number", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="dxplan_initiative_code_unique")
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return pick(self.titles)

    @property
    def description(self) -> str:
        return pick(self.descriptions)

    @property
    def status_icon(self) -> str:
        return STATUS_ICONS.get(Status(self.status), "")


class FiscalYearTarget(TenantModel):
    """What an initiative aims at in one fiscal year (年度目標), in words and, where it counts, a number."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="targets")
    fiscal_year = models.PositiveSmallIntegerField()  # 2025 = 令和7年度 (April 2025 to March 2026)
    texts = models.JSONField(default=dict)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)  # as printed after the number: %, 件, 人

    class Meta:
        ordering = ["fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "fiscal_year"], name="dxplan_target_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} FY{self.fiscal_year}"

    @property
    def text(self) -> str:
        return pick(self.texts)

    @property
    def year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    @property
    def value_label(self) -> str:
        return number_label(self.value)


class Milestone(TenantModel):
    """A step of an initiative with the date it is due and, once reached, the date it was done."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="milestones")
    titles = models.JSONField(default=dict)
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.due_on} {self.titles.get('ja', '')}"

    @property
    def title(self) -> str:
        return pick(self.titles)


class ProgressNote(TenantModel):
    """A quarter's progress of an initiative (四半期の進捗報告), as the owner wrote it.

    A draft may change; a published note never does (a correction is a new note naming the one it
    corrects), so the plan's history reads as the city told it.
    """

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="notes")
    fiscal_year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()  # 1 = April to June … 4 = January to March
    status = models.CharField(max_length=12, choices=Status.choices)  # the initiative's status then
    texts = models.JSONField(default=dict)  # {"ja": …, "en": …}; Japanese required
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )

    class Meta:
        ordering = ["-fiscal_year", "-quarter", "-created_at", "-id"]
        indexes = [models.Index(fields=["initiative", "fiscal_year", "quarter"])]

    def __str__(self) -> str:
        return f"{self.initiative_id} FY{self.fiscal_year} Q{self.quarter}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def text(self) -> str:
        return pick(self.texts)

    @property
    def status_icon(self) -> str:
        return STATUS_ICONS.get(Status(self.status), "")

    @property
    def period_label(self) -> str:
        return quarter_label(self.fiscal_year, self.quarter)
