"""Fixtures of the participation tests: a department administrator of 市民生活課 and a theme whose
proposals phase is open today (supports too), one proposal in it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from idx.identity.models import Department, Role
from idx.participation import services
from tests.factories import ResidentFactory, StaffFactory

DAY = dt.timedelta(days=1)


@pytest.fixture
def department(iga):
    return Department.objects.get(municipality=iga, code="shimin-seikatsu")


@pytest.fixture
def admin(iga, department):
    """市民生活課's head: MANAGE_PARTICIPATION and MODERATE over 市民生活課."""
    return StaffFactory(
        municipality=iga, department=department, role=Role.DEPARTMENT_ADMIN, full_name="市民生活課 課長"
    )


@pytest.fixture
def foreign_admin(iga):
    """The head of こども家庭課: no power over 市民生活課's themes."""
    return StaffFactory(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="kodomo-katei"),
        role=Role.DEPARTMENT_ADMIN,
    )


def make_process(
    admin,
    department,
    *,
    slug="akiya",
    need_card=False,
    limit=10,
    publish=True,
    phases=None,
    budget_total=None,
):
    today = timezone.localdate()
    process = services.process_create(
        staff=admin,
        department=department,
        slug=slug,
        titles={"ja": "上野地区の空き家活用", "en": "Empty houses in Ueno"},
        descriptions={"ja": "空き家の使い方を募集します。"},
        phases=phases
        or [
            ("information", today - 20 * DAY, today - 11 * DAY, {}),
            ("proposals", today - 10 * DAY, today + 10 * DAY, {"ja": "どなたでも提案できます。"}),
            ("results", today + 11 * DAY, today + 40 * DAY, {}),
        ],
        supports_need_card=need_card,
        supports_per_resident=limit,
        budget_total=budget_total,
    )
    if publish:
        services.process_publish(staff=admin, process=process)
    process.refresh_from_db()
    return process


@pytest.fixture
def process(admin, department):
    return make_process(admin, department)


@pytest.fixture
def proposal(process, resident):
    return services.proposal_create(
        process=process,
        author=resident,
        title="空き家を子育て世帯のお試し住宅に",
        body="市が借り上げて貸してください。",
    )


@pytest.fixture
def card_resident(iga):
    return ResidentFactory(municipality=iga, identity_verified_at=timezone.now(), email_verified_at=None)


BUDGET = 3_000_000
# (title, estimated cost in yen)
BUDGET_PROPOSALS = [
    ("公園に日よけ付きのベンチ", 1_200_000),
    ("通学路に防犯灯を増やす", 900_000),
    ("図書館に子ども用の読書室", 2_000_000),
    ("駅前に駐輪場の屋根", 600_000),
]


def make_budget_process(
    admin, department, *, slug="yosan", need_card=False, open_budgeting=True, author=None
):
    """A theme whose proposals phase is over and whose budgeting phase is open today (or ended
    yesterday when ``open_budgeting`` is false), with four proposals that have cost estimates."""
    today = timezone.localdate()
    shift = 0 if open_budgeting else -20
    process = make_process(
        admin,
        department,
        slug=slug,
        need_card=need_card,
        phases=[
            ("proposals", today - 60 * DAY, today - 31 * DAY, {}),
            ("budgeting", today + (shift - 10) * DAY, today + (shift + 10 + (-1 if shift else 0)) * DAY, {}),
            ("results", today + (shift + 11) * DAY, today + 90 * DAY, {}),
        ],
        budget_total=BUDGET,
    )
    author = author or ResidentFactory(municipality=process.municipality, email_verified_at=timezone.now())
    for title, cost in BUDGET_PROPOSALS:
        proposal = services.proposal_create(
            process=process, author=author, title=title, body="本文です。", today=today - 40 * DAY
        )
        services.proposal_cost_set(staff=admin, proposal=proposal, cost=cost, today=today - 35 * DAY)
    process.refresh_from_db()
    return process


@pytest.fixture
def budget_process(admin, department):
    return make_budget_process(admin, department)
