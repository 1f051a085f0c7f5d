"""Core-system adapters: how a check asks the city's core (基幹) systems, e.g. the 住民記録.

An adapter is a plugin class registered in :data:`adapters` by id (``contrib/<vendor>/``); the
deployment names the one it uses in ``IDX_CORE_SYSTEM_ADAPTER`` (empty: none, and the checks that
need it say "could not check"). The shipped ``demo`` adapter holds a small fictional 住民記録 and is
refused in production. Tests build their own :class:`~idx.common.registry.Registry`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings

from idx.common.models import Municipality
from idx.common.registry import Registry


@dataclass(frozen=True)
class HouseholdMember:
    name: str
    birth_date: dt.date


@dataclass(frozen=True)
class ResidentRecord:
    """One resident as the core system's 住民記録 holds them, with their household (世帯)."""

    name: str
    birth_date: dt.date
    address: str
    household: tuple[HouseholdMember, ...]


class AdapterUnavailable(Exception):
    """The core system did not answer (down, timed out, refused): the check cannot be made now."""


class CoreSystemAdapter:
    """The contract of a core-system adapter.

    ``find_residents`` returns the residents of the municipality with this name (and date of birth
    when given), compared without spaces and width differences; an empty list when none. It raises
    :class:`AdapterUnavailable` when the core system cannot be asked. Implementations keep no
    personal data beyond the call and log none.
    """

    id = ""
    name = ""

    def __init__(self, municipality: Municipality):
        self.municipality = municipality

    def check_config(self) -> list[str]:
        """Problems of the configuration, in words for the operator; empty when ready."""
        return []

    def find_residents(self, *, name: str, birth_date: dt.date | None) -> list[ResidentRecord]:
        raise NotImplementedError


adapters: Registry[CoreSystemAdapter] = Registry()


def adapter_for(
    municipality: Municipality, *, registry: Registry[CoreSystemAdapter] | None = None
) -> CoreSystemAdapter | None:
    """The adapter the deployment uses, for this municipality; ``None`` when none is configured."""
    identifier = getattr(settings, "IDX_CORE_SYSTEM_ADAPTER", "")
    cls = (registry or adapters).get(identifier) if identifier else None
    return cls(municipality) if cls is not None else None


_SPACES = re.compile(r"\s+")


def same_name(left: str, right: str) -> bool:
    """Names compared as the 住民記録 is searched: width, case and spaces do not count."""
    return _normal(left) == _normal(right)


def _normal(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


_PREFECTURE = re.compile(r"^(東京都|北海道|(?:京都|大阪)府|.{2,3}県)")
_DASHES = re.compile(r"[‐‑‒–—―−ーｰ-]")


def normal_address(text: str) -> str:
    """An address for comparison: no prefecture, no spaces, 丁目/番地/番 as hyphens, no 号.

    ``三重県伊賀市上野丸之内116番地`` and ``伊賀市上野丸之内 116`` read the same.
    """
    text = _SPACES.sub("", unicodedata.normalize("NFKC", text))
    text = _PREFECTURE.sub("", text)
    text = re.sub(r"(\d)(?:丁目|番地|番|の)", r"\1-", text)
    text = re.sub(r"(\d)号", r"\1", text)
    text = re.sub(r"(\d)[‐‑‒–—―−ーｰ](?=\d)", r"\1-", text)
    return text.rstrip("-")
