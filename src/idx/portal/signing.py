"""Signing an application with My Number Card (電子署名) from the review page.

The review page's button posts to :func:`signature_start`-like code in the review view, which
checks the answers and the declaration, registers the digest of the payload with the signing
provider and sends the browser there. :func:`signature_callback` fetches the signature, verifies
it against the answers as they are now and submits. Any refusal returns to the review page with a
clear message; the draft is never touched.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from idx.applications import services
from idx.applications.models import Application, Status
from idx.applications.selectors import application_get_for_resident
from idx.applications.signing import SignatureRefused, payload_digest, signature_verify
from idx.applications.workflow import InvalidTransition
from idx.common.models import Municipality
from idx.identity.contrib import login_method_for
from idx.identity.contrib.oidc.client import SignInRefused
from idx.identity.contrib.oidc.plugins import OidcLoginMethod
from idx.identity.models import IdentityProvider, ProviderKind
from idx.identity.signatures.provider import SigningClient
from idx.web.http import IdxRequest, resident_required

logger = logging.getLogger("idx.portal.signing")

SESSION_KEY = "idx_signing_flows"
FLOW_SECONDS = 600
MAX_FLOWS = 3


def signing_plugin(municipality: Municipality) -> OidcLoginMethod | None:
    """The municipality's resident provider that offers signing, if any is configured."""
    providers = IdentityProvider.objects.select_related("municipality").filter(
        municipality=municipality, enabled=True, kind=ProviderKind.RESIDENT
    )
    for provider in providers.order_by("pk"):
        plugin = login_method_for(provider)
        if isinstance(plugin, OidcLoginMethod) and plugin.signing_endpoint() and not plugin.check_config():
            return plugin
    return None


def refusal_message(reason: str, mismatched: list[str] | None = None) -> str:
    """What the resident reads when a signature cannot replace the seal."""
    if reason == "facts_mismatch":
        names = {
            "name": _("name"),
            "birth_date": _("date of birth"),
            "address": _("address"),
        }
        separator = "、" if (translation.get_language() or "ja").startswith("ja") else ", "
        items = separator.join(str(names.get(item, item)) for item in mismatched or [])
        return _(
            "The card that signed is not the applicant's: the %(items)s in the certificate differ from "
            "the applicant's answers. Check the applicant's details, or sign with the applicant's own card."
        ) % {"items": items}
    messages_by_reason = {
        "revoked": _(
            "The signing certificate of this card has been revoked (for example after a move). Renew it at "
            "the counter, then sign again. Your answers are kept."
        ),
        "expired": _(
            "The signing certificate of this card has expired. Renew it at the counter, then sign again."
        ),
        "not_yet_valid": _("The signing certificate of this card is not valid yet. Please try again later."),
        "untrusted_chain": _(
            "The signing certificate was not issued by an authority this city trusts. Sign with a My Number Card."
        ),
        "answers_changed": _(
            "Your answers changed after you signed. Check them and sign again: a signature covers exactly "
            "the answers you saw."
        ),
        "crl_unavailable": _(
            "The certificate's revocation status cannot be checked right now. Your answers are kept; please "
            "try again later."
        ),
    }
    return str(
        messages_by_reason.get(
            reason, _("The signature could not be verified. Your answers are kept; please sign again.")
        )
    )


