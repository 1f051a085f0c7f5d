"""Resident pages of the notification service, and the public alert feeds (CAP 1.2 and Atom)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings as django_settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from idx.identity.http import IdxRequest, sign_in_required
from idx.notifications import services
from idx.notifications.alerts import active_alerts, texts_for
from idx.notifications.cap import atom_feed, cap_document
from idx.notifications.models import Alert, AlertMode, Area, Message, Subscription, Topic
from idx.notifications.unsubscribe import TokenInvalid, unsubscribe_check

resident_required = sign_in_required(lambda user: user.is_resident, "portal:login")


def alert_banner(request: HttpRequest) -> dict[str, Any]:
    """Context for every page: the real alerts in force (the emergency banner)."""
    from django.conf import settings

    municipality = getattr(request, "municipality", None)
    if municipality is None or settings.IDX_ROLE not in ("portal", "all"):
        return {"emergency_alerts": []}
    language = translation.get_language() or "ja"
    return {
        "emergency_alerts": [
            {"alert": alert, "texts": texts_for(alert, language)}
            for alert in active_alerts(municipality.pk)[:3]
        ]
    }


@resident_required
def inbox(request: IdxRequest) -> HttpResponseBase:
    items = Message.objects.filter(recipient=request.user, channel="inbox").order_by("-created_at")[:100]
    return render(request, "notifications/inbox.html", {"items": items})


def _time(value: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(value) if value else None
    except ValueError:
        return None


@resident_required
def subscriptions(request: IdxRequest) -> HttpResponseBase:
    subscription, _made = Subscription.objects.get_or_create(user=request.user)
    areas = Area.objects.filter(municipality=request.municipality)
    error = ""
    if request.method == "POST":
        quiet_start, quiet_end = (
            _time(request.POST.get("quiet_start", "")),
            _time(request.POST.get("quiet_end", "")),
        )
        if (quiet_start is None) != (quiet_end is None):
            error = _("Give both the start and the end of the quiet hours, or neither.")
        else:
            services.subscription_update(
                user=request.user,
                topics=request.POST.getlist("topics"),
                area_ids=[int(value) for value in request.POST.getlist("areas") if value.isdecimal()],
                channel_names=request.POST.getlist("channels"),
                quiet_start=quiet_start,
                quiet_end=quiet_end,
            )
            messages.success(request, _("Your notification settings have been saved."))
            return redirect("notifications:subscriptions")
    chosen_areas = set(subscription.areas.values_list("pk", flat=True))
    return render(
        request,
        "notifications/subscriptions.html",
        {
            "topics": [(value, label, value in subscription.topics) for value, label in Topic.choices],
            "areas": [(area, area.pk in chosen_areas) for area in areas],
            "subscription": subscription,
            "error": error,
            "vapid_public_key": django_settings.IDX_VAPID_PUBLIC_KEY,
        },
        status=422 if error else 200,
    )


@resident_required
def line_code(request: IdxRequest) -> HttpResponseBase:
    """Show a code to send to the city's LINE account (POST: a new one)."""
    from idx.notifications.line import CODE_MINUTES, link_code_issue

    if request.method != "POST":
        return redirect("notifications:subscriptions")
    code = link_code_issue(user=request.user)
    return render(request, "notifications/line_code.html", {"code": code, "minutes": CODE_MINUTES})


@csrf_exempt  # RFC 8058 one-click: mail programs POST without a form; the signed link is the authority
def unsubscribe(request: IdxRequest, token: str) -> HttpResponseBase:
    """One click from a message: stop one topic (no sign-in needed; the link is signed)."""
    from idx.identity.models import User

    try:
        user_id, topic = unsubscribe_check(token)
    except TokenInvalid as exc:
        raise Http404 from exc
    user = User.objects.filter(pk=user_id, municipality=request.municipality).first()
    if user is None or topic not in Topic.values:
        raise Http404
    done = False
    if request.method == "POST":
        services.unsubscribe_topic(user=user, topic=topic)
        done = True
    return render(request, "notifications/unsubscribe.html", {"topic": Topic(topic).label, "done": done})


