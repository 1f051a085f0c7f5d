#!/usr/bin/env python
"""How fast the assistant answers over a large FAQ base, and how fast its index is rebuilt after an edit.

    python bench/assistant.py --faqs 5000 --questions 2000

Set-up (not timed): a SQLite database of its own under var/bench/, the demo municipality, and
``--faqs`` FAQs written through the same service staff use (``faq_save``): the demo FAQs, then
variants of them (each demo FAQ again under another key, with an area name and a number added to
question and answer, so that the base has that many distinct documents). Timed:

- answer: ``answer_question`` (the portal's and the API's call: analyzer, BM25 over the index,
  confidence, reading the FAQ rows) for the evaluation questions, repeated up to ``--questions``;
  p50/p95/max in milliseconds, in process;
- rebuild: one FAQ edited through ``faq_save``, then the next question, which notices the change
  and rebuilds the index from the stored terms; the rebuild alone and edit + first answer.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent

from _bench import percentile, setup_django  # noqa: E402

AREAS = ["上野", "伊賀", "島ヶ原", "阿山", "大山田", "青山", "柘植", "名張", "桐ヶ丘", "ゆめが丘"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faqs", type=int, default=5000)
    parser.add_argument("--questions", type=int, default=2000)
    args = parser.parse_args()
    database = ROOT / "var" / "bench" / "assistant.sqlite3"
    database.parent.mkdir(parents=True, exist_ok=True)
    if database.exists():
        database.unlink()
    setup_django(f"sqlite:///{database}")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from idx.assist import search
    from idx.assist.demo import demo_faqs, faq_data
    from idx.assist.evaluation import load_questions
    from idx.assist.models import Faq
    from idx.assist.selectors import answer_question
    from idx.assist.services.faqs import faq_save
    from idx.demo.loader import MUNICIPALITIES, load_municipality

    municipality, _accounts = load_municipality(MUNICIPALITIES[0])  # loads the demo FAQs too
    entries = demo_faqs()
    started = time.perf_counter()
    copy = 0
    while Faq.objects.filter(municipality=municipality).count() < args.faqs:
        copy += 1
        for entry in entries:
            data = faq_data(entry)
            area = AREAS[copy % len(AREAS)]
            data.key = f"{data.key}-{copy}"
            data.texts = {
                language: (f"{question}（{area}・{copy}）", f"{answer}\n{area}地区 {copy}")
                for language, (question, answer) in data.texts.items()
            }
            faq_save(municipality=municipality, actor=None, data=data)
            if Faq.objects.filter(municipality=municipality).count() >= args.faqs:
                break
    count = Faq.objects.filter(municipality=municipality).count()
    print(f"set-up: {count} FAQs written in {time.perf_counter() - started:.0f} s")

    questions = [q["q"] for q in load_questions(sorted((ROOT / "tests" / "assist" / "eval").glob("*.yaml")))]
    search.forget()
    t0 = time.perf_counter()
    search.index_for(municipality.pk)
    print(f"first build: {time.perf_counter() - t0:.2f} s")
    timings = []
    for number in range(args.questions):
        question = questions[number % len(questions)]
        t = time.perf_counter()
        answer_question(municipality=municipality, question=question, language="ja")
        timings.append((time.perf_counter() - t) * 1000)
    print(
        f"answer over {count} FAQs, {len(timings)} questions: p50 {percentile(timings, 50):.1f} ms, "
        f"p95 {percentile(timings, 95):.1f} ms, max {max(timings):.1f} ms"
    )

    rebuilds, first_answers = [], []
    for round_ in range(5):
        faq = Faq.objects.filter(municipality=municipality).order_by("?").first()
        assert faq is not None
        data = faq_data(next(e for e in entries if faq.key.startswith(e["key"])))
        data.key = faq.key
        data.texts["ja"] = (data.texts["ja"][0], data.texts["ja"][1] + f"\n（{round_}回目の更新）")
        faq_save(municipality=municipality, actor=None, data=data)
        t = time.perf_counter()
        search.build_index(municipality.pk)
        rebuilds.append(time.perf_counter() - t)
        t = time.perf_counter()  # the next question notices the edit and rebuilds, then answers
        answer_question(municipality=municipality, question=questions[round_], language="ja")
        first_answers.append(time.perf_counter() - t)
    print(
        f"rebuild after an edit: max {max(rebuilds):.2f} s; edit → first answer: max {max(first_answers):.2f} s"
    )
    import resource

    current = next(
        int(line.split()[1]) / 1024
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    print(
        f"RSS now (Django, the Sudachi dictionary, the index of {count} FAQs): {current:.0f} MB; "
        f"peak during set-up and rebuilds: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    os.environ.setdefault("IDX_DEMO_IDP", "false")
    main()
