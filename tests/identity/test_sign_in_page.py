"""The sign-in page offers the card only where a provider is set up, and lets the browser reach it."""

from __future__ import annotations

from django.test import Client

from idx.identity.models import IdentityProvider, ProviderKind
from tests.conftest import IGA_HOST


def _form_action(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("form-action"))


def test_the_card_form_may_go_to_the_provider_origin(card_provider):
    response = Client(HTTP_HOST=IGA_HOST).get("/accounts/login/")
    assert response.status_code == 200
    assert "/my-number-card/start/" in response.content.decode()
    form_action = _form_action(response)
    assert "'self'" in form_action
    # The demo provider's issuer is the municipality's public URL + /demo-idp.
    origin = card_provider.municipality.public_url.rstrip("/")
    assert origin in form_action


def test_no_provider_no_card_button_and_the_plain_policy(iga):
    IdentityProvider.objects.filter(municipality=iga, kind=ProviderKind.RESIDENT).update(enabled=False)
    response = Client(HTTP_HOST=IGA_HOST).get("/accounts/login/")
    assert "/my-number-card/start/" not in response.content.decode()
    assert _form_action(response) == "form-action 'self'"
