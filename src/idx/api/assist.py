"""API of the FAQ assistant and inquiries: what /ask/ and /inquiries/ offer, for LINE bots and kiosks.

Added to the API by ``idx.api.v1`` after its own routers; the shared auth and error helpers are in ``idx.api.base``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from idx.api.base import (
    ApiRequest,
    ErrorItem,
    ErrorOut,
    SessionAuth,
    TokenAuth,
    error_response,
    require_staff,
)
from idx.api.fields import StrictBool
from idx.assist import selectors
from idx.assist.models import Faq, Inquiry
from idx.assist.routing import UNSURE, general_desk
from idx.assist.services import gaps as gap_services
from idx.assist.services import inquiries as inquiry_services
from idx.assist.services import tally as tally_services
from idx.identity.models import Department, User


def _anonymous(request: HttpRequest) -> str:
    """Last in the list: the endpoint also serves people without an account."""
    return "anonymous"


router: Router = Router(tags=["assistant"], auth=None)
inquiries: Router = Router(tags=["inquiries"], auth=[TokenAuth(), SessionAuth(), _anonymous])
staff: Router = Router(tags=["staff"])


class DepartmentOut(Schema):
    code: str
    name: str
    phone: str


class ProcedureLink(Schema):
    code: str
    name: str
    url: str


class AnswerOut(Schema):
    key: str
    question: str
    answer: str
    language: str = Field(
        description="the language of the text (a fallback when the requested one is missing)"
    )
    category: str
    confidence: str = Field(description="high, medium or low")
    department: DepartmentOut | None
    procedures: list[ProcedureLink]
    url: str


class AssistantOut(Schema):
    status: str = Field(description="answered, unsure, empty, too_long or unsupported")
    question: str
    answers: list[AnswerOut]
    languages: list[str] = Field(description="languages questions can be asked in (for unsupported)")
    inquiry_url: str


def _department(department: Department | None) -> dict[str, str] | None:
    if department is None:
        return None
    return {"code": department.code, "name": department.name, "phone": department.phone}


def _faq_out(
    request: HttpRequest, faq: Faq, variant: Any, confidence: str, procedures: list[Any]
) -> dict[str, Any]:
    return {
        "key": faq.key,
        "question": variant.question,
        "answer": variant.answer,
        "language": variant.language,
        "category": faq.category,
        "confidence": confidence,
        "department": _department(faq.department),
        "procedures": [
            {
                "code": p.code,
                "name": p.names.get("ja", p.code),
                "url": request.build_absolute_uri(f"/procedures/{p.code}/"),
            }
            for p in procedures
        ],
        "url": request.build_absolute_uri(f"/faq/{faq.key}/"),
    }


@router.get("/assistant/answers", response=AssistantOut, url_name="assistant_answers")
def assistant_answers(request: ApiRequest, q: str, language: str = "") -> dict[str, Any]:
    """The best FAQ answers to a question in the resident's own words, with how sure the assistant is.

    When it is unsure, the question (masked) goes to the staff's gap list, as on the page.
    """
    language = language or translation.get_language() or "ja"
    answer = selectors.answer_question(municipality=request.municipality, question=q, language=language)
    tally_services.question_tally_add(municipality=request.municipality, answer=answer)
    if answer.status == "unsure":
        gap_services.gap_record(
            municipality=request.municipality,
            question=answer.question,
            language=language,
            reason="unsure",
            best_faq_id=answer.best.faq.pk if answer.best else None,
        )
    return {
        "status": answer.status,
        "question": answer.question,
        "answers": [
            _faq_out(request, item.faq, item.variant, item.confidence, item.procedures)
            for item in answer.items
        ],
        "languages": [code for code, _name in selectors.assistant_languages()],
        "inquiry_url": request.build_absolute_uri("/inquiries/new/"),
    }


class FaqOut(Schema):
    key: str
    category: str
    question: str
    answer: str
    language: str
    department: DepartmentOut | None
    procedures: list[str]


@router.get("/faqs", response=list[FaqOut], url_name="faq_list")
def faq_list(request: ApiRequest, category: str = "", language: str = "") -> list[dict[str, Any]]:
    language = language or translation.get_language() or "ja"
    faqs = Faq.objects.filter(municipality=request.municipality, published=True).select_related("department")
    if category:
        faqs = faqs.filter(category=category)
    out = []
    for faq in faqs.prefetch_related("variants").order_by("category", "key"):
        variant = selectors.variant_for(faq, language)
        if variant is not None:
            out.append(_faq_text_out(faq, variant))
    return out


@router.get("/faqs/{key}", response={200: FaqOut, 404: ErrorOut}, url_name="faq_detail")
def faq_detail(request: ApiRequest, key: str, language: str = "") -> Any:
    language = language or translation.get_language() or "ja"
    faq = selectors.faq_get_public(municipality=request.municipality, key=key)
    variant = selectors.variant_for(faq, language) if faq else None
    if faq is None or variant is None:
        return error_response(request, 404, "not_found", "Not found.")
    return _faq_text_out(faq, variant)


def _faq_text_out(faq: Faq, variant: Any) -> dict[str, Any]:
    return {
        "key": faq.key,
        "category": faq.category,
        "question": variant.question,
        "answer": variant.answer,
        "language": variant.language,
        "department": _department(faq.department),
        "procedures": faq.procedures,
    }


class FeedbackIn(Schema):
    helpful: StrictBool
    question: str = Field("", max_length=600)


@router.post("/faqs/{key}/feedback", response={204: None, 404: ErrorOut}, url_name="faq_feedback")
def faq_feedback(request: ApiRequest, key: str, payload: FeedbackIn) -> Any:
    faq = selectors.faq_get_public(municipality=request.municipality, key=key)
    if faq is None:
        return error_response(request, 404, "not_found", "Not found.")
    gap_services.faq_feedback(
        faq=faq,
        helpful=payload.helpful,
        question=selectors.clean_question(payload.question)[: selectors.MAX_QUESTION_CHARS],
        language=translation.get_language() or "ja",
    )
    return Status(204, None)


# ---- inquiries ----------------------------------------------------------------------------------------


class InquiryIn(Schema):
    department: str = Field(
        max_length=50,
        description="the department's code, or \"unsure\" (「わからない」) for the city's general desk",
    )
    subject: str = Field(max_length=150)
    body: str = Field(max_length=5000)
    name: str = Field("", max_length=100, description="required without an account")
    email: str = Field("", max_length=254, description="required without an account")
    language: str = ""


class MessageOut(Schema):
    from_staff: bool
    body: str
    created_at: Any


class InquiryOut(Schema):
    tracking_number: str
    department: str
    subject: str
    status: str
    due_at: Any
    messages: list[MessageOut]


class InquiryCreatedOut(InquiryOut):
    access_token: str = Field(
        description="the secret that reads and answers this inquiry without an account; shown once"
    )


class ReplyIn(Schema):
    body: str = Field(max_length=5000)


def _inquiry_out(inquiry: Inquiry) -> dict[str, Any]:
    return {
        "tracking_number": inquiry.public_id,
        "department": inquiry.department.code,
        "subject": inquiry.subject,
        "status": inquiry.status,
        "due_at": inquiry.due_at,
        "messages": [
            {"from_staff": m.from_staff, "body": m.body, "created_at": m.created_at}
            for m in inquiry.messages.all()
        ],
    }


def _invalid(request: HttpRequest, exc: inquiry_services.InquiryInvalid) -> HttpResponse:
    items = [ErrorItem(path=name, code="invalid", message=message) for name, message in exc.errors.items()]
    return error_response(request, 422, "invalid_inquiry", "Some fields need attention.", items)


def _resident_of(request: ApiRequest) -> User | None:
    auth = request.auth
    return auth if isinstance(auth, User) and auth.is_resident else None


@inquiries.post("/inquiries", response={201: InquiryCreatedOut, 422: ErrorOut}, url_name="inquiry_create")
def inquiry_create(request: ApiRequest, payload: InquiryIn) -> Any:
    if payload.department == UNSURE:
        department = general_desk(request.municipality)
    else:
        department = Department.objects.filter(
            municipality=request.municipality, code=payload.department
        ).first()
    try:
        inquiry, token = inquiry_services.inquiry_create(
            municipality=request.municipality,
            department=department,
            resident=_resident_of(request),
            name=payload.name,
            email=payload.email,
            subject=payload.subject,
            body=payload.body,
            language=payload.language or translation.get_language() or "ja",
        )
    except inquiry_services.InquiryInvalid as exc:
        return _invalid(request, exc)
    return Status(201, {**_inquiry_out(inquiry), "access_token": token})


def _inquiry_for(request: ApiRequest, tracking_number: str) -> Inquiry:
    inquiry = selectors.inquiry_get_for_resident(
        municipality=request.municipality,
        public_id=tracking_number,
        user=_resident_of(request),
        token=request.headers.get("X-Inquiry-Token", ""),
    )
    if inquiry is None:
        raise HttpError(404, "Not found.")
    return inquiry


@inquiries.get(
    "/inquiries/{tracking_number}", response={200: InquiryOut, 404: ErrorOut}, url_name="inquiry_get"
)
def inquiry_get(request: ApiRequest, tracking_number: str) -> Any:
    """Your inquiry: signed in as its sender, or with its secret in the ``X-Inquiry-Token`` header."""
    return _inquiry_out(_inquiry_for(request, tracking_number))


@inquiries.post(
    "/inquiries/{tracking_number}/replies",
    response={200: InquiryOut, 404: ErrorOut, 422: ErrorOut},
    url_name="inquiry_reply",
)
def inquiry_reply(request: ApiRequest, tracking_number: str, payload: ReplyIn) -> Any:
    inquiry = _inquiry_for(request, tracking_number)
    try:
        inquiry_services.inquiry_reply(inquiry=inquiry, body=payload.body, resident=_resident_of(request))
    except inquiry_services.InquiryInvalid as exc:
        return _invalid(request, exc)
    return _inquiry_out(inquiry)


# ---- staff --------------------------------------------------------------------------------------------


class StaffInquiryOut(InquiryOut):
    name: str
    email: str
    language: str
    first_answered_at: Any


class AnswerIn(Schema):
    body: str = Field(max_length=5000)
    close: StrictBool = False


def _staff_inquiry_out(inquiry: Inquiry) -> dict[str, Any]:
    return {
        **_inquiry_out(inquiry),
        "name": inquiry.name,
        "email": inquiry.email,
        "language": inquiry.language,
        "first_answered_at": inquiry.first_answered_at,
    }


@staff.get("/inquiries", response=list[StaffInquiryOut], url_name="staff_inquiry_list")
def staff_inquiry_list(request: ApiRequest, status: str = "") -> list[dict[str, Any]]:
    staff_member = require_staff(request)
    found = selectors.inquiries_for_staff(staff=staff_member, status=status).prefetch_related("messages")[
        :500
    ]
    return [_staff_inquiry_out(inquiry) for inquiry in found]


@staff.post(
    "/inquiries/{tracking_number}/answers",
    response={200: StaffInquiryOut, 404: ErrorOut, 422: ErrorOut},
    url_name="staff_inquiry_answer",
)
def staff_inquiry_answer(request: ApiRequest, tracking_number: str, payload: AnswerIn) -> Any:
    staff_member = require_staff(request)
    inquiry = selectors.inquiry_get_for_staff(staff=staff_member, public_id=tracking_number)
    if inquiry is None:
        return error_response(request, 404, "not_found", "Not found.")
    try:
        inquiry_services.inquiry_answer(
            inquiry=inquiry, staff=staff_member, body=payload.body, close=payload.close
        )
    except inquiry_services.InquiryInvalid as exc:
        return _invalid(request, exc)
    return _staff_inquiry_out(inquiry)
