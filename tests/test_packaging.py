"""``pip install`` gives compiled translations: the wheel carries a .mo beside every .po, whether it
is built straight from a clone (``pip install .``) or from the source distribution (``python -m build``)."""

from __future__ import annotations

import gettext
import io
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], cwd: Path) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _pip_wheel(source: Path | str, out: Path, cwd: Path) -> Path:
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        cwd,
    )
    (wheel,) = out.glob("idx-*.whl")
    return wheel


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A copy of the project as a fresh clone has it: sources and catalogs, no compiled *.mo."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "src",
        project / "src",
        ignore=shutil.ignore_patterns("*.mo", "__pycache__", "*.egg-info", "*.pyc"),
    )
    assert not list((project / "src").glob("**/*.mo"))
    return project


def _assert_compiled_catalogs(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        catalogs = sorted(name for name in names if name.endswith("/django.po"))
        assert len(catalogs) >= 8
        for po_name in catalogs:
            assert po_name[:-3] + ".mo" in names, po_name
        japanese = gettext.GNUTranslations(io.BytesIO(archive.read("idx/locale/ja/LC_MESSAGES/django.mo")))
        assert japanese.gettext("Sign in") != "Sign in"
        assert "idx/public/favicon.ico" in names
        # The demo's open data files, which `idx demo` publishes from the installed package.
        assert "idx/demo/data/opendata/evacuation-sites.csv" in names
        assert not any(name.startswith("build_catalogs") for name in names)  # a build step, not installed


def test_wheel_from_a_clone_contains_compiled_catalogs(clone: Path, tmp_path: Path) -> None:
    _assert_compiled_catalogs(_pip_wheel(".", tmp_path / "wheels", clone))


def test_wheel_from_the_source_distribution_contains_compiled_catalogs(clone: Path, tmp_path: Path) -> None:
    _run(
        [sys.executable, "-c", "from setuptools import build_meta; build_meta.build_sdist('dist')"],
        clone,
    )
    (sdist,) = (clone / "dist").glob("idx-*.tar.gz")
    with tarfile.open(sdist) as archive:
        assert not any(name.endswith(".mo") for name in archive.getnames())
    _assert_compiled_catalogs(_pip_wheel(sdist, tmp_path / "wheels", tmp_path))
