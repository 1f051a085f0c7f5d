"""Budget vote pages: the ballot without JavaScript (over budget names the amount over and keeps
the choices; a second look shows the total and what remains; closed and card refusals), the
published results, and staff counting and publishing after a second look, in their department."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from idx.participation import services
from idx.participation.models import Ballot, BudgetTally, PhaseKind
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in
from tests.factories import ResidentFactory
from tests.participation.conftest import make_budget_process

pytestmark = pytest.mark.django_db

URL = "/participation/yosan/budget/"


def _text(response) -> str:
    return response.content.decode()


def test_the_ballot_journey_without_javascript(budget_process, resident):
    client = signed_in(resident)
    page = _text(client.get(URL))
    assert 'type="checkbox" name="p" value="1"' in page and "1,200,000円" in page and "3,000,000円" in page
    # Over the budget: the amount over is named, the choices stay checked, nothing is cast.
    response = client.post(URL, {"p": ["1", "2", "3"]})
    assert response.status_code == 400
    page = _text(response)
    assert "1,100,000円超えています" in page
    assert page.count("checked") == 3 and 'id="error-summary"' in page
    assert "4,100,000円" in page, "the running total is shown after sending"
    assert not Ballot.objects.exists()
    # Within: a second look with the total and what remains, not yet cast.
    page = _text(client.post(URL, {"p": ["1", "4"]}))
    assert "1,800,000円" in page and "1,200,000円" in page and 'name="p" value="4"' in page
    assert not Ballot.objects.exists()
    response = client.post(f"{URL}cast/", {"p": ["1", "4"]})
    assert response.status_code == 302
    ballot = Ballot.objects.get(resident=resident)
    assert ballot.total == 1_800_000
    page = _text(client.get(URL, follow=True))
    assert 'id="my-ballot"' in page and page.count("checked") == 2


def test_the_theme_page_leads_to_the_ballot(budget_process):
    page = _text(Client(HTTP_HOST=IGA_HOST).get("/participation/yosan/"))
    assert 'href="/participation/yosan/budget/"' in page and "3,000,000円" in page


def test_signed_out_sees_the_ballot_but_is_asked_to_sign_in(budget_process):
    client = Client(HTTP_HOST=IGA_HOST)
    page = _text(client.get(URL))
    assert "ログインして投票する" in page and "投票内容を確認する" not in page
    assert client.post(f"{URL}cast/", {"p": ["1"]}).status_code == 302
    assert not Ballot.objects.exists()


def test_the_card_rule_shows_on_the_page_and_refuses(admin, department, iga):
    make_budget_process(admin, department, slug="card", need_card=True)
    mail_only = ResidentFactory(municipality=iga, email_verified_at=timezone.now(), identity_verified_at=None)
    client = signed_in(mail_only)
    page = _text(client.get("/participation/card/budget/"))
    assert "マイナンバーカードでのログインが必要です" in page
    response = client.post("/participation/card/budget/cast/", {"p": ["1"]}, follow=True)
    assert "マイナンバーカードでのログインが必要です" in _text(response)
    assert not Ballot.objects.exists()


def test_after_the_phase_a_vote_is_refused_with_its_dates(budget_process, resident):
    phase = budget_process.phases.get(kind=PhaseKind.BUDGETING)
    phase.ends_on = timezone.localdate() - dt.timedelta(days=1)
    phase.save()
    client = signed_in(resident)
    page = _text(client.get(URL))
    assert "の受付は" in page and "終了しました" in page and "disabled" in page
    response = client.post(f"{URL}cast/", {"p": ["1"]}, follow=True)
    assert "終了しました" in _text(response)
    assert not Ballot.objects.exists()


def test_a_resident_never_sees_another_residents_ballot(budget_process, resident, other_resident):
    services.ballot_cast(process=budget_process, resident=resident, numbers=[3])
    page = _text(signed_in(other_resident).get(URL))
    assert 'id="my-ballot"' not in page and "checked" not in page
    assert Client(HTTP_HOST=WATARAI_HOST).get(URL).status_code == 404


def test_staff_count_then_publish_after_a_second_look(admin, department, iga, foreign_admin):
    process = make_budget_process(admin, department, slug="kekka", open_budgeting=False)
    phase = process.phases.get(kind=PhaseKind.BUDGETING)
    for numbers in ([3], [3, 4], [1, 2]):
        voter = ResidentFactory(municipality=iga, email_verified_at=timezone.now())
        services.ballot_cast(process=process, resident=voter, numbers=numbers, today=phase.starts_on)
    client = signed_in(admin)
    url = f"/staff/participation/processes/{process.pk}/budget/"
    assert signed_in(foreign_admin).get(url).status_code == 404
    page = _text(client.get(url))
    assert 'id="ballots-cast">3<' in page and 'value="count"' in page
    assert client.post(url, {"action": "count"}).status_code == 302
    assert Client(HTTP_HOST=IGA_HOST).get("/participation/kekka/budget/results/").status_code == 404
    page = _text(client.post(url, {"action": "recount"}))
    assert "一致しました" in page
    assert "図書館に子ども用の読書室" in _text(client.get(f"{url}publish/"))
    assert client.post(f"{url}publish/").status_code == 302
    assert BudgetTally.objects.get(phase=phase).is_published
    page = _text(Client(HTTP_HOST=IGA_HOST).get("/participation/kekka/budget/results/"))
    assert "予算内で実施" in page and "予算外" in page and "2票" in page
    assert BudgetTally.objects.get(phase=phase).digest in page
    assert "票数の多い順" in page or "得票数の多い順" in page


def test_staff_set_a_cost_estimate_before_voting(admin, process, proposal):
    client = signed_in(admin)
    url = f"/staff/participation/proposals/{proposal.pk}/"
    response = client.post(url, {"form": "cost", "estimated_cost": "千円"})
    assert response.status_code == 400 and "1円以上" in _text(response)
    assert client.post(url, {"form": "cost", "estimated_cost": "1,500,000"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.estimated_cost == 1_500_000
