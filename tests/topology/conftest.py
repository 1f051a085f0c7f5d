"""The reference topology (deploy/topology.py), started once for the session in a temporary folder
on a free range of ports, with the demo's data; and a browser for the journeys through it.

These tests run in their own step of scripts/test.sh (``pytest -m topology -p no:xdist``): the
topology is a dozen processes, started once.
"""

from __future__ import annotations

import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from e2e_support import CHROMIUM_ARGS, CHROMIUM_PATH, Mailbox  # noqa: E402
from tests.servers import free_port  # noqa: E402

from topology import Topology, free_base_port, remove_workdir  # noqa: E402


@pytest.fixture(scope="session")
def topology_mailbox() -> Iterator[Mailbox]:
    """A real SMTP server the topology's workers send their e-mail to."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def topology(topology_mailbox: Mailbox) -> Iterator[Topology]:
    # A run stopped with SIGTERM (a CI time limit) still stops the topology's processes.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="idx-topology-"))
    topo = Topology(workdir=workdir, base_port=free_base_port(), seed=True, email_port=topology_mailbox.port)
    try:
        with topo:
            yield topo
    finally:
        remove_workdir(workdir)
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@pytest.fixture(scope="session")
def topology_browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def topology_context(topology_browser: Any) -> Iterator[Any]:
    """A factory of fresh browser contexts (one per person) on a given address."""
    contexts: list[Any] = []

    def make(base_url: str, width: int, height: int) -> Any:
        context = topology_browser.new_context(
            viewport={"width": width, "height": height}, base_url=base_url, locale="ja-JP"
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
