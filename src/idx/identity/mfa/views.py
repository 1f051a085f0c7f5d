"""Staff second-factor pages, mounted under ``/staff/`` by ``idx.backoffice.urls``.

The password step (``idx.backoffice.sign_in.sign_in``) does not sign in: it calls
``begin_second_factor``, which keeps only a pending marker in the session. ``login()`` runs here,
after a TOTP code or a passkey; staff without either enrol one first. Re-authentication before
exports and unsealing (``backoffice:reauth``) asks for the password and a second factor again.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.audit.services import audit_record
from idx.identity.http import IdxRequest
from idx.identity.mfa import selectors, services
from idx.identity.models import User
from idx.identity.reauth import mark_reauthenticated

PENDING_KEY = "idx_mfa_pending"
CHALLENGE_KEY = "idx_webauthn_challenge"
BACKEND = "idx.identity.backends.MunicipalityEmailBackend"


def _pending_seconds() -> int:
    return int(getattr(settings, "IDX_MFA_PENDING_SECONDS", 300))


def safe_next(
    request: IdxRequest, target: str, default: str, prefixes: tuple[str, ...] = ("/staff/",)
) -> str:
    """``target`` if it is a path on this site under one of ``prefixes``, else ``default``."""
    if (
        target.startswith(prefixes)
        and "\\" not in target
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return default


def locked_message() -> str:
    return _(
        "This account is locked for a while after repeated failed sign-in attempts. "
        "Try again later or ask your system administrator."
    )


# ---- the password step hands over here -------------------------------------------------------


def begin_second_factor(request: IdxRequest, user: User, target: str) -> HttpResponseBase:
    """After a correct password: remember who is signing in (not signed in yet) and ask for the second factor."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user": user.pk, "at": time.time(), "next": target}
    if selectors.has_second_factor(user):
        return redirect("backoffice:mfa_verify")
    return redirect("backoffice:mfa_enrol")


def _pending_user(request: IdxRequest) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if (
        not isinstance(pending, dict)
        or not isinstance(pending.get("at"), (int, float))
        or not isinstance(pending.get("user"), int)
    ):
        return None
    if time.time() - pending["at"] > _pending_seconds():
        request.session.pop(PENDING_KEY, None)
        return None
    user = (
        User.objects.select_related("municipality", "department")
        .filter(pk=pending["user"], municipality=request.municipality, is_active=True)
        .first()
    )
    if user is None or not user.is_staff_member:
        return None
    return user


def _restart(request: IdxRequest, message: str | None = None) -> HttpResponseBase:
    request.session.pop(PENDING_KEY, None)
    if message:
        messages.error(request, message)
    return redirect("backoffice:login")


def _complete_sign_in(request: IdxRequest, user: User, factor: str) -> str:
    pending = request.session.pop(PENDING_KEY, {})
    request.session.pop(CHALLENGE_KEY, None)
    login(request, user, backend=BACKEND)
    services.sign_in_failures_clear(user=user)
    audit_record(
        municipality=user.municipality,
        actor=user,
        action="staff.sign_in",
        target_type="user",
        target_id=user.pk,
        after={"factor": factor},
    )
    return safe_next(request, str(pending.get("next", "")), reverse("backoffice:queue"))


def _failed(request: IdxRequest, user: User, step: str) -> bool:
    """Count a failure; True (and the pending sign-in forgotten) when the account is now locked."""
    locked = services.sign_in_failure_record(user=user, step=step)
    if locked:
        request.session.pop(PENDING_KEY, None)
    return locked


# ---- second factor at sign-in ------------------------------------------------------------------


def second_factor(request: IdxRequest) -> HttpResponseBase:
    user = _pending_user(request)
    if user is None:
        return _restart(request, _("Your sign-in has expired. Please sign in again."))
    if not selectors.has_second_factor(user):
        return redirect("backoffice:mfa_enrol")
    if selectors.is_locked(user):
        return _restart(request, locked_message())
    error = ""
    if request.method == "POST":
        if services.totp_verify(user=user, code=request.POST.get("code", "")[:20]):
            return HttpResponseRedirect(_complete_sign_in(request, user, "totp"))
        if _failed(request, user, "totp"):
            return _restart(request, locked_message())
        error = _("The code is not correct or was already used. Enter the current code from your app.")
    return render(
        request,
        "backoffice/mfa_verify.html",
        {"error": error, "has_totp": selectors.has_totp(user), "has_passkey": selectors.has_passkey(user)},
        status=422 if error else 200,
    )


