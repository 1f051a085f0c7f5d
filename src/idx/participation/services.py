"""Writes of Participation: processes, proposals, supports, comments, moderation, answers, follow-up.

Every service owns its transaction. Staff actions and moderation are audited in the same
transaction. Supports are not written to the audit chain one by one (its per-city lock would
serialise every click of every resident): the support rows are the record, with their time, and
``selectors.support_counts_verify`` recounts them against the kept counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.common import ratelimit
from idx.common.errors import DomainError
from idx.common.spreadsheet import csv_text
from idx.identity.models import Department, User
from idx.identity.policy import Action, can
from idx.participation.language import detect_language
from idx.participation.models import (
    BODY_MAX,
    COMMENT_MAX,
    REASON_MAX,
    TITLE_MAX,
    AnswerStatus,
    AppealState,
    Ballot,
    BallotChoice,
    BudgetTally,
    Comment,
    FollowUp,
    OfficialAnswer,
    Phase,
    PhaseKind,
    Process,
    ProcessStatus,
    Proposal,
    Report,
    Support,
    Visibility,
)

logger = logging.getLogger(__name__)

# The phases in which each action is open.
PROPOSING_PHASES = {PhaseKind.PROPOSALS}
SUPPORTING_PHASES = {PhaseKind.PROPOSALS, PhaseKind.SUPPORTS}
COMMENTING_PHASES = {PhaseKind.PROPOSALS, PhaseKind.DEBATE, PhaseKind.SUPPORTS}

# Rate limits per account (``IDX_RATELIMITS["participation_<action>"]`` overrides them).
DEFAULT_RATES = {
    "propose": "5/1h",
    "comment": "20/10m",
    "support": "120/1m",
    "report": "20/1h",
    "vote": "30/10m",
}


class ParticipationRefused(DomainError):
    code = "participation_refused"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The API's answer follows the reason: not signed in 401, not allowed 403, against the
        # process's rules or dates 409, a wrong input (a field named) 422.
        if type(self) is ParticipationRefused:
            self.http_status = _STATUS_OF_CODE.get(self.code, 422 if self.field else 409)


_STATUS_OF_CODE = {
    "sign_in": 401,
    "not_verified": 403,
    "card_required": 403,
    "invalid": 422,
}


class NotFound(ParticipationRefused):
    code = "not_found"
    http_status = 404


class RateLimited(ParticipationRefused):
    code = "rate_limited"
    http_status = 429


def _today() -> dt.date:
    return timezone.localdate()


def _long(day: dt.date) -> str:
    return date_format(day, "DATE_FORMAT")


long_date = _long


def _clean(text: str) -> str:
    """Plain text as typed: line ends normalised, outer blanks removed, NULs dropped."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def rate_check(*, user: User, action: str) -> None:
    """Count one ``action`` (propose, comment, support, report, vote) of ``user``; refuse when over."""
    if not getattr(settings, "IDX_RATELIMIT_ENABLED", True):
        return
    configured: dict[str, str] = getattr(settings, "IDX_RATELIMITS", {})
    rate = ratelimit.parse_rate(configured.get(f"participation_{action}", DEFAULT_RATES[action]))
    if rate is None:
        return
    wait = ratelimit.hit(f"participation:{action}:{user.pk}", rate)
    if wait is not None:
        minutes = max(1, -(-wait // 60))
        raise RateLimited(
            message=_("You have done this many times in a short while. Try again in %(minutes)s minutes."),
            params={"minutes": minutes, "retry_after": wait},
        )


# ---- processes (staff) -------------------------------------------------------------------------


def _require(staff: User, action: Action, department: Department) -> None:
    if not can(staff, action, department):
        raise NotFound(message=_("Not found."))


def process_create(
    *,
    staff: User,
    department: Department,
    slug: str,
    titles: dict[str, str],
    descriptions: dict[str, str],
    phases: list[tuple[str, dt.date, dt.date, dict[str, str]]],
    supports_need_card: bool = False,
    supports_per_resident: int = 10,
    budget_total: int | None = None,
) -> Process:
    """A draft process with its phases; ``budget_total`` (yen) is the budget of its budgeting
    phase, required when it has one."""
    _require(staff, Action.MANAGE_PARTICIPATION, department)
    if not titles.get("ja", "").strip():
        raise ParticipationRefused(message=_("Enter the title in Japanese."), field="title_ja")
    for kind, starts_on, ends_on, _rules in phases:
        if kind not in PhaseKind.values:
            raise ParticipationRefused(message=_("Choose a kind of phase."), field="phases")
        if ends_on < starts_on:
            raise ParticipationRefused(message=_("A phase cannot end before it starts."), field="phases")
    budgeting = any(kind == PhaseKind.BUDGETING for kind, *_rest in phases)
    if budgeting and (budget_total is None or budget_total <= 0):
        raise ParticipationRefused(
            message=_("Enter the budget residents distribute, in yen."), field="budget_total", code="invalid"
        )
    with transaction.atomic(durable=True):
        if Process.objects.filter(municipality=staff.municipality, slug=slug).exists():
            raise ParticipationRefused(
                message=_("This address is already used by another process."), field="slug"
            )
        process = Process.objects.create(
            municipality=staff.municipality,
            department=department,
            slug=slug,
            titles=titles,
            descriptions=descriptions,
            supports_need_card=supports_need_card,
            supports_per_resident=supports_per_resident,
        )
        for kind, starts_on, ends_on, rules in phases:
            Phase.objects.create(
                municipality=staff.municipality,
                process=process,
                kind=kind,
                starts_on=starts_on,
                ends_on=ends_on,
                rules=rules,
                budget_total=budget_total if kind == PhaseKind.BUDGETING else None,
            )
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="participation.process_create",
            target_type="participation_process",
            target_id=process.pk,
            after={
                "slug": slug,
                "phases": [kind for kind, *_rest in phases],
                **({"budget_total": budget_total} if budgeting else {}),
            },
        )
    return process


def process_publish(*, staff: User, process: Process) -> Process:
    _require(staff, Action.MANAGE_PARTICIPATION, process.department)
    with transaction.atomic(durable=True):
        updated = Process.objects.filter(pk=process.pk, status=ProcessStatus.DRAFT).update(
            status=ProcessStatus.PUBLISHED, published_at=timezone.now()
        )
        if updated:
            audit_record(
                municipality=process.municipality,
                actor=staff,
                action="participation.process_publish",
                target_type="participation_process",
                target_id=process.pk,
            )
    process.refresh_from_db()
    return process


def _open_phase(process: Process, kinds: set[PhaseKind], today: dt.date) -> Phase | None:
    for phase in process.phases.all():
        if phase.kind in kinds and phase.is_open(today):
            return phase
    return None


def closed_message(process: Process, kinds: set[PhaseKind], today: dt.date, *, what: str) -> str:
    """Why an action is refused now, with the dates of the phase it belongs to."""
    phases = [phase for phase in process.phases.all() if phase.kind in kinds]
    if not phases:
        return str(_("This process does not take %(what)s.") % {"what": what})
    upcoming = [phase for phase in phases if phase.starts_on > today]
    if upcoming:
        phase = upcoming[0]
        return str(
            _("%(what)s opens on %(start)s (until %(end)s).")
            % {"what": what, "start": _long(phase.starts_on), "end": _long(phase.ends_on)}
        )
    phase = phases[-1]
    return str(
        _("%(what)s closed on %(end)s (it was open from %(start)s to %(end)s).")
        % {"what": what, "start": _long(phase.starts_on), "end": _long(phase.ends_on)}
    )


def _published(process: Process) -> None:
    if process.status != ProcessStatus.PUBLISHED:
        raise NotFound(message=_("Not found."))


def _resident(user: User) -> None:
    if not user.is_authenticated or not user.is_resident:
        raise ParticipationRefused(message=_("Sign in as a resident to take part."), code="sign_in")


def _verified(user: User) -> bool:
    return user.email_verified_at is not None or user.identity_verified_at is not None


# ---- proposals ---------------------------------------------------------------------------------


def proposal_check(*, title: str, body: str) -> dict[str, str]:
    """The problems of a proposal's texts, by field (empty when it can be sent)."""
    errors: dict[str, str] = {}
    title, body = _clean(title), _clean(body)
    if not title:
        errors["title"] = str(_("Enter a title for your proposal."))
    elif len(title) > TITLE_MAX:
        errors["title"] = str(
            _("The title is %(count)s characters long; shorten it to %(max)s or fewer.")
            % {"count": len(title), "max": TITLE_MAX}
        )
    if not body:
        errors["body"] = str(_("Describe your proposal."))
    elif len(body) > BODY_MAX:
        errors["body"] = str(
            _("The description is %(count)s characters long; shorten it to %(max)s or fewer.")
            % {"count": len(body), "max": BODY_MAX}
        )
    return errors


def proposal_create(
    *, process: Process, author: User, title: str, body: str, today: dt.date | None = None
) -> Proposal:
    """A verified resident's proposal while the proposals phase is open."""
    today = today or _today()
    _published(process)
    _resident(author)
    if not _verified(author):
        raise ParticipationRefused(
            message=_("Confirm your e-mail address or sign in with My Number Card before proposing."),
            code="not_verified",
        )
    if _open_phase(process, PROPOSING_PHASES, today) is None:
        raise ParticipationRefused(
            message=closed_message(process, PROPOSING_PHASES, today, what=str(_("Proposing"))), code="closed"
        )
    errors = proposal_check(title=title, body=body)
    if errors:
        field, message = next(iter(errors.items()))
        raise ParticipationRefused(message=message, field=field, code="invalid", params={"errors": errors})
    title, body = _clean(title), _clean(body)
    with transaction.atomic(durable=True):
        # Numbers are per process; the process row is locked only for this moment.
        Process.objects.select_for_update().filter(pk=process.pk).first()
        number = (Proposal.objects.filter(process=process).aggregate(n=Max("number"))["n"] or 0) + 1
        proposal = Proposal.objects.create(
            municipality=process.municipality,
            process=process,
            number=number,
            author=author,
            title=title,
            body=body,
            language=detect_language(f"{title}\n{body}"),
        )
        audit_record(
            municipality=process.municipality,
            actor=author,
            action="participation.proposal_create",
            target_type="participation_proposal",
            target_id=proposal.pk,
            after={"process": process.pk, "number": number, "language": proposal.language},
        )
    return proposal


# ---- supports ----------------------------------------------------------------------------------


def support_add(*, proposal: Proposal, resident: User, today: dt.date | None = None) -> Proposal:
    """Support ``proposal`` once; the count changes in the same transaction as the row.

    Two tabs at once: the unique constraint lets one row in; the other is told it already counts.
    """
    today = today or _today()
    process = proposal.process
    _published(process)
    _resident(resident)
    if process.supports_need_card and resident.identity_verified_at is None:
        raise ParticipationRefused(
            message=_("Supporting in this process needs a sign-in with My Number Card."), code="card_required"
        )
    if not _verified(resident):
        raise ParticipationRefused(
            message=_("Confirm your e-mail address or sign in with My Number Card before supporting."),
            code="not_verified",
        )
    if proposal.is_hidden:
        raise ParticipationRefused(
            message=_("This proposal is hidden and cannot be supported."), code="hidden"
        )
    if _open_phase(process, SUPPORTING_PHASES, today) is None:
        raise ParticipationRefused(
            message=closed_message(process, SUPPORTING_PHASES, today, what=str(_("Supporting"))),
            code="closed",
        )
    with transaction.atomic(durable=True):
        if process.supports_per_resident:
            # One resident's supports are counted one at a time (two tabs cannot both pass the limit).
            User.objects.select_for_update().filter(pk=resident.pk).first()
            used = Support.objects.filter(process=process, resident=resident).count()
            if used >= process.supports_per_resident:
                raise ParticipationRefused(
                    message=_(
                        "You have used all %(limit)s supports of this process. Withdraw one to support another proposal."
                    )
                    % {"limit": process.supports_per_resident},
                    code="limit",
                    params={"limit": process.supports_per_resident},
                )
        try:
            with transaction.atomic():
                Support.objects.create(
                    municipality=process.municipality, process=process, proposal=proposal, resident=resident
                )
        except IntegrityError as exc:
            raise ParticipationRefused(
                message=_("You already support this proposal. It counts once."), code="already_supported"
            ) from exc
        Proposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") + 1)
    proposal.refresh_from_db(fields=["support_count"])
    return proposal


def support_remove(*, proposal: Proposal, resident: User, today: dt.date | None = None) -> Proposal:
    """Withdraw a support while supporting is open; removing one that is not there changes nothing."""
    today = today or _today()
    process = proposal.process
    _published(process)
    _resident(resident)
    if _open_phase(process, SUPPORTING_PHASES, today) is None:
        raise ParticipationRefused(
            message=closed_message(process, SUPPORTING_PHASES, today, what=str(_("Supporting"))),
            code="closed",
        )
    with transaction.atomic(durable=True):
        deleted, _rows = Support.objects.filter(
            process=process, proposal=proposal, resident=resident
        ).delete()
        if deleted:
            Proposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") - 1)
    proposal.refresh_from_db(fields=["support_count"])
    return proposal


# ---- comments ----------------------------------------------------------------------------------


def comment_check(*, body: str) -> dict[str, str]:
    body = _clean(body)
    if not body:
        return {"body": str(_("Write your comment."))}
    if len(body) > COMMENT_MAX:
        return {
            "body": str(
                _("Your comment is %(count)s characters long; shorten it to %(max)s or fewer.")
                % {"count": len(body), "max": COMMENT_MAX}
            )
        }
    return {}


def comment_create(
    *,
    proposal: Proposal,
    author: User,
    body: str,
    parent: Comment | None = None,
    today: dt.date | None = None,
) -> Comment:
    """A comment (plain text, shown escaped) by a resident whose e-mail address or card is verified."""
    today = today or _today()
    process = proposal.process
    _published(process)
    _resident(author)
    if not _verified(author):
        raise ParticipationRefused(
            message=_("Confirm your e-mail address before commenting."), code="not_verified", field="body"
        )
    if proposal.is_hidden:
        raise ParticipationRefused(message=_("This proposal is hidden and takes no comments."), code="hidden")
    if _open_phase(process, COMMENTING_PHASES, today) is None:
        raise ParticipationRefused(
            message=closed_message(process, COMMENTING_PHASES, today, what=str(_("Commenting"))),
            code="closed",
            field="body",
        )
    errors = comment_check(body=body)
    if errors:
        raise ParticipationRefused(message=errors["body"], field="body", code="invalid")
    if parent is not None and parent.proposal_id != proposal.pk:
        raise NotFound(message=_("Not found."))
    body = _clean(body)
    with transaction.atomic(durable=True):
        comment = Comment.objects.create(
            municipality=process.municipality,
            proposal=proposal,
            parent=parent,
            author=author,
            body=body,
            language=detect_language(body),
        )
        Proposal.objects.filter(pk=proposal.pk).update(comment_count=F("comment_count") + 1)
        audit_record(
            municipality=process.municipality,
            actor=author,
            action="participation.comment_create",
            target_type="participation_comment",
            target_id=comment.pk,
            after={"proposal": proposal.pk, "parent": parent.pk if parent else None},
        )
    return comment


# ---- moderation --------------------------------------------------------------------------------

Target = Proposal | Comment


def _target_type(target: Target) -> str:
    return "participation_proposal" if isinstance(target, Proposal) else "participation_comment"


def _process_of(target: Target) -> Process:
    return target.process if isinstance(target, Proposal) else target.proposal.process


def report_create(*, reporter: User, target: Target, reason: str) -> Report:
    """A resident tells the moderators about a proposal or comment; one report per person and text."""
    _resident(reporter)
    reason = _clean(reason)
    if not reason:
        raise ParticipationRefused(message=_("Say what is wrong with it."), field="reason", code="invalid")
    if len(reason) > REASON_MAX:
        raise ParticipationRefused(
            message=_("Shorten the reason to %(max)s characters or fewer.") % {"max": REASON_MAX},
            field="reason",
            code="invalid",
        )
    process = _process_of(target)
    _published(process)
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    municipality=process.municipality,
                    proposal=target if isinstance(target, Proposal) else target.proposal,
                    comment=target if isinstance(target, Comment) else None,
                    reporter=reporter,
                    reason=reason,
                )
        except IntegrityError as exc:
            raise ParticipationRefused(
                message=_("You have already reported this. The moderators will look at it."),
                code="already_reported",
            ) from exc
        type(target).objects.filter(pk=target.pk).update(report_count=F("report_count") + 1)
        audit_record(
            municipality=process.municipality,
            actor=reporter,
            action="participation.report",
            target_type=_target_type(target),
            target_id=target.pk,
            after={"reason": reason},
        )
    return report


