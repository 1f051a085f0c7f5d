"""The check digit (番号法施行令第8条) and the answer format ``my-number``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idx.common import my_number
from idx.procedures.definition import format_checker
from tests.my_number.conftest import BAD_CHECK_DIGIT, MY_NUMBER, OTHER_NUMBER

# Worked by hand: P_n from the right, Q_n = n+1 (n ≤ 6) or n-5 (n ≥ 7), r = ΣP·Q mod 11.
#   98765432101: 1·2+0·3+1·4+2·5+3·6+4·7+5·2+6·3+7·4+8·5+9·6 = 212, r = 3 → 11-3 = 8
#   12345678901: 1·2+0·3+9·4+8·5+7·6+6·7+5·2+4·3+3·4+2·5+1·6 = 212, r = 3 → 8
#   11111111111: Σ Q = 47, r = 3 → 8
#   00000000000: r = 0 → 0
#   00000000010: P2 = 1, Q2 = 3, r = 3 → 8
#   00000000004: P1 = 4, Q1 = 2, r = 8 → 3
#   00000000005: P1 = 5, Q1 = 2, r = 10 → 1
#   00000000006: P1 = 6, Q1 = 2, r = 12 mod 11 = 1 → 0
KNOWN_VALID = [
    MY_NUMBER,
    OTHER_NUMBER,
    "111111111118",
    "000000000000",
    "000000000108",
    "000000000043",
    "000000000051",
    "000000000060",
]


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_known_valid_numbers(number):
    assert my_number.check_digit(number[:11]) == int(number[11])
    assert my_number.is_valid(number)


@pytest.mark.parametrize(
    "text", [BAD_CHECK_DIGIT, "98765432101", "9876543210188", "98765432101a", "", "９８７６５４３２１０１８"]
)
def test_invalid_numbers(text):
    assert not my_number.is_valid(text)


def test_normalise_accepts_what_residents_type():
    assert my_number.normalise("9876 5432 1018") == MY_NUMBER
    assert my_number.normalise("9876-5432-1018") == MY_NUMBER
    assert my_number.normalise("９８７６　５４３２　１０１８") == MY_NUMBER


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_exactly_one_last_digit_is_valid(first):
    valid = [digit for digit in "0123456789" if my_number.is_valid(first + digit)]
    assert valid == [str(my_number.check_digit(first))]


def test_format_accepts_a_valid_number_or_a_token_only():
    token = my_number.seal(MY_NUMBER, context="x")
    assert format_checker.conforms(MY_NUMBER, "my-number")
    assert format_checker.conforms(token, "my-number")
    assert not format_checker.conforms(BAD_CHECK_DIGIT, "my-number")
    assert not format_checker.conforms("sealed:v1:zz", "my-number")


def test_seal_and_unseal_are_bound_to_the_application():
    token = my_number.seal(MY_NUMBER, context="app-1")
    assert MY_NUMBER not in token
    assert my_number.seal(MY_NUMBER, context="app-1") != token  # an ephemeral key per seal
    assert my_number.unseal(token, context="app-1") == MY_NUMBER
    with pytest.raises(my_number.MyNumberSealBroken):
        my_number.unseal(token, context="app-2")
    with pytest.raises(ValueError):
        my_number.seal(BAD_CHECK_DIGIT, context="app-1")
