"""The webhook endpoint of payment providers: ``POST /payments/webhooks/<provider>/``.

The municipality comes from the host, the provider's configuration from its row; the plugin
verifies the signature and reads the events, the service applies them. Answers: 200 when applied
or already seen (providers retry anything else), 401 for a bad or stale signature, 400 for a body
that cannot be read, 404 for a provider the municipality has not enabled. Refusals are logged
without the body.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from idx.identity.http import IdxRequest
from idx.payments.models import ProviderConfig
from idx.payments.providers import WebhookRejected, provider_for
from idx.payments.services import payment_apply_event

logger = logging.getLogger("idx.payments")
MAX_BODY = 64 * 1024


@csrf_exempt  # a server-to-server call, authenticated by its HMAC signature instead
@require_POST
def webhook(request: IdxRequest, provider: str) -> HttpResponse:
    config = ProviderConfig.objects.filter(
        municipality=request.municipality, provider=provider, enabled=True
    ).first()
    if config is None:
        raise Http404
    body = request.body
    if len(body) > MAX_BODY:
        logger.warning("payment webhook refused: provider=%s reason=too large", provider)
        return JsonResponse({"error": "too large"}, status=400)
    plugin = provider_for(config)
    try:
        events = plugin.parse_webhook(body=body, headers=request.headers, now=timezone.now())
    except WebhookRejected as exc:
        bad_signature = exc.reason in ("bad signature", "stale", "mismatch", "no signature", "no timestamp")
        logger.warning("payment webhook refused: provider=%s reason=%s", provider, exc.reason)
        return JsonResponse({"error": exc.reason}, status=401 if bad_signature else 400)
    outcomes = [
        payment_apply_event(provider=provider, event=event, municipality_id=request.municipality.pk)
        for event in events
    ]
    return JsonResponse({"received": len(events), "outcomes": outcomes})
