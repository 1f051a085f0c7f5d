"""Server errors that schemathesis found in the API (README, "API fuzzing"), kept fixed."""

from __future__ import annotations

import pytest

HUGE = "71314871947912195714190947404218368"


@pytest.mark.parametrize(
    "query",
    [f"offset={HUGE}&limit=11741235858", "offset=14622264442012012544", f"limit={HUGE}", f"offset=-{HUGE}"],
)
def test_huge_paging_numbers_do_not_overflow_the_database(resident_client, resident, query):
    from tests.conftest import make_draft

    make_draft(resident)
    response = resident_client.get(f"/api/v1/applications?{query}")
    assert response.status_code == 200
    assert isinstance(response.json(), list)


def test_huge_paging_numbers_in_the_staff_case_list(clerk_client):
    response = clerk_client.get(f"/api/v1/staff/cases?offset={HUGE}&limit={HUGE}")
    assert response.status_code == 200
