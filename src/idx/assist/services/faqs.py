"""Writes of the assistant's FAQs: one by one, by CSV (import and export), and the municipality's
own synonyms, with which every FAQ's search terms are computed."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from idx.assist import text
from idx.assist.models import Category, Faq, FaqVariant, SynonymSet
from idx.assist.selectors import synonyms_of
from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.common.spreadsheet import formula_guard, formula_unguard
from idx.identity.models import Department, User

FAQ_LANGUAGES = [code for code, _name in settings.LANGUAGES]
MAX_QUESTION = 300
MAX_ANSWER = 5000


class FaqInvalid(DomainError):
    code = "faq_invalid"
    http_status = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class FaqData:
    key: str
    category: str
    department_code: str
    procedures: list[str]
    texts: dict[str, tuple[str, str]]  # language -> (question, answer)
    published: bool = True
    keywords: dict[str, list[str]] = field(default_factory=dict)  # language -> other ways people ask


def faq_problems(municipality: Municipality, data: FaqData) -> tuple[dict[str, str], Department | None]:
    errors: dict[str, str] = {}
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,79}", data.key or ""):
        errors["key"] = _("Use 2–80 lower-case letters, digits and hyphens.")
    if data.category not in Category.values:
        errors["category"] = _("Choose a category.")
    department = None
    if data.department_code:
        department = Department.objects.filter(municipality=municipality, code=data.department_code).first()
        if department is None:
            errors["department"] = _("No department has this code.")
    ja = data.texts.get("ja")
    if not ja or not ja[0].strip() or not ja[1].strip():
        errors["ja"] = _("The Japanese question and answer are required.")
    for language, (question, answer) in data.texts.items():
        if language not in FAQ_LANGUAGES:
            errors[language] = _("Unknown language.")
        elif bool(question.strip()) != bool(answer.strip()):
            errors[language] = _("Give both the question and the answer, or neither.")
        elif len(question) > MAX_QUESTION or len(answer) > MAX_ANSWER:
            errors[language] = _("The question or the answer is too long.")
    for language, phrasings in data.keywords.items():
        if sum(len(line) for line in phrasings) > 3000:
            errors[language] = _("The other ways of asking are too long (at most 3,000 characters).")
    from idx.procedures.models import Procedure

    known = set(
        Procedure.objects.filter(municipality=municipality, code__in=data.procedures).values_list(
            "code", flat=True
        )
    )
    unknown = [code for code in data.procedures if code not in known]
    if unknown:
        errors["procedures"] = _("Unknown procedure: %(codes)s") % {"codes": ", ".join(unknown)}
    return errors, department


def faq_write(
    municipality: Municipality,
    data: FaqData,
    department: Department | None,
    synonyms: tuple[str, ...] | None = None,
) -> tuple[Faq, bool]:
    if synonyms is None:
        synonyms = synonyms_of(municipality.pk)
    faq, created = Faq.objects.update_or_create(
        municipality=municipality,
        key=data.key,
        defaults={
            "category": data.category,
            "department": department,
            "procedures": list(data.procedures),
            "published": data.published,
        },
    )
    keep = []
    for language, (question, answer) in data.texts.items():
        if not question.strip():
            continue
        keep.append(language)
        phrasings = [line.strip() for line in data.keywords.get(language, []) if line.strip()]
        FaqVariant.objects.update_or_create(
            faq=faq,
            language=language,
            defaults={
                "question": question.strip(),
                "answer": answer.strip(),
                "keywords": "\n".join(phrasings),
                "question_tokens": text.terms("\n".join([question, *phrasings]), synonyms, language=language),
                "answer_tokens": text.terms(answer, synonyms, language=language),
            },
        )
    faq.variants.exclude(language__in=keep).delete()
    Faq.objects.filter(pk=faq.pk).update(updated_at=timezone.now())  # the search index notices the change
    return faq, created


def faq_save(*, municipality: Municipality, actor: User | None, data: FaqData, original_key: str = "") -> Faq:
    """Create or change one FAQ with its language variants; the search index follows on the next question."""
    errors, department = faq_problems(municipality, data)
    if (
        original_key
        and original_key != data.key
        and Faq.objects.filter(municipality=municipality, key=data.key).exists()
    ):
        errors["key"] = _("Another FAQ has this key.")
    if errors:
        raise FaqInvalid(errors)
    with transaction.atomic():
        if original_key and original_key != data.key:
            Faq.objects.filter(municipality=municipality, key=original_key).update(key=data.key)
        faq, created = faq_write(municipality, data, department)
        if actor is not None:
            audit_record(
                municipality=municipality,
                actor=actor,
                action="faq.create" if created else "faq.update",
                target_type="faq",
                target_id=faq.key,
                after={
                    "category": data.category,
                    "published": data.published,
                    "languages": sorted(data.texts),
                },
            )
    return faq


def faq_delete(*, faq: Faq, actor: User) -> None:
    with transaction.atomic():
        audit_record(
            municipality=faq.municipality,
            actor=actor,
            action="faq.delete",
            target_type="faq",
            target_id=faq.key,
        )
        faq.delete()


# ---- the municipality's own synonyms --------------------------------------------------------------

MAX_SYNONYM_LINES = 500


class SynonymsInvalid(DomainError):
    code = "synonyms_invalid"
    http_status = 422

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(f"{len(errors)} lines")
        self.errors = errors


def synonyms_save(*, municipality: Municipality, actor: User, content: str) -> int:
    """Save the groups and recompute every FAQ's terms with them (the index follows); returns FAQs redone."""
    errors: list[tuple[int, str]] = []
    lines = [line.strip() for line in content.replace("\r", "").split("\n")]
    kept = []
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        words = [word.strip() for word in line.split("/") if word.strip()]
        if len(words) < 2:
            errors.append((number, _("Write at least two words separated by “/”.")))
        elif len(line) > 300:
            errors.append((number, _("The line is too long (at most 300 characters).")))
        else:
            kept.append("/".join(words))
    if len(kept) > MAX_SYNONYM_LINES:
        errors.append((0, _("At most 500 groups.")))
    if errors:
        raise SynonymsInvalid(errors)
    text_value = "\n".join(kept)
    with transaction.atomic():
        SynonymSet.objects.update_or_create(
            municipality=municipality, defaults={"text": text_value, "updated_by": actor}
        )
        redone = retokenize_faqs(municipality)
        audit_record(
            municipality=municipality,
            actor=actor,
            action="faq.synonyms",
            target_type="synonyms",
            target_id=municipality.code,
            after={"groups": len(kept), "faqs": redone},
        )
    return redone


