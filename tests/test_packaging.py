"""``pip install`` gives compiled translations: the wheel carries a .mo beside every .po."""

from __future__ import annotations

import gettext
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_compiled_catalogs(tmp_path):
    # A copy of the project as a fresh clone has it: sources and catalogs, no compiled *.mo.
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "src",
        project / "src",
        ignore=shutil.ignore_patterns("*.mo", "__pycache__", "*.egg-info", "*.pyc"),
    )
    assert not list((project / "src").glob("**/*.mo"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            ".",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = tmp_path.glob("idx-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        catalogs = sorted(name for name in names if name.endswith("/django.po"))
        assert len(catalogs) >= 8
        for po_name in catalogs:
            assert po_name[:-3] + ".mo" in names, po_name
        japanese = gettext.GNUTranslations(io.BytesIO(archive.read("idx/locale/ja/LC_MESSAGES/django.mo")))
        assert japanese.gettext("Sign in") != "Sign in"
        assert "idx/public/favicon.ico" in names
