"""Reads of パブリックコメント, always scoped: the public sees published cases of its municipality,
staff see the cases of the departments in their ``MANAGE_PUBLIC_COMMENT`` scope."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from idx.common.models import Municipality
from idx.identity.models import User
from idx.identity.policy import Action, Scope, can, scope_of
from idx.public_comment.models import Consultation, Document, Opinion, Section, Submission


def consultation_list_public(*, municipality: Municipality) -> QuerySet[Consultation]:
    return (
        Consultation.objects.filter(municipality=municipality, published_at__isnull=False)
        .select_related("department")
        .annotate(section_count=Count("sections"))
        .order_by("-closes_on", "-id")
    )


def consultation_get_public(*, municipality: Municipality, uid: str) -> Consultation | None:
    try:
        return (
            Consultation.objects.filter(municipality=municipality, published_at__isnull=False, uid=uid)
            .select_related("department", "municipality")
            .prefetch_related(
                Prefetch("sections", queryset=Section.objects.annotate(count=Count("opinions"))),
                "documents",
            )
            .first()
        )
    except Exception:  # not a UUID
        return None


def document_get_public(*, municipality: Municipality, uid: str, document_uid: str) -> Document | None:
    try:
        return (
            Document.objects.filter(
                consultation__municipality=municipality,
                consultation__published_at__isnull=False,
                consultation__uid=uid,
                uid=document_uid,
            )
            .select_related("consultation")
            .first()
        )
    except Exception:  # not a UUID
        return None


def consultation_list_for_staff(*, staff: User) -> QuerySet[Consultation]:
    consultations = Consultation.objects.filter(municipality_id=staff.municipality_id).select_related(
        "department"
    )
    if scope_of(staff.role, Action.MANAGE_PUBLIC_COMMENT) != Scope.ALL_DEPARTMENTS:
        consultations = consultations.filter(department_id=staff.department_id or 0)
    return consultations.annotate(submission_count=Count("submissions")).order_by("-opens_on", "-id")


def consultation_get_for_staff(*, staff: User, uid: str) -> Consultation | None:
    """The case if it is in the staff member's scope; None otherwise (shown as "not found")."""
    try:
        consultation = (
            Consultation.objects.filter(municipality_id=staff.municipality_id, uid=uid)
            .select_related("department", "municipality")
            .prefetch_related(
                Prefetch("sections", queryset=Section.objects.annotate(count=Count("opinions"))),
                "documents",
            )
            .first()
        )
    except Exception:  # not a UUID
        return None
    if consultation is None or not can(staff, Action.MANAGE_PUBLIC_COMMENT, consultation.department):
        return None
    return consultation


@dataclass
class SectionOpinions:
    section: Section
    opinions: list[Opinion] = field(default_factory=list)


def opinions_by_section(*, consultation: Consultation) -> list[SectionOpinions]:
    """Every opinion of the case under its section, in section order (two queries)."""
    groups = {section.pk: SectionOpinions(section) for section in consultation.sections.all()}
    for opinion in (
        Opinion.objects.filter(submission__consultation=consultation)
        .select_related("submission")
        .order_by("section__number", "submission_id")
    ):
        groups[opinion.section_id].opinions.append(opinion)
    return list(groups.values())


def submission_count(*, consultation: Consultation) -> int:
    return Submission.objects.filter(consultation=consultation).count()


def comment_rows(*, consultation: Consultation) -> Iterator[list[object]]:
    """The opinions as CSV rows (header first) for the staff export."""
    yield ["受付番号", "受付日時", "項目番号", "項目", "氏名", "住所", "市との関係", "意見"]
    for opinion in (
        Opinion.objects.filter(submission__consultation=consultation)
        .select_related("submission", "section")
        .order_by("submission_id", "section__number")
        .iterator(chunk_size=500)
    ):
        submission = opinion.submission
        yield [
            submission.receipt_number,
            timezone.localtime(submission.created_at).strftime("%Y-%m-%d %H:%M"),
            opinion.section.number,
            opinion.section.headings.get("ja", ""),
            submission.name,
            submission.address,
            submission.get_relation_display() if submission.relation else "",
            opinion.text,
        ]
