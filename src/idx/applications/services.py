"""Writes to applications. Every state change goes through ``_transition`` and the workflow table.

Each service owns its transaction and writes its audit entry inside it. The status e-mail is a
task: with the database task backend its row is written in the same transaction (one commit, and
it exists exactly when the change does); with any other backend it is enqueued by
``transaction.on_commit``, so that nothing is sent for a change that did not commit.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from idx.applications import workflow
from idx.applications.answers import applicant_name_from, get_path, merge_flagged, set_path, visible_answers
from idx.applications.attachments import check_upload
from idx.applications.fees import fee_checks
from idx.applications.models import (
    Application,
    ApplicationSignature,
    Attachment,
    CaseComment,
    CorrectionRound,
    CounterConfirmation,
    ReceiptSequence,
    SavedCaseFilter,
    Status,
    StatusChange,
)
from idx.applications.signing import (
    SignatureEvidence,
    SignatureRefused,
    evidence_summary,
    requires_signature,
    signature_still_covers,
)
from idx.applications.workflow import Actor, Event, InvalidTransition
from idx.audit.services import audit_record
from idx.common import my_number
from idx.common.dates import next_office_day
from idx.common.errors import DomainError
from idx.common.sequences import next_yearly_number
from idx.identity.models import User
from idx.identity.policy import Action, can
from idx.procedures.definition import AnswerError, Definition, my_number_paths, validate_answers
from idx.procedures.models import Procedure

MAX_ANSWERS_BYTES = 256 * 1024


class ApplicationError(DomainError):
    code = "application_error"


class NotPermitted(ApplicationError):
    code = "not_permitted"
    http_status = 404  # answered as "not found": nothing tells whether it exists


class ChangedMeanwhile(ApplicationError):
    """Someone else changed the application since the caller read it (optimistic concurrency)."""

    code = "changed_meanwhile"
    http_status = 409
    message = "The application was changed meanwhile; reload it and try again."


class NotEditable(ApplicationError):
    code = "not_editable"
    http_status = 409
    message = "The application cannot be changed in its current status."


class AnswersInvalid(ApplicationError):
    code = "answers_invalid"
    http_status = 422
    message = "Some answers need attention."

    def __init__(self, errors: list[AnswerError]):
        super().__init__(f"{len(errors)} answer problem(s)")
        self.errors = errors


class MyNumberInvalid(AnswersInvalid):
    """A 個人番号 was not valid: nothing of it was stored; the other answers were saved.

    ``application`` is the application as saved, for the caller to show again with the errors.
    """

    code = "my_number_invalid"

    def __init__(self, errors: list[AnswerError], application: Application):
        super().__init__(errors)
        self.application = application


class DeclarationMissing(ApplicationError):
    code = "declaration_missing"
    http_status = 422
    message = "Confirm the declaration (declaration_accepted: true)."


class SignatureRequired(ApplicationError):
    """The procedure replaces the seal with an electronic signature, and none was given."""

    code = "signature_required"
    http_status = 422
    message = (
        "This procedure needs an electronic signature: sign GET …/signing-payload with the "
        "My Number Card's signing certificate and send it as 'signature'."
    )


class PaymentRequired(ApplicationError):
    """The procedure's fee is paid before submission, and it has not been paid for these answers."""

    code = "payment_required"
    http_status = 402
    message = (
        "This procedure's fee (%(amount)s yen) is paid before submission: "
        "POST /api/v1/applications/{id}/payments, then the application is submitted once paid."
    )

    def __init__(self, amount: int):
        super().__init__(f"{amount} yen to pay before submission", params={"amount": amount})
        self.amount = amount


class AnswersTooLarge(ApplicationError):
    code = "answers_too_large"
    http_status = 413
    message = "The answers are too large."


class DraftHasPayments(ApplicationError):
    """A draft for which a payment was ever started is kept: the payment's record refers to it."""

    code = "draft_has_payments"
    http_status = 409


def require_owner(application: Application, actor: User) -> None:
    if (
        application.assisted_by_id is not None
        and actor.pk == application.assisted_by_id
        and application.status == Status.DRAFT
        and can(actor, Action.WORK_CASE, application.department)
    ):
        return  # the clerk filling it in at the counter, until the resident confirms
    _require_applicant(application, actor)


