"""Writes of the automated checks: running an application's checks, approving in bulk.

Checks run after each submission and resubmission (``idx.checks.signals`` → task after commit)
and again when staff ask. Bulk approval (straight-through processing) approves, in one action
audited once, cases whose every check passed on the answers they hold now; each case still goes
through the applications domain's own services, so every case's history and audit are complete.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from idx.applications import services as application_services
from idx.applications.models import NOT_OPEN, Application, Status
from idx.audit.services import audit_record
from idx.checks.adapters import (
    AdapterUnavailable,
    CoreSystemAdapter,
    adapter_for,
    normal_address,
    same_name,
)
from idx.checks.models import CheckResult, CheckRun
from idx.common.errors import DomainError
from idx.identity.models import User
from idx.identity.policy import Action, can
from idx.procedures import check_rules
from idx.procedures.check_rules import COULD_NOT_CHECK, FAILED, NOT_APPLICABLE, PASSED, Outcome

# Statuses from which a case may be approved in bulk (a submitted case's review is started first).
BULK_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW, Status.RESUBMITTED)
MAX_BULK = 200


class ChecksError(DomainError):
    code = "checks_error"


class NotChecked(ChecksError):
    """A case chosen for bulk approval has not passed every check on its current answers."""

    code = "not_all_passed"
    http_status = 409
    message = _("A case did not pass every check on its current answers; nothing was approved.")


class NoCasesChosen(ChecksError):
    code = "no_cases"
    http_status = 422
    message = _("Choose at least one case.")
    field = "cases"


class NotConfirmed(ChecksError):
    code = "not_confirmed"
    http_status = 422
    message = _("Confirm that you looked at the cases and their checks.")
    field = "confirm"


def answers_digest(answers: Mapping[str, Any]) -> str:
    text = json.dumps(answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _open_duplicates(rule: Mapping[str, Any], application: Application) -> Outcome:
    others = list(
        Application.objects.filter(
            municipality_id=application.municipality_id,
            procedure_id=application.procedure_id,
            applicant_id=application.applicant_id,
        )
        .exclude(pk=application.pk)
        .exclude(status__in=NOT_OPEN)
        .order_by("submitted_at", "id")
        .values_list("receipt_number", flat=True)[:20]
    )
    compared = tuple({"receipt_number": number or ""} for number in others)
    if others:
        return Outcome(
            str(rule["id"]), "duplicate_open", FAILED, "duplicate", {"count": len(others)}, compared
        )
    return Outcome(str(rule["id"]), "duplicate_open", PASSED, "no_duplicate")


def _one(answers: Mapping[str, Any], path: object) -> Any:
    if not isinstance(path, str):
        return None
    found = check_rules.values_at(answers, path)
    return found[0][1] if found else None


def _as_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _resident_record(
    rule: Mapping[str, Any], answers: Mapping[str, Any], adapter: CoreSystemAdapter | None
) -> Outcome:
    rid, kind = str(rule["id"]), "resident_record"
    name = _one(answers, rule["name"])
    if not isinstance(name, str) or not name.strip():
        return Outcome(rid, kind, NOT_APPLICABLE, "nothing_to_check")
    if adapter is None:
        return Outcome(rid, kind, COULD_NOT_CHECK, "no_adapter")
    birth = _as_date(_one(answers, rule.get("birth_date")))
    try:
        records = adapter.find_residents(name=name, birth_date=birth)
    except AdapterUnavailable:
        return Outcome(rid, kind, COULD_NOT_CHECK, "record_unavailable")
    if not records:
        return Outcome(
            rid, kind, FAILED, "record_not_found", {}, ({"item": "name", "answer": name, "ok": False},)
        )
    address = _one(answers, rule.get("address"))
    record = next(
        (
            r
            for r in records
            if isinstance(address, str) and normal_address(r.address) == normal_address(address)
        ),
        records[0],
    )
    compared: list[dict[str, Any]] = [{"item": "name", "answer": name, "record": record.name, "ok": True}]
    differs: list[str] = []
    if isinstance(address, str) and address.strip():
        same = normal_address(record.address) == normal_address(address)
        compared.append({"item": "address", "answer": address, "record": record.address, "ok": same})
        if not same:
            differs.append("address")
    if "members" in rule:
        members = check_rules.values_at(answers, rule["members"])
        births = (
            dict(check_rules.values_at(answers, rule["members_birth_date"]))
            if "members_birth_date" in rule
            else {}
        )
        for index, member_name in members:
            member_birth = _as_date(births.get(index))
            found = any(
                same_name(member.name, str(member_name))
                and (member_birth is None or member.birth_date == member_birth)
                for member in record.household
            )
            compared.append({"item": "member", "entry": index, "answer": str(member_name), "ok": found})
            if not found and "household" not in differs:
                differs.append("household")
    if differs:
        return Outcome(rid, kind, FAILED, "record_differs", {"differs": differs}, tuple(compared))
    return Outcome(rid, kind, PASSED, "record_ok", {}, tuple(compared))


def evaluate(
    application: Application, rules: Sequence[Mapping[str, Any]], adapter: CoreSystemAdapter | None
) -> list[Outcome]:
    """Every rule's outcome for the application (reads only; the caller stores them)."""
    answers = application.answers or {}
    submitted_at = application.submitted_at or timezone.now()
    submitted_on = timezone.localdate(submitted_at)
    outcomes: list[Outcome] = []
    for rule in rules:
        kind = rule["kind"]
        if kind in check_rules.LOCAL_KINDS:
            outcomes.append(check_rules.evaluate_local(rule, answers, submitted_on))
        elif kind == "duplicate_open":
            outcomes.append(_open_duplicates(rule, application))
        else:
            outcomes.append(_resident_record(rule, answers, adapter))
    return outcomes