def moderation_hide(*, staff: User, target: Target, reason: str) -> Target:
    """Hide a proposal or comment with a reason the author sees (with the policy); nothing is deleted."""
    process = _process_of(target)
    _require(staff, Action.MODERATE, process.department)
    reason = _clean(reason)
    if not reason:
        raise ParticipationRefused(
            message=_("Give the reason the author will read."), field="reason", code="invalid"
        )
    if len(reason) > REASON_MAX:
        raise ParticipationRefused(
            message=_("Shorten the reason to %(max)s characters or fewer.") % {"max": REASON_MAX},
            field="reason",
            code="invalid",
        )
    with transaction.atomic(durable=True):
        now = timezone.now()
        type(target).objects.filter(pk=target.pk).update(
            visibility=Visibility.HIDDEN, hidden_reason=reason, hidden_at=now, appeal_state="", appeal_text=""
        )
        _resolve_reports(target, now)
        audit_record(
            municipality=process.municipality,
            actor=staff,
            action="participation.hide",
            target_type=_target_type(target),
            target_id=target.pk,
            before={"visibility": target.visibility},
            after={"visibility": Visibility.HIDDEN, "reason": reason},
        )
    target.refresh_from_db()
    return target


def _resolve_reports(target: Target, now: dt.datetime) -> None:
    reports = Report.objects.filter(resolved_at__isnull=True)
    if isinstance(target, Comment):
        reports = reports.filter(comment=target)
    else:
        reports = reports.filter(proposal=target, comment__isnull=True)
    reports.update(resolved_at=now)


