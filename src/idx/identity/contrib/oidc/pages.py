"""What pages offering card sign-in need: whether a provider is set up, and the CSP to reach it.

The "sign in with My Number Card" form posts to our own start view, which redirects the browser to
the provider. Browsers apply the page's ``form-action`` to that redirect too, so the page must list
the provider's origin next to 'self'. The issuer's origin is used: the authorization endpoint of
the デジタル認証アプリ (and of the demo provider) lives on the issuer's host.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.http.response import HttpResponseBase

from idx.common.models import Municipality
from idx.identity.contrib import login_method_for
from idx.identity.contrib.oidc.plugins import OidcLoginMethod
from idx.identity.models import IdentityProvider, ProviderKind


def card_provider_origins(municipality: Municipality) -> list[str]:
    """Origins of the enabled resident sign-in providers (empty: no card sign-in offered here)."""
    return provider_origins(
        IdentityProvider.objects.select_related("municipality").filter(
            municipality=municipality, enabled=True, kind=ProviderKind.RESIDENT
        )
    )


def provider_origins(providers: Iterable[IdentityProvider]) -> list[str]:
    """Origins of the given providers' issuers (where their authorization pages live)."""
    origins: set[str] = set()
    for provider in providers:
        plugin = login_method_for(provider)
        if isinstance(plugin, OidcLoginMethod):
            parts = urlsplit(plugin.issuer())
            if parts.scheme and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def allow_forms_to(response: HttpResponseBase, origins: list[str]) -> HttpResponseBase:
    if origins:
        response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
    return response
