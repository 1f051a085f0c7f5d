"""Writes of パブリックコメント: cases, sections, documents, publication, opinions, the result.

Every write is one transaction with its audit entry. Staff act with ``MANAGE_PUBLIC_COMMENT`` over
the case's department (the city administrator over all); ``actor=None`` is the system (the demo
loader). Publishing the case and publishing the result are irreversible; after the result's commit
the case and its result become an open dataset (``result_dataset_put``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.common.dates import format_date
from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.common.sequences import next_yearly_number
from idx.common.spreadsheet import csv_text
from idx.identity.models import Department, User
from idx.identity.policy import Action, can
from idx.opendata.models import Dataset
from idx.opendata.services import GeneratedFile, generated_dataset_put
from idx.public_comment.models import (
    MINIMUM_DAYS,
    Consultation,
    Document,
    Eligibility,
    Opinion,
    ReceiptSequence,
    Relation,
    Section,
    Submission,
)

logger = logging.getLogger(__name__)

EASY = "ja-easy"
# Texts of a case: Japanese, やさしい日本語 and English by the form; the other languages of the portal by the API.
LANGUAGES = ("ja", EASY, "en", "pt-br", "vi", "zh-hans", "es", "fil")
OPINION_MAX = 2000  # characters per section
NAME_MAX = 100
ADDRESS_MAX = 200
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024


class PublicCommentRefused(DomainError):
    """The request is refused as given; ``field`` names what to fix."""

    code = "public_comment_refused"
    http_status = 422


class PublicCommentClosed(PublicCommentRefused):
    """Opinions are taken only within the period; ``params`` hold the dates."""

    code = "public_comment_closed"
    http_status = 409


class Day:
    """A date in an error's ``params``: written for people in the language active when shown."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __str__(self) -> str:
        return format_date(self.day)

    def __repr__(self) -> str:
        return self.day.isoformat()


class PublicCommentNotFound(DomainError):
    """Not in the caller's scope (another department's or municipality's): "not found"."""

    code = "not_found"
    http_status = 404


def texts_clean(
    value: Mapping[str, Any] | None, field: str, *, required: bool = True, limit: int = 4000
) -> dict[str, str]:
    """``{"ja": …, "ja-easy": …, "en": …}`` trimmed; Japanese required unless ``required`` is false."""
    texts = {
        language: str(text).strip()
        for language, text in (value or {}).items()
        if language in LANGUAGES and str(text or "").strip()
    }
    if required and not texts.get("ja"):
        raise PublicCommentRefused(message=_("Write it in Japanese at least."), field=field)
    if any(len(text) > limit for text in texts.values()):
        raise PublicCommentRefused(
            message=_("Keep it to %(limit)s characters."), field=field, params={"limit": f"{limit:,}"}
        )
    return texts


def _check_actor(actor: User | None, consultation: Consultation) -> None:
    if actor is None:
        return
    if actor.municipality_id != consultation.municipality_id or not can(
        actor, Action.MANAGE_PUBLIC_COMMENT, consultation.department
    ):
        raise PublicCommentNotFound(message=_("Not found."))


def _check_period(opens_on: dt.date, closes_on: dt.date) -> None:
    if closes_on < opens_on:
        raise PublicCommentRefused(message=_("The last day comes before the first day."), field="closes_on")
    days = (closes_on - opens_on).days + 1
    if days < MINIMUM_DAYS:
        raise PublicCommentRefused(
            message=_("Opinions must be taken for at least %(minimum)s days; this period has %(days)s."),
            field="closes_on",
            params={"minimum": MINIMUM_DAYS, "days": days},
        )


