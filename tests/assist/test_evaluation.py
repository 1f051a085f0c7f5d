"""The evaluation set and the demo FAQs stay consistent, and the evaluation itself counts right."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from idx.assist.demo import demo_faqs
from idx.assist.evaluation import evaluate, load_questions

EVAL = sorted((Path(__file__).parent / "eval").glob("*.yaml"))


def test_demo_faqs_are_many_unique_and_complete():
    entries = demo_faqs()
    keys = Counter(entry["key"] for entry in entries)
    assert len(entries) >= 200
    assert not [key for key, count in keys.items() if count > 1]
    for entry in entries:
        for language in ("ja", "ja-easy", "en"):
            assert entry[language]["question"].strip() and entry[language]["answer"].strip(), (
                entry["key"],
                language,
            )
    categories = Counter(entry["category"] for entry in entries)
    for category in ("garbage", "childcare", "care", "tax", "residence", "mynumber", "disaster", "water"):
        assert categories[category] >= 20, categories


def test_evaluation_set_is_apart_and_points_at_real_faqs():
    questions = load_questions(EVAL)
    assert len(questions) >= 300
    keys = {entry["key"] for entry in demo_faqs()}
    faq_questions = {
        entry[language]["question"]
        for entry in demo_faqs()
        for language in ("ja", "ja-easy", "en", "pt-br", "vi", "zh-hans", "es", "fil")
        if language in entry
    }
    for item in questions:
        assert item["expect"] is None or item["expect"] in keys, item
        assert item["q"] not in faq_questions, f"copied from an FAQ: {item['q']}"
    registers = Counter(item.get("register") for item in questions)
    assert {"casual", "elderly", "learner", "english"} <= set(registers), registers


def test_evaluation_counts_hits_and_misses():
    faqs = [
        {
            "key": "garbage-a",
            "category": "garbage",
            "ja": {"question": "粗大ごみの出し方", "answer": "戸別収集です。"},
            "en": {"question": "bulky waste", "answer": "collected from home"},
        },
        {
            "key": "water-b",
            "category": "water",
            "ja": {"question": "水道の開始の届出", "answer": "上下水道部へ届け出てください。"},
            "en": {"question": "start water service", "answer": "notify the water division"},
        },
    ]
    report = evaluate(
        [
            {"q": "大型ゴミ捨てたい", "expect": "garbage-a", "register": "casual"},
            {"q": "start water", "expect": "water-b", "register": "english"},
            {"q": "水道を使い始めたい", "expect": "garbage-a", "register": "casual"},  # deliberately wrong
            {"q": "明日の天気は", "expect": None},
        ],
        faqs,
    )
    assert report.asked == 3 and report.top1 == 2 and report.top3 == 2  # no overlap at all: not in the top 3
    assert report.off_topic == 1 and report.off_topic_unsure == 1
    assert not report.passed()
