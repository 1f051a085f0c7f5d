"""Participation: processes (テーマ) with phases, residents' proposals, supports, threaded comments,
moderation with reasons and appeals, official answers (検討中 / 採用 / 不採用) and follow-up.

Counts are exact: a support is a row (unique per proposal and resident); ``Proposal.support_count``
is kept in the same transaction as the row is added or removed, with ``F()`` updates.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idx.common.i18n import pick
from idx.common.models import TenantModel

TITLE_MAX = 120
BODY_MAX = 5000
COMMENT_MAX = 2000
REASON_MAX = 1000


class ProcessStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Process(TenantModel):
    """A テーマ residents take part in, e.g. 「上野地区の空き家活用」; texts per language."""

    slug = models.SlugField(max_length=60)
    department = models.ForeignKey("identity.Department", on_delete=models.PROTECT, related_name="+")
    titles = models.JSONField(default=dict)
    descriptions = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=ProcessStatus.choices, default=ProcessStatus.DRAFT)
    # Supporting needs a My Number Card sign-in (``User.identity_verified_at``) in this process.
    supports_need_card = models.BooleanField(default=False)
    # How many proposals one resident may support in this process (0: no limit).
    supports_per_resident = models.PositiveIntegerField(default=10)
    published_at = models.DateTimeField(null=True, blank=True)
    results_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="participation_process_slug_unique")
        ]

    def __str__(self) -> str:
        return self.titles.get("ja", self.slug)

    @property
    def title(self) -> str:
        return pick(self.titles)

    @property
    def description(self) -> str:
        return pick(self.descriptions)


class PhaseKind(models.TextChoices):
    INFORMATION = "information", _("Information")
    PROPOSALS = "proposals", _("Proposals")
    DEBATE = "debate", _("Debate")
    SUPPORTS = "supports", _("Supports")
    BUDGETING = "budgeting", _("Participatory budgeting vote")
    RESULTS = "results", _("Results")
    FOLLOW_UP = "follow_up", _("Follow-up")


class Phase(TenantModel):
    """One step of a process with its dates (inclusive, Japan time) and its rules per language."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(max_length=20, choices=PhaseKind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()
    rules = models.JSONField(default=dict, blank=True)
    # Participatory budgeting: the money residents distribute over proposals (yen). Required for a
    # budgeting phase, empty for every other kind.
    budget_total = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["starts_on", "id"]

    def __str__(self) -> str:
        return f"{self.process_id}:{self.kind}"

    def is_open(self, today: dt.date) -> bool:
        return self.starts_on <= today <= self.ends_on

    @property
    def rules_text(self) -> str:
        return pick(self.rules)


class Visibility(models.TextChoices):
    VISIBLE = "visible", _("Shown")
    HIDDEN = "hidden", _("Hidden by moderation")


class AppealState(models.TextChoices):
    NONE = "", _("No appeal")
    PENDING = "pending", _("Appeal waiting for a decision")
    RESTORED = "restored", _("Restored after the appeal")
    UPHELD = "upheld", _("Kept hidden after the appeal")


class Moderated(models.Model):
    """Moderation fields of residents' texts: hidden with a reason and the policy, appealed, decided.

    Nothing is deleted: a hidden text stays, its author sees why and may appeal.
    """

    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE)
    hidden_reason = models.CharField(max_length=REASON_MAX, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    appeal_state = models.CharField(max_length=10, choices=AppealState.choices, default="", blank=True)
    appeal_text = models.CharField(max_length=REASON_MAX, blank=True)
    report_count = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def is_hidden(self) -> bool:
        return self.visibility == Visibility.HIDDEN


class Proposal(Moderated, TenantModel):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="proposals")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=TITLE_MAX)
    body = models.TextField(max_length=BODY_MAX)
    # The language the text is written in, when it could be told (BCP 47, e.g. "ja", "en"); "" unknown.
    language = models.CharField(max_length=10, blank=True)
    support_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    # The city's cost estimate (yen); only proposals with an estimate can be on a budgeting ballot.
    estimated_cost = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-support_count", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["process", "number"], name="participation_proposal_number_unique")
        ]
        indexes = [
            models.Index(
                fields=["process", "visibility", "-support_count", "-id"], name="proposal_by_supports"
            ),
            models.Index(fields=["process", "visibility", "-id"], name="proposal_by_newest"),
        ]

    def __str__(self) -> str:
        return self.title