def consultation_create(
    *,
    municipality: Municipality,
    department: Department,
    titles: Mapping[str, str],
    summaries: Mapping[str, str],
    opens_on: dt.date,
    closes_on: dt.date,
    anonymous_allowed: bool,
    eligibility: str,
    actor: User | None,
) -> Consultation:
    """A new case, as a draft: nothing is public until ``consultation_publish``."""
    if department.municipality_id != municipality.pk:
        raise PublicCommentNotFound(message=_("Not found."))
    if actor is not None and not can(actor, Action.MANAGE_PUBLIC_COMMENT, department):
        raise PublicCommentNotFound(message=_("Not found."))
    clean_titles = texts_clean(titles, "titles", limit=200)
    clean_summaries = texts_clean(summaries, "summaries", limit=4000)
    _check_period(opens_on, closes_on)
    if eligibility not in Eligibility.values:
        raise PublicCommentRefused(message=_("Choose who may send opinions."), field="eligibility")
    with transaction.atomic():
        consultation = Consultation.objects.create(
            municipality=municipality,
            department=department,
            titles=clean_titles,
            summaries=clean_summaries,
            opens_on=opens_on,
            closes_on=closes_on,
            anonymous_allowed=anonymous_allowed,
            eligibility=eligibility,
            created_by=actor,
        )
        audit_record(
            municipality=municipality,
            actor=actor,
            action="public_comment.create",
            target_type="public_comment",
            target_id=consultation.pk,
            after={"title": clean_titles["ja"], "opens_on": str(opens_on), "closes_on": str(closes_on)},
        )
    return consultation


def _draft_only(consultation: Consultation) -> None:
    if consultation.is_published:
        raise PublicCommentRefused(
            message=_("The case is published: its draft can no longer be changed."), field=None
        )


def section_put(
    *,
    consultation: Consultation,
    number: int,
    headings: Mapping[str, str],
    texts: Mapping[str, str],
    actor: User | None,
) -> Section:
    """Add the section ``number`` or replace its texts (while the case is a draft)."""
    _check_actor(actor, consultation)
    _draft_only(consultation)
    if not 1 <= number <= 999:
        raise PublicCommentRefused(message=_("Give a number from 1 to 999."), field="number")
    clean_headings = texts_clean(headings, "headings", limit=200)
    clean_texts = texts_clean(texts, "texts", limit=20000)
    with transaction.atomic():
        section, created = Section.objects.update_or_create(
            consultation=consultation,
            number=number,
            defaults={"headings": clean_headings, "texts": clean_texts},
        )
        audit_record(
            municipality=consultation.municipality,
            actor=actor,
            action="public_comment.section_put",
            target_type="public_comment",
            target_id=consultation.pk,
            after={"number": number, "heading": clean_headings["ja"], "created": created},
        )
    return section


def _is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


