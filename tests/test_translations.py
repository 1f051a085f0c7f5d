"""The Japanese catalog is complete, compiles, and covers the msgids used in the code.

Japanese is the default language, so every interface string must have a Japanese
translation. These tests read the .po files directly (no database, no compiled .mo
needed): a small PO parser checks for untranslated and fuzzy entries and for placeholders,
``msgfmt -c`` checks that both catalogs compile, and the source checks make sure that every
literal passed to ``{% translate %}``/``{% blocktranslate %}`` in templates and to
``_()``/``gettext()``/``ngettext()`` in Python has an entry, i.e. that ``makemessages``
would not add new msgids.
"""

from __future__ import annotations

import ast
import gettext as gettext_module
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "src" / "idx"
LOCALE_DIR = PACKAGE_DIR / "locale"
JA_PO = LOCALE_DIR / "ja" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
# Same exclusions as the makemessages command documented in locale/README.md.
IGNORED_DIRS = {"locale", "migrations", "__pycache__"}
IGNORED_PREFIXES = (PACKAGE_DIR / "procedures" / "definitions",)

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%")


# --- a minimal PO parser --------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # -1 for a singular msgstr
    flags: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # the "#." comments
    line: int = 0


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Return the active (non-obsolete) entries of a PO file, the header included."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    keyword = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        if line.startswith("#~"):
            continue  # obsolete entry
        if line.startswith("#,"):
            if entry is None or target is not None:
                entry = Entry(line=number)
                entries.append(entry)
                target = None
            entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith("#."):
            if entry is None or target is not None:
                entry = Entry(line=number)
                entries.append(entry)
                target = None
            entry.notes.append(line[2:].strip())
            continue
        if line.startswith("#"):
            continue
        match = keyword.match(line)
        if match:
            name, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if name in ("msgctxt", "msgid") and (
                entry is None or (target is not None and target[0] == "msgstr")
            ):
                entry = Entry(line=number)
                entries.append(entry)
            assert entry is not None, f"{path}:{number}: unexpected {name}"
            if name == "msgctxt":
                entry.msgctxt, target = value, ("msgctxt", 0)
            elif name == "msgid":
                entry.msgid, target = value, ("msgid", 0)
            elif name == "msgid_plural":
                entry.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else -1
                entry.msgstr[slot], target = value, ("msgstr", slot)
            continue
        if line.startswith('"') and entry is not None and target is not None:
            value = _unquote(line)
            kind, slot = target
            if kind == "msgstr":
                entry.msgstr[slot] += value
            elif kind == "msgid":
                entry.msgid += value
            elif kind == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            else:
                entry.msgctxt = (entry.msgctxt or "") + value
            continue
        raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    return entries


def _messages(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.msgid != ""]


def _label(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid!r}"


# --- the Japanese catalog -------------------------------------------------------------


@pytest.fixture(scope="module")
def ja_entries() -> list[Entry]:
    assert JA_PO.is_file(), f"missing {JA_PO}; run makemessages (see src/idx/locale/README.md)"
    return parse_po(JA_PO)


def test_ja_header_declares_japanese_plural_forms(ja_entries):
    header = next(entry for entry in ja_entries if entry.msgid == "")
    text = header.msgstr[-1]
    assert "Plural-Forms: nplurals=1; plural=0;" in text
    assert "charset=UTF-8" in text
    assert "fuzzy" not in header.flags


def test_ja_has_no_untranslated_entries(ja_entries):
    untranslated = [
        _label(entry)
        for entry in _messages(ja_entries)
        if not entry.msgstr or any(not text.strip() for text in entry.msgstr.values())
    ]
    assert untranslated == [], "untranslated entries:\n" + "\n".join(untranslated)


def test_ja_has_no_fuzzy_entries(ja_entries):
    fuzzy = [_label(entry) for entry in ja_entries if "fuzzy" in entry.flags]
    assert fuzzy == [], "fuzzy entries:\n" + "\n".join(fuzzy)


def test_ja_plural_entries_use_a_single_form(ja_entries):
    wrong = [
        _label(entry)
        for entry in _messages(ja_entries)
        if entry.msgid_plural is not None and sorted(entry.msgstr) != [0]
    ]
    assert wrong == [], "Japanese has one plural form; give msgstr[0] only:\n" + "\n".join(wrong)