class Support(TenantModel):
    """One resident's support of one proposal (賛同): a row, unique per process, proposal and resident."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["process", "proposal", "resident"], name="participation_one_support_per_resident"
            )
        ]
        indexes = [models.Index(fields=["process", "resident"], name="support_by_resident")]


class Comment(Moderated, TenantModel):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=COMMENT_MAX)
    language = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["proposal", "id"], name="comment_by_proposal")]

    def __str__(self) -> str:
        return f"comment {self.pk}"


class Report(TenantModel):
    """A resident's report of a proposal or a comment to the moderators (通報)."""

    proposal = models.ForeignKey(Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=REASON_MAX)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter"],
                condition=models.Q(comment__isnull=False),
                name="participation_one_report_per_comment",
            ),
            models.UniqueConstraint(
                fields=["proposal", "reporter"],
                condition=models.Q(comment__isnull=True),
                name="participation_one_report_per_proposal",
            ),
        ]


class AnswerStatus(models.TextChoices):
    UNDER_REVIEW = "under_review", _("Under review")  # 検討中
    ADOPTED = "adopted", _("Adopted")  # 採用
    REJECTED = "rejected", _("Not adopted")  # 不採用


class OfficialAnswer(TenantModel):
    """The city's answer to a proposal: drafted, then published after a second look."""

    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="answer")
    # What residents see (blank until the first publication) ...
    status = models.CharField(max_length=20, choices=AnswerStatus.choices, blank=True)
    reason = models.TextField(max_length=BODY_MAX, blank=True)
    # ... and the draft waiting for its second look.
    draft_status = models.CharField(max_length=20, choices=AnswerStatus.choices, blank=True)
    draft_reason = models.TextField(max_length=BODY_MAX, blank=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class FollowUp(TenantModel):
    """What the city did about a proposal (実施状況), with a link to where it can be seen."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="follow_ups")
    text = models.TextField(max_length=BODY_MAX)
    url = models.URLField(max_length=300, blank=True)
    done_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["done_on", "id"]


# ---- participatory budgeting -------------------------------------------------------------------


class Ballot(TenantModel):
    """One resident's ballot in one budgeting phase (unique): the proposals she funds, whose
    estimated costs sum to at most the phase's budget. She may change it until the phase ends."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="ballots")
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    total = models.PositiveBigIntegerField(default=0)  # yen, the sum of the choices' costs
    changes = models.PositiveIntegerField(default=0)  # how many times it was changed after the first cast

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "resident"], name="participation_one_ballot_per_phase")
        ]


class BallotChoice(models.Model):
    """A proposal on a ballot, with its estimated cost when the ballot was cast."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="choices")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="+")
    cost = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["proposal_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "proposal"], name="participation_choice_once_per_ballot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}:{self.proposal_id}"


class BudgetTally(TenantModel):
    """The count of a budgeting phase, made by staff after it ended; residents see it once published.

    ``rows`` keeps the result per proposal in rank order (number, title, votes, cost, funded) and
    ``digest`` the SHA-256 of the ballots' canonical list, so that an auditor can recount.
    """

    phase = models.OneToOneField(Phase, on_delete=models.CASCADE, related_name="tally")
    ballots = models.PositiveIntegerField()
    budget_total = models.PositiveBigIntegerField()
    budget_used = models.PositiveBigIntegerField()
    rows = models.JSONField(default=list)
    digest = models.CharField(max_length=64)
    counted_at = models.DateTimeField()
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def budget_left(self) -> int:
        return self.budget_total - self.budget_used
