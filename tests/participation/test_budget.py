"""Participatory budgeting: a ballot per resident within the budget, changed until the phase ends,
refused with a clear message after; the count by the published rule, reproducible from the
ballots' canonical list (a changed ballot row shows on recount); the results as open data."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from idx.audit.models import AuditEntry
from idx.participation import selectors, services
from idx.participation.models import Ballot, BallotChoice, BudgetTally, Phase, PhaseKind, Proposal
from tests.factories import ResidentFactory
from tests.participation.conftest import BUDGET, make_budget_process

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _phase(process) -> Phase:
    return process.phases.get(kind=PhaseKind.BUDGETING)


def _voters(iga, count):
    return [ResidentFactory(municipality=iga, email_verified_at=timezone.now()) for _ in range(count)]


def test_a_budgeting_phase_needs_its_budget(admin, department):
    today = timezone.localdate()
    with pytest.raises(services.ParticipationRefused) as refused:
        services.process_create(
            staff=admin,
            department=department,
            slug="no-budget",
            titles={"ja": "予算なし"},
            descriptions={},
            phases=[("budgeting", today, today + 5 * DAY, {})],
        )
    assert refused.value.field == "budget_total"


def test_a_ballot_within_the_budget_is_cast_and_audited(budget_process, resident):
    ballot = services.ballot_cast(process=budget_process, resident=resident, numbers=[1, 2, 4])
    assert ballot.total == 1_200_000 + 900_000 + 600_000
    assert selectors.ballot_numbers(selectors.ballot_of(phase=_phase(budget_process), resident=resident)) == [
        1,
        2,
        4,
    ]
    entry = AuditEntry.objects.filter(action="participation.ballot_cast").latest("id")
    assert entry.after["proposals"] == [1, 2, 4] and entry.after["total"] == 2_700_000


def test_over_the_budget_is_refused_naming_the_amount_over(budget_process, resident):
    with pytest.raises(services.ParticipationRefused) as refused:
        services.ballot_cast(process=budget_process, resident=resident, numbers=[1, 2, 3])
    assert refused.value.code == "over_budget" and refused.value.field == "proposals"
    assert refused.value.params["over"] == 1_200_000 + 900_000 + 2_000_000 - BUDGET
    assert "1,100,000" in refused.value.text()
    assert not Ballot.objects.filter(resident=resident).exists()


def test_an_empty_ballot_or_a_proposal_not_on_the_ballot_is_refused(budget_process, resident, admin):
    with pytest.raises(services.ParticipationRefused, match="1件以上"):
        services.ballot_cast(process=budget_process, resident=resident, numbers=[])
    with pytest.raises(services.ParticipationRefused) as refused:
        services.ballot_cast(process=budget_process, resident=resident, numbers=[99])
    assert refused.value.field == "proposals"
    # A hidden proposal is off the ballot.
    services.moderation_hide(
        staff=admin, target=Proposal.objects.get(process=budget_process, number=4), reason="重複"
    )
    with pytest.raises(services.ParticipationRefused):
        services.ballot_cast(process=budget_process, resident=resident, numbers=[4])


def test_a_ballot_changes_until_the_phase_ends_then_is_final(budget_process, resident):
    phase = _phase(budget_process)
    services.ballot_cast(process=budget_process, resident=resident, numbers=[1])
    ballot = services.ballot_cast(process=budget_process, resident=resident, numbers=[3, 4])
    assert (ballot.total, ballot.changes) == (2_600_000, 1)
    assert Ballot.objects.filter(phase=phase, resident=resident).count() == 1
    assert sorted(BallotChoice.objects.filter(ballot=ballot).values_list("proposal__number", flat=True)) == [
        3,
        4,
    ]
    change = AuditEntry.objects.filter(action="participation.ballot_change").latest("id")
    assert change.before["proposals"] == [1] and change.after["proposals"] == [3, 4]
    with pytest.raises(services.ParticipationRefused) as refused:
        services.ballot_cast(
            process=budget_process, resident=resident, numbers=[1], today=phase.ends_on + DAY
        )
    assert refused.value.code == "closed" and refused.value.http_status == 409
    assert "終了しました" in refused.value.text()
    assert sorted(BallotChoice.objects.filter(ballot=ballot).values_list("proposal__number", flat=True)) == [
        3,
        4,
    ]


def test_the_card_rule_of_the_process_applies_to_voting(admin, department, iga, card_resident):
    process = make_budget_process(admin, department, slug="card-yosan", need_card=True)
    mail_only = ResidentFactory(municipality=iga, email_verified_at=timezone.now(), identity_verified_at=None)
    with pytest.raises(services.ParticipationRefused) as refused:
        services.ballot_cast(process=process, resident=mail_only, numbers=[1])
    assert refused.value.code == "card_required" and refused.value.http_status == 403
    assert services.ballot_cast(process=process, resident=card_resident, numbers=[1]).total == 1_200_000
    unverified = ResidentFactory(municipality=iga, email_verified_at=None, identity_verified_at=None)
    open_process = make_budget_process(admin, department, slug="open-yosan")
    with pytest.raises(services.ParticipationRefused) as refused:
        services.ballot_cast(process=open_process, resident=unverified, numbers=[1])
    assert refused.value.code == "not_verified"


def test_the_cost_is_fixed_once_voting_started(budget_process, admin):
    proposal = Proposal.objects.get(process=budget_process, number=1)
    with pytest.raises(services.ParticipationRefused):
        services.proposal_cost_set(staff=admin, proposal=proposal, cost=1)


def _cast_closed(admin, department, iga, slug="kekka"):
    """A phase that ended yesterday with 6 ballots: 4 votes for #3, 3 for #1, 3 for #2, 2 for #4."""
    today = timezone.localdate()
    process = make_budget_process(admin, department, slug=slug, open_budgeting=False)
    during = _phase(process).starts_on + DAY
    for voter, numbers in zip(_voters(iga, 6), [[3], [3], [3, 4], [3], [1, 2, 4], [1, 2]], strict=True):
        services.ballot_cast(process=process, resident=voter, numbers=numbers, today=during)
    services.ballot_cast(process=process, resident=_voters(iga, 1)[0], numbers=[1, 2], today=during)
    assert _phase(process).ends_on < today
    return process


