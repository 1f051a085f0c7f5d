"""Staff sign-in, the password step (the second factor follows in idx.identity.mfa.views), and sign-out."""

from __future__ import annotations

from django.contrib.auth import authenticate, logout
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.audit.services import audit_record
from idx.identity.contrib.oidc.pages import allow_forms_to, provider_origins
from idx.identity.mfa import selectors as mfa_selectors
from idx.identity.mfa import services as mfa_services
from idx.identity.mfa import views as mfa_views
from idx.identity.models import IdentityProvider, ProviderKind
from idx.web.http import IdxRequest


def sign_in(request: IdxRequest) -> HttpResponseBase:
    """The password step. It does not sign in: the second factor (idx.identity.mfa.views) does."""
    error = ""
    if request.method == "POST":
        email = request.POST.get("email", "")
        user = authenticate(request, email=email, password=request.POST.get("password", ""))
        account = (
            user
            if user is not None and user.is_staff_member
            else mfa_selectors.staff_for_sign_in(municipality=request.municipality, email=email)
        )
        if account is not None and mfa_selectors.is_locked(account):
            error = mfa_views.locked_message()
            mfa_services.sign_in_failure_record(user=account, step="password")
        elif user is None or not user.is_staff_member:
            error = _("The e-mail address or password is not correct.")
            if account is not None and mfa_services.sign_in_failure_record(user=account, step="password"):
                error = mfa_views.locked_message()
            elif account is None:
                audit_record(
                    municipality=request.municipality,
                    actor=None,
                    action="staff.sign_in_failed",
                    target_type="user",
                    target_id="-",
                )
        else:
            target = request.GET.get("next", "")
            if not target.startswith("/staff/"):
                target = reverse("backoffice:queue")
            return mfa_views.begin_second_factor(request, user, target)
    directories = list(
        IdentityProvider.objects.filter(
            municipality=request.municipality, kind=ProviderKind.STAFF, enabled=True
        ).order_by("pk")
    )
    response = render(
        request,
        "backoffice/sign_in.html",
        {"error": error, "directories": directories, "next": request.GET.get("next", "")},
        status=422 if error else 200,
    )
    return allow_forms_to(response, provider_origins(directories))


@require_POST
def sign_out(request: IdxRequest) -> HttpResponseBase:
    logout(request)
    return redirect("backoffice:login")
