"""Writes of the assistant: FAQs (one by one and by CSV), the gap list, and inquiries with their answers."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jpholiday
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from idx.assist import text
from idx.assist.models import (
    Category,
    Faq,
    FaqVariant,
    Inquiry,
    InquiryMessage,
    InquiryStatus,
    SynonymSet,
    UnansweredQuestion,
)
from idx.audit.services import audit_record
from idx.common.models import Municipality
from idx.common.spreadsheet import formula_guard, formula_unguard
from idx.identity.models import Department, User

FAQ_LANGUAGES = [code for code, _name in settings.LANGUAGES]
MAX_QUESTION = 300
MAX_ANSWER = 5000
MAX_INQUIRY = 5000
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read out over the phone


class FaqInvalid(Exception):
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


def _faq_problems(municipality: Municipality, data: FaqData) -> tuple[dict[str, str], Department | None]:
    errors: dict[str, str] = {}
    import re

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


def _write_faq(
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
    errors, department = _faq_problems(municipality, data)
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
        faq, created = _write_faq(municipality, data, department)
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


def synonyms_of(municipality_id: int) -> tuple[str, ...]:
    """The municipality's own synonym groups (``a/b/c`` lines), for the analyzer."""
    saved = SynonymSet.objects.filter(municipality_id=municipality_id).values_list("text", flat=True).first()
    return tuple(line.strip() for line in (saved or "").splitlines() if line.count("/") >= 1 and line.strip())


class SynonymsInvalid(Exception):
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


class CsvInvalid(Exception):
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
            errors, department = _faq_problems(municipality, data)
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
            _faq, created = _write_faq(municipality, data, department, synonyms)
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


# ---- the gap list -----------------------------------------------------------------------------------


def _hash(masked: str) -> str:
    return hashlib.sha256(text.normalize(masked).strip().encode()).hexdigest()


def gap_record(
    *, municipality: Municipality, question: str, language: str, reason: str, best_faq_id: int | None
) -> UnansweredQuestion | None:
    """Count a question the assistant could not answer well (masked first); the same text counts up."""
    masked = text.mask_personal(question).strip()[:500]
    if not masked:
        return None
    digest = _hash(masked)
    now = timezone.now()
    updated = UnansweredQuestion.objects.filter(
        municipality=municipality, text_hash=digest, reason=reason
    ).update(times=F("times") + 1, last_asked_at=now, resolved_at=None)
    if updated:
        return UnansweredQuestion.objects.filter(
            municipality=municipality, text_hash=digest, reason=reason
        ).first()
    try:
        with transaction.atomic():
            return UnansweredQuestion.objects.create(
                municipality=municipality,
                text=masked,
                text_hash=digest,
                language=language,
                reason=reason,
                best_faq_id=best_faq_id,
                last_asked_at=now,
            )
    except IntegrityError:  # asked at the same moment by someone else
        return None


def faq_feedback(*, faq: Faq, helpful: bool, question: str, language: str) -> None:
    if helpful:
        Faq.objects.filter(pk=faq.pk).update(helpful=F("helpful") + 1)
        return
    Faq.objects.filter(pk=faq.pk).update(not_helpful=F("not_helpful") + 1)
    if question.strip():
        gap_record(
            municipality=faq.municipality,
            question=question,
            language=language,
            reason="not_helpful",
            best_faq_id=faq.pk,
        )


def faq_add_phrasing(*, faq: Faq, phrasing: str, language: str, actor: User) -> None:
    """Teach an FAQ another way residents ask it (from the gap list); the index follows."""
    variant = faq.variants.filter(language=language).first() or faq.variants.filter(language="ja").first()
    if variant is None:
        return
    lines = [line for line in variant.keywords.splitlines() if line.strip()]
    if phrasing.strip() and phrasing.strip() not in lines:
        lines.append(phrasing.strip()[:300])
    variant.keywords = "\n".join(lines)
    variant.question_tokens = text.terms(
        "\n".join([variant.question, *lines]), synonyms_of(faq.municipality_id), language=variant.language
    )
    variant.save(update_fields=["keywords", "question_tokens"])
    Faq.objects.filter(pk=faq.pk).update(updated_at=timezone.now())
    audit_record(
        municipality=faq.municipality,
        actor=actor,
        action="faq.phrasing_add",
        target_type="faq",
        target_id=faq.key,
        after={"language": variant.language},
    )


