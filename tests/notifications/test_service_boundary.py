"""The notification service is called by the domains and knows none of them: no module of
``idx.notifications`` imports applications, assist, booking, procedures or payments. The
domains declare their message purposes and daily reminders through its registration calls."""

from __future__ import annotations

import ast
from pathlib import Path

from idx.notifications.reminders import SENDERS
from idx.notifications.services import PLACEHOLDERS, template_problems

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "idx" / "notifications"
CLIENTS = ("applications", "assist", "booking", "procedures", "payments")


def client_imports(package: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            for name in names:
                parts = name.split(".")
                if len(parts) > 1 and parts[0] == "idx" and parts[1] in CLIENTS:
                    found.append(f"{path.relative_to(package)}:{node.lineno} imports {name}")
    return found


def test_notifications_import_no_client_domain() -> None:
    assert client_imports() == []


def test_the_scan_sees_a_client_import(tmp_path: Path) -> None:
    (tmp_path / "planted.py").write_text("def f():\n    from idx.applications.models import Application\n")
    assert client_imports(tmp_path) == ["planted.py:2 imports idx.applications.models"]


def test_the_domains_register_their_purposes_and_reminders() -> None:
    assert {"alert", "application_status", "inquiry", "booking_confirmation"} <= set(PLACEHOLDERS)
    assert template_problems("application_status", "{name}: {receipt_number} {status}") == []
    assert template_problems("inquiry", "{tracking_number} {answer}") == []
    assert any(send.__module__ == "idx.applications.reminders" for send in SENDERS)
