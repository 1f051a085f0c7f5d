"""Demo FAQs: what a city like 伊賀市 answers most often, in 日本語, やさしい日本語 and English, the most
asked ones also in Portuguese, Vietnamese, Chinese, Spanish and Filipino.

The files under ``data/faqs_*.yaml`` are demo content for 伊賀市 only (they name its offices);
another municipality starts with an empty base and its own FAQs, imported by CSV or typed in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from idx.assist.selectors import synonyms_of
from idx.assist.services.faqs import FaqData, faq_problems, faq_write
from idx.common.models import Municipality

DATA = Path(__file__).with_name("data")
DEMO_FAQ_MUNICIPALITIES = {"iga"}


MORE_LANGUAGES = DATA / "more_languages.yaml"


def demo_faqs() -> list[dict[str, Any]]:
    """The demo FAQs, with the Portuguese, Vietnamese, Chinese, Spanish and Filipino texts of the
    most asked ones (``more_languages.yaml``, by key) merged in."""
    entries: list[dict[str, Any]] = []
    for path in sorted(DATA.glob("faqs_*.yaml")):
        entries += yaml.safe_load(path.read_text(encoding="utf-8")) or []
    more: dict[str, dict[str, Any]] = yaml.safe_load(MORE_LANGUAGES.read_text(encoding="utf-8")) or {}
    by_key = {entry["key"]: entry for entry in entries}
    unknown = set(more) - set(by_key)
    if unknown:
        raise ValueError(f"{MORE_LANGUAGES.name}: no demo FAQ {sorted(unknown)}")
    for key, languages in more.items():
        by_key[key].update(languages)
    return entries


def faq_data(entry: dict[str, Any]) -> FaqData:
    texts = {
        language: (str(entry[language]["question"]), str(entry[language]["answer"]))
        for language in ("ja", "ja-easy", "en", "pt-br", "vi", "zh-hans", "es", "fil")
        if isinstance(entry.get(language), dict)
    }
    keywords = {
        language: [str(line) for line in entry[language].get("keywords") or []]
        for language in texts
        if entry[language].get("keywords")
    }
    return FaqData(
        keywords=keywords,
        key=entry["key"],
        category=entry["category"],
        department_code=entry.get("department") or "",
        procedures=list(entry.get("procedures") or []),
        texts=texts,
    )


def load_faqs(municipality: Municipality) -> int:
    """Load the demo FAQs into the municipality (again: updated in place). Returns how many."""
    if municipality.slug not in DEMO_FAQ_MUNICIPALITIES:
        return 0
    loaded = 0
    synonyms = synonyms_of(municipality.pk)
    for entry in demo_faqs():
        data = faq_data(entry)
        errors, department = faq_problems(municipality, data)
        if errors:
            raise ValueError(f"demo FAQ {data.key}: {errors}")
        faq_write(municipality, data, department, synonyms)
        loaded += 1
    return loaded


def load_general_desk(municipality: Municipality) -> None:
    """The general desk for inquiries whose resident does not know where to ask: 市民生活課."""
    from idx.assist.models import InquiryDesk
    from idx.identity.models import Department

    desk = Department.objects.filter(municipality=municipality, code="shimin-seikatsu").first()
    if desk is not None:
        InquiryDesk.objects.update_or_create(municipality=municipality, defaults={"department": desk})
