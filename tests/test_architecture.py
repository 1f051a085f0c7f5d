"""What the import contracts cannot say: no module reaches into another module's private names.

A name starting with ``_`` is that module's own business; a caller elsewhere that needs it asks
for a public name (and the module then promises to keep it). The layer and cycle rules are in
``[tool.importlinter]`` of pyproject.toml and run as ``lint-imports`` in .ci/run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "idx"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def private_imports() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        importer = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if not node.module.startswith("idx") or node.module == importer:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{importer}:{node.lineno} imports {alias.name} from {node.module}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    assert private_imports() == []


def test_the_check_sees_a_private_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The scan must be able to fail: a planted private import is reported.
    package = tmp_path / "idx" / "example"
    package.mkdir(parents=True)
    (package / "caller.py").write_text("from idx.example.helpers import _secret\n", encoding="utf-8")
    monkeypatch.setattr(__name__ + ".SOURCE", tmp_path / "idx")
    assert private_imports() == ["idx.example.caller:1 imports _secret from idx.example.helpers"]
