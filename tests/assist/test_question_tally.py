"""The assistant counts questions per day, category and answered, without their text."""

from __future__ import annotations

import pytest

from idx.assist.models import QuestionTally
from idx.assist.selectors import question_counts_by_month

pytestmark = pytest.mark.django_db


def test_asking_on_the_page_and_in_the_api_counts_up_without_the_text(iga, iga_client, watarai):
    iga_client.get("/ask/", {"q": "粗大ごみの出し方を教えて"})
    iga_client.get("/ask/", {"q": "粗大ごみの出し方を教えて"})
    iga_client.get("/api/v1/assistant/answers", {"q": "明日の天気はどうですか"})
    iga_client.get("/ask/", {"q": ""})  # no question: nothing counted
    rows = list(QuestionTally.objects.filter(municipality=iga).values("category", "answered", "count"))
    assert {"category": "garbage", "answered": True, "count": 2} in rows
    assert sum(row["count"] for row in rows) == 3
    assert not any(row["answered"] for row in rows if row["category"] != "garbage")
    # Nothing but counts is stored; the other city counts nothing.
    assert {field.name for field in QuestionTally._meta.get_fields()} == {
        "id", "municipality", "created_at", "updated_at", "day", "category", "answered", "count",
    }  # fmt: skip
    assert not QuestionTally.objects.filter(municipality=watarai).exists()
    months = question_counts_by_month(municipality=iga)
    assert sum(row["count"] for row in months) == 3
