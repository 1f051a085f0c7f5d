from __future__ import annotations

import json
import unicodedata

import pytest

from idx.identity.signatures.canonical import canonical_answers


def test_sorted_compact_utf8() -> None:
    result = canonical_answers({"b": [1, 2.5, None, True], "a": {"z": "伊賀", "y": "x"}})
    assert result == '{"a":{"y":"x","z":"伊賀"},"b":[1,2.5,null,true]}'.encode()


def test_same_answers_same_bytes_regardless_of_order_and_normalisation() -> None:
    composed = "がぎぐ"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    first = canonical_answers({"name": composed, "city": "伊賀市"})
    second = canonical_answers({"city": "伊賀市", unicodedata.normalize("NFD", "name"): decomposed})
    assert first == second
    assert json.loads(first)["name"] == composed


def test_nfc_does_not_fold_width() -> None:
    # Full-width digits are what the applicant wrote: NFC keeps them (NFKC would not).
    assert canonical_answers({"n": "１２"}) == '{"n":"１２"}'.encode()


@pytest.mark.parametrize("answers", [{"a": float("nan")}, {"a": object()}, {1: "x"}])
def test_rejects_non_json(answers: dict) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonical_answers(answers)
