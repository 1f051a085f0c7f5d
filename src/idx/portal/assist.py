"""Resident pages of the FAQ assistant and of inquiries (問い合わせ).

The assistant is a plain GET form: it works without JavaScript, and the small chat panel
(``static/idx/assist.js``) only calls the same answers through the API.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.assist import selectors
from idx.assist.models import Category, Faq, Inquiry
from idx.assist.routing import UNSURE, general_desk
from idx.assist.services import gaps as gap_services
from idx.assist.services import inquiries as inquiry_services
from idx.assist.services import tally as tally_services
from idx.identity.models import Department, User
from idx.web.http import IdxRequest, resident_required


def _resident(request: IdxRequest) -> User | None:
    user = request.user
    return user if user.is_authenticated and getattr(user, "is_resident", False) else None


def ask(request: IdxRequest) -> HttpResponseBase:
    language = translation.get_language() or "ja"
    question = request.GET.get("q", "")
    answer = None
    if question.strip():
        answer = selectors.answer_question(
            municipality=request.municipality, question=question, language=language
        )
        tally_services.question_tally_add(municipality=request.municipality, answer=answer)
        if answer.status == "unsure":
            best = answer.best
            gap_services.gap_record(
                municipality=request.municipality,
                question=answer.question,
                language=language,
                reason="unsure",
                best_faq_id=best.faq.pk if best else None,
            )
    faqs = (
        Faq.objects.filter(municipality=request.municipality, published=True)
        .prefetch_related("variants")
        .order_by("category", "key")
    )
    by_category: dict[str, list[tuple[Faq, object]]] = {}
    if answer is None:
        for faq in faqs:
            variant = selectors.variant_for(faq, language)
            if variant is not None:
                by_category.setdefault(faq.category, []).append((faq, variant))
    return render(
        request,
        "portal/assist/ask.html",
        {
            "question": question[: selectors.MAX_QUESTION_CHARS + 100],
            "answer": answer,
            "categories": [
                (value, label, by_category[value])
                for value, label in Category.choices
                if value in by_category
            ],
            "languages": selectors.assistant_languages(),
            "language": language,
        },
    )


@require_POST
def ask_feedback(request: IdxRequest) -> HttpResponseBase:
    faq = selectors.faq_get_public(municipality=request.municipality, key=request.POST.get("faq", ""))
    if faq is None:
        raise Http404
    helpful = request.POST.get("helpful") == "yes"
    question = selectors.clean_question(request.POST.get("q", ""))[: selectors.MAX_QUESTION_CHARS]
    gap_services.faq_feedback(
        faq=faq, helpful=helpful, question=question, language=translation.get_language() or "ja"
    )
    if helpful:
        messages.success(request, _("Thank you for telling us."))
        return redirect("portal:faq_detail", key=faq.key)
    messages.info(request, _("Thank you. We will use your question to improve the answers."))
    query = urlencode({"q": question, "department": faq.department.code if faq.department else ""})
    return HttpResponseRedirect(f"{reverse('portal:inquiry_new')}?{query}")


def faq_detail(request: IdxRequest, key: str) -> HttpResponseBase:
    faq = selectors.faq_get_public(municipality=request.municipality, key=key)
    language = translation.get_language() or "ja"
    # The assistant links an answer it gave in the question's language (an English question on
    # the Japanese page) with ?language=, so the page shows the same text.
    asked = request.GET.get("language", "")
    variant = None
    if faq is not None and asked in {code for code, _name in selectors.assistant_languages()}:
        variant = next((v for v in faq.variants.all() if v.language == asked), None)
    if faq is not None and variant is None:
        variant = selectors.variant_for(faq, language)
    if faq is None or variant is None:
        raise Http404
    from idx.procedures.models import Procedure

    procedures = Procedure.objects.filter(
        municipality=request.municipality, code__in=faq.procedures, published_version__isnull=False
    )
    return render(
        request,
        "portal/assist/faq_detail.html",
        {
            "faq": faq,
            "variant": variant,
            "fallback": variant.language not in (language, asked),
            "text_lang": selectors.HTML_LANG.get(variant.language, variant.language)
            if variant.language != language
            else "",
            "procedures": procedures,
            "question": request.GET.get("q", "")[: selectors.MAX_QUESTION_CHARS],
        },
    )


def _departments(request: IdxRequest) -> QuerySet[Department]:
    return Department.objects.filter(municipality=request.municipality).order_by("code")


def inquiry_new(request: IdxRequest) -> HttpResponseBase:
    resident = _resident(request)
    departments = _departments(request)
    values = {
        "department": request.GET.get("department", ""),
        "subject": "",
        "body": selectors.clean_question(request.GET.get("q", ""))[: selectors.MAX_QUESTION_CHARS],
        "name": "",
        "email": "",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        if values["department"] == UNSURE:  # 「わからない」: the city's general desk
            department = general_desk(request.municipality)
        else:
            department = departments.filter(code=values["department"]).first()
        try:
            inquiry, token = inquiry_services.inquiry_create(
                municipality=request.municipality,
                department=department,
                resident=resident,
                name=values["name"],
                email=values["email"],
                subject=values["subject"],
                body=values["body"],
                language=translation.get_language() or "ja",
            )
        except inquiry_services.InquiryInvalid as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                _("Your inquiry has been sent. Tracking number: %(number)s") % {"number": inquiry.public_id},
            )
            if resident is not None:
                return redirect("portal:inquiry_detail", public_id=inquiry.public_id)
            url = reverse("portal:inquiry_detail", kwargs={"public_id": inquiry.public_id})
            return HttpResponseRedirect(f"{url}?{urlencode({'t': token})}")
    return render(
        request,
        "portal/assist/inquiry_new.html",
        {
            "departments": departments,
            "values": values,
            "errors": errors,
            "resident": resident,
            "unsure": UNSURE,
        },
        status=400 if errors else 200,
    )


def _inquiry_for(request: IdxRequest, public_id: str) -> tuple[Inquiry, str]:
    token = request.GET.get("t", "") or request.POST.get("t", "")
    inquiry = selectors.inquiry_get_for_resident(
        municipality=request.municipality, public_id=public_id, user=_resident(request), token=token
    )
    if inquiry is None:
        raise Http404
    return inquiry, token


def inquiry_detail(request: IdxRequest, public_id: str) -> HttpResponseBase:
    inquiry, token = _inquiry_for(request, public_id)
    response = render(
        request,
        "portal/assist/inquiry_detail.html",
        {"inquiry": inquiry, "thread": inquiry.messages.all(), "token": token, "errors": {}, "body": ""},
    )
    response["Referrer-Policy"] = "no-referrer"  # the link's secret stays out of other sites' logs
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def inquiry_reply(request: IdxRequest, public_id: str) -> HttpResponseBase:
    inquiry, token = _inquiry_for(request, public_id)
    body = request.POST.get("body", "")
    try:
        inquiry_services.inquiry_reply(inquiry=inquiry, body=body, resident=_resident(request))
    except inquiry_services.InquiryInvalid as exc:
        return render(
            request,
            "portal/assist/inquiry_detail.html",
            {
                "inquiry": inquiry,
                "thread": inquiry.messages.all(),
                "token": token,
                "errors": exc.errors,
                "body": body,
            },
            status=400,
        )
    messages.success(request, _("Your message has been sent."))
    url = reverse("portal:inquiry_detail", kwargs={"public_id": inquiry.public_id})
    return HttpResponseRedirect(f"{url}?{urlencode({'t': token})}" if token else url)


@resident_required
def my_inquiries(request: IdxRequest) -> HttpResponseBase:
    return render(
        request,
        "portal/assist/my_inquiries.html",
        {"inquiries": selectors.inquiries_of_resident(resident=request.user)},
    )
