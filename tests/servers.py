"""Waiting for a real server started by a test: the browser tests, the two-demo test and the
API contract run each start `idx serve` or `idx demo` on a free loopback port and wait for it here."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(
    base_url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60, interval: float = 0.3
) -> None:
    """Return once ``/healthz`` answers 200; raise with the end of the server's log if the process
    exits first or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server at {base_url} exited early ({process.returncode}):\n{log.read_text()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(interval)
    raise RuntimeError(
        f"the server at {base_url} did not become healthy within {timeout:.0f}s:\n{log.read_text()[-4000:]}"
    )
