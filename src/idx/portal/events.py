"""Resident pages of events and courses: find an event, read about it (accessibility too), register
(or join the waiting list), and on "My events" the QR code for the entrance, the personal join link
of an online event, paying a fee and cancelling."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.common.i18n import pick
from idx.events import selectors, services
from idx.events.models import (
    HELP_NOTE_MAX,
    Accessibility,
    Area,
    Category,
    Event,
    EventStatus,
    HelpTopic,
    PaymentState,
    Registration,
    RegistrationStatus,
)
from idx.identity.contrib.oidc.pages import allow_forms_to
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, resident_required
from idx.web.summary import summary_from_form

FEE_CHOICES = [
    ("", gettext_lazy("All")),
    ("free", gettext_lazy("Free")),
    ("paid", gettext_lazy("With a fee")),
]
ONLINE_CHOICES = [
    ("", gettext_lazy("All")),
    ("yes", gettext_lazy("Online")),
    ("no", gettext_lazy("In person")),
]


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("Words"))
    date_from = forms.DateField(
        required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=gettext_lazy("Until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(
        required=False, choices=[("", gettext_lazy("All")), *Category.choices], label=gettext_lazy("Kind")
    )
    area = forms.ChoiceField(
        required=False, choices=[("", gettext_lazy("All")), *Area.choices], label=gettext_lazy("Area")
    )
    fee = forms.ChoiceField(required=False, choices=FEE_CHOICES, label=gettext_lazy("Fee"))
    online = forms.ChoiceField(
        required=False, choices=ONLINE_CHOICES, label=gettext_lazy("Online or in person")
    )


class RegisterForm(forms.Form):
    companions = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label=gettext_lazy("Companions")
    )
    help_topics = forms.MultipleChoiceField(
        required=False,
        choices=HelpTopic.choices,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("What would you like help with?"),
    )
    help_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Anything else you need help with"),
        help_text=gettext_lazy("Optional. At most 500 characters."),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if event.max_companions:
            companions = self.fields["companions"]
            assert isinstance(companions, forms.TypedChoiceField)
            companions.choices = [(str(n), str(n)) for n in range(event.max_companions + 1)]
        else:
            del self.fields["companions"]
        if not event.digital_support:
            del self.fields["help_topics"]
            del self.fields["help_note"]


def _card(event: Event) -> dict[str, Any]:
    return {
        "event": event,
        "title": pick(event.titles),
        "place": pick(event.places),
        "left": selectors.places_left(event),
        "waitlist_left": selectors.waitlist_left(event),
        "accessibility": [
            Accessibility(value).label for value in event.accessibility if value in Accessibility.values
        ],
    }


def event_list(request: IdxRequest) -> HttpResponseBase:
    form = SearchForm(request.GET or None)
    search = selectors.Search()
    if form.is_valid():
        data = form.cleaned_data
        search = selectors.Search(
            date_from=data["date_from"],
            date_to=data["date_to"],
            category=data["category"],
            area=data["area"],
            fee=data["fee"],
            online={"yes": True, "no": False}.get(data["online"]),
            words=tuple(data["q"].split()),
        )
    events = list(selectors.events_search(municipality=request.municipality, search=search)[:50])
    return render(
        request,
        "portal/events/list.html",
        {"form": form, "events": [_card(event) for event in events], "count": len(events)},
    )


def event_detail(request: IdxRequest, public_id: str) -> HttpResponseBase:
    event = selectors.event_get_public(municipality=request.municipality, public_id=public_id)
    if event is None:
        raise Http404
    resident = request.user if request.user.is_authenticated and request.user.is_resident else None
    registration = selectors.registration_of(event=event, resident=resident) if resident else None
    form = RegisterForm(request.POST or None, event=event)
    offer_waitlist = False
    if request.method == "POST":
        if resident is None:
            return redirect(f"{reverse('portal:login')}?next={request.path}")
        if form.is_valid():
            data = form.cleaned_data
            try:
                registration = services.registration_create(
                    event=event,
                    resident=resident,
                    companions=int(data.get("companions") or 0),
                    help_topics=data.get("help_topics") or [],
                    help_note=data.get("help_note") or "",
                    accept_waitlist=request.POST.get("waitlist") == "yes",
                )
            except services.EventRefused as exc:
                existing = selectors.registration_of(event=event, resident=resident)
                if exc.code == "already_registered" and existing is not None:
                    # The form sent again from a second tab: show the registration it already made.
                    messages.info(request, exc.text())
                    return redirect("portal:event_registration", public_id=existing.public_id)
                offer_waitlist = exc.code == "full"
                form_add_domain_error(form, exc)
            else:
                if registration.status == RegistrationStatus.WAITLISTED:
                    messages.info(
                        request,
                        _("You are on the waiting list. When someone cancels, you move up and we tell you."),
                    )
                else:
                    messages.success(request, _("You are registered."))
                return redirect("portal:event_registration", public_id=registration.public_id)
    card = _card(event)
    return render(
        request,
        "portal/events/detail.html",
        {
            **card,
            "description": pick(event.descriptions),
            "accessibility_note": pick(event.accessibility_notes),
            "cancel_reason": pick(event.cancel_reasons),
            "cancelled": event.status == EventStatus.CANCELLED,
            "registration": registration,
            "form": form,
            "error_summary": summary_from_form(form) if form.errors else [],
            "offer_waitlist": offer_waitlist or (card["left"] <= 0 and card["waitlist_left"] > 0),
            "full": card["left"] <= 0 and card["waitlist_left"] <= 0,
            "open": event.status == EventStatus.PUBLISHED
            and event.registration_deadline > dt.datetime.now(dt.UTC),
            "help_note_max": HELP_NOTE_MAX,
        },
        status=400 if form.errors else 200,
    )


@resident_required
def my_events(request: IdxRequest) -> HttpResponseBase:
    registrations = list(selectors.registrations_of_resident(resident=request.user)[:100])
    return render(
        request,
        "portal/events/mine.html",
        {
            "registrations": [
                (registration, pick(registration.event.titles)) for registration in registrations
            ]
        },
    )


def _own(request: IdxRequest, public_id: str) -> Registration:
    registration = selectors.registration_get_for_resident(resident=request.user, public_id=public_id)
    if registration is None:
        raise Http404
    return registration


@resident_required
def registration_detail(request: IdxRequest, public_id: str) -> HttpResponseBase:
    from idx.payments.qr import render_svg

    registration = _own(request, public_id)
    event = registration.event
    qr = ""
    if registration.status == RegistrationStatus.CONFIRMED and not event.online:
        qr = render_svg(
            registration.code,
            title=_("QR code for the entrance"),
            description=_("Show this code at the entrance. Staff scan it to check you in."),
        )
    fee_due = (
        registration.payment_state == PaymentState.DUE and registration.status == RegistrationStatus.CONFIRMED
    )
    response = render(
        request,
        "portal/events/registration.html",
        {
            "registration": registration,
            "event": event,
            "title": pick(event.titles),
            "place": pick(event.places),
            "cancel_reason": pick(event.cancel_reasons),
            "qr_svg": qr,
            "position": selectors.waitlist_position(registration),
            "help_labels": [
                HelpTopic(value).label for value in registration.help_topics if value in HelpTopic.values
            ],
            "can_cancel": registration.status != RegistrationStatus.CANCELLED
            and (
                registration.status == RegistrationStatus.WAITLISTED
                or event.cancel_deadline > dt.datetime.now(dt.UTC)
            ),
            "fee_due": fee_due,
            "amount": event.fee * registration.seats,
        },
    )
    # The fee's form leads to the payment service's checkout: let the form go there (CSP form-action).
    return allow_forms_to(response, _checkout_origins(request)) if fee_due else response


def _checkout_origins(request: IdxRequest) -> list[str]:
    from idx.payments.models import ProviderConfig

    origins = set()
    for config in ProviderConfig.objects.filter(municipality=request.municipality, enabled=True):
        for key in ("checkout_origin", "api_base"):
            value = str((config.config or {}).get(key, ""))
            if value.startswith(("https://", "http://")):
                parts = urlsplit(value)
                origins.add(f"{parts.scheme}://{parts.netloc}")
                break
    return sorted(origins)


@resident_required
def registration_cancel(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """A second look before cancelling (the place goes to the next on the waiting list)."""
    registration = _own(request, public_id)
    error = ""
    if request.method == "POST":
        try:
            services.registration_cancel(registration=registration, resident=request.user)
        except services.EventRefused as exc:
            error = exc.text()
        else:
            messages.success(request, _("Your registration is cancelled."))
            return redirect("portal:event_registration", public_id=registration.public_id)
    return render(
        request,
        "portal/events/cancel.html",
        {"registration": registration, "title": pick(registration.event.titles), "error": error},
        status=400 if error else 200,
    )


@resident_required
def registration_pay(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Pay the fee: the first provider residents may choose (the payment page offers the rest)."""
    from idx.payments.models import ProviderConfig
    from idx.payments.providers import provider_for
    from idx.payments.services import PaymentRefused

    registration = _own(request, public_id)
    if request.method != "POST":
        return redirect("portal:event_registration", public_id=registration.public_id)
    provider = ""
    for config in ProviderConfig.objects.filter(municipality=request.municipality, enabled=True).order_by(
        "provider"
    ):
        if provider_for(config).online:
            provider = config.provider
            break
    try:
        payment = services.registration_payment_start(
            registration=registration,
            resident=request.user,
            provider=provider,
            base_url=request.build_absolute_uri("/"),
        )
    except (services.EventRefused, PaymentRefused) as exc:
        messages.error(request, _("The payment could not be started. Please try again later."))
        del exc
        return redirect("portal:event_registration", public_id=registration.public_id)
    if payment.checkout_url:
        return redirect(payment.checkout_url)
    return redirect("portal:payment_detail", reference=payment.reference)


urlpatterns = [
    path("events/", event_list, name="event_list"),
    path("events/<uuid:public_id>/", event_detail, name="event_detail"),
    path("my/events/", my_events, name="my_events"),
    path("my/events/<uuid:public_id>/", registration_detail, name="event_registration"),
    path("my/events/<uuid:public_id>/cancel/", registration_cancel, name="event_registration_cancel"),
    path("my/events/<uuid:public_id>/pay/", registration_pay, name="event_registration_pay"),
]
