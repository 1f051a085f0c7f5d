"""The load test's workload runs clean on the reference topology: a few users of every kind for
about 15 seconds, and not one failed request (bench/load/; the measurements are docs/capacity.md's).

Uses the session's topology (tests/topology/conftest.py); prepares its own residents, tokens and
pending payments in that topology's database with bench/load/prepare.py.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.topology

REPO = Path(__file__).resolve().parents[2]
LOAD = REPO / "bench" / "load"
LOCUST = Path(sys.executable).parent / "locust"


@pytest.fixture
def topo(request: pytest.FixtureRequest) -> Any:
    for name in ("topology", "topo", "reference_topology"):
        try:
            return request.getfixturevalue(name)
        except pytest.FixtureLookupError:
            continue
    pytest.skip("no topology fixture in tests/topology/conftest.py")


def test_mixed_workload_runs_without_a_failure(topo: Any, tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(LOAD / "prepare.py"),
            "--out",
            str(data),
            "--portal-url",
            topo.portal_url,
            "--backoffice-url",
            topo.backoffice_url,
            "--residents",
            "20",
            "--webhooks",
            "60",
            "--fix-payment-url",
        ],
        env=topo.env(),
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=60,
    )
    prefix = tmp_path / "smoke"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("IDX_", "DJANGO_"))},
        "IDX_LOAD_DATA": str(data),
        "IDX_LOAD_SCENARIO": "mixed",
    }
    finished = subprocess.run(  # noqa: S603
        [
            str(LOCUST),
            "-f",
            str(LOAD / "locustfile.py"),
            "--headless",
            "-u",
            "12",
            "-r",
            "3",  # one after another: a cold node's first requests are slow
            "-t",
            "15s",
            "--stop-timeout",
            "3",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
        failures = list(csv.DictReader(handle))
    total = rows.pop("Aggregated")
    assert failures == [], failures
    assert int(total["Failure Count"]) == 0, finished.stdout[-2000:]
    assert int(total["Request Count"]) > 20, finished.stdout[-2000:]
    classes = {name.split("]")[0].lstrip("[") for name in rows}
    assert {"browse", "apply"} <= classes, sorted(rows)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
