"""The canonical form of submitted answers, i.e. the bytes that are signed.

The applicant's card signs bytes, not a Python dict, and the server must later rebuild exactly
the same bytes from the stored answers to verify the signature. The same answers therefore have
to give the same bytes on every machine, Python version and locale:

* JSON with keys sorted (dict order depends on how the answers were built);
* no insignificant whitespace (``separators=(",", ":")``), so indentation settings cannot leak in;
* ``ensure_ascii=False`` and UTF-8, so Japanese text is encoded one way only (not ``\\uXXXX``);
* every string (keys and values) normalised to Unicode NFC: the same text typed on different
  devices or IMEs may arrive composed (``が`` U+304C) or decomposed (``か`` + U+3099); NFC maps
  both to one code point sequence without changing meaning (unlike NFKC, which would e.g. fold
  full-width digits and so alter what the applicant actually wrote);
* NaN and infinities are refused (they are not JSON and serialise differently elsewhere).

Only JSON types are accepted (str, int, float, bool, None, mappings with str keys, lists and
tuples); anything else raises ``TypeError`` rather than being stringified in some ad hoc way.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical_answers"]


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"answer keys must be strings, got {type(key).__name__}")
            normalised_key = unicodedata.normalize("NFC", key)
            if normalised_key in result:
                raise ValueError(f"two answer keys are equal after NFC normalisation: {normalised_key!r}")
            result[normalised_key] = _normalise(item)
        return result
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    raise TypeError(f"answers must contain only JSON types, got {type(value).__name__}")


def canonical_answers(answers: Mapping[str, Any]) -> bytes:
    """Return the canonical UTF-8 JSON bytes of ``answers`` (see the module docstring)."""
    return json.dumps(
        _normalise(answers),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")
