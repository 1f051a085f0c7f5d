"""``idx easyja check``: known-bad sentences are flagged by the right rule; shipped texts pass."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from idx.common.easyja import check


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (
            "この申請は、市役所の窓口に行かなくても、家のパソコンやスマートフォンから、いつでも出すことができる便利な仕組みです。",
            "sentence-length",
        ),
        ("介護保険負担限度額認定申請書類提出期限厳守願上候事。", "kanji"),
        ("書類を出す。", "polite-form"),
        ("明日までに書類を出さなければなりません。", "double-negative"),
        ("行けないわけではありません。", "double-negative"),
        ("窓口は17時に閉まります。", "24-hour-time"),
        ("窓口は17:15に閉まります。", "24-hour-time"),
        ("令和8年4月から始まります。", "era-without-western-year"),
        ("申請のステータスを見てください。", "hard-loanword"),
    ],
)
def test_known_bad_sentences_are_flagged(text, rule):
    assert rule in {breach.rule for breach in check(text)}


@pytest.mark.parametrize(
    "text",
    [
        "書類を出してください。",
        "窓口は午後5時に閉まります。",
        "2026年（令和8年）4月から始まります。",
        "申請する",  # a button label: no sentence end, no polite form needed
        "%(name)sさんの申請を受け付けました。",
        "手続きは3時間かかります。",
    ],
)
def test_good_sentences_pass(text):
    assert check(text) == []


def test_shipped_easy_japanese_passes(capsys):
    call_command("easyja", "check")
    assert "no breaches" in capsys.readouterr().out


def test_the_command_fails_on_a_bad_text(capsys):
    with pytest.raises(CommandError):
        call_command("easyja", "check", "--text", "書類を出さなければなりません。")
    assert "double-negative" in capsys.readouterr().out
