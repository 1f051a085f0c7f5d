"""Build step of the package: compile the translation catalogs (*.po) into *.mo in the wheel.

``pip install`` (from a clone, an sdist or a wheel) then gives an IDX that speaks every language
it ships, with no gettext tools on the machine: the catalogs are compiled with polib, a build
requirement (pyproject.toml ``[build-system]``). The compiled files are build output, never in git.
"""

from __future__ import annotations

from pathlib import Path

from setuptools.command.build_py import build_py


def compile_catalogs(root: Path) -> list[Path]:
    """Write ``<name>.mo`` beside every ``locale/<lang>/LC_MESSAGES/<name>.po`` under ``root``."""
    import polib

    written = []
    for po_path in sorted(root.glob("**/locale/*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        catalog = polib.pofile(str(po_path))
        catalog.save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


class BuildPyWithCatalogs(build_py):
    """setuptools' build_py, then the catalogs compiled in the build folder."""

    def run(self) -> None:
        super().run()
        for mo_path in compile_catalogs(Path(self.build_lib)):
            self.announce(f"compiled {mo_path}", level=2)