def retokenize_faqs(municipality: Municipality) -> int:
    """Recompute the stored terms of every FAQ of the municipality (after its synonyms changed)."""
    synonyms = synonyms_of(municipality.pk)
    variants = FaqVariant.objects.filter(faq__municipality=municipality).only(
        "pk", "language", "question", "keywords", "answer"
    )
    batch: list[FaqVariant] = []
    for variant in variants.iterator(chunk_size=500):
        variant.question_tokens = text.terms(
            "\n".join([variant.question, *variant.keywords.splitlines()]), synonyms, language=variant.language
        )
        variant.answer_tokens = text.terms(variant.answer, synonyms, language=variant.language)
        batch.append(variant)
        if len(batch) >= 500:
            FaqVariant.objects.bulk_update(batch, ["question_tokens", "answer_tokens"])
            batch = []
    if batch:
        FaqVariant.objects.bulk_update(batch, ["question_tokens", "answer_tokens"])
    return Faq.objects.filter(municipality=municipality).update(updated_at=timezone.now())


# ---- CSV ------------------------------------------------------------------------------------------

CSV_BASE_COLUMNS = ["key", "category", "department", "procedures", "published"]


def csv_columns() -> list[str]:
    columns = list(CSV_BASE_COLUMNS)
    for language in FAQ_LANGUAGES:
        columns += [f"question_{language}", f"answer_{language}", f"keywords_{language}"]
    return columns


