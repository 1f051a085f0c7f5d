"""The container deployment files (deploy/): no container engine runs here, so what can be checked
without one is: compose.yaml parses, every IDX node's setting is a documented variable, and HAProxy
accepts the reference configuration and the compose file's."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def _documented() -> set[str]:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", text))


def _idx_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if "idx" in str(service.get("image", "")) or "Containerfile" in str(service.get("build", ""))
    }


def test_compose_has_every_tier():
    services = _compose()["services"]
    for name in (
        "postgres",
        "redis",
        "minio",
        "portal-1",
        "portal-2",
        "backoffice-1",
        "worker-1",
        "worker-2",
        "haproxy",
    ):
        assert name in services, name
    roles = {name: service["environment"]["IDX_ROLE"] for name, service in _idx_services(_compose()).items()}
    assert roles["portal-1"] == roles["portal-2"] == "portal"
    assert roles["backoffice-1"] == "backoffice"
    assert roles["worker-1"] == roles["worker-2"] == "worker"


def test_every_setting_of_the_nodes_is_documented():
    documented = _documented()
    services = _idx_services(_compose())
    assert len(services) >= 6
    for name, service in services.items():
        for variable in service["environment"]:
            base = variable.removesuffix("_FILE")  # a secret read from a file: <NAME>_FILE
            assert variable in documented or base in documented, (
                f"{name}: {variable} is not in docs/configuration.md"
            )


def test_nodes_share_one_configuration_and_the_back_office_is_internal():
    services = _idx_services(_compose())
    shared = {key: value for key, value in services["portal-1"]["environment"].items() if key != "IDX_ROLE"}
    for name in ("portal-2", "worker-1", "worker-2"):
        assert {k: v for k, v in services[name]["environment"].items() if k != "IDX_ROLE"} == shared, name
    assert services["portal-1"]["environment"]["IDX_STORAGE"] == "s3"
    assert services["portal-1"]["environment"]["IDX_TASK_BACKEND"] == "rq"
    # Only the balancer publishes ports, and the back office only on loopback (the internal side).
    published = {
        name: service.get("ports", [])
        for name, service in _compose()["services"].items()
        if service.get("ports")
    }
    assert list(published) == ["haproxy"]
    assert all(port.startswith("127.0.0.1:") for port in published["haproxy"])


def _haproxy_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HAPROXY, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30, check=False
    )  # noqa: S603


@pytest.mark.skipif(not Path(HAPROXY).exists(), reason="HAProxy is not installed")
def test_haproxy_accepts_the_reference_configuration():
    result = _haproxy_check(DEPLOY / "haproxy.cfg")
    assert result.returncode == 0, result.stdout + result.stderr
    text = (DEPLOY / "haproxy.cfg").read_text(encoding="utf-8")
    assert "retry-on conn-failure empty-response response-timeout" in text
    assert "uri /readyz" in text
    assert "disable-l7-retry unless { method GET HEAD OPTIONS }" in text  # a POST is never sent twice
    # The telework path: client certificates of the municipality's devices, staff paths only.
    assert "verify required" in text and "/api/v1/staff/" in text


@pytest.mark.skipif(not Path(HAPROXY).exists(), reason="HAProxy is not installed")
def test_haproxy_accepts_the_compose_configuration(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(_compose()["configs"]["haproxy_cfg"]["content"], encoding="utf-8")
    result = _haproxy_check(config)
    assert result.returncode == 0, result.stdout + result.stderr


def test_containerfile_runs_as_a_user_and_serves():
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM debian:bookworm-slim" in text
    assert "python3.11" in text
    assert re.search(r"^USER idx$", text, re.MULTILINE)
    assert "idx serve" in text and "IDX_ROLE" in text