def test_ja_keeps_placeholders(ja_entries):
    wrong = []
    for entry in _messages(ja_entries):
        expected = Counter(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in entry.msgstr.values():
            if Counter(PLACEHOLDER.findall(text)) != expected:
                wrong.append(f"{_label(entry)} -> {text!r}")
    assert wrong == [], "placeholders changed:\n" + "\n".join(wrong)


# --- compiling with msgfmt ------------------------------------------------------------

needs_msgfmt = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")


def _msgfmt(po: Path, output: str = "/dev/null") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["msgfmt", "--statistics", "--check", "-o", output, str(po)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin:/usr/local/bin"},
        check=False,
    )


@needs_msgfmt
def test_ja_statistics_show_nothing_untranslated_or_fuzzy():
    result = _msgfmt(JA_PO)
    assert result.returncode == 0, result.stderr
    statistics = result.stderr + result.stdout
    assert re.search(r"\d+ translated messages?", statistics), statistics
    assert "untranslated" not in statistics, statistics
    assert "fuzzy" not in statistics, statistics


@needs_msgfmt
def test_en_catalog_compiles():
    result = _msgfmt(EN_PO)
    assert result.returncode == 0, result.stderr


@needs_msgfmt
def test_compiled_ja_catalog_translates(tmp_path):
    mo = tmp_path / "django.mo"
    result = _msgfmt(JA_PO, str(mo))
    assert result.returncode == 0, result.stderr
    with mo.open("rb") as handle:
        catalog = gettext_module.GNUTranslations(handle)
    assert catalog.gettext("Sign in") == "ログイン"
    assert catalog.gettext("Save and continue") == "保存して次へ"
    assert catalog.ngettext("%(counter)s procedure", "%(counter)s procedures", 3) == "%(counter)s件の手続き"


# --- msgids used in the source --------------------------------------------------------


def _source_files(*suffixes: str) -> list[Path]:
    files = []
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix not in suffixes or not path.is_file():
            continue
        relative_parts = path.relative_to(PACKAGE_DIR).parts
        if any(part in IGNORED_DIRS or part.startswith(".") for part in relative_parts):
            continue
        if any(path.is_relative_to(prefix) for prefix in IGNORED_PREFIXES):
            continue
        files.append(path)
    return files


_STRING = r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')"""
_TRANSLATE_TAG = re.compile(r"{%\s*(?:translate|trans)\s+" + _STRING + r"(?P<rest>[^%]*)%}")
_TRANSLATE_FILTER_ARG = re.compile(r"\b_\(" + _STRING + r"\)")
_BLOCK_TAG = re.compile(
    r"{%\s*(?:blocktranslate|blocktrans)\b(?P<options>[^%]*)%}(?P<body>.*?){%\s*(?:endblocktranslate|endblocktrans)\s*%}",
    re.DOTALL,
)
_PLURAL_TAG = re.compile(r"{%\s*plural\s*%}")
_CONTEXT_OPTION = re.compile(r"\bcontext\s+" + _STRING)
_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")


def _string_value(match: re.Match[str]) -> str:
    return match.group("dq") if match.group("dq") is not None else match.group("sq")


def _block_text(body: str, trimmed: bool) -> str:
    if trimmed:
        body = " ".join(line.strip() for line in body.strip().splitlines() if line.strip())
    body = body.replace("%", "%%")
    return _VARIABLE.sub(lambda m: f"%({m.group(1)})s", body)


def _template_msgids() -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    for path in _source_files(".html", ".txt"):
        text = path.read_text(encoding="utf-8")
        for match in _TRANSLATE_TAG.finditer(text):
            context = _CONTEXT_OPTION.search(match.group("rest"))
            # makemessages escapes % in {% translate %} strings, as it does in blocks.
            found.add((_string_value(context) if context else None, _string_value(match).replace("%", "%%")))
        for match in _TRANSLATE_FILTER_ARG.finditer(text):
            found.add((None, _string_value(match)))
        for match in _BLOCK_TAG.finditer(text):
            options = match.group("options")
            context = _CONTEXT_OPTION.search(options)
            trimmed = re.search(r"\btrimmed\b", options) is not None
            singular = _PLURAL_TAG.split(match.group("body"))[0]
            found.add((_string_value(context) if context else None, _block_text(singular, trimmed)))
    return found


_GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
_PGETTEXT_NAMES = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}


def _python_msgids() -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    for path in _source_files(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else None
            )
            literals = [arg.value if isinstance(arg, ast.Constant) else None for arg in node.args[:2]]
            strings = [value if isinstance(value, str) else None for value in literals]
            if name in _GETTEXT_NAMES and strings and strings[0] is not None:
                found.add((None, strings[0]))
            elif name in _PGETTEXT_NAMES and len(strings) == 2 and strings[1] is not None:
                found.add((strings[0], strings[1]))
    return found


def test_every_template_string_has_a_ja_entry(ja_entries):
    known = {(entry.msgctxt, entry.msgid) for entry in ja_entries}
    found = _template_msgids()
    assert found, "no translatable template strings found; is PACKAGE_DIR right?"
    missing = sorted(found - known, key=repr)
    assert missing == [], "run makemessages and translate:\n" + "\n".join(map(repr, missing))


def test_every_python_string_has_a_ja_entry(ja_entries):
    known = {(entry.msgctxt, entry.msgid) for entry in ja_entries}
    found = _python_msgids()
    assert found, "no translatable Python strings found; is PACKAGE_DIR right?"
    missing = sorted(found - known, key=repr)
    assert missing == [], "run makemessages and translate:\n" + "\n".join(map(repr, missing))