def reports_dismiss(*, staff: User, target: Target) -> Target:
    """The reports were looked at and the text stays shown (audited)."""
    process = _process_of(target)
    _require(staff, Action.MODERATE, process.department)
    with transaction.atomic(durable=True):
        _resolve_reports(target, timezone.now())
        audit_record(
            municipality=process.municipality,
            actor=staff,
            action="participation.reports_dismiss",
            target_type=_target_type(target),
            target_id=target.pk,
        )
    return target


def appeal_create(*, author: User, target: Target, text: str) -> Target:
    """The author of a hidden text asks for it to be shown again (once per hiding)."""
    if target.author_id != author.pk:
        raise NotFound(message=_("Not found."))
    if not target.is_hidden or target.appeal_state:
        raise ParticipationRefused(message=_("This cannot be appealed now."), code="no_appeal")
    text = _clean(text)
    if not text:
        raise ParticipationRefused(
            message=_("Say why it should be shown again."), field="text", code="invalid"
        )
    if len(text) > REASON_MAX:
        raise ParticipationRefused(
            message=_("Shorten the reason to %(max)s characters or fewer.") % {"max": REASON_MAX},
            field="text",
            code="invalid",
        )
    process = _process_of(target)
    with transaction.atomic(durable=True):
        type(target).objects.filter(pk=target.pk).update(appeal_state=AppealState.PENDING, appeal_text=text)
        audit_record(
            municipality=process.municipality,
            actor=author,
            action="participation.appeal",
            target_type=_target_type(target),
            target_id=target.pk,
            after={"text": text},
        )
    target.refresh_from_db()
    return target


