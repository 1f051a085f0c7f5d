"""The city's own wording of messages (templates per purpose and language), for city administrators.

Each purpose reads with a name and a line on when it is sent; the standard wording (built into
IDX) is shown beside the city's own; placeholders are explained with an example; a preview
fills them with realistic sample values for each channel (e-mail, SMS with its length and
segments, LINE, push). Going back to the standard wording asks for confirmation first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.identity.policy import Action, Scope, scope_of
from idx.notifications import services
from idx.notifications.models import MessageTemplate
from idx.web.http import IdxRequest, staff_required


def _require_admin(request: IdxRequest) -> None:
    if scope_of(request.user.role, Action.EDIT_PROCEDURE) != Scope.ALL_DEPARTMENTS:
        raise Http404


# What residents receive most comes first; purposes registered later by other domains follow by name.
_FIRST = (
    "application_status",
    "inquiry",
    "booking_confirmation",
    "booking_reminder",
    "booking_cancellation",
    "alert",
)

# Each purpose's name and when it is sent (a purpose registered without one shows its code).
PURPOSES: dict[str, tuple[Promise, Promise]] = {
    "application_status": (
        gettext_lazy("Application received, correction requested or decided"),
        gettext_lazy(
            "Sent when an application is received, when the department asks for a correction, and when it is approved, rejected or withdrawn."
        ),
    ),
    "inquiry": (
        gettext_lazy("Inquiry received or answered"),
        gettext_lazy("Sent when the city receives a resident's inquiry and when the department answers it."),
    ),
    "booking_confirmation": (
        gettext_lazy("Booking confirmed"),
        gettext_lazy("Sent when a resident books a counter visit or a consultation, or changes its time."),
    ),
    "booking_reminder": (
        gettext_lazy("Booking reminder"),
        gettext_lazy("Sent the day before a booking."),
    ),
    "booking_cancellation": (
        gettext_lazy("Booking cancelled"),
        gettext_lazy("Sent when a booking is cancelled by the resident or by the department."),
    ),
    "alert": (
        gettext_lazy("Disaster and emergency alert"),
        gettext_lazy("Sent to residents of the areas concerned when the city issues or updates an alert."),
    ),
    "event_registration": (
        gettext_lazy("Event registration received"),
        gettext_lazy("Sent when a resident registers for an event or course, or is put on its waiting list."),
    ),
    "event_waitlist_promotion": (
        gettext_lazy("Moved up from the waiting list"),
        gettext_lazy("Sent when a place frees up and a resident on the waiting list gets it."),
    ),
    "event_cancellation": (
        gettext_lazy("Event registration cancelled"),
        gettext_lazy("Sent when a resident cancels, or when the city cancels the event (with the reason)."),
    ),
    "event_reminder": (
        gettext_lazy("Event reminder"),
        gettext_lazy("Sent the day before an event."),
    ),
    "event_change": (
        gettext_lazy("Event changed"),
        gettext_lazy(
            "Sent when the city changes the date, time or place of an event to everyone registered or waiting."
        ),
    ),
}

# What each placeholder holds, in the staff member's language, and a realistic example value.
PLACEHOLDER_HELP: dict[str, tuple[Promise, str]] = {
    "name": (gettext_lazy("The resident's name"), "伊賀 太郎"),
    "procedure": (
        gettext_lazy("The procedure's name"),
        "児童手当等の受給資格及び児童手当の額についての認定請求",
    ),
    "receipt_number": (gettext_lazy("The application's receipt number"), "IGA-2026-000123"),
    "status": (gettext_lazy("The new status, in words"), "承認"),
    "url": (
        gettext_lazy("The page on the portal the message is about"),
        "https://www.city.iga.lg.jp/my/applications/8f3k2/",
    ),
    "department": (gettext_lazy("The department's name"), "こども家庭課"),
    "phone": (gettext_lazy("The department's phone number"), "0595-22-9654"),
    "municipality": (gettext_lazy("The municipality's name"), "伊賀市"),
    "tracking_number": (gettext_lazy("The inquiry's tracking number"), "Q-7K3M-92PD"),
    "subject": (gettext_lazy("The inquiry's subject"), "児童手当の振込日について"),
    "event": (gettext_lazy("Received or answered, in words"), "回答しました"),
    "answer": (
        gettext_lazy("The department's answer (when answered)"),
        "児童手当は6月、8月、10月、12月、2月、4月の各10日に振り込みます。",
    ),
    "service": (gettext_lazy("The service booked"), "マイナンバーカードの受け取り"),
    "date": (gettext_lazy("The day of the booking"), "2026年6月10日（水）"),
    "time": (gettext_lazy("The time of the booking (start–end)"), "10:00–10:30"),
    "location": (gettext_lazy("Where to come, or the online meeting"), "伊賀市役所 本庁舎1階 市民課"),
    "code": (gettext_lazy("The booking number, to show at the counter"), "B-4821"),
    "meeting_url": (gettext_lazy("The video meeting link of an online consultation (else empty)"), ""),
    "headline": (gettext_lazy("The alert's headline"), "【避難指示】上野地区に避難指示を発令しました"),
    "description": (gettext_lazy("What happens"), "木津川の水位が氾濫危険水位に達しました。"),
    "instruction": (gettext_lazy("What to do"), "直ちに近くの指定避難所へ避難してください。"),
    "areas": (gettext_lazy("The areas concerned"), "上野地区、伊賀地区"),
}

# The standard wording in Japanese, written with the placeholders, as a starting point for the
# city's own (IDX sends its built-in, translated wording while the city has none).
STANDARD_JA: dict[str, tuple[str, str]] = {
    "application_status": (
        "【{municipality}】{procedure}（受付番号：{receipt_number}）",
        "{name} 様\n\n{procedure}の申請の状況が「{status}」になりました。\n\n受付番号：{receipt_number}\n"
        "詳しくはこちら：{url}\n\n問い合わせ先：{department} {phone}\n{municipality}",
    ),
    "inquiry": (
        "お問い合わせ（{tracking_number}）について",
        "{name} 様\n\nお問い合わせを{event}。\n\n{answer}\n\n受付番号：{tracking_number}\n件名：{subject}\n"
        "詳細と返信：{url}\n\n問い合わせ先：{department} {phone}\n{municipality}",
    ),
    "booking_confirmation": (
        "【{municipality}】予約を受け付けました：{service} {date} {time}",
        "{name} 様\n\n次のとおり予約を受け付けました。\n\n内容：{service}\n日付：{date}\n時間：{time}\n"
        "場所：{location}\n予約番号：{code}\n\n窓口で予約番号をお示しください。\n変更・取消し：{url}\n\n"
        "問い合わせ先：{department} {phone}\n{municipality}",
    ),
    "booking_reminder": (
        "【{municipality}】明日のご予約：{service} {time}",
        "{name} 様\n\n明日のご予約のお知らせです。\n\n内容：{service}\n日付：{date}\n時間：{time}\n"
        "場所：{location}\n予約番号：{code}\n\nご都合が悪くなった場合は取り消してください。\n変更・取消し：{url}\n\n"
        "問い合わせ先：{department} {phone}\n{municipality}",
    ),
    "booking_cancellation": (
        "【{municipality}】予約を取り消しました：{service} {date} {time}",
        "{name} 様\n\n次の予約を取り消しました。\n\n内容：{service}\n日付：{date}\n時間：{time}\n"
        "予約番号：{code}\n\n別の日時はポータルから予約できます。\n\n問い合わせ先：{department} {phone}\n{municipality}",
    ),
    "alert": (
        "{headline}",
        "{description}\n\n{instruction}\n\n対象地区：{areas}\n{municipality}",
    ),
}

SMS_LIMIT = 670  # the longest SMS the carriers in Japan deliver (full-width text: 10 parts of 67)
GSM_CHARACTERS = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
HTML_LANG = {"ja-easy": "ja", "pt-br": "pt-BR", "zh-hans": "zh-Hans"}
PUSH_LIMIT = 1000  # the push channel sends at most this much of the text


def _listing_order(purpose: str) -> tuple[int, str]:
    return (_FIRST.index(purpose) if purpose in _FIRST else len(_FIRST), purpose)


def purpose_name(purpose: str) -> str:
    return str(PURPOSES[purpose][0]) if purpose in PURPOSES else purpose


def _language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


def sms_segments(text: str) -> tuple[int, int, bool]:
    """(characters, parts, Japanese-capable encoding): 160/153 per part in GSM 7-bit, 70/67 in UCS-2."""
    length = len(text)
    ucs2 = any(character not in GSM_CHARACTERS for character in text)
    single, part = (70, 67) if ucs2 else (160, 153)
    return length, (1 if length <= single else math.ceil(length / part)) if length else 0, ucs2


# Where a placeholder means something else in one purpose's messages (an event's title, not an
# inquiry's "received or answered").
PURPOSE_PLACEHOLDER_HELP: dict[str, dict[str, tuple[Promise, str]]] = {
    purpose: {
        "event": (gettext_lazy("The event's title"), "スマホ教室（はじめてのスマートフォン）"),
        "date": (gettext_lazy("The day of the event"), "2026年12月20日（日）"),
        "time": (gettext_lazy("The time of the event (start–end)"), "10:00–12:00"),
        "place": (gettext_lazy("Where it takes place (or online)"), "ハイトピア伊賀 4階 研修室"),
        "url": (
            gettext_lazy("The registration's page (QR code for check-in, join link, cancelling)"),
            "https://www.city.iga.lg.jp/my/events/3f9a1c/",
        ),
        "reason": (gettext_lazy("Why the city cancelled the event (else empty)"), ""),
    }
    for purpose in (
        "event_registration",
        "event_waitlist_promotion",
        "event_cancellation",
        "event_reminder",
        "event_change",
    )
}


def placeholder_help(purpose: str, name: str) -> tuple[Promise, str] | None:
    return PURPOSE_PLACEHOLDER_HELP.get(purpose, {}).get(name) or PLACEHOLDER_HELP.get(name)


def sample_values(purpose: str) -> dict[str, str]:
    return {
        name: (placeholder_help(purpose, name) or ("", name))[1] for name in services.PLACEHOLDERS[purpose]
    }


@dataclass
class Preview:
    subject: str
    body: str
    sms_length: int
    sms_parts: int
    sms_too_long: bool
    line: str
    push_title: str
    push_body: str


def preview_of(purpose: str, subject: str, body: str) -> Preview:
    values = sample_values(purpose)
    filled_subject, filled_body = subject.format_map(values), body.format_map(values)
    length, parts, _ucs2 = sms_segments(filled_body)
    return Preview(
        subject=filled_subject,
        body=filled_body,
        sms_length=length,
        sms_parts=parts,
        sms_too_long=length > SMS_LIMIT,
        line=f"{filled_subject}\n\n{filled_body}"[:5000],
        push_title=filled_subject,
        push_body=filled_body[:PUSH_LIMIT],
    )


@staff_required
def template_list(request: IdxRequest) -> HttpResponseBase:
    _require_admin(request)
    own = {
        (template.purpose, template.language): template
        for template in MessageTemplate.objects.filter(municipality=request.municipality)
    }
    purposes = [
        {
            "purpose": purpose,
            "name": purpose_name(purpose),
            "description": PURPOSES[purpose][1] if purpose in PURPOSES else "",
            "languages": [
                {"language": code, "language_name": name, "template": own.get((purpose, code))}
                for code, name in settings.LANGUAGES
            ],
        }
        for purpose in sorted(services.PLACEHOLDERS, key=_listing_order)
    ]
    return render(request, "backoffice/message_templates.html", {"purposes": purposes})


def _errors(purpose: str, values: Mapping[str, str]) -> dict[str, list[str]]:
    """Problems by field (subject, body), each translated."""
    errors: dict[str, list[str]] = {}
    if not values["subject"]:
        errors.setdefault("subject", []).append(_("Enter the subject."))
    if not values["body"]:
        errors.setdefault("body", []).append(_("Enter the text."))
    for field in ("subject", "body"):
        if values[field]:
            found = services.template_problems(purpose, values[field])
            if found:
                errors.setdefault(field, []).extend(found)
    return errors


def _page(request: IdxRequest, purpose: str, language: str) -> dict[str, object]:
    existing = MessageTemplate.objects.filter(
        municipality=request.municipality, purpose=purpose, language=language
    ).first()
    standard = STANDARD_JA.get(purpose)
    return {
        "purpose": purpose,
        "purpose_name": purpose_name(purpose),
        "description": PURPOSES[purpose][1] if purpose in PURPOSES else "",
        "language": language,
        "language_name": _language_name(language),
        "html_lang": HTML_LANG.get(language, language),
        "placeholders": [
            {
                "name": name,
                "meaning": (placeholder_help(purpose, name) or (meaning, ""))[0],
                "example": (placeholder_help(purpose, name) or (meaning, ""))[1],
            }
            for name, meaning in services.PLACEHOLDERS[purpose].items()
        ],
        "standard": standard,
        "existing": existing,
        "sms_limit": SMS_LIMIT,
    }


@staff_required
def template_edit(request: IdxRequest, purpose: str, language: str) -> HttpResponseBase:
    _require_admin(request)
    if purpose not in services.PLACEHOLDERS or language not in dict(settings.LANGUAGES):
        raise Http404
    context = _page(request, purpose, language)
    existing = context["existing"]
    standard = STANDARD_JA.get(purpose)
    if isinstance(existing, MessageTemplate):
        values = {"subject": existing.subject, "body": existing.body}
    elif standard is not None and language.startswith("ja"):
        values = {"subject": standard[0], "body": standard[1]}
    else:
        values = {"subject": "", "body": ""}
    errors: dict[str, list[str]] = {}
    preview: Preview | None = None
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            return redirect("backoffice:template_reset", purpose=purpose, language=language)
        values = {
            "subject": request.POST.get("subject", "").strip(),
            "body": request.POST.get("body", "").strip(),
        }
        errors = _errors(purpose, values)
        if not errors and request.POST.get("action") == "preview":
            preview = preview_of(purpose, values["subject"], values["body"])
        elif not errors:
            try:
                services.template_save(
                    municipality=request.municipality,
                    purpose=purpose,
                    language=language,
                    subject=values["subject"],
                    body=values["body"],
                    actor=request.user,
                )
            except services.TemplateInvalid as exc:
                errors = {"body": exc.problems}
            else:
                messages.success(request, _("The wording has been saved."))
                return redirect("backoffice:template_list")
    labels = {"subject": _("Subject"), "body": _("Text")}
    summary = [
        (labels[field], problem, f"template-{field}")
        for field in ("subject", "body")
        for problem in errors.get(field, [])
    ]
    return render(
        request,
        "backoffice/message_template_edit.html",
        {**context, "values": values, "errors": errors, "summary": summary, "preview": preview},
        status=422 if errors else 200,
    )


@staff_required
def template_reset(request: IdxRequest, purpose: str, language: str) -> HttpResponseBase:
    """Going back to the standard wording deletes the city's own: a page asks first."""
    _require_admin(request)
    if purpose not in services.PLACEHOLDERS or language not in dict(settings.LANGUAGES):
        raise Http404
    existing = MessageTemplate.objects.filter(
        municipality=request.municipality, purpose=purpose, language=language
    ).first()
    if existing is None:
        raise Http404
    if request.method == "POST":
        services.template_reset(template=existing, actor=request.user)
        messages.success(request, _("The standard wording is used again."))
        return redirect("backoffice:template_list")
    return render(
        request,
        "backoffice/message_template_reset.html",
        {**_page(request, purpose, language), "existing": existing},
    )
