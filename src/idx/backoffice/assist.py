"""Staff pages of the FAQ knowledge base (edit, CSV, gap list) and of inquiries (answer, close, make an FAQ)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.assist import selectors
from idx.assist.models import Category, Faq, Inquiry, InquiryStatus, UnansweredQuestion
from idx.assist.services import faqs as faq_services
from idx.assist.services import gaps as gap_services
from idx.assist.services import inquiries as inquiry_services
from idx.backoffice.disaster_guide import may_set_inquiry_desk
from idx.common.language import html_lang
from idx.common.replica import replica_reads
from idx.identity.policy import Action, can
from idx.procedures.models import Procedure
from idx.web.csv import csv_download, csv_lines
from idx.web.http import IdxRequest, staff_required

MAX_IMPORT_BYTES = 10 * 1024 * 1024


def _require(request: IdxRequest, action: Action) -> None:
    if not can(request.user, action):
        raise Http404


# ---- FAQs ---------------------------------------------------------------------------------------------


@staff_required
def faq_list(request: IdxRequest) -> HttpResponseBase:
    _require(request, Action.EDIT_FAQ)
    query = request.GET.get("q", "")[:100]
    category = request.GET.get("category", "")
    faqs = selectors.faqs_for_staff(staff=request.user, query=query, category=category)
    rows = []
    for faq in faqs[:300]:
        present = {v.language for v in faq.variants.all()}
        languages = [(html_lang(code), name) for code, name in settings.LANGUAGES if code in present]
        ja = next((v for v in faq.variants.all() if v.language == "ja"), None)
        rows.append((faq, ja.question if ja else faq.key, languages))
    return render(
        request,
        "backoffice/assist/faq_list.html",
        {
            "rows": rows,
            "total": faqs.count(),
            "query": query,
            "category": category,
            "categories": Category.choices,
            "open_gaps": selectors.gaps_for_staff(staff=request.user).count(),
            "may_set_desk": may_set_inquiry_desk(request.user),
        },
    )


def _faq_form_values(request: IdxRequest, faq: Faq | None) -> dict[str, Any]:
    if request.method == "POST":
        post = request.POST
        return {
            "key": post.get("key", "").strip(),
            "category": post.get("category", ""),
            "department": post.get("department", ""),
            "procedures": post.getlist("procedures"),
            "published": post.get("published") == "on",
            "texts": {
                code: (post.get(f"question-{code}", ""), post.get(f"answer-{code}", ""))
                for code, _name in settings.LANGUAGES
            },
            "keywords": {code: post.get(f"keywords-{code}", "") for code, _name in settings.LANGUAGES},
        }
    if faq is not None:
        variants = {v.language: v for v in faq.variants.all()}
        return {
            "key": faq.key,
            "category": faq.category,
            "department": faq.department.code if faq.department else "",
            "procedures": list(faq.procedures),
            "published": faq.published,
            "texts": {
                code: ((variants[code].question, variants[code].answer) if code in variants else ("", ""))
                for code, _name in settings.LANGUAGES
            },
            "keywords": {
                code: (variants[code].keywords if code in variants else "")
                for code, _name in settings.LANGUAGES
            },
        }
    prefill = request.GET.get("question", "")[:300]
    return {
        "key": "",
        "category": request.GET.get("category", ""),
        "department": request.user.department.code if request.user.department else "",
        "procedures": [],
        "published": True,
        "texts": {code: ((prefill, "") if code == "ja" else ("", "")) for code, _name in settings.LANGUAGES},
        "keywords": {},
    }


@staff_required
def faq_edit(request: IdxRequest, key: str = "") -> HttpResponseBase:
    _require(request, Action.EDIT_FAQ)
    faq = None
    if key:
        faq = selectors.faq_get_for_staff(staff=request.user, key=key)
        if faq is None:
            raise Http404
    departments = selectors.departments_for_faq(request.user)
    errors: dict[str, str] = {}
    values = _faq_form_values(request, faq)
    if request.method == "POST":
        if faq is not None and request.POST.get("action") == "delete":
            faq_services.faq_delete(faq=faq, actor=request.user)
            messages.success(request, _("The FAQ has been deleted."))
            return redirect("backoffice:faq_list")
        department = departments.filter(code=values["department"]).first()
        if values["department"] and department is None:
            errors["department"] = _("You can only file FAQs under your own department.")
        elif department is None and not _city_wide(request):
            errors["department"] = _("Choose the department that answers this question.")
        if not errors:
            try:
                saved = faq_services.faq_save(
                    municipality=request.municipality,
                    actor=request.user,
                    original_key=faq.key if faq else "",
                    data=faq_services.FaqData(
                        key=values["key"],
                        category=values["category"],
                        department_code=values["department"],
                        procedures=values["procedures"],
                        texts={code: pair for code, pair in values["texts"].items() if pair[0] or pair[1]},
                        keywords={
                            code: text.splitlines()
                            for code, text in values["keywords"].items()
                            if text.strip()
                        },
                        published=values["published"],
                    ),
                )
            except faq_services.FaqInvalid as exc:
                errors = exc.errors
            else:
                gap_id = request.GET.get("gap", "")
                if gap_id.isdigit():
                    gap = selectors.gaps_for_staff(staff=request.user).filter(pk=int(gap_id)).first()
                    if gap is not None:
                        gap_services.gap_resolve(gap=gap, actor=request.user, faq=saved)
                messages.success(request, _("The FAQ has been saved."))
                return redirect("backoffice:faq_edit", key=saved.key)
    language_rows = [
        (
            code,
            name,
            values["texts"].get(code, ("", ""))[0],
            values["texts"].get(code, ("", ""))[1],
            values["keywords"].get(code, ""),
        )
        for code, name in settings.LANGUAGES
    ]
    return render(
        request,
        "backoffice/assist/faq_edit.html",
        {
            "faq": faq,
            "values": values,
            "errors": errors,
            "departments": departments,
            "categories": Category.choices,
            "language_rows": language_rows,
            "procedures": Procedure.objects.filter(municipality=request.municipality).order_by("code"),
        },
        status=400 if errors else 200,
    )


def _city_wide(request: IdxRequest) -> bool:
    from idx.identity.policy import Scope, scope_of

    return scope_of(request.user.role, Action.EDIT_FAQ) == Scope.ALL_DEPARTMENTS


@staff_required
@replica_reads
def faq_export(request: IdxRequest) -> HttpResponseBase:
    _require(request, Action.EDIT_FAQ)
    stamp = timezone.localtime().strftime("%Y%m%d")
    # The service guards the cells itself: the import reads the file back and takes the guard off.
    rows = faq_services.faq_csv_rows(request.municipality)
    return csv_download(csv_lines(rows, guarded=True), f"faqs-{request.municipality.slug}-{stamp}.csv")


@staff_required
def faq_import(request: IdxRequest) -> HttpResponseBase:
    _require(request, Action.EDIT_FAQ)
    if not _city_wide(request):
        raise Http404  # a file may touch any department's FAQs: city-wide editors only
    result: faq_services.ImportResult | None = None
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            result = faq_services.ImportResult(errors=[(0, _("Choose a CSV file."))])
            status = 400
        elif upload.size is not None and upload.size > MAX_IMPORT_BYTES:
            result = faq_services.ImportResult(errors=[(0, _("The file is larger than 10 MB."))])
            status = 400
        else:
            try:
                result = faq_services.faq_import_csv(
                    municipality=request.municipality, actor=request.user, content=upload.read()
                )
            except faq_services.CsvInvalid as exc:
                result = exc.result
                status = 400
            else:
                messages.success(
                    request,
                    _("Imported: %(created)d new, %(updated)d changed.")
                    % {"created": result.created, "updated": result.updated},
                )
                return redirect("backoffice:faq_list")
    return render(
        request,
        "backoffice/assist/faq_import.html",
        {"result": result, "columns": faq_services.csv_columns()},
        status=status,
    )


@staff_required
def gap_list(request: IdxRequest) -> HttpResponseBase:
    _require(request, Action.EDIT_FAQ)
    gaps = selectors.gaps_for_staff(staff=request.user)[:200]
    return render(request, "backoffice/assist/gaps.html", {"gaps": gaps})


@staff_required
@require_POST
def gap_resolve(request: IdxRequest, gap_id: int) -> HttpResponseBase:
    _require(request, Action.EDIT_FAQ)
    gap: UnansweredQuestion | None = selectors.gaps_for_staff(staff=request.user).filter(pk=gap_id).first()
    if gap is None:
        raise Http404
    key = request.POST.get("faq", "").strip()
    if key:
        faq = selectors.faq_get_for_staff(staff=request.user, key=key)
        if faq is None:
            messages.error(request, _("No FAQ you may edit has this key."))
            return redirect("backoffice:gap_list")
        gap_services.faq_add_phrasing(faq=faq, phrasing=gap.text, language=gap.language, actor=request.user)
        gap_services.gap_resolve(gap=gap, actor=request.user, faq=faq)
        messages.success(request, _("The FAQ now also answers this way of asking."))
        return redirect("backoffice:gap_list")
    gap_services.gap_resolve(gap=gap, actor=request.user)
    messages.success(request, _("Marked as dealt with."))
    return redirect("backoffice:gap_list")


# ---- inquiries ----------------------------------------------------------------------------------------


@staff_required
def inquiry_list(request: IdxRequest) -> HttpResponseBase:
    _require(request, Action.ANSWER_INQUIRY)
    status = request.GET.get("status", InquiryStatus.OPEN)
    inquiries = selectors.inquiries_for_staff(staff=request.user, status=status)
    all_of_scope = selectors.inquiries_for_staff(staff=request.user)
    stats = selectors.inquiry_stats(
        all_of_scope.values_list("created_at", "first_answered_at", "due_at")[:5000]
    )
    return render(
        request,
        "backoffice/assist/inquiry_list.html",
        {
            "inquiries": inquiries[:200],
            "status": status,
            "statuses": InquiryStatus.choices,
            "now": timezone.now(),
            "stats": stats,
            "may_set_desk": may_set_inquiry_desk(request.user),
        },
    )


def _inquiry(request: IdxRequest, public_id: str) -> Inquiry:
    _require(request, Action.ANSWER_INQUIRY)
    inquiry = selectors.inquiry_get_for_staff(staff=request.user, public_id=public_id)
    if inquiry is None:
        raise Http404
    return inquiry


def _inquiry_page(
    request: IdxRequest,
    inquiry: Any,
    *,
    errors: dict[str, str] | None = None,
    body: str = "",
    status: int = 200,
) -> HttpResponseBase:
    thread = list(inquiry.messages.select_related("author"))
    first = next((m.body for m in thread if not m.from_staff), "")
    suggestions = selectors.answer_question(
        municipality=request.municipality, question=f"{inquiry.subject} {first}"[:500], language="ja"
    ).items
    use = request.GET.get("use", "")
    if use and not body:
        chosen = next((item for item in suggestions if item.faq.key == use), None)
        if chosen is not None:
            body = chosen.variant.answer
    last_answer = next((m.body for m in reversed(thread) if m.from_staff), "")
    return render(
        request,
        "backoffice/assist/inquiry_detail.html",
        {
            "inquiry": inquiry,
            "thread": thread,
            "suggestions": suggestions,
            "body": body,
            "errors": errors or {},
            "overdue": inquiry.status == InquiryStatus.OPEN and inquiry.due_at < timezone.now(),
            "faq_question": inquiry.subject,
            "faq_answer": last_answer,
            "categories": Category.choices,
            "may_make_faq": can(request.user, Action.EDIT_FAQ, inquiry.department),
        },
        status=status,
    )


@staff_required
def inquiry_detail(request: IdxRequest, public_id: str) -> HttpResponseBase:
    return _inquiry_page(request, _inquiry(request, public_id))


@staff_required
@require_POST
def inquiry_answer(request: IdxRequest, public_id: str) -> HttpResponseBase:
    inquiry = _inquiry(request, public_id)
    body = request.POST.get("body", "")
    try:
        inquiry_services.inquiry_answer(
            inquiry=inquiry, staff=request.user, body=body, close=request.POST.get("close") == "on"
        )
    except inquiry_services.InquiryInvalid as exc:
        return _inquiry_page(request, inquiry, errors=exc.errors, body=body, status=400)
    messages.success(request, _("The answer has been sent to the resident."))
    return redirect("backoffice:inquiry_detail", public_id=inquiry.public_id)


@staff_required
@require_POST
def inquiry_close(request: IdxRequest, public_id: str) -> HttpResponseBase:
    inquiry = _inquiry(request, public_id)
    inquiry_services.inquiry_close(inquiry=inquiry, staff=request.user)
    messages.success(request, _("The inquiry has been closed."))
    return redirect("backoffice:inquiry_list")


@staff_required
@require_POST
def inquiry_to_faq(request: IdxRequest, public_id: str) -> HttpResponseBase:
    inquiry = _inquiry(request, public_id)
    if not can(request.user, Action.EDIT_FAQ, inquiry.department):
        raise Http404
    try:
        faq = inquiry_services.inquiry_to_faq(
            inquiry=inquiry,
            staff=request.user,
            key=request.POST.get("key", "").strip(),
            category=request.POST.get("category", ""),
            question=request.POST.get("question", ""),
            answer=request.POST.get("answer", ""),
        )
    except faq_services.FaqInvalid as exc:
        messages.error(request, "; ".join(exc.errors.values()))
        return _inquiry_page(request, inquiry, status=400)
    messages.success(request, _("The FAQ has been created. Add its translations here."))
    return redirect("backoffice:faq_edit", key=faq.key)


@staff_required
def faq_synonyms(request: IdxRequest) -> HttpResponseBase:
    """The municipality's own synonym groups (city-wide FAQ editors: they change every department's answers)."""
    _require(request, Action.EDIT_FAQ)
    if not _city_wide(request):
        raise Http404
    from idx.assist.models import SynonymSet
    from idx.assist.text import SYNONYMS_FILE

    saved = SynonymSet.objects.filter(municipality=request.municipality).first()
    content = saved.text if saved else ""
    errors: list[tuple[int, str]] = []
    if request.method == "POST":
        content = request.POST.get("synonyms", "")[:60_000]
        try:
            redone = faq_services.synonyms_save(
                municipality=request.municipality, actor=request.user, content=content
            )
        except faq_services.SynonymsInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Saved. %(count)d FAQs were indexed again.") % {"count": redone})
            return redirect("backoffice:faq_synonyms")
    shipped = [
        line
        for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return render(
        request,
        "backoffice/assist/synonyms.html",
        {"content": content, "errors": errors, "shipped": shipped},
        status=400 if errors else 200,
    )
