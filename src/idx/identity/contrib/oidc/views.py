"""Sign-in and linking through an OpenID Connect provider (resident portal).

``start`` keeps state, nonce and the PKCE verifier in the server-side session and sends the
browser to the provider; ``callback`` takes them out again (single use) and completes the flow.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from idx.identity.contrib import login_method_for
from idx.identity.contrib.oidc.client import SignInRefused
from idx.identity.contrib.oidc.plugins import OidcLoginMethod
from idx.identity.contrib.oidc.services import (
    AlreadyLinked,
    NotLinked,
    account_sign_in_with_provider,
    external_identity_link,
    facts_from_userinfo,
    staff_account_for_directory_identity,
)
from idx.identity.http import IdxRequest
from idx.identity.models import IdentityProvider, ProviderKind

logger = logging.getLogger("idx.identity.oidc")

SESSION_KEY = "idx_oidc_flows"
FLOW_SECONDS = 600
MAX_FLOWS = 5
BACKEND = "idx.identity.backends.MunicipalityEmailBackend"


def _provider(request: IdxRequest, **filters: Any) -> IdentityProvider:
    provider = (
        IdentityProvider.objects.select_related("municipality")
        .filter(municipality=request.municipality, enabled=True, **filters)
        .order_by("pk")
        .first()
    )
    if provider is None:
        raise Http404
    return provider


def _plugin(provider: IdentityProvider) -> OidcLoginMethod:
    plugin = login_method_for(provider)
    if not isinstance(plugin, OidcLoginMethod):
        raise Http404
    return plugin


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else ""


def _staff_directory_sign_in(
    request: IdxRequest, provider: IdentityProvider, subject: str, userinfo: dict[str, Any], target: str
) -> HttpResponseBase:
    """Staff single sign-on: the directory vouches for the account; the second factor is still ours."""
    from idx.identity.mfa import selectors as mfa_selectors
    from idx.identity.mfa.views import begin_second_factor, locked_message

    try:
        user = staff_account_for_directory_identity(provider=provider, subject=subject, userinfo=userinfo)
    except (NotLinked, AlreadyLinked):
        logger.warning(
            "staff sso refused municipality=%s provider=%s reason=not_linked",
            request.municipality.code,
            provider.slug,
        )
        messages.error(
            request,
            _("No staff account is linked to this directory identity. Ask your system administrator."),
        )
        return redirect("backoffice:login")
    if mfa_selectors.is_locked(user):
        messages.error(request, locked_message())
        return redirect("backoffice:login")
    logger.info(
        "staff sso municipality=%s provider=%s user=%s", request.municipality.code, provider.slug, user.pk
    )
    return begin_second_factor(
        request, user, target if target.startswith("/staff/") else reverse("backoffice:queue")
    )


def _refuse(
    request: IdxRequest, provider: IdentityProvider | None, reason: str, message: str
) -> HttpResponseBase:
    # Codes only: no subject, name or token ever reaches the log.
    logger.warning(
        "oidc sign-in refused municipality=%s provider=%s reason=%s",
        request.municipality.code,
        provider.slug if provider else "-",
        reason,
    )
    messages.error(request, message)
    if provider is not None and provider.kind == ProviderKind.STAFF:
        return redirect("backoffice:login")
    return redirect("portal:login")


@require_POST
def start_resident(request: IdxRequest) -> HttpResponseBase:
    """The portal's "Sign in with My Number Card" button: the municipality's resident provider."""
    return _start(request, _provider(request, kind=ProviderKind.RESIDENT))


@require_POST
def start(request: IdxRequest, slug: str) -> HttpResponseBase:
    return _start(request, _provider(request, slug=slug))


def _start(request: IdxRequest, provider: IdentityProvider) -> HttpResponseBase:
    intent = (
        "link" if request.POST.get("intent") == "link" and provider.kind == ProviderKind.RESIDENT else "login"
    )
    if intent == "link" and not (request.user.is_authenticated and request.user.is_resident):
        return redirect(f"{reverse('portal:login')}?next={reverse('portal:my_applications')}")
    plugin = _plugin(provider)
    problems = plugin.check_config()
    if problems:
        logger.error(
            "oidc provider misconfigured provider=%s problems=%s", provider.slug, "; ".join(problems)
        )
        return _refuse(
            request, provider, "misconfigured", _("This sign-in method is not available right now.")
        )
    redirect_uri = request.build_absolute_uri(reverse("oidc:callback", kwargs={"slug": provider.slug}))
    try:
        auth_request = plugin.client().authorization_request(redirect_uri=redirect_uri)
    except SignInRefused as exc:
        return _refuse(request, provider, exc.reason, _("This sign-in method is not available right now."))
    flows: dict[str, Any] = dict(request.session.get(SESSION_KEY, {}))
    now = time.time()
    flows = {state: flow for state, flow in flows.items() if now - flow.get("created", 0) < FLOW_SECONDS}
    while len(flows) >= MAX_FLOWS:
        flows.pop(min(flows, key=lambda state: flows[state]["created"]))
    flows[auth_request.state] = {
        "provider": provider.slug,
        "nonce": auth_request.nonce,
        "code_verifier": auth_request.code_verifier,
        "redirect_uri": redirect_uri,
        "intent": intent,
        "user": request.user.pk if intent == "link" else None,
        "next": _safe_next(request.POST.get("next", "")),
        "created": now,
    }
    request.session[SESSION_KEY] = flows
    return HttpResponseRedirect(auth_request.url)


def _take_flow(request: IdxRequest, state: str) -> dict[str, Any] | None:
    """The flow started with ``state``, removed from the session: a state works once."""
    flows: dict[str, Any] = dict(request.session.get(SESSION_KEY, {}))
    flow = flows.pop(state, None) if state else None
    request.session[SESSION_KEY] = flows
    if flow is None or time.time() - flow.get("created", 0) > FLOW_SECONDS:
        return None
    return flow


@require_GET
def callback(request: IdxRequest, slug: str) -> HttpResponseBase:
    provider = _provider(request, slug=slug)
    flow = _take_flow(request, request.GET.get("state", ""))
    if flow is None or flow["provider"] != provider.slug:
        return _refuse(
            request,
            provider,
            "state_mismatch",
            _(
                "Your sign-in could not be completed because it expired or was started in another window. Please start again."
            ),
        )
    try:
        client = _plugin(provider).client()
        # RFC 9207: an answer naming another provider (a mix-up) is refused before anything else.
        client.check_authorization_response_issuer(request.GET.get("iss"))
    except SignInRefused as exc:
        return _refuse(
            request,
            provider,
            exc.reason,
            _(
                "Sign-in was refused because the answer of the sign-in service could not be verified. Please try again."
            ),
        )
    if request.GET.get("error"):
        reason = "provider_error_" + "".join(
            ch for ch in request.GET["error"][:40] if ch.isalnum() or ch == "_"
        )
        message = (
            _("Sign-in was cancelled.")
            if request.GET["error"] == "access_denied"
            else _("The sign-in service reported an error. Please try again.")
        )
        return _refuse(request, provider, reason, message)
    code = request.GET.get("code", "")
    if not code:
        return _refuse(
            request, provider, "missing_code", _("The sign-in service reported an error. Please try again.")
        )
    try:
        verified = client.complete(
            code=code,
            redirect_uri=flow["redirect_uri"],
            code_verifier=flow["code_verifier"],
            nonce=flow["nonce"],
        )
    except SignInRefused as exc:
        return _refuse(
            request,
            provider,
            exc.reason,
            _(
                "Sign-in was refused because the answer of the sign-in service could not be verified. Please try again."
            ),
        )
    if provider.kind == ProviderKind.STAFF:
        return _staff_directory_sign_in(request, provider, verified.subject, verified.userinfo, flow["next"])
    facts = facts_from_userinfo(verified.userinfo)
    if flow["intent"] == "link":
        user = request.user
        if not user.is_authenticated or user.pk != flow["user"]:
            return _refuse(request, provider, "link_session_changed", _("Sign in again to link your card."))
        try:
            external_identity_link(user=user, provider=provider, subject=verified.subject, facts=facts)
        except AlreadyLinked:
            messages.error(
                request,
                _(
                    "This card is already linked to another account, or your account is already linked to another card."
                ),
            )
            logger.warning(
                "oidc link refused municipality=%s provider=%s reason=already_linked",
                request.municipality.code,
                provider.slug,
            )
            return redirect("portal:my_applications")
        except NotLinked:
            raise Http404 from None
        messages.success(
            request, _("Your My Number Card is now linked to this account. You can use it to sign in.")
        )
        return redirect("portal:my_applications")
    try:
        user = account_sign_in_with_provider(provider=provider, subject=verified.subject, facts=facts)
    except NotLinked:
        return _refuse(
            request,
            provider,
            "not_linked",
            _("No account is linked to this identity. Sign in another way and link it first."),
        )
    except AlreadyLinked:
        return _refuse(request, provider, "race", _("Please try again."))
    login(request, user, backend=BACKEND)
    translation.activate(user.preferred_language)
    logger.info(
        "oidc sign-in municipality=%s provider=%s user=%s", request.municipality.code, provider.slug, user.pk
    )
    return HttpResponseRedirect(flow["next"] or reverse("portal:my_applications"))
