"""FAQs of the tests' own, in 度会町 (which ships no demo FAQs), so rankings do not depend on demo content."""

from __future__ import annotations

import pytest

from idx.assist import search
from idx.assist.services.faqs import FaqData, faq_save

TEST_FAQS = [
    (
        "garbage-bulky",
        "garbage",
        "jumin",
        ["bulky-waste-collection"],
        (
            "粗大ごみの出し方を教えてください。",
            "粗大ごみは戸別収集です。電話かオンラインで申し込んでください。手数料がかかります。",
        ),
        (
            "How do I put out bulky waste?",
            "Bulky waste is collected from your home. Apply by phone or online. A fee applies.",
        ),
    ),
    (
        "garbage-calendar",
        "garbage",
        "jumin",
        [],
        ("ごみの収集日はいつですか。", "地区ごとの収集カレンダーで確認できます。燃えるごみは週2回です。"),
        (
            "When is garbage collected?",
            "See the collection calendar of your district. Burnable garbage twice a week.",
        ),
    ),
    (
        "mynumber-pin",
        "mynumber",
        "jumin",
        [],
        (
            "マイナンバーカードの暗証番号を忘れました。",
            "本人確認書類を持って窓口で暗証番号を再設定してください。",
        ),
        ("I forgot the PIN of my My Number Card.", "Bring identification to the counter to reset your PIN."),
    ),
    (
        "childcare-nursery",
        "childcare",
        "kodomo-katei",
        [],
        ("保育所に入所を申し込みたい。", "保育所の入所申込みは保育の必要性の認定と一緒に受け付けます。"),
        (
            "How do I apply for a nursery school?",
            "Apply for a nursery place together with the childcare need certification.",
        ),
    ),
]


@pytest.fixture
def faqs(watarai):
    made = []
    for key, category, department, procedures, ja, en in TEST_FAQS:
        made.append(
            faq_save(
                municipality=watarai,
                actor=None,
                data=FaqData(
                    key=key,
                    category=category,
                    department_code=department,
                    procedures=procedures,
                    texts={"ja": ja, "en": en},
                ),
            )
        )
    search.forget()
    yield made
    search.forget()