def moderation_decide(*, staff: User, target: Target, restore: bool) -> Target:
    """Decide an appeal, or restore a hidden text on the moderator's own motion (audited)."""
    process = _process_of(target)
    _require(staff, Action.MODERATE, process.department)
    if not target.is_hidden:
        raise ParticipationRefused(message=_("This is not hidden."), code="not_hidden")
    with transaction.atomic(durable=True):
        fields: dict[str, Any] = {}
        if restore:
            fields = {"visibility": Visibility.VISIBLE}
            if target.appeal_state == AppealState.PENDING:
                fields["appeal_state"] = AppealState.RESTORED
        elif target.appeal_state == AppealState.PENDING:
            fields = {"appeal_state": AppealState.UPHELD}
        else:
            raise ParticipationRefused(message=_("There is no appeal to decide."), code="no_appeal")
        type(target).objects.filter(pk=target.pk).update(**fields)
        audit_record(
            municipality=process.municipality,
            actor=staff,
            action="participation.restore" if restore else "participation.appeal_upheld",
            target_type=_target_type(target),
            target_id=target.pk,
            before={"visibility": target.visibility, "appeal": target.appeal_state},
            after={key: str(value) for key, value in fields.items()},
        )
    target.refresh_from_db()
    return target


# ---- official answers and follow-up ------------------------------------------------------------


