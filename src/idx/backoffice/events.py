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


DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class EventEditForm(EventForm):
    """The texts, place, times, places and fee of an event already published (its kind stays)."""

    description_easy = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Description (easy Japanese)"),
    )
    place_easy = forms.CharField(max_length=200, required=False, label=gettext_lazy("Place (easy Japanese)"))
    cancel_deadline = forms.DateTimeField(
        label=gettext_lazy("Residents may cancel until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    accessibility_note_easy = forms.CharField(
        max_length=500, required=False, label=gettext_lazy("Accessibility note (easy Japanese)")
    )
    accessibility_note_en = forms.CharField(
        max_length=500, required=False, label=gettext_lazy("Accessibility note (English)")
    )

    field_order = [
        "title_ja",
        "title_easy",
        "title_en",
        "description_ja",
        "description_easy",
        "description_en",
        "area",
        "place_ja",
        "place_easy",
        "place_en",
        "starts_at",
        "ends_at",
        "registration_deadline",
        "cancel_deadline",
        "capacity",
        "waitlist_size",
        "max_companions",
        "fee",
        "online",
        "join_base_url",
        "accessibility",
        "accessibility_note_ja",
        "accessibility_note_easy",
        "accessibility_note_en",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["category"]
        for name in ("starts_at", "ends_at", "registration_deadline"):
            self.fields[name].widget.format = DATETIME_LOCAL


# The form's field of each field of the service (errors of the service land there).
EDIT_FIELD = {
    "titles": "title_ja",
    "descriptions": "description_ja",
    "places": "place_ja",
    "accessibility_notes": "accessibility_note_ja",
}
# Texts by language in the form: (field of the service, language) -> form field.
EDIT_TEXTS = {
    "titles": {"ja": "title_ja", "ja-easy": "title_easy", "en": "title_en"},
    "descriptions": {"ja": "description_ja", "ja-easy": "description_easy", "en": "description_en"},
    "places": {"ja": "place_ja", "ja-easy": "place_easy", "en": "place_en"},
    "accessibility_notes": {
        "ja": "accessibility_note_ja",
        "ja-easy": "accessibility_note_easy",
        "en": "accessibility_note_en",
    },
}


def _edit_initial(event: Event) -> dict[str, Any]:
    initial: dict[str, Any] = {
        form_field: getattr(event, name).get(language, "")
        for name, by_language in EDIT_TEXTS.items()
        for language, form_field in by_language.items()
    }
    for name in services.PLAIN_FIELDS:
        value = getattr(event, name)
        initial[name] = timezone.localtime(value) if name.endswith(("_at", "_deadline")) else value
    return initial


def _edit_values(event: Event, data: dict[str, Any]) -> dict[str, object]:
    """The service's values from the form: other languages of each text are kept as they are."""
    values: dict[str, object] = {}
    for name, by_language in EDIT_TEXTS.items():
        texts = dict(getattr(event, name))
        for language, form_field in by_language.items():
            texts[language] = data[form_field]
        values[name] = texts
    for name in services.PLAIN_FIELDS:
        value = list(data[name]) if name == "accessibility" else data[name]
        current = getattr(event, name)
        # The form shows minutes: the same minute keeps the time as it is.
        if name.endswith(("_at", "_deadline")) and value == current.replace(second=0, microsecond=0):
            value = current
        values[name] = value
    return values


CHANGE_LABELS = {
    "titles": gettext_lazy("Title"),
    "descriptions": gettext_lazy("Description"),
    "places": gettext_lazy("Place"),
    "accessibility_notes": gettext_lazy("Accessibility note"),
    "area": gettext_lazy("Area"),
    "accessibility": gettext_lazy("Accessibility"),
    "starts_at": gettext_lazy("Starts"),
    "ends_at": gettext_lazy("Ends"),
    "registration_deadline": gettext_lazy("Registration closes"),
    "cancel_deadline": gettext_lazy("Residents may cancel until"),
    "capacity": gettext_lazy("Places"),
    "waitlist_size": gettext_lazy("Waiting list"),
    "max_companions": gettext_lazy("Companions"),
    "fee": gettext_lazy("Fee (yen per person)"),
    "online": gettext_lazy("Online event"),
    "join_base_url": gettext_lazy("Meeting link"),
}


@staff_required
def event_edit(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Change a published event; a change that tells the registrants gets a second look first."""
    event = selectors.event_get_for_staff(
        staff=request.user, public_id=public_id, action=Action.MANAGE_EVENTS
    )
    if event is None or not can(request.user, Action.MANAGE_EVENTS, event.department):
        raise Http404
    if event.status == EventStatus.CANCELLED:
        return redirect("backoffice:event_participants", public_id=event.public_id)
    form = EventEditForm(request.POST or None, initial=_edit_initial(event))
    template = "backoffice/events/edit.html"
    extra: dict[str, Any] = {}
    if request.method == "POST" and form.is_valid() and request.POST.get("back") != "yes":
        values = _edit_values(event, form.cleaned_data)
        changed = services.event_changes(event, values)
        told = services.event_update_told(event, changed)
        if not changed:
            messages.info(request, _("Nothing was changed."))
            return redirect("backoffice:event_participants", public_id=event.public_id)
        if told and request.POST.get("confirmed") != "yes":
            template = "backoffice/events/edit_confirm.html"
            extra = {"told": told, "changes": [CHANGE_LABELS[name] for name in changed]}
        else:
            try:
                result = services.event_update(event=event, staff=request.user, values=values)
            except services.EventRefused as exc:
                if exc.field in EDIT_FIELD:
                    form.add_error(EDIT_FIELD[exc.field], exc.text())
                else:
                    form_add_domain_error(form, exc)
            else:
                text = _("The event is changed.")
                if result.told:
                    text += " " + _("%(count)s registrants are told.") % {"count": result.told}
                if result.promoted:
                    text += " " + _("%(count)s moved up from the waiting list.") % {"count": result.promoted}
                messages.success(request, text)
                return redirect("backoffice:event_participants", public_id=event.public_id)
    return render(
        request,
        template,
        {
            "form": form,
            "event": event,
            "title": pick(event.titles, "ja"),
            "error_summary": summary_from_form(form) if form.errors else [],
            **extra,
        },
        status=400 if form.errors else 200,
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
    path("events/<uuid:public_id>/edit/", event_edit, name="event_edit"),
]
