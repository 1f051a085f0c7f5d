"""The results of the automated checks: one run per application (the latest), a result per rule."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from idx.applications.models import Application
from idx.common.models import Municipality


class Outcome(models.TextChoices):
    PASSED = "passed", pgettext_lazy("automated check", "Passed")
    FAILED = "failed", pgettext_lazy("automated check", "Failed")
    COULD_NOT_CHECK = "could_not_check", pgettext_lazy("automated check", "Could not check")
    NOT_APPLICABLE = "not_applicable", pgettext_lazy("automated check", "Does not apply")


class CheckRun(models.Model):
    """The latest run of an application's checks; a new run replaces the results of the one before.

    ``answers_sha256`` is the digest of the answers checked: a case whose answers changed since is
    not approved in bulk on these results.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="check_run")
    ran_at = models.DateTimeField()
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answers_sha256 = models.CharField(max_length=64)
    rule_count = models.PositiveSmallIntegerField(default=0)
    # Every rule passed or did not apply: the case may be approved in bulk (straight-through).
    all_passed = models.BooleanField(default=False)
    adapter = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [models.Index(fields=["municipality", "all_passed"], name="checks_run_passed_idx")]

    def __str__(self) -> str:
        return f"checks of {self.application_id}"


class CheckResult(models.Model):
    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveSmallIntegerField()
    rule_id = models.CharField(max_length=40)
    kind = models.CharField(max_length=24)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    # What was compared: per entry the values on each side and whether they agreed.
    compared = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "rule_id"], name="checks_result_rule_unique")]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.outcome}"