def gap_resolve(*, gap: UnansweredQuestion, actor: User, faq: Faq | None = None) -> None:
    gap.resolved_at = timezone.now()
    gap.resolved_by = actor
    gap.resolved_faq = faq
    gap.save(update_fields=["resolved_at", "resolved_by", "resolved_faq", "updated_at"])


# ---- inquiries ----------------------------------------------------------------------------------------


class InquiryInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def working_days_after(start: dt.datetime, days: int) -> dt.datetime:
    """``start`` moved on by ``days`` working days (no weekends, public holidays or 12/29–1/3)."""
    local = timezone.localtime(start)
    moved = local
    remaining = days
    while remaining > 0:
        moved += dt.timedelta(days=1)
        day = moved.date()
        closed = (
            day.weekday() >= 5
            or jpholiday.is_holiday(day)
            or (day.month == 12 and day.day >= 29)
            or (day.month == 1 and day.day <= 3)
        )
        if not closed:
            remaining -= 1
    return moved


def _tracking_number() -> str:
    return "Q" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(9))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def inquiry_create(
    *,
    municipality: Municipality,
    department: Department | None,
    resident: User | None,
    name: str,
    email: str,
    subject: str,
    body: str,
    language: str,
) -> tuple[Inquiry, str]:
    """A new inquiry and the secret of its link (shown once, e-mailed, never stored in clear)."""
    errors: dict[str, str] = {}
    if department is None or department.municipality_id != municipality.pk:
        errors["department"] = _("Choose the department you want to ask.")
    if resident is not None:
        name = name or resident.full_name
        email = resident.email
    if not name.strip():
        errors["name"] = _("Enter your name.")
    if not email.strip():
        errors["email"] = _("Enter your e-mail address so that we can answer.")
    if not subject.strip():
        errors["subject"] = _("Enter a subject.")
    elif len(subject) > 150:
        errors["subject"] = _("The subject is too long (at most 150 characters).")
    if not body.strip():
        errors["body"] = _("Write your question.")
    elif len(body) > MAX_INQUIRY:
        errors["body"] = _("Your question is too long (at most 5,000 characters).")
    if "\x00" in body or "\x00" in subject:
        errors["body"] = _("Your question contains characters that cannot be stored.")
    if errors:
        raise InquiryInvalid(errors)
    assert department is not None
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    with transaction.atomic():
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    inquiry = Inquiry.objects.create(
                        municipality=municipality,
                        public_id=_tracking_number(),
                        department=department,
                        resident=resident,
                        name=name.strip()[:100],
                        email=email.strip(),
                        language=language,
                        subject=subject.strip(),
                        access_token_hash=token_hash(token),
                        due_at=working_days_after(now, settings.IDX_INQUIRY_RESPONSE_DAYS),
                        last_resident_at=now,
                    )
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - 32**9 numbers
            raise RuntimeError("no free tracking number")
        InquiryMessage.objects.create(inquiry=inquiry, body=body.strip(), author=resident)
        inquiry_id = inquiry.pk
        transaction.on_commit(lambda: notify_inquiry(inquiry_id, "received", token=token))
    return inquiry, token


def inquiry_reply(*, inquiry: Inquiry, body: str, resident: User | None) -> InquiryMessage:
    """The resident writes again: the inquiry is open again with a new response-time target."""
    if not body.strip():
        raise InquiryInvalid({"body": _("Write your message.")})
    if len(body) > MAX_INQUIRY:
        raise InquiryInvalid({"body": _("Your message is too long (at most 5,000 characters).")})
    now = timezone.now()
    with transaction.atomic():
        message = InquiryMessage.objects.create(inquiry=inquiry, body=body.strip(), author=resident)
        inquiry.status = InquiryStatus.OPEN
        inquiry.last_resident_at = now
        inquiry.closed_at = None
        inquiry.due_at = working_days_after(now, settings.IDX_INQUIRY_RESPONSE_DAYS)
        inquiry.save(update_fields=["status", "last_resident_at", "closed_at", "due_at", "updated_at"])
    return message