def enrol(request: IdxRequest) -> HttpResponseBase:
    """Staff without a second factor set one up before reaching any back-office page."""
    user = _pending_user(request)
    if user is None:
        return _restart(request, _("Your sign-in has expired. Please sign in again."))
    if selectors.has_second_factor(user):
        return redirect("backoffice:mfa_verify")
    error = ""
    secret = services.totp_pending_secret(user=user)
    if request.method == "POST" and secret is not None:
        if services.totp_enrolment_confirm(user=user, code=request.POST.get("code", "")[:20]):
            return HttpResponseRedirect(_complete_sign_in(request, user, "totp"))
        if _failed(request, user, "totp_enrolment"):
            return _restart(request, locked_message())
        error = _("The code is not correct. Enter the current code from your app.")
    else:
        secret = services.totp_enrolment_begin(user=user)
    uri = services.totp_provisioning_uri(user=user, secret=secret)
    return render(
        request,
        "backoffice/mfa_enrol.html",
        {
            "error": error,
            "qr": services.qr_svg_data_uri(uri),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
        status=422 if error else 200,
    )


# ---- re-authentication -------------------------------------------------------------------------


def reauth(request: IdxRequest) -> HttpResponseBase:
    """Password and a second factor again before an export or unsealing; back to a safe ``next``."""
    user = request.user
    if not user.is_authenticated or not user.is_staff_member:
        return redirect(f"{reverse('backoffice:login')}?next={reverse('backoffice:reauth')}")
    target = safe_next(
        request,
        request.POST.get("next", request.GET.get("next", "")),
        reverse("backoffice:queue"),
        ("/staff/", "/api/"),
    )
    error = ""
    if request.method == "POST":
        password_ok = user.check_password(request.POST.get("password", ""))
        code_ok = password_ok and services.totp_verify(user=user, code=request.POST.get("code", "")[:20])
        if selectors.is_locked(user):
            code_ok = False
        if code_ok:
            services.sign_in_failures_clear(user=user)
            mark_reauthenticated(request)
            audit_record(
                municipality=user.municipality,
                actor=user,
                action="staff.reauthenticated",
                target_type="user",
                target_id=user.pk,
                after={"factor": "totp"},
            )
            return HttpResponseRedirect(target)
        if selectors.is_locked(user) or services.sign_in_failure_record(user=user, step="reauth"):
            logout(request)
            messages.error(request, locked_message())
            return redirect("backoffice:login")
        error = _("The password or the code is not correct.")
    return render(
        request,
        "backoffice/reauth.html",
        {
            "error": error,
            "next": target,
            "has_totp": selectors.has_totp(user),
            "has_passkey": selectors.has_passkey(user),
        },
        status=422 if error else 200,
    )


# ---- passkeys (JSON endpoints called by idx/webauthn.js) ----------------------------------------


def _rp(request: IdxRequest) -> tuple[str, str]:
    host = request.get_host()
    return host.split(":", 1)[0], f"{request.scheme}://{host}"


def _who(request: IdxRequest, purpose: str) -> User | None:
    if purpose == "reauth":
        user = request.user
        return user if user.is_authenticated and user.is_staff_member else None
    if purpose == "register" and request.user.is_authenticated and request.user.is_staff_member:
        return request.user
    return _pending_user(request)


PURPOSES = ("sign_in", "register", "reauth")


@require_POST
def passkey_options(request: IdxRequest, purpose: str) -> HttpResponseBase:
    if purpose not in PURPOSES:
        raise Http404
    user = _who(request, purpose)
    if user is None or selectors.is_locked(user):
        return JsonResponse({"error": _("Your sign-in has expired. Please sign in again.")}, status=403)
    rp_id, _origin = _rp(request)
    if purpose == "register":
        if request.user.is_anonymous and selectors.has_second_factor(user):
            return JsonResponse({"error": _("You may not do that.")}, status=403)
        options, challenge = services.webauthn_registration_options(
            user=user, rp_id=rp_id, rp_name=f"IDX {request.municipality.name}"
        )
    else:
        options, challenge = services.webauthn_authentication_options(user=user, rp_id=rp_id)
    request.session[CHALLENGE_KEY] = {
        "purpose": purpose,
        "user": user.pk,
        "challenge": base64.b64encode(challenge).decode(),
        "at": time.time(),
    }
    return JsonResponse({"publicKey": options}, json_dumps_params={"ensure_ascii": False})


@require_POST
def passkey_verify(request: IdxRequest, purpose: str) -> HttpResponseBase:
    if purpose not in PURPOSES:
        raise Http404
    user = _who(request, purpose)
    stored: Any = request.session.pop(CHALLENGE_KEY, None)
    if (
        user is None
        or not isinstance(stored, dict)
        or stored.get("purpose") != purpose
        or stored.get("user") != user.pk
        or time.time() - float(stored.get("at", 0)) > 300
    ):
        return JsonResponse({"error": _("Your sign-in has expired. Please sign in again.")}, status=403)
    if selectors.is_locked(user):
        return JsonResponse({"error": locked_message()}, status=403)
    credential = services.parse_credential(request.body)
    challenge = base64.b64decode(stored["challenge"])
    rp_id, origin = _rp(request)
    if credential is not None and purpose == "register":
        created = services.webauthn_register(
            user=user, credential=credential, challenge=challenge, rp_id=rp_id, origin=origin
        )
        if created is not None:
            if request.user.is_anonymous:
                return JsonResponse({"redirect": _complete_sign_in(request, user, "webauthn")})
            return JsonResponse({"redirect": reverse("backoffice:queue")})
    elif credential is not None and services.webauthn_authenticate(
        user=user,
        credential=credential,
        challenge=challenge,
        rp_id=rp_id,
        origin=origin,
        require_user_verification=purpose == "reauth",
    ):
        if purpose == "reauth":
            services.sign_in_failures_clear(user=user)
            mark_reauthenticated(request)
            audit_record(
                municipality=user.municipality,
                actor=user,
                action="staff.reauthenticated",
                target_type="user",
                target_id=user.pk,
                after={"factor": "webauthn"},
            )
            target = safe_next(
                request, request.GET.get("next", ""), reverse("backoffice:queue"), ("/staff/", "/api/")
            )
            return JsonResponse({"redirect": target})
        return JsonResponse({"redirect": _complete_sign_in(request, user, "webauthn")})
    if _failed(request, user, f"webauthn_{purpose}"):
        if purpose == "reauth":
            logout(request)
        return JsonResponse({"error": locked_message(), "redirect": reverse("backoffice:login")}, status=403)
    return JsonResponse(
        {"error": _("The passkey could not be verified. Try again or use a code.")}, status=422
    )