def answer_draft(*, staff: User, proposal: Proposal, status: str, reason: str) -> OfficialAnswer:
    """Draft (or redraft) the official answer; residents see it only once it is published."""
    _require(staff, Action.MANAGE_PARTICIPATION, proposal.process.department)
    if status not in AnswerStatus.values:
        raise ParticipationRefused(message=_("Choose the answer."), field="status", code="invalid")
    reason = _clean(reason)
    if not reason:
        raise ParticipationRefused(
            message=_("Give the reason residents will read."), field="reason", code="invalid"
        )
    if len(reason) > BODY_MAX:
        raise ParticipationRefused(
            message=_("Shorten the reason to %(max)s characters or fewer.") % {"max": BODY_MAX},
            field="reason",
            code="invalid",
        )
    with transaction.atomic(durable=True):
        answer, _made = OfficialAnswer.objects.select_for_update().get_or_create(
            proposal=proposal,
            defaults={"municipality": proposal.municipality, "drafted_by": staff},
        )
        answer.draft_status = status
        answer.draft_reason = reason
        answer.drafted_by = staff
        answer.save(update_fields=["draft_status", "draft_reason", "drafted_by", "updated_at"])
        audit_record(
            municipality=proposal.municipality,
            actor=staff,
            action="participation.answer_draft",
            target_type="participation_proposal",
            target_id=proposal.pk,
            after={"status": status, "reason": reason},
        )
    return answer


def answer_publish(*, staff: User, proposal: Proposal) -> OfficialAnswer:
    """Publish the drafted answer after its second look (audited, shown on the proposal's page)."""
    _require(staff, Action.MANAGE_PARTICIPATION, proposal.process.department)
    with transaction.atomic(durable=True):
        answer = OfficialAnswer.objects.select_for_update().filter(proposal=proposal).first()
        if answer is None or not answer.draft_status:
            raise ParticipationRefused(message=_("There is no drafted answer to publish."), code="no_draft")
        before = {"status": answer.status, "reason": answer.reason}
        answer.status, answer.reason = answer.draft_status, answer.draft_reason
        answer.draft_status, answer.draft_reason = "", ""
        answer.published_at = timezone.now()
        answer.save(
            update_fields=["status", "reason", "draft_status", "draft_reason", "published_at", "updated_at"]
        )
        audit_record(
            municipality=proposal.municipality,
            actor=staff,
            action="participation.answer_publish",
            target_type="participation_proposal",
            target_id=proposal.pk,
            before=before,
            after={"status": answer.status, "reason": answer.reason},
        )
    return answer


def follow_up_add(*, staff: User, proposal: Proposal, text: str, url: str, done_on: dt.date) -> FollowUp:
    """Link the proposal to what the city did about it."""
    _require(staff, Action.MANAGE_PARTICIPATION, proposal.process.department)
    text = _clean(text)
    if not text:
        raise ParticipationRefused(message=_("Say what the city did."), field="text", code="invalid")
    if url and not url.startswith(("https://", "http://")):
        raise ParticipationRefused(message=_("Enter a web address starting with https://."), field="url")
    with transaction.atomic(durable=True):
        follow_up = FollowUp.objects.create(
            municipality=proposal.municipality,
            proposal=proposal,
            text=text[:BODY_MAX],
            url=url[:300],
            done_on=done_on,
            recorded_by=staff,
        )
        audit_record(
            municipality=proposal.municipality,
            actor=staff,
            action="participation.follow_up",
            target_type="participation_proposal",
            target_id=proposal.pk,
            after={"text": follow_up.text, "url": url, "done_on": done_on.isoformat()},
        )
    return follow_up


# ---- results as open data ----------------------------------------------------------------------


def results_publish(*, staff: User, process: Process) -> Process:
    """Mark the results published and, after commit, publish them as an open dataset."""
    _require(staff, Action.MANAGE_PARTICIPATION, process.department)
    with transaction.atomic(durable=True):
        Process.objects.filter(pk=process.pk).update(results_published_at=timezone.now())
        audit_record(
            municipality=process.municipality,
            actor=staff,
            action="participation.results_publish",
            target_type="participation_process",
            target_id=process.pk,
        )
        process_id = process.pk
        transaction.on_commit(lambda: results_dataset_refresh_quietly(process_id=process_id))
    process.refresh_from_db()
    return process


RESULT_COLUMNS = [
    "番号",
    "提案",
    "言語",
    "賛同数",
    "コメント数",
    "市の回答",
    "回答の理由",
    "提案日",
    # Participatory budgeting (empty when the process has no published count):
    "概算費用（円）",
    "予算投票の票数",
    "予算の配分",
]
ANSWER_JA = {"under_review": "検討中", "adopted": "採用", "rejected": "不採用", "": "未回答"}


def _published_budget(process: Process) -> dict[int, dict[str, Any]]:
    """The published counts of the process's budgeting phases, by proposal number."""
    found: dict[int, dict[str, Any]] = {}
    tallies = BudgetTally.objects.filter(phase__process=process, published_at__isnull=False).order_by(
        "phase__starts_on"
    )
    for tally in tallies:
        for row in tally.rows:
            found[row["number"]] = row
    return found


