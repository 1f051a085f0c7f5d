"""パブリックコメント in the JSON API.

Public (no sign-in): published cases, a case with its sections and documents, the published result
(「意見の概要と市の考え方」, never an opinion verbatim), and sending opinions, signed in or not (the
case's rule says whether a name and address are needed). Staff (``MANAGE_PUBLIC_COMMENT`` over the
case's department): the opinions of a case.

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status as HttpStatus

from idx.api.base import ApiProblem, ApiRequest, ErrorOut, SessionAuth, TokenAuth, require_staff
from idx.api.fields import StrictInt
from idx.common import ratelimit
from idx.identity.models import User
from idx.identity.policy import Action, can
from idx.public_comment import selectors, services
from idx.public_comment.limits import opinion_flood_wait
from idx.public_comment.models import Consultation

router: Router = Router(tags=["public_comment"], auth=None)
staff: Router = Router(tags=["staff"])


def _anyone(request: HttpRequest) -> bool:
    """No sign-in: the sender is anonymous (a signed-in sender is recognised first)."""
    return True


class ConsultationDepartmentOut(Schema):
    code: str
    name: str


class ConsultationOut(Schema):
    id: str
    titles: dict[str, str]
    summaries: dict[str, str]
    department: ConsultationDepartmentOut
    opens_on: dt.date
    closes_on: dt.date = Field(description="The last day opinions are taken (inclusive, Japan time)")
    state: str = Field(description="upcoming, open, closed (result being prepared) or result")
    anonymous_allowed: bool = Field(description="False: name and address are required with opinions")
    eligibility: str = Field(description="anyone, or related (live, work or study in the city)")
    page: str


class SectionOut(Schema):
    number: int
    headings: dict[str, str]
    texts: dict[str, str]


class DocumentOut(Schema):
    names: dict[str, str]
    filename: str
    size: int
    url: str


class ConsultationDetailOut(ConsultationOut):
    sections: list[SectionOut]
    documents: list[DocumentOut]


class SectionResultOut(Schema):
    number: int
    headings: dict[str, str]
    opinions: int = Field(description="How many opinions were sent on this section")
    opinion_summaries: dict[str, str] = Field(description="意見の概要, per language")
    city_views: dict[str, str] = Field(description="市の考え方, per language")
    changed: bool | None = Field(description="Whether the draft was changed (修正あり/なし)")


class ResultOut(Schema):
    id: str
    titles: dict[str, str]
    submissions: int
    opinions: int
    result_notes: dict[str, str] = Field(description="How the plan changed, per language")
    result_published_at: dt.datetime
    dataset: str = Field(description="The result's open dataset (name in the catalog)")
    sections: list[SectionResultOut]


class OpinionIn(Schema):
    section: StrictInt = Field(ge=1, le=999, description="The section number")
    text: str = Field(description=f"Plain text, at most {services.OPINION_MAX} characters")


class SubmissionIn(Schema):
    opinions: list[OpinionIn] = Field(min_length=1, max_length=200)
    name: str = ""
    address: str = ""
    relation: str = Field(default="", description="resident, worker, student, stakeholder or other")


class ReceiptOut(Schema):
    receipt_number: str
    sections: list[int]


class StaffOpinionOut(Schema):
    receipt_number: str
    submitted_at: dt.datetime
    section: int
    name: str
    address: str
    relation: str
    text: str


class StaffCommentsOut(Schema):
    id: str
    submissions: int
    opinions: list[StaffOpinionOut]


def _consultation(consultation: Consultation) -> dict[str, Any]:
    return {
        "id": str(consultation.uid),
        "titles": consultation.titles,
        "summaries": consultation.summaries,
        "department": {"code": consultation.department.code, "name": consultation.department.name},
        "opens_on": consultation.opens_on,
        "closes_on": consultation.closes_on,
        "state": consultation.state,
        "anonymous_allowed": consultation.anonymous_allowed,
        "eligibility": consultation.eligibility,
        "page": reverse("portal:public_comment_detail", kwargs={"uid": consultation.uid}),
    }


def _published(request: ApiRequest, consultation_id: str) -> Consultation:
    consultation = selectors.consultation_get_public(
        municipality=request.municipality, uid=consultation_id[:40]
    )
    if consultation is None:
        raise HttpError(404, "No such public comment.")
    return consultation


@router.get("/public-comments", response=list[ConsultationOut], auth=None)
def consultation_list(request: ApiRequest) -> Any:
    """Published cases of the municipality, the latest last day first."""
    return [
        _consultation(item) for item in selectors.consultation_list_public(municipality=request.municipality)
    ]


@router.get(
    "/public-comments/{consultation_id}", response={200: ConsultationDetailOut, 404: ErrorOut}, auth=None
)
def consultation_detail(request: ApiRequest, consultation_id: str) -> Any:
    """A published case with its sections and documents."""
    consultation = _published(request, consultation_id)
    return {
        **_consultation(consultation),
        "sections": [
            {"number": section.number, "headings": section.headings, "texts": section.texts}
            for section in consultation.sections.all()
        ],
        "documents": [
            {
                "names": document.names,
                "filename": document.filename,
                "size": document.size,
                "url": reverse(
                    "portal:public_comment_document",
                    kwargs={"uid": consultation.uid, "document": document.uid},
                ),
            }
            for document in consultation.documents.all()
        ],
    }


@router.get("/public-comments/{consultation_id}/result", response={200: ResultOut, 404: ErrorOut}, auth=None)
def consultation_result(request: ApiRequest, consultation_id: str) -> Any:
    """「意見の概要と市の考え方」 once published (404 before): per section, never an opinion as written."""
    consultation = _published(request, consultation_id)
    if not consultation.result_is_published:
        raise HttpError(404, "The result is not published yet.")
    document = services.result_document(consultation)
    return {
        "id": str(consultation.uid),
        "titles": consultation.titles,
        "submissions": document["submissions"],
        "opinions": document["opinions"],
        "result_notes": consultation.result_notes,
        "result_published_at": consultation.result_published_at,
        "dataset": services.dataset_name(consultation),
        "sections": document["sections"],
    }


@router.post(
    "/public-comments/{consultation_id}/submissions",
    response={201: ReceiptOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    auth=[TokenAuth(), SessionAuth(), _anyone],
)
def submission_create(request: ApiRequest, consultation_id: str, body: SubmissionIn) -> Any:
    """Opinions on one or more sections until the last day; the answer holds the receipt number.

    Refused with 409 after the last day, 422 for an empty or oversized opinion or a missing name
    or address where the case asks for them, 429 when too many were sent from one place.
    """
    consultation = _published(request, consultation_id)
    user = request.auth if isinstance(request.auth, User) else None
    wait = opinion_flood_wait(address=ratelimit.client_address(request), user_id=user.pk if user else None)
    if wait is not None:
        raise ApiProblem(
            429,
            "rate_limited",
            f"Too many opinions were sent. Try again in {wait} seconds.",
            retry_after=wait,
        )
    opinions: dict[int, str] = {}
    for item in body.opinions:
        if item.section in opinions:
            opinions[item.section] += "\n" + item.text
        else:
            opinions[item.section] = item.text
    submission = services.submission_create(
        consultation=consultation,
        opinions=opinions,
        name=body.name,
        address=body.address,
        relation=body.relation,
        user=user,
        language=request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "",
    )
    return HttpStatus(
        201,
        {
            "receipt_number": submission.receipt_number,
            "sections": sorted(
                opinion.section.number for opinion in submission.opinions.select_related("section")
            ),
        },
    )


@staff.get("/public-comments/{consultation_id}/comments", response={200: StaffCommentsOut, 404: ErrorOut})
def staff_comments(request: ApiRequest, consultation_id: str) -> Any:
    """Every opinion of a case, by section, for the department in charge (others: "not found")."""
    user = require_staff(request)
    if not can(user, Action.MANAGE_PUBLIC_COMMENT):
        raise HttpError(404, "Not found.")
    consultation = selectors.consultation_get_for_staff(staff=user, uid=consultation_id[:40])
    if consultation is None:
        raise HttpError(404, "Not found.")
    return {
        "id": str(consultation.uid),
        "submissions": selectors.submission_count(consultation=consultation),
        "opinions": [
            {
                "receipt_number": opinion.submission.receipt_number,
                "submitted_at": opinion.submission.created_at,
                "section": group.section.number,
                "name": opinion.submission.name,
                "address": opinion.submission.address,
                "relation": opinion.submission.relation,
                "text": opinion.text,
            }
            for group in selectors.opinions_by_section(consultation=consultation)
            for opinion in group.opinions
        ],
    }