def faq_csv_rows(municipality: Municipality) -> Iterator[list[str]]:
    """The header, then one row per FAQ (all languages side by side), streamed; cells that would
    run as a spreadsheet formula start with an apostrophe (``faq_import_csv`` removes it)."""
    yield csv_columns()
    faqs = (
        Faq.objects.filter(municipality=municipality)
        .select_related("department")
        .prefetch_related("variants")
        .order_by("category", "key")
    )
    for faq in faqs.iterator(chunk_size=500):
        by_language = {v.language: v for v in faq.variants.all()}
        row = [
            faq.key,
            faq.category,
            faq.department.code if faq.department else "",
            " ".join(faq.procedures),
            "1" if faq.published else "0",
        ]
        for language in FAQ_LANGUAGES:
            variant = by_language.get(language)
            row += [variant.question, variant.answer, variant.keywords] if variant else ["", "", ""]
        # Questions come from residents' own words (the gap list): never a spreadsheet formula.
        yield [formula_guard(cell) for cell in row]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


class CsvInvalid(DomainError):
    code = "csv_invalid"
    http_status = 422

    def __init__(self, result: ImportResult):
        super().__init__(f"{len(result.errors)} rows have errors")
        self.result = result


def faq_import_csv(*, municipality: Municipality, actor: User, content: bytes) -> ImportResult:
    """Import FAQs from CSV (UTF-8, with or without BOM; the export's columns). All rows or none:
    any row with an error rejects the file, and every row's errors are reported."""
    result = ImportResult()
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((0, _("The file is not UTF-8 text.")))
        raise CsvInvalid(result) from None
    reader = csv.DictReader(io.StringIO(decoded))
    missing = [
        c for c in ("key", "category", "question_ja", "answer_ja") if c not in (reader.fieldnames or [])
    ]
    if missing:
        result.errors.append((1, _("Missing columns: %(columns)s") % {"columns": ", ".join(missing)}))
        raise CsvInvalid(result)
    rows: list[tuple[FaqData, Department | None]] = []
    seen: set[str] = set()
    try:
        for line, row in enumerate(reader, start=2):
            if None in row:
                result.errors.append((line, _("The row has more cells than the header.")))
                continue
            # The export's formula guard comes off again: a round trip keeps every text as it was.
            row = {name: formula_unguard(value or "") for name, value in row.items()}
            data = FaqData(
                key=(row.get("key") or "").strip(),
                category=(row.get("category") or "").strip(),
                department_code=(row.get("department") or "").strip(),
                procedures=(row.get("procedures") or "").split(),
                published=(row.get("published") or "1").strip() not in ("0", "false", "no"),
                texts={
                    language: ((row.get(f"question_{language}") or ""), (row.get(f"answer_{language}") or ""))
                    for language in FAQ_LANGUAGES
                    if (row.get(f"question_{language}") or row.get(f"answer_{language}"))
                },
                keywords={
                    language: (row.get(f"keywords_{language}") or "").splitlines()
                    for language in FAQ_LANGUAGES
                    if row.get(f"keywords_{language}")
                },
            )
            errors, department = faq_problems(municipality, data)
            if data.key in seen:
                errors["key"] = _("This key appears twice in the file.")
            seen.add(data.key)
            for name, message in errors.items():
                result.errors.append((line, f"{name}: {message}"))
            rows.append((data, department))
            if len(rows) > 20000:
                result.errors.append((line, _("At most 20,000 rows per file.")))
                break
    except csv.Error as exc:
        result.errors.append((reader.line_num, _("The file is not valid CSV: %(reason)s") % {"reason": exc}))
    if result.errors:
        raise CsvInvalid(result)
    synonyms = synonyms_of(municipality.pk)
    with transaction.atomic():
        for data, department in rows:
            _faq, created = faq_write(municipality, data, department, synonyms)
            if created:
                result.created += 1
            else:
                result.updated += 1
        audit_record(
            municipality=municipality,
            actor=actor,
            action="faq.import",
            target_type="faq",
            target_id="csv",
            after={"created": result.created, "updated": result.updated},
        )
    return result