def results_csv(process: Process) -> bytes:
    """Shown proposals with their exact support counts and published answers, and, once a
    budgeting count is published, each proposal's cost, votes and whether it is funded
    (UTF-8 with BOM)."""
    lines: list[list[Any]] = [list(RESULT_COLUMNS)]
    budget = _published_budget(process)
    rows = (
        Proposal.objects.filter(process=process, visibility=Visibility.VISIBLE)
        .select_related("answer")
        .order_by("number")
    )
    for proposal in rows:
        answer = getattr(proposal, "answer", None)
        published = answer is not None and answer.is_published
        counted = budget.get(proposal.number)
        lines.append(
            [
                proposal.number,
                proposal.title,
                proposal.language,
                proposal.support_count,
                proposal.comment_count,
                ANSWER_JA[answer.status if published and answer else ""],
                answer.reason if published and answer else "",
                timezone.localtime(proposal.created_at).date().isoformat(),
                counted["cost"] if counted else "",
                counted["votes"] if counted else "",
                ("予算内で実施" if counted["funded"] else "予算外") if counted else "",
            ]
        )
    return csv_text(lines, bom=True).encode("utf-8")


def results_dataset_refresh(*, process: Process) -> Any:
    from idx.opendata.services import GeneratedFile, generated_dataset_put

    title = process.titles.get("ja", process.slug)
    return generated_dataset_put(
        municipality=process.municipality,
        name=f"participation-{process.slug}",
        titles={
            "ja": f"市民参加「{title}」の結果",
            "en": f"Results of the participation process: {process.titles.get('en', title)}",
        },
        descriptions={
            "ja": "市民の提案ごとに、賛同数、コメント数、市の回答（検討中・採用・不採用）とその理由を載せています。"
            "予算投票（参加型予算）の結果を公表したテーマでは、概算費用、票数、予算内で実施するかも載せています。",
            "en": "Each residents' proposal with its number of supports and comments, and the city's answer with its reason. "
            "Where a participatory budgeting vote was counted and published: the estimated cost, the votes and whether it is funded.",
        },
        department=process.department,
        theme="administration",
        tags=["市民参加", "提案"],
        license_id="cc-by-4.0",
        frequency="IRREG",
        files=[
            GeneratedFile(
                names={"ja": "提案と回答（CSV）", "en": "Proposals and answers (CSV)"},
                filename=f"participation-{process.slug}.csv",
                format="CSV",
                content=results_csv(process),
            )
        ],
    )


def results_dataset_refresh_quietly(*, process_id: int) -> None:
    """After results are published: the dataset; a failure there leaves the results published."""
    try:
        results_dataset_refresh(
            process=Process.objects.select_related("department", "municipality").get(pk=process_id)
        )
    except Exception:
        logger.exception("participation results dataset not refreshed (process %s)", process_id)


# ---- participatory budgeting -------------------------------------------------------------------

BUDGET_RULE = _(
    "Proposals are ranked by their number of votes (a tie goes to the cheaper one, then to the lower "
    "proposal number). In that order, each proposal is funded if its estimated cost fits in the budget "
    "still left; one that does not fit is passed over and the next one is considered. A proposal "
    "without any vote is not funded."
)


def budget_phase(process: Process, today: dt.date | None = None) -> Phase | None:
    """The process's budgeting phase: the one open today, else the latest that has started, else
    the next one (phases are prefetched)."""
    today = today or _today()
    phases = [phase for phase in process.phases.all() if phase.kind == PhaseKind.BUDGETING]
    for phase in phases:
        if phase.is_open(today):
            return phase
    started = [phase for phase in phases if phase.starts_on <= today]
    if started:
        return started[-1]
    return phases[0] if phases else None


def ballot_options(*, process: Process) -> list[Proposal]:
    """The proposals on the ballot: shown ones with the city's cost estimate, by number."""
    return list(
        Proposal.objects.filter(
            process=process, visibility=Visibility.VISIBLE, estimated_cost__isnull=False
        ).order_by("number")
    )


def yen(amount: int) -> str:
    return str(_("%(amount)s yen") % {"amount": f"{amount:,}"})


def ballot_check(*, phase: Phase, proposals: list[Proposal]) -> int:
    """The ballot's total (yen) when it fits the budget; refuses an empty or over-budget ballot."""
    if not proposals:
        raise ParticipationRefused(
            message=_("Choose at least one proposal."), field="proposals", code="invalid"
        )
    total = sum(proposal.estimated_cost or 0 for proposal in proposals)
    budget = phase.budget_total or 0
    if total > budget:
        raise ParticipationRefused(
            message=_(
                "Your choices cost %(total)s, which is %(over)s over the budget of %(budget)s. "
                "Remove a proposal and send again."
            )
            % {"total": yen(total), "over": yen(total - budget), "budget": yen(budget)},
            field="proposals",
            code="over_budget",
            params={"total": total, "over": total - budget, "budget": budget},
        )
    return total


