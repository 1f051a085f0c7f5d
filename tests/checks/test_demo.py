"""The demo's claims show every outcome of the checks, and loading them twice makes nothing twice."""

from __future__ import annotations

import pytest

from idx.checks.models import CheckRun
from idx.demo.checks import load_checks


@pytest.mark.django_db
def test_the_demo_claims_pass_and_fail_as_described(iga):
    assert load_checks(iga) == 7
    found = {
        run.application.answers["claimant"]["name"]: (
            run.all_passed,
            sorted(
                (result.rule_id, result.outcome) for result in run.results.all() if result.outcome != "passed"
            ),
        )
        for run in CheckRun.objects.select_related("application").filter(municipality=iga)
    }
    assert found == {
        "上野 太郎": (True, []),
        "伊賀 太郎": (True, []),
        "Silva Ana": (True, []),
        "阿山 美咲": (False, [("resident_record", "failed")]),
        "青山 健一": (False, [("children_under_18", "failed")]),
        "名張 翔": (False, [("moved_in_within_15_days", "failed")]),
        "応答 なし": (False, [("resident_record", "could_not_check")]),
    }
    assert load_checks(iga) == 0
