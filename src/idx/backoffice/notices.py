"""お知らせ配信 in the back office, and delivery statistics per message purpose."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from idx.notifications import notices as notice_services
from idx.notifications.models import Area, Message, Notice, Topic
from idx.web.http import IdxRequest, staff_required

LANGUAGES_EDITED = (("ja", "日本語"), ("ja-easy", "やさしい日本語"), ("en", "English"))


def _statistics(municipality_id: int) -> list[dict[str, Any]]:
    since = timezone.now() - dt.timedelta(days=30)
    rows = (
        Message.objects.filter(municipality_id=municipality_id, created_at__gte=since)
        .values("purpose", "channel", "status")
        .annotate(count=Count("pk"))
        .order_by("purpose", "channel", "status")
    )
    table: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        table.setdefault((row["purpose"], row["channel"]), {})[row["status"]] = row["count"]
    return [
        {"purpose": purpose, "channel": channel, "counts": counts, "total": sum(counts.values())}
        for (purpose, channel), counts in table.items()
    ]


@staff_required
def notice_list(request: IdxRequest) -> HttpResponseBase:
    if not notice_services.may_send(request.user):
        raise Http404
    areas = list(Area.objects.filter(municipality=request.municipality))
    errors: list[str] = []
    values: Any = {}
    if request.method == "POST":
        values = request.POST
        texts = {
            code: {
                "subject": request.POST.get(f"{code}-subject", ""),
                "body": request.POST.get(f"{code}-body", ""),
            }
            for code, _name in LANGUAGES_EDITED
        }
        try:
            notice_services.notice_send(
                staff=request.user,
                topic=request.POST.get("topic", ""),
                areas=[area for area in areas if str(area.pk) in request.POST.getlist("areas")],
                texts=texts,
            )
        except notice_services.NoticeInvalid as exc:
            errors = exc.problems
        else:
            messages.success(request, _("The notice is being sent to the residents who follow the topic."))
            return redirect("backoffice:notice_list")
    sent = Notice.objects.filter(municipality=request.municipality).annotate(
        messages_count=Count("messages")
    )[:30]
    return render(
        request,
        "backoffice/notices.html",
        {
            "topics": Topic.choices,
            "areas": areas,
            "languages": LANGUAGES_EDITED,
            "values": values,
            "errors": errors,
            "notices": sent,
            "statistics": _statistics(request.municipality.pk),
        },
        status=422 if errors else 200,
    )
