"""The procedure catalog: each procedure has numbered versions; one of them is published."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idx.common.i18n import pick
from idx.common.models import TenantModel
from idx.identity.models import Department
from idx.procedures.definition import Definition, parse


class Category(models.TextChoices):
    CHILDCARE = "childcare", _("Child-rearing")
    NURSING_CARE = "nursing_care", _("Nursing care and older people")
    DISASTER = "disaster", _("Disasters")
    REGISTRY = "registry", _("Residence records and certificates")
    ENVIRONMENT = "environment", _("Waste and environment")
    EVENTS = "events", _("Courses and events")


class LifeEvent(models.TextChoices):
    PREGNANCY_BIRTH = "pregnancy_birth", _("Pregnancy and birth")
    CHILDREARING = "childrearing", _("Raising children")
    NURSING_CARE = "nursing_care", _("Nursing care")
    DISASTER = "disaster", _("Disaster")
    DAILY_LIFE = "daily_life", _("Daily life")


class Procedure(TenantModel):
    """A catalog entry (手続). Name and search text mirror the published version for fast listing."""

    code = models.SlugField(max_length=80)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="procedures")
    category = models.CharField(max_length=20, choices=Category.choices)
    life_event = models.CharField(max_length=20, choices=LifeEvent.choices)
    names = models.JSONField(default=dict)
    summaries = models.JSONField(default=dict)
    search_text = models.TextField(blank=True)
    published_version = models.ForeignKey(
        "ProcedureVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_listed = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="procedure_code_unique_per_municipality"
            )
        ]

    def __str__(self) -> str:
        return self.names.get("ja", self.code)

    @property
    def label(self) -> str:
        """The name in the resident's language (see ``idx.common.i18n.fallback_order``)."""
        return pick(self.names)

    @property
    def summary_label(self) -> str:
        return pick(self.summaries)


_parsed_definitions: dict[str, Definition] = {}


def remember_parsed(data: Any, definition: Definition) -> None:
    """Keep a draft's freshly checked definition, so publishing it next does not check it again."""
    try:
        key = json.dumps(data, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return  # not JSON as stored: ``parsed`` checks it again when asked
    if len(_parsed_definitions) >= 256:
        _parsed_definitions.clear()
    _parsed_definitions[key] = definition


class ProcedureVersion(models.Model):
    """An immutable numbered version of a procedure's definition; applications point at one."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")
        # 取り下げ: published, then taken back in favour of the version before it.
        WITHDRAWN = "withdrawn", _("Withdrawn")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # 公開予定: a draft that publishes itself at this moment (``procedures_publish_due``).
    publish_at = models.DateTimeField(null=True, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["procedure", "number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="procedure_version_unique")
        ]
        indexes = [
            models.Index(
                fields=["publish_at"], name="procedure_version_due", condition=models.Q(status="draft")
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number}"

    @cached_property
    def parsed(self) -> Definition:
        # Parsing checks the JSON schema against its meta-schema and validates the example: ~10 ms,
        # the largest single cost of a submission. Each process parses a given definition once; the
        # key is the definition's content, so drafts edited in place (and reused ids) never go stale.
        # Published and retired versions never change, so their id is key enough; a draft is edited
        # in place and is keyed by its content.
        if self.pk is not None and self.status != self.Status.DRAFT and self.published_at is not None:
            key = f"version:{self.pk}:{self.published_at.isoformat()}"
        else:
            key = json.dumps(self.definition, sort_keys=True, ensure_ascii=False)
        definition = _parsed_definitions.get(key)
        if definition is None:
            if len(_parsed_definitions) >= 256:
                _parsed_definitions.clear()
            definition = _parsed_definitions[key] = parse(self.definition)
        return definition

    def text(self, key: str) -> Any:
        return self.definition.get(key)