def test_the_count_follows_the_rule_and_is_exact(admin, department, iga):
    process = _cast_closed(admin, department, iga)
    phase = _phase(process)
    tally = services.budget_count(staff=admin, phase=phase)
    # Votes: #3 4, #1 3, #2 3, #4 2. #1 and #2 tie: the cheaper (#2, 900,000) ranks first.
    assert [(row["number"], row["votes"], row["funded"]) for row in tally.rows] == [
        (3, 4, True),  # 2,000,000 -> 1,000,000 left
        (2, 3, True),  # 900,000 -> 100,000 left
        (1, 3, False),  # 1,200,000 does not fit
        (4, 2, False),  # 600,000 does not fit
    ]
    assert (tally.ballots, tally.budget_used, tally.budget_left) == (7, 2_900_000, 100_000)
    assert tally.digest == hashlib.sha256(services.ballots_canonical(phase=phase).encode()).hexdigest()
    assert services.budget_recount(phase=phase).ok
    assert selectors.tally_of(phase=phase) is None, "not public before its second look"
    services.budget_publish(staff=admin, phase=phase)
    assert selectors.tally_of(phase=phase).is_published
    with pytest.raises(services.ParticipationRefused):
        services.budget_count(staff=admin, phase=phase)


def test_counting_waits_for_the_phase_to_end_and_needs_the_department(budget_process, admin, foreign_admin):
    with pytest.raises(services.ParticipationRefused) as refused:
        services.budget_count(staff=admin, phase=_phase(budget_process))
    assert refused.value.code == "closed"
    with pytest.raises(services.NotFound):
        services.budget_count(staff=foreign_admin, phase=_phase(budget_process))


@pytest.mark.parametrize("tamper", ["add", "remove", "move"])
def test_the_recount_shows_a_tampered_ballot(admin, department, iga, tamper):
    process = _cast_closed(admin, department, iga, slug=f"tamper-{tamper}")
    phase = _phase(process)
    services.budget_count(staff=admin, phase=phase)
    ballot = Ballot.objects.filter(phase=phase).order_by("id").first()
    if tamper == "add":
        BallotChoice.objects.create(
            ballot=ballot, proposal=Proposal.objects.get(process=process, number=4), cost=600_000
        )
    elif tamper == "remove":
        BallotChoice.objects.filter(ballot=ballot).delete()
    else:
        BallotChoice.objects.filter(ballot=ballot).update(
            proposal=Proposal.objects.get(process=process, number=1)
        )
    recount = services.budget_recount(phase=phase)
    assert not recount.ok and not recount.digest_matches
    assert recount.digest != recount.kept_digest


def test_the_results_are_in_the_open_data_csv(admin, department, iga):
    process = _cast_closed(admin, department, iga, slug="csv")
    phase = _phase(process)
    services.budget_count(staff=admin, phase=phase)
    text = services.results_csv(process).decode("utf-8-sig")
    assert "予算投票の票数" in text.splitlines()[0]
    assert "予算内で実施" not in text, "not in the open data before it is published"
    services.budget_publish(staff=admin, phase=phase)
    lines = services.results_csv(process).decode("utf-8-sig").splitlines()
    by_title = {line.split(",")[1]: line for line in lines[1:]}
    assert by_title["図書館に子ども用の読書室"].endswith(",2000000,4,予算内で実施")
    assert by_title["公園に日よけ付きのベンチ"].endswith(",1200000,3,予算外")
    process.refresh_from_db()
    assert process.results_published_at is not None


def test_ballots_never_cross_residents_or_municipalities(
    budget_process, resident, other_resident, watarai_resident
):
    phase = _phase(budget_process)
    services.ballot_cast(process=budget_process, resident=resident, numbers=[1])
    assert selectors.ballot_of(phase=phase, resident=other_resident) is None
    assert selectors.ballot_of(phase=phase, resident=watarai_resident) is None
    with pytest.raises(services.ParticipationRefused):
        services.ballot_cast(process=budget_process, resident=watarai_resident, numbers=[1])
    assert BudgetTally.objects.count() == 0


def test_the_recount_command_verifies_and_fails_on_tampering(admin, department, iga):
    from io import StringIO

    from django.core.management import CommandError, call_command

    process = _cast_closed(admin, department, iga, slug="command")
    phase = _phase(process)
    services.budget_count(staff=admin, phase=phase)
    out = StringIO()
    call_command("budget_recount", iga.slug, "command", "--canonical", stdout=out)
    text = out.getvalue()
    assert "the recount matches" in text and "budget:3000000" in text
    assert hashlib.sha256(text.split("ballots:")[0].encode()).hexdigest() in text
    BallotChoice.objects.filter(ballot__phase=phase).order_by("id").first().delete()
    with pytest.raises(CommandError, match="differs"):
        call_command("budget_recount", iga.slug, "command", stdout=StringIO())