def _vote_allowed(process: Process, resident: User, phase: Phase | None, today: dt.date) -> Phase:
    _published(process)
    _resident(resident)
    if resident.municipality_id != process.municipality_id:
        raise NotFound(message=_("Not found."))
    if process.supports_need_card and resident.identity_verified_at is None:
        raise ParticipationRefused(
            message=_("Voting in this process needs a sign-in with My Number Card."), code="card_required"
        )
    if not _verified(resident):
        raise ParticipationRefused(
            message=_("Confirm your e-mail address or sign in with My Number Card before voting."),
            code="not_verified",
        )
    if phase is None or not phase.is_open(today):
        raise ParticipationRefused(
            message=closed_message(process, {PhaseKind.BUDGETING}, today, what=str(_("Voting"))),
            code="closed",
        )
    return phase


def ballot_cast(
    *, process: Process, resident: User, numbers: list[int], today: dt.date | None = None
) -> Ballot:
    """Cast (or change) ``resident``'s ballot in the open budgeting phase: the proposals numbered
    ``numbers``, whose estimated costs sum to at most the budget. Audited.

    One ballot per resident and phase (unique constraint); two tabs at once are serialised on the
    resident's row, so a ballot is always exactly one of the ballots sent, never a mix.
    """
    today = today or _today()
    phase = _vote_allowed(process, resident, budget_phase(process, today), today)
    wanted = sorted(set(numbers))
    options = {proposal.number: proposal for proposal in ballot_options(process=process)}
    unknown = [number for number in wanted if number not in options]
    if unknown:
        raise ParticipationRefused(
            message=_("Proposal %(number)s is not on the ballot.") % {"number": unknown[0]},
            field="proposals",
            code="invalid",
        )
    chosen = [options[number] for number in wanted]
    total = ballot_check(phase=phase, proposals=chosen)
    with transaction.atomic(durable=True):
        User.objects.select_for_update().filter(pk=resident.pk).first()
        ballot = Ballot.objects.filter(phase=phase, resident=resident).first()
        before = None
        if ballot is None:
            ballot = Ballot.objects.create(
                municipality=process.municipality,
                process=process,
                phase=phase,
                resident=resident,
                total=total,
            )
        else:
            before = {
                "proposals": sorted(ballot.choices.values_list("proposal__number", flat=True)),
                "total": ballot.total,
            }
            ballot.choices.all().delete()
            ballot.total = total
            ballot.changes = F("changes") + 1
            ballot.save(update_fields=["total", "changes", "updated_at"])
        BallotChoice.objects.bulk_create(
            [
                BallotChoice(ballot=ballot, proposal=proposal, cost=proposal.estimated_cost or 0)
                for proposal in chosen
            ]
        )
        audit_record(
            municipality=process.municipality,
            actor=resident,
            action="participation.ballot_change" if before else "participation.ballot_cast",
            target_type="participation_ballot",
            target_id=ballot.pk,
            before=before,
            after={"phase": phase.pk, "proposals": wanted, "total": total},
        )
    ballot.refresh_from_db()
    return ballot


def proposal_cost_set(
    *, staff: User, proposal: Proposal, cost: int | None, today: dt.date | None = None
) -> Proposal:
    """Set the city's cost estimate (yen) of a proposal; fixed once budgeting voting has started."""
    _require(staff, Action.MANAGE_PARTICIPATION, proposal.process.department)
    today = today or _today()
    if cost is not None and cost <= 0:
        raise ParticipationRefused(
            message=_("Enter the estimated cost as a whole number of yen above zero."),
            field="estimated_cost",
            code="invalid",
        )
    if any(
        phase.kind == PhaseKind.BUDGETING and phase.starts_on <= today
        for phase in proposal.process.phases.all()
    ):
        raise ParticipationRefused(
            message=_("The estimated cost cannot change once budgeting votes have started."), code="closed"
        )
    with transaction.atomic(durable=True):
        before = proposal.estimated_cost
        Proposal.objects.filter(pk=proposal.pk).update(estimated_cost=cost)
        audit_record(
            municipality=proposal.municipality,
            actor=staff,
            action="participation.cost_set",
            target_type="participation_proposal",
            target_id=proposal.pk,
            before={"estimated_cost": before},
            after={"estimated_cost": cost},
        )
    proposal.refresh_from_db(fields=["estimated_cost"])
    return proposal


def ballots_canonical(*, phase: Phase) -> str:
    """The ballots of a phase as canonical text, one line a ballot in id order:
    ``<ballot id>:<proposal number>=<cost>,...`` (numbers ascending), then a last line
    ``budget:<yen>``. Its SHA-256 is kept with the tally."""
    lines: dict[int, list[str]] = {}
    for ballot_id in Ballot.objects.filter(phase=phase).order_by("id").values_list("id", flat=True):
        lines[ballot_id] = []
    choices = (
        BallotChoice.objects.filter(ballot__phase=phase)
        .order_by("ballot_id", "proposal__number")
        .values_list("ballot_id", "proposal__number", "cost")
    )
    for ballot_id, number, cost in choices:
        lines.setdefault(ballot_id, []).append(f"{number}={cost}")
    text = "".join(f"{ballot_id}:{','.join(items)}\n" for ballot_id, items in sorted(lines.items()))
    return f"{text}budget:{phase.budget_total or 0}\n"


