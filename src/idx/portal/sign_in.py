"""Creating a resident account, confirming its e-mail address, signing in and out."""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.http import HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.identity.contrib.oidc.pages import allow_forms_to, card_provider_origins
from idx.identity.services import EmailTaken, resident_sign_up, resident_verify_email
from idx.portal.forms import SignInForm, SignUpForm
from idx.web.http import IdxRequest
from idx.web.sign_in import AFTER_SIGN_IN, next_context, resident_session_start, safe_next
from idx.web.summary import SummaryItem, summary_from_form


def sign_up(request: IdxRequest) -> HttpResponseBase:
    form = SignUpForm(request.POST if request.method == "POST" else None)
    going = next_context(request)
    if request.method == "POST" and form.is_valid():
        if going["next"]:
            request.session[AFTER_SIGN_IN] = going["next"]
        with contextlib.suppress(EmailTaken):  # same answer either way: no hint of who has an account
            resident_sign_up(
                municipality=request.municipality,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
                language=translation.get_language() or "ja",
            )
        return render(request, "portal/sign_up_done.html", {"email": form.cleaned_data["email"], **going})
    return render(
        request,
        "portal/sign_up.html",
        {"form": form, "error_summary": summary_from_form(form), **going},
        status=422 if form.errors else 200,
    )


def verify_email(request: IdxRequest, token: str) -> HttpResponseBase:
    user = resident_verify_email(municipality=request.municipality, token=token)
    if user is None:
        return render(request, "portal/verify_failed.html", status=400)
    messages.success(request, _("Your e-mail address is confirmed. Please sign in."))
    target = safe_next(request.session.get(AFTER_SIGN_IN, ""))
    if target:  # back to what the resident was doing when asked to create the account
        return HttpResponseRedirect(f"{reverse('portal:login')}?{urlencode({'next': target})}")
    return redirect("portal:login")


def sign_in(request: IdxRequest) -> HttpResponseBase:
    form = SignInForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, email=form.cleaned_data["email"], password=form.cleaned_data["password"])
        if user is None or not user.is_resident:
            error = _("The e-mail address or password is not correct.")
        elif user.email_verified_at is None:
            error = _("Confirm your e-mail address first: open the link in the message we sent you.")
        else:
            resident_session_start(request, user)
            target = safe_next(request.GET.get("next", "")) or reverse("portal:my_applications")
            return HttpResponseRedirect(target)
    origins = card_provider_origins(request.municipality)
    summary = summary_from_form(form)
    if error:
        summary.append(SummaryItem("id_email", error))
    response = render(
        request,
        "portal/sign_in.html",
        {"form": form, "error_summary": summary, "card_sign_in": bool(origins), **next_context(request)},
        status=422 if summary else 200,
    )
    return allow_forms_to(response, origins)


@require_POST
def sign_out(request: IdxRequest) -> HttpResponseBase:
    logout(request)
    return redirect("portal:catalog")
