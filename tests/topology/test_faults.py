"""Fault tests on the reference topology (bench/faults/): a portal node killed, a worker killed
mid-batch, PostgreSQL restarted, Redis away for 60 s, each under a mixed load, each leaving the
topology whole again for the next test. Each script runs in its own process against the session's
topology (``--attach``); the e-mails it makes are counted here, in the session's mailbox: each
address exactly once. Redis away for 300 s is run by hand (bench/faults/README.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.topology

FAULTS = Path(__file__).resolve().parents[2] / "bench" / "faults"


def _run(topology: Any, script: str, *args: str, tmp_path: Path, timeout: float) -> dict[str, Any]:
    out = tmp_path / f"{script}.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("IDX_", "DJANGO_"))}
    finished = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(FAULTS / f"{script}.py"),
            "--attach",
            str(topology.workdir),
            "--json",
            str(out),
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    print(finished.stdout[-4000:], finished.stderr[-4000:])
    assert out.exists(), finished.stderr[-4000:]
    figures: dict[str, Any] = json.loads(out.read_text())
    assert finished.returncode == 0, figures["violations"]
    return figures


def _arrived_once(mailbox: Any, prefix: str, expected: int) -> None:
    seen = Counter(
        address for mail in list(mailbox.messages) for address in mail.to if address.startswith(prefix)
    )
    assert len(seen) == expected
    assert [address for address, count in seen.items() if count > 1] == []


def test_a_killed_portal_node_is_routed_around(topology: Any, tmp_path: Path) -> None:
    _run(
        topology,
        "kill_web_node",
        "--down",
        "10",
        "--submitters",
        "4",
        "--browsers",
        "2",
        tmp_path=tmp_path,
        timeout=240,
    )


def test_a_worker_killed_mid_batch_delivers_every_message_once(
    topology: Any, topology_mailbox: Any, tmp_path: Path
) -> None:
    figures = _run(topology, "kill_worker", "--messages", "300", tmp_path=tmp_path, timeout=480)
    _arrived_once(topology_mailbox, figures["message_prefix"], 300)


def test_a_postgresql_restart_answers_503_and_recovers_alone(topology: Any, tmp_path: Path) -> None:
    _run(
        topology,
        "restart_postgres",
        "--down",
        "8",
        "--submitters",
        "4",
        "--browsers",
        "2",
        tmp_path=tmp_path,
        timeout=240,
    )


def test_redis_away_for_a_minute_loses_no_message(
    topology: Any, topology_mailbox: Any, tmp_path: Path
) -> None:
    figures = _run(
        topology, "redis_outage", "--seconds", "60", "--submitters", "1", tmp_path=tmp_path, timeout=600
    )
    _arrived_once(topology_mailbox, figures["message_prefix"], 400)