def application_checks_run(
    *, application: Application, actor: User | None = None, adapter: CoreSystemAdapter | None = None
) -> CheckRun | None:
    """Run the checks the application's procedure version declares and store the results.

    Replaces the results of an earlier run (the audit log keeps what each run found). ``None``
    when the version declares no checks. Staff re-running the checks must be able to work the case.
    """
    if actor is not None and not can(actor, Action.WORK_CASE, application.department):
        raise application_services.NotPermitted()
    rules = list(application.procedure_version.parsed.data.get("checks") or [])
    if not rules:
        return None
    if adapter is None:
        adapter = adapter_for(application.municipality)
    outcomes = evaluate(application, rules, adapter)
    all_passed = all(outcome.outcome in (PASSED, NOT_APPLICABLE) for outcome in outcomes)
    with transaction.atomic(durable=True):
        run, _created = CheckRun.objects.update_or_create(
            application=application,
            defaults={
                "municipality_id": application.municipality_id,
                "ran_at": timezone.now(),
                "ran_by": actor,
                "answers_sha256": answers_digest(application.answers or {}),
                "rule_count": len(outcomes),
                "all_passed": all_passed,
                "adapter": adapter.id if adapter is not None else "",
            },
        )
        CheckResult.objects.filter(run=run).delete()
        CheckResult.objects.bulk_create(
            CheckResult(
                run=run,
                position=position,
                rule_id=outcome.rule_id,
                kind=outcome.kind,
                outcome=outcome.outcome,
                reason=outcome.reason,
                params=dict(outcome.params),
                compared=[dict(item) for item in outcome.compared],
            )
            for position, outcome in enumerate(outcomes)
        )
        audit_record(
            municipality=application.municipality,
            actor=actor,
            action="checks.run",
            target_type="application",
            target_id=application.public_id,
            after={
                "all_passed": all_passed,
                **{
                    name: [o.rule_id for o in outcomes if o.outcome == name]
                    for name in (FAILED, COULD_NOT_CHECK)
                },
            },
        )
    return run


def cases_approve_in_bulk(
    *, staff: User, cases: Sequence[tuple[Application, int]], confirmed: bool, reason: str = ""
) -> int:
    """Approve every case of ``cases`` (each with the ``row_version`` the staff member saw), all or none.

    Each case must be in the staff member's scope for bulk approval and deciding, open for a
    decision, and have passed every check on the answers it holds now; otherwise nothing is
    approved. One audit entry records the bulk action; each case's own approval is recorded by
    the applications domain as usual.
    """
    if not confirmed:
        raise NotConfirmed()
    if not cases or len(cases) > MAX_BULK:
        raise NoCasesChosen()
    for application, _version in cases:
        if not (
            can(staff, Action.APPROVE_IN_BULK, application.department)
            and can(staff, Action.DECIDE_CASE, application.department)
        ):
            raise application_services.NotPermitted()
    with transaction.atomic(durable=True):
        ids = [application.pk for application, _version in cases]
        runs = {
            run.application_id: run
            for run in CheckRun.objects.select_for_update().filter(application_id__in=ids, all_passed=True)
        }
        approved: list[str] = []
        for application, version in cases:
            application.refresh_from_db(fields=["status", "row_version", "answers"])
            run = runs.get(application.pk)
            if (
                run is None
                or application.status not in BULK_STATUSES
                or run.answers_sha256 != answers_digest(application.answers or {})
            ):
                raise NotChecked()
            if application.status == Status.SUBMITTED:
                application = application_services.case_start_review(
                    application=application, staff=staff, expected_version=version
                )
                version = application.row_version
            application_services.case_decide(
                application=application,
                staff=staff,
                approve=True,
                reason=reason.strip()[:2000],
                expected_version=version,
            )
            approved.append(str(application.public_id))
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="checks.approve_in_bulk",
            target_type="department",
            target_id=staff.department_id,
            after={"approved": approved, "count": len(approved)},
        )
    return len(approved)
