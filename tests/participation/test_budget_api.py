"""The budget vote in the API with real rows, each response checked against the OpenAPI document:
a resident's own ballot (read, cast, changed; over budget 422 naming the amount; closed 409; card
403), nobody else's, and the published count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from idx.participation import services
from idx.participation.models import Ballot, PhaseKind
from tests.factories import ResidentFactory
from tests.participation.conftest import make_budget_process
from tests.participation.test_api import _call, _client

pytestmark = pytest.mark.django_db

BALLOT = "/participation/processes/yosan/ballot"


def test_a_resident_reads_casts_and_changes_her_ballot(budget_process, resident, other_resident):
    client = _client(resident)
    response, body = _call(client, "GET", BALLOT)
    assert response.status_code == 200
    assert (body["budget_total"], body["cast"], body["open"]) == (3_000_000, False, True)
    assert [(o["number"], o["cost"]) for o in body["options"]] == [
        (1, 1_200_000),
        (2, 900_000),
        (3, 2_000_000),
        (4, 600_000),
    ]
    response, body = _call(client, "PUT", BALLOT, {"proposals": [1, 2, 3]})
    assert (response.status_code, body["code"]) == (422, "over_budget")
    assert "1,100,000" in body["message"]
    response, body = _call(client, "PUT", BALLOT, {"proposals": [3, 4]})
    assert response.status_code == 200
    assert (body["cast"], body["chosen"], body["total"], body["remaining"]) == (
        True,
        [3, 4],
        2_600_000,
        400_000,
    )
    response, body = _call(client, "PUT", BALLOT, {"proposals": [1]})
    assert (body["chosen"], body["remaining"]) == ([1], 1_800_000)
    assert Ballot.objects.filter(resident=resident).count() == 1
    # Another resident sees only her own (empty) ballot.
    response, body = _call(_client(other_resident), "GET", BALLOT)
    assert (body["cast"], body["chosen"], body["total"]) == (False, [], 0)
    response, body = _call(_client(), "GET", BALLOT)
    assert response.status_code == 401


def test_a_closed_phase_and_the_card_rule_are_refused(admin, department, iga, budget_process, resident):
    phase = budget_process.phases.get(kind=PhaseKind.BUDGETING)
    phase.ends_on = timezone.localdate() - dt.timedelta(days=1)
    phase.save()
    response, body = _call(_client(resident), "PUT", BALLOT, {"proposals": [1]})
    assert (response.status_code, body["code"]) == (409, "closed")
    make_budget_process(admin, department, slug="card", need_card=True)
    mail_only = ResidentFactory(municipality=iga, email_verified_at=timezone.now(), identity_verified_at=None)
    response, body = _call(
        _client(mail_only), "PUT", "/participation/processes/card/ballot", {"proposals": [1]}
    )
    assert (response.status_code, body["code"]) == (403, "card_required")


def test_the_published_count_is_public(admin, department, iga):
    process = make_budget_process(admin, department, slug="kekka", open_budgeting=False)
    phase = process.phases.get(kind=PhaseKind.BUDGETING)
    for numbers in ([3], [3, 4], [1, 2]):
        voter = ResidentFactory(municipality=iga, email_verified_at=timezone.now())
        services.ballot_cast(process=process, resident=voter, numbers=numbers, today=phase.starts_on)
    path = "/participation/processes/kekka/budget-results"
    services.budget_count(staff=admin, phase=phase)
    response, _body = _call(_client(), "GET", path)
    assert response.status_code == 404, "not before it is published"
    tally = services.budget_publish(staff=admin, phase=phase)
    response, body = _call(_client(), "GET", path)
    assert response.status_code == 200
    assert (body["ballots"], body["sha256"], body["budget_used"]) == (3, tally.digest, 2_600_000)
    assert [(i["number"], i["votes"], i["funded"]) for i in body["items"]] == [
        (3, 2, True),
        (4, 1, True),
        (2, 1, False),
        (1, 1, False),
    ]