def begin_signing(request: IdxRequest, application: Application) -> HttpResponseBase:
    """Register the payload digest with the provider and send the browser there to sign."""
    plugin = signing_plugin(request.municipality)
    review = reverse("portal:application_review", kwargs={"public_id": application.public_id})
    if plugin is None:
        messages.error(
            request,
            _(
                "Signing with My Number Card is not available right now. Please try again later or ask at the counter."
            ),
        )
        return HttpResponseRedirect(review)
    redirect_uri = request.build_absolute_uri(reverse("portal:signature_callback"))
    digest = payload_digest(application)
    try:
        auth_request, transaction_id = SigningClient(plugin).start(digest=digest, redirect_uri=redirect_uri)
    except SignInRefused as exc:
        logger.warning(
            "signing start failed municipality=%s reason=%s", request.municipality.code, exc.reason
        )
        messages.error(
            request,
            _(
                "Signing with My Number Card is not available right now. Please try again later or ask at the counter."
            ),
        )
        return HttpResponseRedirect(review)
    flows: dict[str, Any] = dict(request.session.get(SESSION_KEY, {}))
    now = time.time()
    flows = {state: flow for state, flow in flows.items() if now - flow.get("created", 0) < FLOW_SECONDS}
    while len(flows) >= MAX_FLOWS:
        flows.pop(min(flows, key=lambda state: flows[state]["created"]))
    flows[auth_request.state] = {
        "application": str(application.public_id),
        "provider": plugin.provider.slug,
        "transaction": transaction_id,
        "digest": digest.hex(),
        "nonce": auth_request.nonce,
        "code_verifier": auth_request.code_verifier,
        "redirect_uri": redirect_uri,
        "created": now,
    }
    request.session[SESSION_KEY] = flows
    return HttpResponseRedirect(auth_request.url)


def _take_flow(request: IdxRequest, state: str) -> dict[str, Any] | None:
    flows: dict[str, Any] = dict(request.session.get(SESSION_KEY, {}))
    flow = flows.pop(state, None) if state else None
    request.session[SESSION_KEY] = flows
    if flow is None or time.time() - flow.get("created", 0) > FLOW_SECONDS:
        return None
    return flow


@resident_required
@require_GET
def signature_callback(request: IdxRequest) -> HttpResponseBase:
    flow = _take_flow(request, request.GET.get("state", ""))
    if flow is None:
        messages.error(
            request,
            _(
                "Signing could not be completed because it expired or was started in another window. Please sign again."
            ),
        )
        return redirect("portal:my_applications")
    application = application_get_for_resident(resident=request.user, public_id=flow["application"])
    if application is None:
        return redirect("portal:my_applications")
    review = reverse("portal:application_review", kwargs={"public_id": application.public_id})
    if application.status != Status.DRAFT:
        return redirect("portal:application_detail", public_id=application.public_id)
    if request.GET.get("error"):
        if request.GET["error"] == "access_denied":
            messages.info(request, _("Signing was cancelled. Your answers are kept."))
        else:
            messages.error(
                request, _("The signing service reported an error. Your answers are kept; please try again.")
            )
        return HttpResponseRedirect(review)
    if payload_digest(application).hex() != flow["digest"]:
        # Saved in another window after signing began: what was signed is not what would be sent.
        messages.error(request, refusal_message("answers_changed"))
        return HttpResponseRedirect(review)
    plugin = signing_plugin(request.municipality)
    if plugin is None or plugin.provider.slug != flow["provider"]:
        messages.error(
            request, _("The signing service reported an error. Your answers are kept; please try again.")
        )
        return HttpResponseRedirect(review)
    try:
        signed = SigningClient(plugin).finish(
            code=request.GET.get("code", ""),
            redirect_uri=flow["redirect_uri"],
            code_verifier=flow["code_verifier"],
            nonce=flow["nonce"],
            transaction_id=flow["transaction"],
            iss=request.GET.get("iss"),
        )
    except SignInRefused as exc:
        logger.warning("signing refused municipality=%s reason=%s", request.municipality.code, exc.reason)
        messages.error(
            request,
            _(
                "The answer of the signing service could not be verified. Your answers are kept; please sign again."
            ),
        )
        return HttpResponseRedirect(review)
    try:
        evidence = signature_verify(
            application=application,
            signature=signed.signature,
            certificate_der=signed.certificate_der,
            intermediates=signed.intermediates,
        )
        application = services.application_submit(
            application=application, actor=request.user, declaration_accepted=True, signature=evidence
        )
    except SignatureRefused as exc:
        messages.error(request, refusal_message(exc.reason, exc.mismatched))
        return HttpResponseRedirect(review)
    except services.AnswersInvalid:
        messages.error(request, _("Some answers need attention before you can submit."))
        return HttpResponseRedirect(review)
    except (InvalidTransition, services.ChangedMeanwhile):
        pass  # submitted meanwhile (a second window): show the receipt of the first
    return redirect("portal:application_receipt", public_id=application.public_id)
