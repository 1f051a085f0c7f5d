from __future__ import annotations

import pytest

from idx.common.models import Municipality
from idx.demo.dxplan import load_dx_plan
from idx.dxplan.models import Initiative
from idx.identity.models import User


@pytest.fixture
def iga_plan(iga: Municipality) -> Municipality:
    """伊賀市's demo plan: 3 basic policies, 11 initiatives, notes of past quarters, its open dataset."""
    accounts = load_dx_plan(iga, staff_domain="staff.iga.example.jp")
    assert [email for _name, email, _what in accounts] == ["jumin-admin@staff.iga.example.jp"]
    return iga


@pytest.fixture
def jumin_admin(iga_plan: Municipality) -> User:
    """住民課's head (department administrator), who keeps 住民課's initiatives."""
    return User.objects.select_related("department", "municipality").get(
        municipality=iga_plan, email="jumin-admin@staff.iga.example.jp"
    )


@pytest.fixture
def assisted_counter(iga_plan: Municipality) -> Initiative:
    """書かない窓口, owned by 住民課."""
    return Initiative.objects.select_related("owner", "municipality").get(
        municipality=iga_plan, code="assisted-counter"
    )


@pytest.fixture
def online_procedures(iga_plan: Municipality) -> Initiative:
    """行政手続のオンライン化, owned by デジタル自治推進局."""
    return Initiative.objects.select_related("owner", "municipality").get(
        municipality=iga_plan, code="online-procedures"
    )
