"""Reads of the intake, scoped by municipality: batches, pages, and the answers a form's pages make."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from idx.common.models import Municipality
from idx.intake.models import ScanBatch, ScanPage
from idx.procedures.definition import AnswerError, validate_answers
from idx.procedures.models import ProcedureVersion

_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")


def batch_list(*, municipality: Municipality) -> QuerySet[ScanBatch]:
    return ScanBatch.objects.filter(municipality=municipality).select_related("uploaded_by")


def batch_get(*, municipality: Municipality, public_id: str) -> ScanBatch | None:
    return batch_list(municipality=municipality).filter(public_id=public_id).first()


def page_list(*, batch: ScanBatch) -> QuerySet[ScanPage]:
    return ScanPage.objects.filter(batch=batch, municipality_id=batch.municipality_id).select_related(
        "procedure_version__procedure"
    )


def manual_queue(*, municipality: Municipality) -> QuerySet[ScanPage]:
    """Pages without a form QR code (or of a form not known here): a clerk matches them by hand."""
    return ScanPage.objects.filter(municipality=municipality, outcome=ScanPage.Outcome.MANUAL).select_related(
        "batch"
    )


@dataclass
class PaperForm:
    """The pages of one filled form (same serial) with the answers they make and what the schema says."""

    version: ProcedureVersion
    serial: str
    pages: list[ScanPage]
    answers: dict[str, Any] = field(default_factory=dict)
    problems: list[AnswerError] = field(default_factory=list)
    missing_pages: list[int] = field(default_factory=list)

    def confidence(self) -> float:
        values = [
            item["confidence"] for page in self.pages for item in page.readings if item["value"] is not None
        ]
        return min(values, default=0.0)


def paper_forms(*, pages: Iterable[ScanPage]) -> list[PaperForm]:
    """Read pages grouped into forms by their serial, answers assembled and checked by the schema."""
    groups: dict[tuple[int, str], list[ScanPage]] = {}
    for page in pages:
        if page.outcome == ScanPage.Outcome.READ and page.procedure_version is not None:
            groups.setdefault((page.procedure_version_id or 0, page.form_serial), []).append(page)
    forms: list[PaperForm] = []
    for (_version_id, serial), members in groups.items():
        members.sort(key=lambda page: page.form_page or 0)
        version = members[0].procedure_version
        assert version is not None
        readings = [item for page in members for item in page.readings]
        answers = answers_from_readings(readings)
        expected = members[0].form_pages or len(members)
        seen = {page.form_page for page in members}
        forms.append(
            PaperForm(
                version=version,
                serial=serial,
                pages=members,
                answers=answers,
                problems=validate_answers(version.parsed, answers),
                missing_pages=[number for number in range(1, expected + 1) if number not in seen],
            )
        )
    return forms


def answers_from_readings(readings: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Nested answers from ``path: value`` readings; blank items, groups and repeat slots are left out."""
    answers: dict[str, Any] = {}
    for item in readings:
        if item.get("value") is None:
            continue
        _put(answers, str(item["path"]), item["value"])
    return _compact(answers)


def _put(answers: dict[str, Any], path: str, value: Any) -> None:
    current: Any = answers
    parts = path.split(".")
    for position, part in enumerate(parts):
        match = _PART.match(part)
        if match is None:
            return
        name, index = match.group(1), match.group(2)
        last = position == len(parts) - 1
        if index is None:
            if last:
                current[name] = value
            else:
                current = current.setdefault(name, {})
            continue
        slots = current.setdefault(name, [])
        while len(slots) <= int(index):
            slots.append({})
        if last:
            slots[int(index)] = value
        else:
            current = slots[int(index)]


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {key: _compact(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in ({}, [], None)}
    if isinstance(value, list):
        return [item for item in (_compact(entry) for entry in value) if item not in ({}, [], None)]
    return value
