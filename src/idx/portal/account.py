"""The resident's account page: who is signed in, and personal access tokens for the JSON API.

A token is created with a name, what it may do (scopes) and an expiry; it is shown once, on the
answer to the POST that made it (never stored in the session, never cached), and can be revoked
after a confirmation.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from idx.identity import services
from idx.identity.selectors import personal_tokens_for_user
from idx.identity.tokens import AREAS, EXPIRY_DAYS, token_error_message
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, resident_required

_ACCESS_LABELS = {
    "read": gettext_lazy("%(area)s: view"),
    "write": gettext_lazy("%(area)s: view and change"),
}


def _scope_choices() -> list[tuple[str, str]]:
    return [
        (f"{area}:{access}", str(label) % {"area": area_label})
        for area, area_label in AREAS.items()
        for access, label in _ACCESS_LABELS.items()
    ]


def scope_label(scope: str) -> str:
    return dict(_scope_choices()).get(scope, scope)


class PersonalTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the token"),
        help_text=gettext_lazy(
            "What it is for, so that you recognise it later (for example: household budget app)."
        ),
        max_length=60,
        error_messages={"required": gettext_lazy("Enter a name for the token (at most 60 characters).")},
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("What the token may do"),
        choices=_scope_choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one thing the token may do.")},
    )
    expires_in_days = forms.TypedChoiceField(
        label=gettext_lazy("Expires after"),
        coerce=int,
        choices=[],
        initial=30,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose when the token expires.")},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        days_field = self.fields["expires_in_days"]
        assert isinstance(days_field, forms.TypedChoiceField)
        days_field.choices = [(days, _("%(days)s days") % {"days": days}) for days in EXPIRY_DAYS]


def _page(
    request: IdxRequest, form: PersonalTokenForm, *, created: object = None, raw: str = "", status: int = 200
) -> HttpResponseBase:
    tokens = [
        {"token": token, "scope_labels": [scope_label(scope) for scope in token.scopes or []]}
        for token in personal_tokens_for_user(user=request.user)
    ]
    return render(
        request,
        "portal/account/account.html",
        {"form": form, "tokens": tokens, "created": created, "raw_token": raw, "now": timezone.now()},
        status=status,
    )


@never_cache
@resident_required
def account(request: IdxRequest) -> HttpResponseBase:
    """The account page; POST creates a personal access token and shows it this once."""
    if request.method != "POST":
        return _page(request, PersonalTokenForm())
    form = PersonalTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    try:
        token, raw = services.personal_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
    except services.TokenInvalid as exc:
        form_add_domain_error(form, exc, message=token_error_message(exc.code), fallback_field="name")
        return _page(request, form, status=422)
    response = _page(request, PersonalTokenForm(), created=token, raw=raw, status=201)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@resident_required
def token_revoke(request: IdxRequest, token_id: int) -> HttpResponseBase:
    """Confirm, then revoke one of the resident's own tokens."""
    token = personal_tokens_for_user(user=request.user).filter(pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise Http404
    if request.method == "POST":
        services.personal_token_revoke(user=request.user, token_id=token.pk)
        messages.success(
            request, _("The token “%(name)s” was revoked. It no longer works.") % {"name": token.name}
        )
        return redirect(reverse("portal:account") + "#tokens")
    return render(request, "portal/account/token_revoke.html", {"token": token})
