"""Running the checks after submission, the core-system adapter, and approving in bulk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from idx.applications import services as application_services
from idx.applications.models import Status
from idx.audit.models import AuditEntry
from idx.checks import services
from idx.checks.adapters import AdapterUnavailable, CoreSystemAdapter, adapter_for, normal_address, same_name
from idx.checks.contrib.demo import UNAVAILABLE_NAME, DemoCoreSystem
from idx.checks.models import CheckRun
from idx.checks.selectors import cases_passing_for_staff
from idx.checks.tasks import run_checks
from idx.common.registry import Registry
from tests.checks.conftest import passing_answers, submitted_case
from tests.conftest import make_draft

pytestmark = pytest.mark.django_db


def _outcomes(application) -> dict[str, str]:
    run = CheckRun.objects.get(application=application)
    return {result.rule_id: result.outcome for result in run.results.all()}


def test_a_submission_runs_the_checks_after_commit_and_every_one_passes(
    resident, django_capture_on_commit_callbacks
):
    application = submitted_case(resident, django_capture_on_commit_callbacks)
    assert _outcomes(application) == {
        "children_under_18": "passed",
        "children_born_after_claimant": "passed",
        "moved_in_within_15_days": "passed",
        "no_open_claim": "passed",
        "resident_record": "passed",
    }
    run = application.check_run
    assert run.all_passed and run.adapter == "demo" and run.ran_by is None
    assert run.answers_sha256 == services.answers_digest(application.answers)
    entry = AuditEntry.objects.filter(action="checks.run", target_id=str(application.public_id)).get()
    assert entry.after["all_passed"] is True


def test_only_procedures_that_declare_checks_get_a_check_task(
    resident, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued: list[int] = []
    from types import SimpleNamespace

    from idx.checks import tasks
    from tests.conftest import submit

    monkeypatch.setattr(tasks, "run_checks", SimpleNamespace(enqueue=enqueued.append))

    with django_capture_on_commit_callbacks(execute=True):
        plain = submit(application=make_draft(resident, code="care-insurance-card-reissue"), actor=resident)
    assert "checks" not in plain.procedure_version.definition
    assert enqueued == []
    with django_capture_on_commit_callbacks(execute=True):
        checked = submit(application=make_draft(resident, answers=passing_answers()), actor=resident)
    assert enqueued == [checked.pk]


def test_failures_say_what_was_compared(resident, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    answers = passing_answers(moved_in_date=(today - dt.timedelta(days=40)).isoformat())
    answers["children"][0]["birth_date"] = today.replace(year=today.year - 19).isoformat()
    answers["claimant"]["address"] = "三重県伊賀市上野東町2950番地"
    application = submitted_case(resident, django_capture_on_commit_callbacks, answers)
    outcomes = _outcomes(application)
    assert outcomes["children_under_18"] == "failed"
    assert outcomes["moved_in_within_15_days"] == "failed"
    assert outcomes["resident_record"] == "failed"
    results = {result.rule_id: result for result in application.check_run.results.all()}
    assert results["moved_in_within_15_days"].params == {"days": 25}
    record = results["resident_record"]
    assert record.params == {"differs": ["address", "household"]}
    address = next(item for item in record.compared if item["item"] == "address")
    assert address["record"] == "三重県伊賀市上野丸之内116番地" and address["ok"] is False
    assert not application.check_run.all_passed


def test_without_a_core_system_the_record_cannot_be_checked(
    resident, django_capture_on_commit_callbacks, settings
):
    settings.IDX_CORE_SYSTEM_ADAPTER = ""
    application = submitted_case(resident, django_capture_on_commit_callbacks)
    assert _outcomes(application)["resident_record"] == "could_not_check"
    result = application.check_run.results.get(rule_id="resident_record")
    assert result.reason == "no_adapter"
    assert not application.check_run.all_passed


def test_an_unanswering_core_system_leaves_the_check_open(resident, django_capture_on_commit_callbacks):
    answers = passing_answers()
    answers["claimant"]["name"] = UNAVAILABLE_NAME
    application = submitted_case(resident, django_capture_on_commit_callbacks, answers)
    result = application.check_run.results.get(rule_id="resident_record")
    assert (result.outcome, result.reason) == ("could_not_check", "record_unavailable")


def test_a_second_open_claim_is_a_duplicate_until_the_first_is_closed(
    resident, other_resident, clerk, django_capture_on_commit_callbacks
):
    first = submitted_case(resident, django_capture_on_commit_callbacks)
    second = submitted_case(resident, django_capture_on_commit_callbacks)
    other = submitted_case(other_resident, django_capture_on_commit_callbacks)
    assert _outcomes(second)["no_open_claim"] == "failed"
    assert second.check_run.results.get(rule_id="no_open_claim").compared == [
        {"receipt_number": first.receipt_number}
    ]
    assert _outcomes(other)["no_open_claim"] == "passed"  # another applicant's claim is not a duplicate
    application_services.application_withdraw(application=first, actor=resident)
    services.application_checks_run(application=second, actor=clerk)
    assert _outcomes(second)["no_open_claim"] == "passed"
    assert CheckRun.objects.get(application=second).ran_by == clerk


def test_staff_outside_the_department_may_not_run_the_checks(
    resident, clerk_other_department, clerk_other_municipality, django_capture_on_commit_callbacks
):
    application = submitted_case(resident, django_capture_on_commit_callbacks)
    for staff in (clerk_other_department, clerk_other_municipality):
        with pytest.raises(application_services.NotPermitted):
            services.application_checks_run(application=application, actor=staff)


def test_the_task_skips_drafts_and_a_second_run_replaces_the_first(
    resident, django_capture_on_commit_callbacks
):
    draft = make_draft(resident, answers=passing_answers())
    assert run_checks.call(draft.pk) == "skipped"
    assert run_checks.call(10**9) == "skipped"
    application = submitted_case(resident, django_capture_on_commit_callbacks)
    assert run_checks.call(application.pk) == "passed"
    assert CheckRun.objects.filter(application=application).count() == 1
    assert application.check_run.results.count() == 5
    assert AuditEntry.objects.filter(action="checks.run", target_id=str(application.public_id)).count() == 2


def test_a_procedure_without_checks_stores_nothing(resident, django_capture_on_commit_callbacks):
    from tests.conftest import submit

    with django_capture_on_commit_callbacks(execute=True):
        application = submit(application=make_draft(resident, "pregnancy-notification"), actor=resident)
    assert not CheckRun.objects.filter(application=application).exists()


# ---- the core-system adapter --------------------------------------------------------------------


def test_the_demo_record_finds_a_resident_by_name_and_date_of_birth(iga):
    adapter = DemoCoreSystem(iga)
    assert adapter.check_config() == []
    found = adapter.find_residents(name="伊賀　太郎", birth_date=dt.date(1988, 6, 15))
    assert [record.address for record in found] == ["三重県伊賀市上野丸之内116番地"]
    assert {member.name for member in found[0].household} >= {"伊賀 花子", "伊賀 一郎", "伊賀 さくら"}
    assert adapter.find_residents(name="伊賀 太郎", birth_date=dt.date(1988, 6, 16)) == []
    with pytest.raises(AdapterUnavailable):
        adapter.find_residents(name=UNAVAILABLE_NAME, birth_date=None)


def test_the_demo_record_holds_nobody_of_another_municipality(watarai):
    assert DemoCoreSystem(watarai).find_residents(name="伊賀 太郎", birth_date=None) == []


def test_addresses_and_names_compare_without_spelling_differences():
    assert normal_address("三重県伊賀市上野丸之内116番地") == normal_address("伊賀市上野丸之内 １１６")
    assert normal_address("伊賀市ゆめが丘一丁目1番地3") == normal_address("伊賀市ゆめが丘一丁目1-3")
    assert normal_address("伊賀市平野西町1番地4") != normal_address("伊賀市平野西町1番地5")
    assert same_name("Silva  Ana", "ＳＩＬＶＡ ana")
    assert not same_name("伊賀 太郎", "伊賀 次郎")


def test_the_deployment_chooses_the_adapter_from_its_own_registry(iga, settings):
    registry: Registry[CoreSystemAdapter] = Registry()

    @registry.register("fake")
    class Fake(CoreSystemAdapter):
        id = "fake"

    settings.IDX_CORE_SYSTEM_ADAPTER = "fake"
    assert isinstance(adapter_for(iga, registry=registry), Fake)
    settings.IDX_CORE_SYSTEM_ADAPTER = ""
    assert adapter_for(iga, registry=registry) is None
    settings.IDX_CORE_SYSTEM_ADAPTER = "demo"
    assert adapter_for(iga, registry=registry) is None  # not in this registry


# ---- approving in bulk ----------------------------------------------------------------------


@pytest.fixture
def passing_cases(resident, other_resident, clerk, django_capture_on_commit_callbacks):
    one = submitted_case(resident, django_capture_on_commit_callbacks)
    two = submitted_case(other_resident, django_capture_on_commit_callbacks)
    two = application_services.case_start_review(
        application=two, staff=clerk, expected_version=two.row_version
    )
    return [one, two]


def test_a_supervisor_approves_the_cases_that_passed_in_one_audited_action(supervisor, passing_cases):
    assert {case.pk for case in cases_passing_for_staff(staff=supervisor)} >= {c.pk for c in passing_cases}
    done = services.cases_approve_in_bulk(
        staff=supervisor, cases=[(case, case.row_version) for case in passing_cases], confirmed=True
    )
    assert done == 2
    for case in passing_cases:
        case.refresh_from_db()
        assert case.status == Status.APPROVED
        assert AuditEntry.objects.filter(action="application.approve", target_id=str(case.public_id)).exists()
    entry = AuditEntry.objects.get(action="checks.approve_in_bulk")
    assert entry.actor == supervisor
    assert sorted(entry.after["approved"]) == sorted(str(case.public_id) for case in passing_cases)
    assert not cases_passing_for_staff(staff=supervisor).filter(pk__in=[c.pk for c in passing_cases]).exists()


def test_bulk_approval_needs_the_second_look(supervisor, passing_cases):
    with pytest.raises(services.NotConfirmed):
        services.cases_approve_in_bulk(
            staff=supervisor, cases=[(case, case.row_version) for case in passing_cases], confirmed=False
        )
    with pytest.raises(services.NoCasesChosen):
        services.cases_approve_in_bulk(staff=supervisor, cases=[], confirmed=True)


def test_one_case_that_did_not_pass_stops_the_whole_approval(
    supervisor, resident, passing_cases, django_capture_on_commit_callbacks
):
    answers = passing_answers(moved_in_date=(timezone.localdate() - dt.timedelta(days=60)).isoformat())
    failing = submitted_case(resident, django_capture_on_commit_callbacks, answers)
    assert not failing.check_run.all_passed
    with pytest.raises(services.NotChecked):
        services.cases_approve_in_bulk(
            staff=supervisor,
            cases=[(case, case.row_version) for case in [*passing_cases, failing]],
            confirmed=True,
        )
    for case in [*passing_cases, failing]:
        case.refresh_from_db()
        assert case.status != Status.APPROVED
    assert not AuditEntry.objects.filter(action="checks.approve_in_bulk").exists()


def test_answers_changed_after_the_checks_are_not_approved_on_old_results(supervisor, passing_cases):
    from idx.applications.models import Application

    case = passing_cases[0]
    Application.objects.filter(pk=case.pk).update(answers={**case.answers, "previous_address": "変更後"})
    with pytest.raises(services.NotChecked):
        services.cases_approve_in_bulk(staff=supervisor, cases=[(case, case.row_version)], confirmed=True)


def test_a_case_changed_meanwhile_is_not_approved(supervisor, passing_cases):
    case = passing_cases[1]
    with pytest.raises(application_services.ChangedMeanwhile):
        services.cases_approve_in_bulk(staff=supervisor, cases=[(case, case.row_version - 1)], confirmed=True)


def test_only_supervisors_of_the_department_and_municipality_approve_in_bulk(
    clerk, crisis_supervisor, watarai_supervisor, passing_cases
):
    for staff in (clerk, crisis_supervisor, watarai_supervisor):
        assert not cases_passing_for_staff(staff=staff).exists()
        with pytest.raises(application_services.NotPermitted):
            services.cases_approve_in_bulk(
                staff=staff, cases=[(case, case.row_version) for case in passing_cases], confirmed=True
            )
    for case in passing_cases:
        case.refresh_from_db()
        assert case.status != Status.APPROVED