# ---- alerts, public ---------------------------------------------------------------------------


@require_GET
def alert_list(request: IdxRequest) -> HttpResponseBase:
    recent = (
        Alert.objects.filter(municipality=request.municipality, sent_at__isnull=False)
        .exclude(mode=AlertMode.TEST)
        .prefetch_related("areas")
        .order_by("-sent_at")[:50]
    )
    language = translation.get_language() or "ja"
    from idx.notifications.guide import guide_for, shelters_for

    return render(
        request,
        "notifications/alerts.html",
        {
            "alerts": [{"alert": alert, "texts": texts_for(alert, language)} for alert in recent],
            "guide": guide_for(request.municipality),
            "shelters": shelters_for(request.municipality),
        },
    )


@require_GET
def alert_cap(request: IdxRequest, identifier: str) -> HttpResponseBase:
    alert = get_object_or_404(
        Alert.objects.select_related("municipality", "references"),
        municipality=request.municipality,
        identifier=identifier,
        sent_at__isnull=False,
    )
    body = cap_document(alert, web_url=request.build_absolute_uri(reverse("notifications:alerts")))
    return HttpResponse(body, content_type="application/cap+xml; charset=utf-8")


@require_GET
def alert_feed(request: IdxRequest) -> HttpResponseBase:
    alerts = list(
        Alert.objects.filter(municipality=request.municipality, sent_at__isnull=False)
        .select_related("municipality")
        .order_by("-sent_at")[:50]
    )
    cap_url = request.build_absolute_uri(reverse("notifications:alert_cap", kwargs={"identifier": "IDENT"}))
    body = atom_feed(
        alerts,
        feed_url=request.build_absolute_uri(reverse("notifications:alert_feed")),
        cap_url=cap_url.replace("IDENT", "%s"),
        title=f"{request.municipality.name} 防災情報",
    )
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")


@resident_required
def web_push_subscribe(request: IdxRequest) -> HttpResponseBase:
    """The browser's push subscription, posted as JSON by webpush.js (POST adds, DELETE removes)."""
    import json

    from django.http import JsonResponse

    from idx.notifications.models import WebPushSubscription
    from idx.notifications.push_endpoints import EndpointRefused
    from idx.notifications.services import SubscriptionTaken
    from idx.notifications.services import web_push_subscribe as web_push_subscribe_service

    try:
        data = json.loads(request.body or b"{}")
        endpoint = str(data["endpoint"])
        keys = data.get("keys") or {}
        p256dh, auth = str(keys["p256dh"]), str(keys["auth"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "invalid subscription"}, status=400)
    if request.method == "DELETE":
        WebPushSubscription.objects.filter(user=request.user, endpoint=endpoint).delete()
        return JsonResponse({"ok": True})
    if request.method != "POST" or len(endpoint) > 1000 or len(p256dh) > 200 or len(auth) > 100:
        return JsonResponse({"error": "invalid subscription"}, status=400)
    try:
        web_push_subscribe_service(user=request.user, endpoint=endpoint, p256dh=p256dh, auth=auth)
    except EndpointRefused:
        return JsonResponse({"error": "invalid endpoint"}, status=400)
    except SubscriptionTaken:
        return JsonResponse({"error": "subscription of another account"}, status=409)
    return JsonResponse({"ok": True}, status=201)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker for Web Push, served from the root so it controls the whole portal."""
    from django.contrib.staticfiles import finders

    path = finders.find("idx/sw.js")
    body = open(path, encoding="utf-8").read() if path else ""  # noqa: PTH123, SIM115
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: IdxRequest) -> HttpResponse:
    """The web app manifest: the portal can be installed on a phone's home screen."""
    import json

    data = {
        "name": f"{request.municipality.name} オンライン申請",
        "short_name": request.municipality.name,
        "start_url": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0017c1",
        "lang": "ja",
        "icons": [],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")
