"""The CSV reader of idx.common.spreadsheet: the encoding told by the bytes, rows streamed."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idx.common.spreadsheet import READ_CHUNK, EncodingRefused, csv_line, csv_rows, csv_text, detect_encoding

ROWS = [
    ["氏名", "住所", "メモ"],
    ["伊賀 花子", "伊賀市上野丸之内116", '改行\nあり, "引用"'],
    ["ｲｶﾞ", "①髙", ""],
]


@pytest.mark.parametrize(
    ("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932")]
)
def test_each_encoding_is_told_and_read_back(encoding, expected):
    data = csv_text(ROWS).encode(encoding)
    stream = io.BytesIO(data)
    assert detect_encoding(stream) == expected
    assert stream.tell() == 0
    assert list(csv_rows(stream, expected)) == ROWS
    assert not stream.closed  # the caller's file stays open


def test_a_long_shift_jis_file_is_read_across_chunks():
    rows = [["伊賀市" * 10, str(number)] for number in range(READ_CHUNK // 20)]
    data = csv_text(rows).encode("cp932")
    assert len(data) > READ_CHUNK
    stream = io.BytesIO(data)
    assert detect_encoding(stream) == "cp932"
    assert sum(1 for _ in csv_rows(stream, "cp932")) == len(rows)


@pytest.mark.parametrize("data", [b"a,b\x00c\n", "氏名\n".encode("utf-16"), b"\x81\x7f\x81\x7f\n"])
def test_bytes_that_are_neither_are_refused(data):
    with pytest.raises(EncodingRefused):
        detect_encoding(io.BytesIO(data))


def test_a_bom_with_bytes_that_are_not_utf8_is_refused():
    with pytest.raises(EncodingRefused):
        detect_encoding(io.BytesIO("\ufeff氏名\n".encode() + "伊賀".encode("cp932")))


def test_a_file_cut_inside_a_quoted_cell_or_a_character_raises_at_its_end():
    with pytest.raises(csv.Error):
        list(csv_rows(io.BytesIO('a,b\n"伊賀,'.encode()), "utf-8"))
    cut = "a,b\n伊賀".encode()[:-1]
    assert detect_encoding(io.BytesIO(cut)) == "utf-8"
    with pytest.raises(UnicodeDecodeError):
        list(csv_rows(io.BytesIO(cut), "utf-8"))


def _round_trips(character: str) -> bool:
    """cp932 writes a few characters as their full-width twins (¬ → ￢): those do not come back."""
    return character.encode("cp932").decode("cp932") == character


CELLS = st.text(alphabet=st.characters(codec="cp932", exclude_characters="\x00\r").filter(_round_trips))


@given(st.lists(st.lists(CELLS, min_size=1, max_size=4), min_size=1, max_size=5))
def test_any_shift_jis_text_reads_back_as_written(rows):
    data = "".join(csv_line(row, guarded=True) for row in rows).encode("cp932")
    stream = io.BytesIO(data)
    encoding = detect_encoding(stream)
    assert encoding in ("utf-8", "cp932")  # pure ASCII is both
    assert list(csv_rows(stream, encoding)) == rows