def document_add(
    *,
    consultation: Consultation,
    names: Mapping[str, str],
    filename: str,
    content: bytes,
    actor: User | None,
) -> Document:
    """A PDF of the draft, checked by its bytes (not its name), stored outside the web root."""
    _check_actor(actor, consultation)
    _draft_only(consultation)
    clean_names = texts_clean(names, "names", limit=200)
    if len(content) > DOCUMENT_MAX_BYTES:
        raise PublicCommentRefused(
            message=_("The file is larger than %(limit)s MB."),
            field="file",
            params={"limit": DOCUMENT_MAX_BYTES // (1024 * 1024)},
        )
    if not _is_pdf(content):
        raise PublicCommentRefused(message=_("The file is not a PDF (checked by its content)."), field="file")
    safe_name = "".join(ch for ch in filename.rsplit("/", 1)[-1] if ch not in '\\:*?"<>|\r\n')[:150]
    if not safe_name.lower().endswith(".pdf"):
        safe_name = f"{safe_name or 'document'}.pdf"
    with transaction.atomic():
        document = Document(
            consultation=consultation,
            names=clean_names,
            filename=safe_name,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )
        document.file.save(safe_name, ContentFile(content), save=False)
        document.save()
        audit_record(
            municipality=consultation.municipality,
            actor=actor,
            action="public_comment.document_add",
            target_type="public_comment",
            target_id=consultation.pk,
            after={"filename": safe_name, "sha256": document.sha256},
        )
    return document


def consultation_publish(
    *, consultation: Consultation, actor: User | None, today: dt.date | None = None
) -> Consultation:
    """Make the draft public (irreversible): its sections and documents, and open it for opinions.

    ``today`` is for the demo loader, which publishes cases of the past as they were then."""
    _check_actor(actor, consultation)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if locked.is_published:
            raise PublicCommentRefused(message=_("The case is already published."))
        if not Section.objects.filter(consultation=locked).exists():
            raise PublicCommentRefused(message=_("Add at least one section first."), field="number")
        _check_period(locked.opens_on, locked.closes_on)
        if locked.closes_on < today:
            raise PublicCommentRefused(message=_("The last day has already passed."), field="closes_on")
        locked.published_at = timezone.now()
        locked.save(update_fields=["published_at", "updated_at"])
        audit_record(
            municipality=locked.municipality,
            actor=actor,
            action="public_comment.publish",
            target_type="public_comment",
            target_id=locked.pk,
            after={"published_at": locked.published_at.isoformat()},
        )
    return locked


# ---- opinions ----------------------------------------------------------------------------------


def submission_check(
    *,
    consultation: Consultation,
    opinions: Mapping[int, str],
    name: str = "",
    address: str = "",
    relation: str = "",
    today: dt.date | None = None,
) -> dict[int, str]:
    """What ``submission_create`` would take (``{section number: text}`` of the opinions written),
    or the refusal it would raise; nothing is stored (the confirmation page shows it first)."""
    today = today or timezone.localdate()
    if not consultation.is_published:
        raise PublicCommentNotFound(message=_("Not found."))
    if today > consultation.closes_on or today < consultation.opens_on:
        raise PublicCommentClosed(
            message=_("Opinions are taken from %(opens_on)s to %(closes_on)s only."),
            field="opinions",
            params={"opens_on": Day(consultation.opens_on), "closes_on": Day(consultation.closes_on)},
        )
    numbers = {section.number for section in consultation.sections.all()}
    written: dict[int, str] = {}
    for number, text in opinions.items():
        if number not in numbers:
            raise PublicCommentRefused(message=_("Choose a section of this draft."), field="opinions")
        cleaned = str(text or "").replace("\r\n", "\n").strip()
        if len(cleaned) > OPINION_MAX:
            raise PublicCommentRefused(
                message=_(
                    "Your opinion on section %(number)s has %(length)s characters; the limit is %(limit)s."
                ),
                field=f"opinion_{number}",
                params={"number": number, "length": f"{len(cleaned):,}", "limit": f"{OPINION_MAX:,}"},
            )
        if cleaned:
            written[number] = cleaned
    if not written:
        raise PublicCommentRefused(message=_("Write your opinion on at least one section."), field="opinions")
    name = (name or "").strip()
    address = (address or "").strip()
    if not consultation.anonymous_allowed:
        if not name:
            raise PublicCommentRefused(message=_("Write your name."), field="name")
        if not address:
            raise PublicCommentRefused(message=_("Write your address."), field="address")
    if len(name) > NAME_MAX:
        raise PublicCommentRefused(
            message=_("Keep it to %(limit)s characters."), field="name", params={"limit": NAME_MAX}
        )
    if len(address) > ADDRESS_MAX:
        raise PublicCommentRefused(
            message=_("Keep it to %(limit)s characters."), field="address", params={"limit": ADDRESS_MAX}
        )
    if relation and relation not in Relation.values:
        raise PublicCommentRefused(message=_("Choose how you are related to the city."), field="relation")
    if consultation.eligibility == Eligibility.RELATED and relation in ("", Relation.OTHER):
        raise PublicCommentRefused(
            message=_(
                "Only people who live, work or study in the city, or have an interest in this plan, "
                "may send opinions."
            ),
            field="relation",
        )
    return written


def submission_create(
    *,
    consultation: Consultation,
    opinions: Mapping[int, str],
    name: str = "",
    address: str = "",
    relation: str = "",
    user: User | None = None,
    language: str = "",
    today: dt.date | None = None,
) -> Submission:
    """Opinions on one or more sections (``{section number: text}``), with a receipt number.

    Refused (``submission_check``) outside the period (with the dates), without any opinion, with
    an opinion over ``OPINION_MAX`` characters, without name and address when the case asks for
    them, or without the relation to the city when the case takes opinions only from those who
    live, work or study there. Texts are kept as written (plain text; pages escape them).
    """
    today = today or timezone.localdate()
    written = submission_check(
        consultation=consultation,
        opinions=opinions,
        name=name,
        address=address,
        relation=relation,
        today=today,
    )
    name = (name or "").strip()
    address = (address or "").strip()
    sections = {section.number: section for section in consultation.sections.all()}
    if user is not None and (
        not user.is_authenticated or user.municipality_id != consultation.municipality_id
    ):
        user = None
    with transaction.atomic():
        year = today.year
        number = next_yearly_number(ReceiptSequence, consultation.municipality_id, year)
        submission = Submission.objects.create(
            municipality_id=consultation.municipality_id,
            consultation=consultation,
            receipt_number=f"PC-{year}-{number:06d}",
            user=user,
            name=name,
            address=address,
            relation=relation,
            language=language[:10],
        )
        Opinion.objects.bulk_create(
            [
                Opinion(submission=submission, section=sections[section_number], text=text)
                for section_number, text in sorted(written.items())
            ]
        )
        audit_record(
            municipality=consultation.municipality,
            actor=user,
            action="public_comment.submit",
            target_type="public_comment_submission",
            target_id=submission.pk,
            after={"consultation": consultation.pk, "sections": sorted(written), "named": bool(name)},
        )
    return submission


# ---- the result: 意見の概要と市の考え方 --------------------------------------------------------


def _after_deadline(consultation: Consultation) -> None:
    if not consultation.is_published or not consultation.has_closed():
        raise PublicCommentRefused(
            message=_("The result is written after the last day for opinions (%(closes_on)s)."),
            params={"closes_on": Day(consultation.closes_on)},
        )
    if consultation.result_is_published:
        raise PublicCommentRefused(message=_("The result is already published."))


def easy_japanese_check(texts: Mapping[str, str], field: str) -> None:
    """The やさしい日本語 of a text of the result keeps its rules (short sentences, です・ます …)."""
    from idx.common import easyja

    easy = texts.get(EASY)
    if not easy:
        return
    breaches = easyja.check(easy)
    if breaches:
        raise PublicCommentRefused(
            code="easy_japanese",
            message=_("The easy Japanese breaks its rules (%(count)s): %(breaches)s"),
            field=f"{field}_easy",
            params={"count": len(breaches), "breaches": "; ".join(str(breach) for breach in breaches[:3])},
        )


def result_languages_missing(consultation: Consultation) -> list[tuple[int, list[str]]]:
    """The sections with opinions whose summary or view lacks easy Japanese or English (before publishing)."""
    missing = []
    for section in Section.objects.filter(consultation=consultation).annotate(count=Count("opinions")):
        if not section.count:
            continue
        lacking = [
            language
            for language in (EASY, "en")
            if not (section.opinion_summaries.get(language) and section.city_views.get(language))
        ]
        if lacking:
            missing.append((section.number, lacking))
    return missing


def section_result_put(
    *,
    section: Section,
    opinion_summaries: Mapping[str, str],
    city_views: Mapping[str, str],
    changed: bool | None,
    actor: User | None,
) -> Section:
    """The summary of the opinions on a section (意見の概要), the city's view (市の考え方) and
    whether the draft changed (修正あり/なし)."""
    consultation = section.consultation
    _check_actor(actor, consultation)
    _after_deadline(consultation)
    has_opinions = Opinion.objects.filter(section=section).exists()
    summaries = texts_clean(opinion_summaries, "opinion_summaries", required=has_opinions, limit=4000)
    views = texts_clean(city_views, "city_views", required=has_opinions, limit=4000)
    easy_japanese_check(summaries, "opinion_summaries")
    easy_japanese_check(views, "city_views")
    with transaction.atomic():
        section.opinion_summaries = summaries
        section.city_views = views
        section.changed = changed
        section.save(update_fields=["opinion_summaries", "city_views", "changed"])
        audit_record(
            municipality=consultation.municipality,
            actor=actor,
            action="public_comment.section_result_put",
            target_type="public_comment",
            target_id=consultation.pk,
            after={"number": section.number, "changed": changed},
        )
    return section


def result_publish(
    *, consultation: Consultation, notes: Mapping[str, str], actor: User | None
) -> Consultation:
    """Publish 「意見の概要と市の考え方」 (irreversible); then the open dataset, after the commit."""
    _check_actor(actor, consultation)
    _after_deadline(consultation)
    clean_notes = texts_clean(notes, "result_notes", limit=4000)
    easy_japanese_check(clean_notes, "result_notes")
    with transaction.atomic():
        locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if locked.result_is_published:
            raise PublicCommentRefused(message=_("The result is already published."))
        counted = Section.objects.filter(consultation=locked).annotate(count=Count("opinions"))
        for section in counted:
            if section.count and not (section.city_views.get("ja") and section.opinion_summaries.get("ja")):
                raise PublicCommentRefused(
                    message=_("Write the summary and the city's view for section %(number)s."),
                    field=f"section_{section.number}",
                    params={"number": section.number},
                )
            if section.count and section.changed is None:
                raise PublicCommentRefused(
                    message=_("Say whether section %(number)s was changed."),
                    field=f"section_{section.number}",
                    params={"number": section.number},
                )
        locked.result_notes = clean_notes
        locked.result_published_at = timezone.now()
        locked.save(update_fields=["result_notes", "result_published_at", "updated_at"])
        audit_record(
            municipality=locked.municipality,
            actor=actor,
            action="public_comment.result_publish",
            target_type="public_comment",
            target_id=locked.pk,
            after={"result_published_at": locked.result_published_at.isoformat()},
        )
        consultation_id = locked.pk
        transaction.on_commit(lambda: result_dataset_put_quietly(consultation_id=consultation_id))
    return locked


# ---- the result as open data ---------------------------------------------------------------------


def dataset_name(consultation: Consultation) -> str:
    return f"public-comment-{consultation.uid.hex[:12]}"


def result_document(consultation: Consultation) -> dict[str, Any]:
    """The case and its result as one document (the JSON file of the dataset; the API's result)."""
    sections = list(
        Section.objects.filter(consultation=consultation).annotate(count=Count("opinions")).order_by("number")
    )
    return {
        "titles": consultation.titles,
        "department": consultation.department.name,
        "opens_on": consultation.opens_on.isoformat(),
        "closes_on": consultation.closes_on.isoformat(),
        "submissions": Submission.objects.filter(consultation=consultation).count(),
        "opinions": sum(section.count for section in sections),
        "result_notes": consultation.result_notes,
        "result_published_at": consultation.result_published_at.isoformat()
        if consultation.result_published_at
        else None,
        "sections": [
            {
                "number": section.number,
                "headings": section.headings,
                "opinions": section.count,
                "opinion_summaries": section.opinion_summaries,
                "city_views": section.city_views,
                "changed": section.changed,
            }
            for section in sections
        ],
    }


def result_csv(document: Mapping[str, Any]) -> bytes:
    changed = {True: "修正あり", False: "修正なし", None: ""}
    rows: list[list[object]] = [["項目番号", "項目", "意見数", "意見の概要", "市の考え方", "案の修正"]]
    for section in document["sections"]:
        rows.append(
            [
                section["number"],
                section["headings"].get("ja", ""),
                section["opinions"],
                section["opinion_summaries"].get("ja", ""),
                section["city_views"].get("ja", ""),
                changed[section["changed"]],
            ]
        )
    return csv_text(rows, bom=True).encode("utf-8")


def result_dataset_put(*, consultation: Consultation) -> Dataset | None:
    """Publish (or update) the case's result as an open dataset; None while it is not published."""
    if not consultation.result_is_published:
        return None
    document = result_document(consultation)
    title = consultation.titles.get("ja", "")
    return generated_dataset_put(
        municipality=consultation.municipality,
        name=dataset_name(consultation),
        titles={
            "ja": f"パブリックコメントの結果：{title}",
            "en": f"Public comment result: {consultation.titles.get('en') or title}",
        },
        descriptions={
            "ja": (
                f"「{title}」に対するパブリックコメント（意見公募）の結果です。項目ごとの意見の数、"
                "意見の概要と市の考え方、案の修正の有無を載せています。個々の意見の原文は含みません。"
            ),
            "en": (
                "The result of the public comment on this draft: for each section, the number of opinions, "
                "the summary of the opinions, the city's view and whether the draft was changed. "
                "Individual opinions are not included."
            ),
        },
        department=consultation.department,
        theme="administration",
        tags=["パブリックコメント", "意見公募", "行政計画"],
        license_id="cc-by-4.0",
        frequency="IRREG",
        files=[
            GeneratedFile(
                names={
                    "ja": "項目ごとの意見の概要と市の考え方（CSV）",
                    "en": "Summary and city's view by section (CSV)",
                },
                filename="public-comment-result.csv",
                format="CSV",
                content=result_csv(document),
            ),
            GeneratedFile(
                names={"ja": "案件と結果の全体（JSON）", "en": "The case and its result (JSON)"},
                filename="public-comment-result.json",
                format="JSON",
                content=json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"),
            ),
        ],
    )


def result_dataset_put_quietly(*, consultation_id: int) -> None:
    """After the result's commit: a failure of the dataset must not undo the publication
    (running ``result_dataset_put`` again brings it up to date)."""
    try:
        consultation = Consultation.objects.select_related("municipality", "department").get(
            pk=consultation_id
        )
        result_dataset_put(consultation=consultation)
    except Exception:  # the result stays published; the dataset catches up on the next run
        logger.exception("public comment %s: the open dataset could not be updated", consultation_id)