def budget_tally_rows(*, phase: Phase) -> tuple[list[dict[str, Any]], int, int]:
    """(rows in rank order, ballots, budget used) under ``BUDGET_RULE``, from the ballot rows."""
    votes: dict[int, int] = {}
    for proposal_id in BallotChoice.objects.filter(ballot__phase=phase).values_list("proposal_id", flat=True):
        votes[proposal_id] = votes.get(proposal_id, 0) + 1
    ballots = Ballot.objects.filter(phase=phase).count()
    proposals = Proposal.objects.filter(process_id=phase.process_id).filter(
        # Every proposal that got a vote, and every one on the ballot that got none.
        Q(pk__in=list(votes)) | Q(visibility=Visibility.VISIBLE, estimated_cost__isnull=False)
    )
    ranked = sorted(proposals, key=lambda p: (-votes.get(p.pk, 0), p.estimated_cost or 0, p.number))
    left = phase.budget_total or 0
    rows = []
    for rank, proposal in enumerate(ranked, start=1):
        cost = proposal.estimated_cost or 0
        count = votes.get(proposal.pk, 0)
        funded = count > 0 and cost <= left
        if funded:
            left -= cost
        rows.append(
            {
                "rank": rank,
                "number": proposal.number,
                "title": proposal.title,
                "language": proposal.language,
                "votes": count,
                "cost": cost,
                "funded": funded,
            }
        )
    return rows, ballots, (phase.budget_total or 0) - left


def budget_count(*, staff: User, phase: Phase, today: dt.date | None = None) -> BudgetTally:
    """Count the ballots of a budgeting phase that has ended (staff; audited). Residents see the
    count only once it is published; counting again before that replaces it."""
    process = phase.process
    _require(staff, Action.MANAGE_PARTICIPATION, process.department)
    today = today or _today()
    if phase.kind != PhaseKind.BUDGETING:
        raise NotFound(message=_("Not found."))
    if phase.ends_on >= today:
        raise ParticipationRefused(
            message=_("Voting is open until %(end)s; count the ballots after that day.")
            % {"end": _long(phase.ends_on)},
            code="closed",
        )
    with transaction.atomic(durable=True):
        Phase.objects.select_for_update().filter(pk=phase.pk).first()
        existing = BudgetTally.objects.filter(phase=phase).first()
        if existing is not None and existing.is_published:
            raise ParticipationRefused(message=_("The results are already published."), code="published")
        rows, ballots, used = budget_tally_rows(phase=phase)
        digest = hashlib.sha256(ballots_canonical(phase=phase).encode()).hexdigest()
        values = {
            "municipality": process.municipality,
            "ballots": ballots,
            "budget_total": phase.budget_total or 0,
            "budget_used": used,
            "rows": rows,
            "digest": digest,
            "counted_at": timezone.now(),
            "counted_by": staff,
        }
        tally, _made = BudgetTally.objects.update_or_create(phase=phase, defaults=values)
        audit_record(
            municipality=process.municipality,
            actor=staff,
            action="participation.budget_count",
            target_type="participation_phase",
            target_id=phase.pk,
            after={
                "ballots": ballots,
                "budget_used": used,
                "sha256": digest,
                "funded": [row["number"] for row in rows if row["funded"]],
            },
        )
    return tally


def budget_publish(*, staff: User, phase: Phase) -> BudgetTally:
    """Publish the count after its second look: residents see it, and the process's open dataset
    is refreshed with the votes (audited)."""
    process = phase.process
    _require(staff, Action.MANAGE_PARTICIPATION, process.department)
    with transaction.atomic(durable=True):
        tally = BudgetTally.objects.select_for_update().filter(phase=phase).first()
        if tally is None:
            raise ParticipationRefused(message=_("Count the ballots first."), code="not_counted")
        if not tally.is_published:
            now = timezone.now()
            tally.published_at = now
            tally.save(update_fields=["published_at", "updated_at"])
            Process.objects.filter(pk=process.pk).update(results_published_at=now)
            audit_record(
                municipality=process.municipality,
                actor=staff,
                action="participation.budget_publish",
                target_type="participation_phase",
                target_id=phase.pk,
                after={"sha256": tally.digest},
            )
            process_id = process.pk
            transaction.on_commit(lambda: results_dataset_refresh_quietly(process_id=process_id))
    return tally


@dataclass
class Recount:
    ok: bool
    digest_matches: bool
    rows_match: bool
    digest: str
    kept_digest: str


def budget_recount(*, phase: Phase) -> Recount:
    """Recount a counted phase from its ballot rows: the canonical list's SHA-256 and the result
    must equal what was kept when it was counted (any ballot added, removed or changed shows)."""
    tally = BudgetTally.objects.filter(phase=phase).first()
    if tally is None:
        raise ParticipationRefused(message=_("Count the ballots first."), code="not_counted")
    digest = hashlib.sha256(ballots_canonical(phase=phase).encode()).hexdigest()
    rows, ballots, used = budget_tally_rows(phase=phase)
    keep = ("number", "votes", "cost", "funded")
    rows_match = (
        ballots == tally.ballots
        and used == tally.budget_used
        and [[row[k] for k in keep] for row in rows] == [[row[k] for k in keep] for row in tally.rows]
    )
    digest_matches = digest == tally.digest
    return Recount(
        ok=digest_matches and rows_match,
        digest_matches=digest_matches,
        rows_match=rows_match,
        digest=digest,
        kept_digest=tally.digest,
    )
