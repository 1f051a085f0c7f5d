"""Staff pages of events and courses: the events in sight with their places, the participants of
one (with the help each asked for, デジタル活用支援), check-in at the door (scan the QR code with the
phone's camera, type its code, or find the name), and cancelling an event (a second look; every
registrant is told and paid fees are refunded)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.common.i18n import pick
from idx.events import selectors, services
from idx.events.models import (
    Accessibility,
    Area,
    Category,
    Event,
    EventStatus,
    HelpTopic,
    RegistrationStatus,
)
from idx.identity.policy import Action, can
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import summary_from_form


class CheckInForm(forms.Form):
    code = forms.CharField(max_length=40, label=gettext_lazy("Code under the QR code"), required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (Japanese), told to every registrant"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    reason_en = forms.CharField(
        label=gettext_lazy("Reason (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class EventForm(forms.Form):
    """A new event of the staff member's department (texts in Japanese, English and やさしい日本語)."""

    title_ja = forms.CharField(max_length=120, label=gettext_lazy("Title (Japanese)"))
    title_easy = forms.CharField(max_length=120, required=False, label=gettext_lazy("Title (easy Japanese)"))
    title_en = forms.CharField(max_length=120, required=False, label=gettext_lazy("Title (English)"))
    description_ja = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=gettext_lazy("Description (Japanese)"),
    )
    description_en = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Description (English)"),
    )
    category = forms.ChoiceField(choices=Category.choices, label=gettext_lazy("Kind"))
    area = forms.ChoiceField(choices=Area.choices, label=gettext_lazy("Area"))
    place_ja = forms.CharField(max_length=200, required=False, label=gettext_lazy("Place (Japanese)"))
    place_en = forms.CharField(max_length=200, required=False, label=gettext_lazy("Place (English)"))
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    registration_deadline = forms.DateTimeField(
        label=gettext_lazy("Registration closes"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    capacity = forms.IntegerField(min_value=1, max_value=100000, label=gettext_lazy("Places"))
    waitlist_size = forms.IntegerField(
        min_value=0, max_value=10000, initial=0, label=gettext_lazy("Waiting list")
    )
    max_companions = forms.IntegerField(
        min_value=0, max_value=10, initial=0, label=gettext_lazy("Companions")
    )
    fee = forms.IntegerField(
        min_value=0, max_value=1000000, initial=0, label=gettext_lazy("Fee (yen per person)")
    )
    online = forms.BooleanField(required=False, label=gettext_lazy("Online event"))
    join_base_url = forms.URLField(
        assume_scheme="https",
        required=False,
        label=gettext_lazy("Meeting link (each registrant gets their own)"),
    )
    accessibility = forms.MultipleChoiceField(
        choices=Accessibility.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Accessibility"),
    )
    accessibility_note_ja = forms.CharField(
        max_length=500, required=False, label=gettext_lazy("Accessibility note (Japanese)")
    )


@staff_required
def event_new(request: IdxRequest) -> HttpResponseBase:
    """A new event of the own department, published at once (the public sees it in every language)."""
    department = request.user.department
    if department is None or not can(request.user, Action.MANAGE_EVENTS, department):
        raise Http404
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def texts(**by_language: str) -> dict[str, str]:
            return {language: text for language, text in by_language.items() if text}

        try:
            event = services.event_create(
                staff=request.user,
                department_id=department.pk,
                titles=texts(ja=data["title_ja"], en=data["title_en"], **{"ja-easy": data["title_easy"]}),
                descriptions=texts(ja=data["description_ja"], en=data["description_en"]),
                places=texts(ja=data["place_ja"], en=data["place_en"]),
                accessibility_notes=texts(ja=data["accessibility_note_ja"]),
                category=data["category"],
                area=data["area"],
                accessibility=list(data["accessibility"]),
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                registration_deadline=data["registration_deadline"],
                cancel_deadline=data["registration_deadline"],
                capacity=data["capacity"],
                waitlist_size=data["waitlist_size"],
                max_companions=data["max_companions"],
                fee=data["fee"],
                online=data["online"],
                join_base_url=data["join_base_url"],
                publish=True,
            )
        except services.EventRefused as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The event is published."))
            return redirect("backoffice:event_participants", public_id=event.public_id)
    return render(
        request,
        "backoffice/events/new.html",
        {
            "form": form,
            "error_summary": summary_from_form(form) if form.errors else [],
            "events_home": events_home(request),
        },
        status=400 if form.errors else 200,
    )


def events_home(request: IdxRequest) -> str:
    """The list a breadcrumb leads back to: the check-in list, or the managed one (the city admin)."""
    return (
        "backoffice:events_list" if can(request.user, Action.CHECK_IN_EVENT) else "backoffice:events_managed"
    )


def _may_see(request: IdxRequest) -> None:
    if not (can(request.user, Action.CHECK_IN_EVENT) or can(request.user, Action.MANAGE_EVENTS)):
        raise Http404


def _event(request: IdxRequest, public_id: str) -> Event:
    for action in (Action.CHECK_IN_EVENT, Action.MANAGE_EVENTS):
        event = selectors.event_get_for_staff(staff=request.user, public_id=public_id, action=action)
        if event is not None:
            return event
    raise Http404


def _list(request: IdxRequest, action: Action) -> HttpResponseBase:
    if not can(request.user, action):
        raise Http404
    events = list(selectors.events_for_staff(staff=request.user, action=action)[:200])
    return render(
        request,
        "backoffice/events/list.html",
        {
            "events": [(event, pick(event.titles, "ja")) for event in events],
            "now": timezone.now(),
            "may_create": request.user.department is not None
            and can(request.user, Action.MANAGE_EVENTS, request.user.department),
        },
    )


@staff_required
def event_list(request: IdxRequest) -> HttpResponseBase:
    return _list(request, Action.CHECK_IN_EVENT)


@staff_required
def event_list_managed(request: IdxRequest) -> HttpResponseBase:
    """The same list for roles that manage events without checking people in (the city admin)."""
    return _list(request, Action.MANAGE_EVENTS)


def _participants_context(request: IdxRequest, event: Event) -> dict[str, Any]:
    query = request.GET.get("q", "")[:60].strip()
    rows = list(selectors.participants(event=event, query=query))
    return {
        "event": event,
        "events_home": events_home(request),
        "title": pick(event.titles, "ja"),
        "query": query,
        "rows": [
            (
                registration,
                [HelpTopic(value).label for value in registration.help_topics if value in HelpTopic.values],
            )
            for registration in rows
        ],
        "confirmed": sum(r.seats for r in rows if r.status == RegistrationStatus.CONFIRMED),
        "waiting": sum(r.seats for r in rows if r.status == RegistrationStatus.WAITLISTED),
        "checked_in": sum(1 for r in rows if r.checked_in_at),
        "help_count": sum(
            1 for r in rows if (r.help_topics or r.help_note) and r.status != RegistrationStatus.CANCELLED
        ),
        "may_check_in": can(request.user, Action.CHECK_IN_EVENT, event.department),
        "may_manage": can(request.user, Action.MANAGE_EVENTS, event.department),
    }


@staff_required
def event_participants(request: IdxRequest, public_id: str) -> HttpResponseBase:
    _may_see(request)
    event = _event(request, public_id)
    return render(request, "backoffice/events/participants.html", _participants_context(request, event))


@staff_required
def event_check_in(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Check in by the QR code's content (the camera fills it in) or the typed code; POST from the list too."""
    _may_see(request)
    event = _event(request, public_id)
    if not can(request.user, Action.CHECK_IN_EVENT, event.department):
        raise Http404
    form = CheckInForm(request.POST or None)
    result: services.CheckIn | None = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.registration_check_in(
                event=event, code=form.cleaned_data["code"], staff=request.user
            )
        except services.EventRefused as exc:
            form_add_domain_error(form, exc, fallback_field="code")
        else:
            if request.POST.get("from") == "list":
                if result.already:
                    messages.info(
                        request,
                        _("%(name)s was already checked in.")
                        % {"name": result.registration.resident.full_name},
                    )
                else:
                    messages.success(
                        request,
                        _("%(name)s is checked in.") % {"name": result.registration.resident.full_name},
                    )
                return redirect("backoffice:event_participants", public_id=event.public_id)
            form = CheckInForm()
    return render(
        request,
        "backoffice/events/check_in.html",
        {
            "event": event,
            "title": pick(event.titles, "ja"),
            "form": form,
            "result": result,
            "help_labels": [
                HelpTopic(value).label
                for value in result.registration.help_topics
                if value in HelpTopic.values
            ]
            if result
            else [],
            "error_summary": summary_from_form(form) if form.errors else [],
        },
        status=400 if form.errors else 200,
    )


@staff_required
def event_cancel(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """A second look, then the event is cancelled for everyone (told; paid fees refunded)."""
    event = selectors.event_get_for_staff(
        staff=request.user, public_id=public_id, action=Action.MANAGE_EVENTS
    )
    if event is None or not can(request.user, Action.MANAGE_EVENTS, event.department):
        raise Http404
    if event.status == EventStatus.CANCELLED:
        return redirect("backoffice:event_participants", public_id=event.public_id)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_cancel(
                event=event,
                staff=request.user,
                reasons={"ja": form.cleaned_data["reason"], "en": form.cleaned_data["reason_en"]},
            )
        except services.EventRefused as exc:
            form_add_domain_error(form, exc, fallback_field="reason")
        else:
            messages.success(
                request, _("The event is cancelled. Every registrant is told; paid fees are refunded.")
            )
            return redirect("backoffice:event_participants", public_id=event.public_id)
    context = _participants_context(request, event)
    return render(
        request,
        "backoffice/events/cancel.html",
        {**context, "form": form, "error_summary": summary_from_form(form) if form.errors else []},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("events/", event_list, name="events_list"),
    path("events/managed/", event_list_managed, name="events_managed"),
    path("events/new/", event_new, name="event_new"),
    path("events/<uuid:public_id>/", event_participants, name="event_participants"),
    path("events/<uuid:public_id>/check-in/", event_check_in, name="event_check_in"),
    path("events/<uuid:public_id>/cancel/", event_cancel, name="event_cancel"),
]