def inquiry_answer(*, inquiry: Inquiry, staff: User, body: str, close: bool = False) -> InquiryMessage:
    if not body.strip():
        raise InquiryInvalid({"body": _("Write the answer.")})
    if len(body) > MAX_INQUIRY:
        raise InquiryInvalid({"body": _("The answer is too long (at most 5,000 characters).")})
    now = timezone.now()
    with transaction.atomic():
        message = InquiryMessage.objects.create(
            inquiry=inquiry, body=body.strip(), author=staff, from_staff=True
        )
        inquiry.status = InquiryStatus.CLOSED if close else InquiryStatus.ANSWERED
        inquiry.first_answered_at = inquiry.first_answered_at or now
        inquiry.closed_at = now if close else None
        inquiry.save(update_fields=["status", "first_answered_at", "closed_at", "updated_at"])
        audit_record(
            municipality=inquiry.municipality,
            actor=staff,
            action="inquiry.answer",
            target_type="inquiry",
            target_id=inquiry.public_id,
            after={"status": inquiry.status},
        )
        inquiry_id, message_id = inquiry.pk, message.pk
        transaction.on_commit(lambda: notify_inquiry(inquiry_id, "answered", message_id=message_id))
    return message


def inquiry_close(*, inquiry: Inquiry, staff: User) -> None:
    with transaction.atomic():
        inquiry.status = InquiryStatus.CLOSED
        inquiry.closed_at = timezone.now()
        inquiry.save(update_fields=["status", "closed_at", "updated_at"])
        audit_record(
            municipality=inquiry.municipality,
            actor=staff,
            action="inquiry.close",
            target_type="inquiry",
            target_id=inquiry.public_id,
        )


def inquiry_to_faq(
    *, inquiry: Inquiry, staff: User, key: str, category: str, question: str, answer: str
) -> Faq:
    """Turn a good answer into an FAQ in one step (Japanese; translations are added on the FAQ page)."""
    faq = faq_save(
        municipality=inquiry.municipality,
        actor=staff,
        data=FaqData(
            key=key,
            category=category,
            department_code=inquiry.department.code,
            procedures=[],
            texts={"ja": (question, answer)},
        ),
    )
    inquiry.faq = faq
    inquiry.save(update_fields=["faq", "updated_at"])
    return faq


def notify_inquiry(inquiry_id: int, event: str, *, token: str = "", message_id: int | None = None) -> int:
    """Tell the resident that the inquiry was received (with its link) or answered."""
    from idx.notifications.services import message_to_person, render_for

    inquiry = (
        Inquiry.objects.select_related("municipality", "department", "resident").filter(pk=inquiry_id).first()
    )
    if inquiry is None:
        return 0
    municipality = inquiry.municipality
    language = (inquiry.resident.preferred_language if inquiry.resident else "") or inquiry.language
    answer = (
        InquiryMessage.objects.filter(pk=message_id, inquiry=inquiry).values_list("body", flat=True).first()
        if message_id is not None
        else None
    )
    base = municipality.public_url.rstrip("/")
    url = f"{base}/inquiries/{inquiry.public_id}/" + (f"?t={token}" if token else "")
    with translation.override(language):
        subject, body = render_for(
            municipality=municipality,
            purpose="inquiry",
            language=language,
            placeholders={
                "name": inquiry.name,
                "tracking_number": inquiry.public_id,
                "subject": inquiry.subject,
                "event": str(_("received") if event == "received" else _("answered")),
                "answer": answer or "",
                "url": url,
                "department": inquiry.department.name,
                "phone": inquiry.department.phone,
                "municipality": municipality.name,
            },
            context={
                "inquiry": inquiry,
                "event": event,
                "url": url,
                "answer": answer,
                "municipality": municipality,
            },
            shipped="assist/email/inquiry",
        )
    return message_to_person(
        municipality=municipality,
        recipient=inquiry.resident,
        email=inquiry.email,
        purpose="inquiry",
        key=f"{inquiry.public_id}:{event}:{message_id or 0}",
        subject=subject,
        body=body,
        language=language,
    )


def inquiry_stats(rows: Iterable[Any]) -> dict[str, Any]:
    """Response-time figures over inquiries: answered within target, median hours to first answer."""
    hours: list[float] = []
    within = total = 0
    for created_at, first_answered_at, due_at in rows:
        total += 1
        if first_answered_at is not None:
            hours.append((first_answered_at - created_at).total_seconds() / 3600)
            within += int(first_answered_at <= due_at)
    hours.sort()
    median = hours[len(hours) // 2] if hours else None
    return {"total": total, "answered": len(hours), "within_target": within, "median_hours": median}