def _require_applicant(application: Application, actor: User) -> None:
    if actor.pk != application.applicant_id or actor.municipality_id != application.municipality_id:
        raise NotPermitted()


def _require_no_payment_running(application: Application) -> None:
    """While a fee is being paid for a draft, its answers stay as they were when payment started."""
    if application.status != Status.DRAFT:
        return
    if fee_checks().payment_running(application):
        raise NotEditable()


def _require_staff(application: Application, staff: User, action: Action) -> None:
    if not can(staff, action, application.department):
        raise NotPermitted()


def require_clerk_for(*, staff: User, applicant: User, procedure: Procedure) -> None:
    """A clerk may start an application in a resident's name (at the counter, from a paper form)
    only for a resident of their own municipality, on a published procedure of a department whose
    cases they work."""
    if (
        not staff.is_staff_member
        or not applicant.is_resident
        or applicant.municipality_id != staff.municipality_id
        or procedure.municipality_id != staff.municipality_id
        or procedure.published_version_id is None
        or not can(staff, Action.WORK_CASE, procedure.department)
    ):
        raise NotPermitted()


def application_start(
    *, resident: User, procedure: Procedure, language: str = "ja", idempotency_key: str | None = None
) -> Application:
    """A new draft bound to the procedure's published version."""
    if procedure.municipality_id != resident.municipality_id or procedure.published_version_id is None:
        raise NotPermitted()
    if idempotency_key:
        existing = Application.objects.filter(applicant=resident, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            application = new_draft(
                resident=resident,
                procedure=procedure,
                language=language,
                actor=resident,
                action="application.start",
                audit_after={"procedure": procedure.code, "version": procedure.published_version.number},  # type: ignore[union-attr]
                idempotency_key=idempotency_key or None,
            )
    except IntegrityError:
        # The same idempotency key raced in from a replayed request: return the first one.
        return Application.objects.get(applicant=resident, idempotency_key=idempotency_key)
    return application


def new_draft(
    *,
    resident: User,
    procedure: Procedure,
    language: str,
    actor: User,
    action: str,
    audit_after: dict[str, Any],
    **fields: Any,
) -> Application:
    """A draft bound to the published version, audited; a card-verified resident starts with
    基本4情報 filled in. Callers hold the transaction and check who may do it."""
    version_id = procedure.published_version_id
    if version_id is None:
        raise NotPermitted()
    application = Application.objects.create(
        municipality_id=resident.municipality_id,
        procedure=procedure,
        procedure_version_id=version_id,
        department_id=procedure.department_id,
        applicant=resident,
        applicant_name=resident.full_name,
        language=language,
        answers=with_verified_identity(procedure.published_version.parsed, resident, {})  # type: ignore[union-attr]
        if resident.identity_verified_at
        else {},
        **fields,
    )
    audit_record(
        municipality=resident.municipality,
        actor=actor,
        action=action,
        target_type="application",
        target_id=application.public_id,
        after=audit_after,
    )
    return application


def with_verified_identity(definition: Any, user: User, answers: Mapping[str, Any]) -> dict[str, Any]:
    """``answers`` with the applicant's 基本4情報 items set to the values verified by My Number Card."""
    from idx.procedures.rendering import identity_fact_paths

    birthdate = user.verified_birthdate
    values = {
        "name": user.verified_name,
        "birth_date": birthdate.isoformat() if birthdate else "",
        "gender": user.verified_gender,
        "address": user.verified_address,
    }
    result = dict(answers)
    for path, fact in identity_fact_paths(definition).items():
        value = values[fact]
        item = definition.item(path)
        if not value or item is None or (item.options and value not in [o["value"] for o in item.options]):
            continue
        group, _dot, child = path.partition(".")
        existing = result.get(group)
        result[group] = {**(existing if isinstance(existing, dict) else {}), child: value}
    return result


def application_save_answers(
    *, application: Application, actor: User, answers: Mapping[str, Any], fields: Iterable[str] | None = None
) -> Application:
    """Store answers as typed (valid or not: a draft never loses input).

    ``fields`` limits the update to those top-level fields (one step of the form). While a
    correction is requested only the flagged items change; everything else stays as submitted.
    """
    require_owner(application, actor)
    _require_no_payment_running(application)
    with transaction.atomic():
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.status == Status.DRAFT:
            merged = dict(current.answers)
            keys = set(fields) if fields is not None else set(answers) | set(current.answers)
            for key in keys:
                if key in answers:
                    merged[key] = answers[key]
                else:
                    merged.pop(key, None)
        elif current.status == Status.CORRECTION_REQUESTED:
            merged = merge_flagged(current.answers, answers, list(current.correction_notes))
        else:
            raise NotEditable()
        definition = current.procedure_version.parsed
        if current.status == Status.DRAFT:
            # Answers to questions their condition now hides are not kept (the spouse's details
            # after "no spouse"): what is stored is what the resident sees and submits.
            merged = visible_answers(definition, merged)
        applicant = current.applicant if current.assisted_by_id == actor.pk else actor
        if applicant.identity_verified_at and applicant.pk == current.applicant_id:
            # Verified items are not editable: whatever was sent, they keep the card's values.
            merged = with_verified_identity(definition, applicant, merged)
        my_number_errors = _seal_my_numbers(definition, merged, current)
        if len(json.dumps(merged, ensure_ascii=False).encode()) > MAX_ANSWERS_BYTES:
            raise AnswersTooLarge()
        Application.objects.filter(pk=current.pk).update(
            answers=merged,
            applicant_name=applicant_name_from(definition, merged) or actor.full_name,
            updated_at=timezone.now(),
        )
        current.refresh_from_db()
    if my_number_errors:
        raise MyNumberInvalid(my_number_errors, current)
    return current


def application_prefill(*, application: Application, actor: User) -> Application:
    """Fill the applicant's empty details from the resident's last application and account.

    Called when the resident asks for it (once-only, with their consent); values already typed
    stay. The audit log records which items were filled and from which application.
    """
    from idx.applications.prefill import prefill_offer

    offer = prefill_offer(application=application, resident=actor)
    if offer is None:
        return application
    current = application.answers.get(offer.group)
    group = {**(current if isinstance(current, dict) else {}), **offer.values}
    saved = application_save_answers(
        application=application, actor=actor, answers={offer.group: group}, fields=[offer.group]
    )
    audit_record(
        municipality=application.municipality,
        actor=actor,
        action="application.prefill",
        target_type="application",
        target_id=application.public_id,
        after={
            "items": sorted(offer.values),
            "source": str(offer.source.public_id) if offer.source else "account",
        },
    )
    return saved


def _seal_my_numbers(
    definition: Definition, merged: dict[str, Any], current: Application
) -> list[AnswerError]:
    """Replace every clear 個人番号 in ``merged`` by its sealed token, in place, before anything is stored.

    An invalid number is dropped (never stored, not even as typed) and reported. A token is only
    accepted when it is the one already stored at that place (an API client sending back what it
    read); a blank input keeps the stored token, as the form never shows it again.
    """
    errors: list[AnswerError] = []
    previous = current.answers
    for path in my_number_paths(definition, merged):
        value = get_path(merged, path)
        stored = get_path(previous, path)
        if value is None or value == "":
            parent = path.rpartition(".")[0]
            if my_number.is_sealed_token(stored) and (
                not parent or isinstance(get_path(merged, parent), dict)
            ):
                set_path(merged, path, stored)
            elif value == "":
                set_path(merged, path, None)
            continue
        if my_number.is_sealed_token(value) and value == stored:
            continue
        number = my_number.normalise(value) if isinstance(value, str) else ""
        if my_number.is_valid(number):
            set_path(merged, path, my_number.seal(number, context=str(current.public_id)))
        else:
            # Keep nothing of it: neither the clear value nor the token it would replace.
            set_path(merged, path, None)
            errors.append(AnswerError(path=path, code="format:my-number"))
    return errors


def attachment_add(
    *, application: Application, actor: User, field_path: str, name: str, data: bytes
) -> Attachment:
    """Check an upload by content, strip metadata, store it and point the answer at it."""
    require_owner(application, actor)
    _require_no_payment_running(application)
    if application.status not in (Status.DRAFT, Status.CORRECTION_REQUESTED):
        raise NotEditable()
    if application.status == Status.CORRECTION_REQUESTED and field_path not in application.correction_notes:
        raise NotEditable()
    item = application.procedure_version.parsed.item(field_path)
    if item is None or item.widget != "file":
        raise NotPermitted()
    if "[]" in item.path:
        # An entry index beyond the repeat's maxItems would only grow a list of empty entries.
        group = application.procedure_version.parsed.schema["properties"][item.path.split("[]")[0]]
        if any(
            int(index) >= int(group.get("maxItems", 100)) for index in re.findall(r"\[(\d+)\]", field_path)
        ):
            raise NotPermitted()
    checked = check_upload(name=name, data=data, accept=item.spec.get("accept"))
    with transaction.atomic():
        attachment = Attachment(
            municipality_id=application.municipality_id,
            public_id=f"att_{secrets.token_hex(16)}",
            application=application,
            field_path=field_path,
            original_name=name[-200:],
            content_type=checked.content_type,
            size=len(checked.content),
            sha256=checked.sha256,
        )
        attachment.file.save(attachment.public_id, ContentFile(checked.content), save=False)
        attachment.save()
        answers = dict(application.answers)
        set_path(answers, field_path, attachment.public_id)
        Application.objects.filter(pk=application.pk).update(answers=answers, updated_at=timezone.now())
        audit_record(
            municipality=application.municipality,
            actor=actor,
            action="attachment.add",
            target_type="application",
            target_id=application.public_id,
            after={"field": field_path, "attachment": attachment.public_id, "type": checked.content_type},
        )
    application.refresh_from_db()
    return attachment


def validate_for_submission(application: Application) -> dict[str, Any]:
    definition = application.procedure_version.parsed
    answers = visible_answers(definition, application.answers)
    errors = validate_answers(definition, answers)
    file_items = [item for item in definition.items() if item.widget == "file"]
    known = set(application.attachments.values_list("public_id", flat=True)) if file_items else set()
    for item in file_items:
        value = get_path(answers, item.path) if "[]" not in item.path else None
        if isinstance(value, str) and value not in known:
            errors.append(AnswerError(path=item.path, code="format:attachment"))
    # A 個人番号 goes to the department sealed, never in clear (whatever reached the row).
    for path in my_number_paths(definition, answers, with_values_only=True):
        if not my_number.is_sealed_token(get_path(answers, path)):
            errors.append(AnswerError(path=path, code="format:my-number"))
    if errors:
        raise AnswersInvalid(errors)
    return answers


def _next_receipt_number(application: Application, now: dt.datetime) -> str:
    """The next number of the municipality's yearly sequence (idx.common.sequences)."""
    year = timezone.localtime(now).year
    number = next_yearly_number(ReceiptSequence, application.municipality_id, year)
    return f"{application.municipality.receipt_prefix}-{year}-{number:06d}"


def _transition(
    *,
    application: Application,
    event: Event,
    actor: User,
    actor_kind: Actor,
    expected_version: int | None = None,
    reason: str = "",
    updates: dict[str, Any] | None = None,
    audit_extra: dict[str, Any] | None = None,
) -> Application:
    """Apply one workflow event with an optimistic check; callers hold the transaction."""
    if expected_version is not None and expected_version != application.row_version:
        # The caller acted on a state that has changed since: say so, whatever the new status allows.
        raise ChangedMeanwhile()
    target = workflow.next_status(event, application.status, actor_kind)
    version = application.row_version if expected_version is None else expected_version
    now = timezone.now()
    changes: dict[str, Any] = {"status": target, "updated_at": now, **(updates or {})}
    count = Application.objects.filter(
        pk=application.pk, row_version=version, status=application.status
    ).update(row_version=F("row_version") + 1, **changes)
    if count != 1:
        raise ChangedMeanwhile()
    before = {"status": application.status, "row_version": version}
    StatusChange.objects.create(
        application=application, from_status=application.status, to_status=target, actor=actor, reason=reason
    )
    audit_record(
        municipality=application.municipality,
        actor=actor,
        action=f"application.{event.value}",
        target_type="application",
        target_id=application.public_id,
        before=before,
        after={"status": target, **(audit_extra or {})},
    )
    # Bring the caller's object up to date without reloading it, keeping its loaded relations.
    for name, value in changes.items():
        setattr(application, name, value)
    application.row_version = version + 1
    _status_notice(application.pk, target, version + 1)
    return application


_muted = contextvars.ContextVar("idx_notifications_muted", default=False)


@contextlib.contextmanager
def notifications_muted() -> Iterator[None]:
    """Bulk loads (the demo, imports of historical cases) change statuses without e-mailing anyone."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _enqueue_status_notice(application_id: int, status: str, row_version: int) -> None:
    """The notification service tells the applicant (inbox, e-mail, LINE) from the worker."""
    from idx.applications.tasks import notify_status

    if _muted.get():
        return
    notify_status.enqueue(application_id, status, row_version)


def _enqueues_into_this_database() -> bool:
    """Whether the task backend writes its queue rows through the default database connection."""
    from django_tasks_db.backend import DatabaseBackend

    from idx.applications.tasks import notify_status

    return isinstance(notify_status.get_backend(), DatabaseBackend)


def _status_notice(application_id: int, status: str, row_version: int) -> None:
    """Enqueue the status notice of a change the caller's transaction is making.

    A queue row in this database goes into the same transaction (no second commit; it commits
    or rolls back with the change). A queue elsewhere (Redis, or the immediate backend of the
    tests, which runs the task at once) is only told after the commit.
    """
    if _muted.get():
        return
    if _enqueues_into_this_database():
        _enqueue_status_notice(application_id, status, row_version)
    else:
        transaction.on_commit(lambda: _enqueue_status_notice(application_id, status, row_version))


def _lock(application: Application, *also: str) -> None:
    """Lock the row for the transaction and refresh the state the workflow checks (and ``also``)."""
    row = (
        Application.objects.select_for_update()
        .filter(pk=application.pk)
        .values("status", "row_version", *also)
        .get()
    )
    for name, value in row.items():
        setattr(application, name, value)


def application_check_ready(*, application: Application, actor: User, declaration_accepted: bool) -> None:
    """Raise what :func:`application_submit` would raise before a signature is asked for."""
    require_owner(application, actor)
    if application.status != Status.DRAFT:
        raise InvalidTransition(Event.SUBMIT, application.status)
    if not declaration_accepted:
        raise DeclarationMissing()
    validate_for_submission(application)


def application_submit(
    *,
    application: Application,
    actor: User,
    declaration_accepted: bool,
    signature: SignatureEvidence | None = None,
    counter_confirmation: CounterConfirmation | None = None,
    paper_verified_by: User | None = None,
) -> Application:
    """Validate everything, number the receipt and hand the application to its department.

    A procedure with ``signature_required`` needs ``signature``, verified by
    :func:`idx.applications.signing.signature_verify` over the answers submitted now, unless it
    was made at the counter: then the clerk checked the resident's identity in person and the
    resident's own confirmation on the counter's screen (``counter_confirmation``) replaces the
    seal, as on paper at the counter. A form received on paper (channel ``paper``) is submitted in
    the applicant's name once a clerk verified what was read on it (``paper_verified_by``): the
    signed paper form replaces the electronic signature.
    """
    _require_applicant(application, actor)
    if paper_verified_by is not None and (
        application.channel != "paper" or not can(paper_verified_by, Action.WORK_CASE, application.department)
    ):
        raise NotPermitted()
    if application.status != Status.DRAFT:
        raise InvalidTransition(Event.SUBMIT, application.status)
    if not declaration_accepted:
        raise DeclarationMissing()
    answers = validate_for_submission(application)
    if (
        signature is None
        and counter_confirmation is None
        and paper_verified_by is None
        and requires_signature(application)
    ):
        raise SignatureRequired()
    due = fee_checks().due_before_submission(application)
    if due:
        raise PaymentRequired(due)
    days = int(application.procedure_version.parsed.data["processing_days"])
    validated_from = (application.answers, application.updated_at)
    with transaction.atomic():
        now = timezone.now()
        # Lock the row and read the state the workflow checks, when the row last changed and, for
        # a signature, the answers it must cover (answers saved after signing void the signature).
        _lock(application, "updated_at", *(("answers",) if signature is not None else ()))
        if application.status != Status.DRAFT:
            raise InvalidTransition(Event.SUBMIT, application.status)
        if signature is not None:
            if not signature_still_covers(application, signature.digest_sha256):
                raise SignatureRefused("answers_changed")
            ApplicationSignature.objects.create(
                application=application,
                signed_at=signature.signed_at,
                digest_sha256=signature.digest_sha256,
                signature_b64=signature.signature_b64,
                certificate_serial=signature.serial_number,
                certificate_issuer=signature.issuer,
                signer_name=signature.signer_name[:100],
            )
        audit_extra: dict[str, Any] = {}
        updates: dict[str, Any] = {
            "submitted_at": now,
            "declaration_accepted_at": now,
            # The standard processing period never ends on a day the city hall is closed.
            "due_date": next_office_day(timezone.localdate(now) + dt.timedelta(days=days)),
        }
        if (answers, application.updated_at) != validated_from:
            # The answers validated above are what is submitted. The JSON is written only when
            # they differ from the row's (answers of hidden items dropped) or the row changed
            # since it was read; otherwise the row already holds them.
            updates["answers"] = answers
        if signature is not None:
            audit_extra["signature"] = evidence_summary(signature)
        if counter_confirmation is not None:
            audit_extra["assisted_by"] = application.assisted_by_id
            audit_extra["resident_confirmed"] = "counter_screen"
            updates["resident_confirmed_at"] = now
        if paper_verified_by is not None:
            audit_extra["verified_on_paper_by"] = paper_verified_by.pk
        return _submit_transition(
            application=application, actor=actor, now=now, updates=updates, audit_extra=audit_extra
        )


def _submit_transition(
    *,
    application: Application,
    actor: User,
    now: dt.datetime,
    updates: dict[str, Any],
    audit_extra: dict[str, Any],
) -> Application:
    """Draft → submitted under the row lock the caller holds, with the receipt number taken last.

    The municipality's receipt sequence is one row every submission of the city locks; it is
    locked from its ``UPDATE`` to the commit. So everything else (the status history, the
    e-mail task row) is written first, and only the number, the application row that carries
    it and the audit entry that names it come between that ``UPDATE`` and the commit.
    """
    target = workflow.next_status(Event.SUBMIT, application.status, Actor.RESIDENT)
    version = application.row_version
    StatusChange.objects.create(
        application=application, from_status=application.status, to_status=target, actor=actor, reason=""
    )
    _status_notice(application.pk, target, version + 1)
    receipt_number = _next_receipt_number(application, now)
    changes: dict[str, Any] = {
        "status": target,
        "updated_at": now,
        "receipt_number": receipt_number,
        **updates,
    }
    count = Application.objects.filter(
        pk=application.pk, row_version=version, status=application.status
    ).update(row_version=F("row_version") + 1, **changes)
    if count != 1:
        raise ChangedMeanwhile()
    audit_record(
        municipality=application.municipality,
        actor=actor,
        action=f"application.{Event.SUBMIT.value}",
        target_type="application",
        target_id=application.public_id,
        before={"status": application.status, "row_version": version},
        after={"status": target, "receipt_number": receipt_number, **audit_extra},
    )
    for name, value in changes.items():
        setattr(application, name, value)
    application.row_version = version + 1
    return application


def application_resubmit(*, application: Application, actor: User) -> Application:
    """Send the corrected items back to the department (差し戻し → 再提出)."""
    require_owner(application, actor)
    answers = validate_for_submission(application)
    with transaction.atomic():
        _lock(application)
        flagged = sorted(application.correction_notes)
        result = _transition(
            application=application,
            event=Event.RESUBMIT,
            actor=actor,
            actor_kind=Actor.RESIDENT,
            updates={"answers": answers, "correction_notes": {}, "correction_message": ""},
            audit_extra={"corrected": flagged},
        )
        # What came back, beside what was there when the correction was asked for (the case page's diff).
        round_ = CorrectionRound.objects.filter(application=application, resubmitted_at__isnull=True).first()
        if round_ is not None:
            round_.answers_after = answers
            round_.resubmitted_at = timezone.now()
            round_.save(update_fields=["answers_after", "resubmitted_at"])
        return result


def application_withdraw(*, application: Application, actor: User, reason: str = "") -> Application:
    require_owner(application, actor)
    with transaction.atomic():
        _lock(application)
        return _transition(
            application=application,
            event=Event.WITHDRAW,
            actor=actor,
            actor_kind=Actor.RESIDENT,
            reason=reason[:1000],
        )


def application_discard_draft(*, application: Application, actor: User) -> None:
    require_owner(application, actor)
    if application.status != Status.DRAFT:
        raise NotEditable()
    if fee_checks().has_payments(application):
        raise DraftHasPayments()
    with transaction.atomic():
        audit_record(
            municipality=application.municipality,
            actor=actor,
            action="application.discard_draft",
            target_type="application",
            target_id=application.public_id,
        )
        application.delete()


def case_start_review(*, application: Application, staff: User, expected_version: int) -> Application:
    _require_staff(application, staff, Action.WORK_CASE)
    with transaction.atomic():
        updates: dict[str, Any] = {} if application.assignee_id else {"assignee": staff}
        if application.review_started_at is None:
            updates["review_started_at"] = timezone.now()
        return _transition(
            application=application,
            event=Event.START_REVIEW,
            actor=staff,
            actor_kind=Actor.STAFF,
            expected_version=expected_version,
            updates=updates,
        )


def case_request_correction(
    *, application: Application, staff: User, notes: Mapping[str, str], message: str, expected_version: int
) -> Application:
    """Ask the resident to fix the listed items; only those become editable for them."""
    _require_staff(application, staff, Action.WORK_CASE)
    notes = {path: note.strip()[:500] for path, note in notes.items() if note.strip()}
    if not notes:
        raise AnswersInvalid([AnswerError(path="", code="no_items_flagged")])
    with transaction.atomic():
        result = _transition(
            application=application,
            event=Event.REQUEST_CORRECTION,
            actor=staff,
            actor_kind=Actor.STAFF,
            expected_version=expected_version,
            reason=message[:2000],
            updates={"correction_notes": notes, "correction_message": message[:2000]},
            audit_extra={"flagged": sorted(notes)},
        )
        # The answers as they stand now, kept to show what the resident changed (変更前 → 変更後).
        answers = Application.objects.filter(pk=application.pk).values_list("answers", flat=True).get()
        CorrectionRound.objects.filter(application=application, resubmitted_at__isnull=True).delete()
        CorrectionRound.objects.create(
            application=application,
            requested_by=staff,
            requested_at=timezone.now(),
            notes=notes,
            message=message[:2000],
            answers_before=answers,
        )
        return result


def case_decide(
    *, application: Application, staff: User, approve: bool, reason: str, expected_version: int
) -> Application:
    _require_staff(application, staff, Action.DECIDE_CASE)
    if not approve and not reason.strip():
        raise AnswersInvalid([AnswerError(path="reason", code="required")])
    with transaction.atomic():
        return _transition(
            application=application,
            event=Event.APPROVE if approve else Event.REJECT,
            actor=staff,
            actor_kind=Actor.STAFF,
            expected_version=expected_version,
            reason=reason[:2000],
            updates={"decided_at": timezone.now(), "decision_reason": reason[:2000]},
        )


def case_assign(
    *, application: Application, staff: User, assignee: User | None, expected_version: int
) -> Application:
    """Assign a case; clerks may take a case themselves, supervisors may give it to anyone in the department."""
    _require_staff(application, staff, Action.WORK_CASE)
    if assignee is not None and assignee.pk != staff.pk:
        _require_staff(application, staff, Action.ASSIGN_OTHERS)
    if assignee is not None and (
        assignee.department_id != application.department_id or not assignee.is_staff_member
    ):
        raise NotPermitted()
    with transaction.atomic():
        count = Application.objects.filter(pk=application.pk, row_version=expected_version).update(
            assignee=assignee, row_version=F("row_version") + 1, updated_at=timezone.now()
        )
        if count != 1:
            raise ChangedMeanwhile()
        audit_record(
            municipality=application.municipality,
            actor=staff,
            action="case.assign",
            target_type="application",
            target_id=application.public_id,
            before={"assignee": application.assignee_id},
            after={"assignee": assignee.pk if assignee else None},
        )
    application.refresh_from_db()
    return application


def cases_bulk_assign(*, staff: User, applications: Iterable[Application], assignee: User) -> int:
    """Assign several cases at once; every case is checked and audited on its own."""
    done = 0
    with transaction.atomic():
        for application in applications:
            case_assign(
                application=application,
                staff=staff,
                assignee=assignee,
                expected_version=application.row_version,
            )
            done += 1
    return done


def case_comment_add(*, application: Application, staff: User, body: str) -> CaseComment:
    _require_staff(application, staff, Action.WORK_CASE)
    body = body.strip()
    if not body:
        raise AnswersInvalid([AnswerError(path="body", code="required")])
    with transaction.atomic():
        comment = CaseComment.objects.create(application=application, author=staff, body=body[:4000])
        audit_record(
            municipality=application.municipality,
            actor=staff,
            action="case.comment",
            target_type="application",
            target_id=application.public_id,
            after={"comment": comment.pk},
        )
    return comment


def case_record_view(*, application: Application, staff: User, what: str = "case") -> None:
    """Every staff view of a resident's personal data leaves a trace."""
    audit_record(
        municipality=application.municipality,
        actor=staff,
        action=f"personal_data.view.{what}",
        target_type="application",
        target_id=application.public_id,
    )


def my_number_unseal(*, application: Application, staff: User, path: str) -> str:
    """Open one sealed 個人番号 of a case for a staff member, and audit the opening.

    The caller (a back-office view) has checked that the staff member re-authenticated recently.
    Raises NotPermitted outside the staff member's scope, ``my_number.MyNumberUnavailable`` in a
    process without the private key (the portal tier), and ``LookupError`` when nothing sealed
    is stored at ``path``. The audit entry names the item, never the number.
    """
    _require_staff(application, staff, Action.UNSEAL_MY_NUMBER)
    definition = application.procedure_version.parsed
    if path not in my_number_paths(definition, application.answers, with_values_only=True):
        raise LookupError(path)
    token = get_path(application.answers, path)
    if not my_number.is_sealed_token(token):
        raise LookupError(path)
    with transaction.atomic():
        audit_record(
            municipality=application.municipality,
            actor=staff,
            action="my_number.unseal",
            target_type="application",
            target_id=application.public_id,
            after={"field": path},
        )
        return my_number.unseal(token, context=str(application.public_id))


SAVED_FILTERS_PER_CLERK = 30


class SavedFilterInvalid(ApplicationError):
    """A saved queue filter needs a name, and a clerk keeps at most ``SAVED_FILTERS_PER_CLERK``."""

    code = "saved_filter_invalid"


def saved_case_filter_save(*, staff: User, name: str, query: str) -> SavedCaseFilter:
    """Save (or replace, by name) the clerk's current queue filters under a name of their own."""
    name = " ".join(name.split())[:60]
    if not name:
        raise SavedFilterInvalid()
    mine = SavedCaseFilter.objects.filter(municipality_id=staff.municipality_id, user=staff)
    with transaction.atomic():
        existing = mine.filter(name=name).first()
        if existing is not None:
            existing.query = query[:400]
            existing.save(update_fields=["query", "updated_at"])
            return existing
        if mine.count() >= SAVED_FILTERS_PER_CLERK:
            raise SavedFilterInvalid()
        return SavedCaseFilter.objects.create(
            municipality_id=staff.municipality_id, user=staff, name=name, query=query[:400]
        )


def saved_case_filter_delete(*, staff: User, pk: int) -> bool:
    """Delete one of the clerk's own saved filters; anyone else's is not found (False)."""
    deleted, _counts = SavedCaseFilter.objects.filter(
        municipality_id=staff.municipality_id, user=staff, pk=pk
    ).delete()
    return deleted > 0
