"""Applications ask about fees through the checks the payments app registers, and import no payments."""

from __future__ import annotations

import ast
from pathlib import Path

import idx.applications
from idx.applications.fees import NO_FEES, FeeChecks, fee_checks


def test_applications_import_nothing_of_payments():
    package = Path(idx.applications.__file__).parent
    found = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {name}" for name in names if name.startswith("idx.payments")]
    assert found == []


def test_the_payments_app_registers_its_checks():
    checks = fee_checks()
    assert isinstance(checks, FeeChecks) and checks is not NO_FEES
    assert checks.due_before_submission.__module__ == "idx.payments.selectors"
