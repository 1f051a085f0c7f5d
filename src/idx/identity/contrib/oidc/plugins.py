"""The login-method plugins: ``oidc`` (any configured provider) and ``demo`` (the in-project provider)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.utils.module_loading import import_string
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from requests.adapters import HTTPAdapter

from idx.identity.contrib import LoginMethod, login_methods
from idx.identity.contrib.oidc.client import OidcClient


@login_methods.register("oidc")
class OidcLoginMethod(LoginMethod):
    """OpenID Connect against the provider at ``IdentityProvider.issuer`` (endpoints by discovery)."""

    identifier = "oidc"

    def issuer(self) -> str:
        # Exactly as the provider's discovery document states it (a trailing "/" is significant).
        return self.provider.issuer

    def private_key(self) -> ECKey | RSAKey:
        if self.provider.private_key_file:
            pem = Path(self.provider.private_key_file).read_text(encoding="utf-8")
        else:
            pem = self.provider.private_key_pem
        if self.provider.signing_alg == "RS256":
            return RSAKey.import_key(pem)
        return ECKey.import_key(pem)

    def check_config(self) -> list[str]:
        problems = []
        if not self.issuer().startswith(("https://", "http://")):
            problems.append("issuer must be an http(s) URL")
        if not self.provider.client_id:
            problems.append("client_id is missing")
        try:
            key = self.private_key()
        except (OSError, JoseError, ValueError, TypeError):
            problems.append("the private key cannot be read")
        else:
            if not key.is_private:
                problems.append("the key is not a private key")
        if "openid" not in self.provider.scopes.split():
            problems.append("scopes must include openid")
        return problems

    def signing_endpoint(self) -> str:
        """Base URL of the provider's signing API (blank: this provider does not sign)."""
        return self.provider.signing_endpoint

    def mount(self, session: requests.Session) -> None:
        transport = settings.IDX_OIDC_TRANSPORT
        if transport:
            adapter = import_string(transport)()
            session.mount("http://", adapter)
            session.mount("https://", adapter)

    def client(self) -> OidcClient:
        return OidcClient(
            issuer=self.issuer(),
            client_id=self.provider.client_id,
            private_key=self.private_key(),
            signing_alg=self.provider.signing_alg,
            scopes=self.provider.scopes,
            mount=self.mount,
            assertion_audience=self.provider.assertion_audience,
        )


class LoopbackAdapter(HTTPAdapter):
    """Sends requests for ``*.localhost`` to 127.0.0.1 (RFC 6761), keeping the Host header.

    The demo serves 度会町 at watarai.localhost; browsers resolve that name to the loopback
    address by themselves, the system resolver often does not.
    """

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        host = parts.hostname or ""
        if host.endswith(".localhost") and _unresolvable(host):
            request.headers["Host"] = parts.netloc
            netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
            request.url = urlunsplit(parts._replace(netloc=netloc))
        return super().send(request, *args, **kwargs)


def _unresolvable(host: str) -> bool:
    try:
        socket.getaddrinfo(host, None)
    except OSError:
        return True
    return False


@login_methods.register("demo")
class DemoLoginMethod(OidcLoginMethod):
    """The same client against ``/demo-idp`` of this deployment (demo and test settings only).

    The issuer follows the municipality's ``public_url``, so it stays right when the demo is
    served on another port.
    """

    identifier = "demo"

    def issuer(self) -> str:
        return f"{self.provider.municipality.public_url.rstrip('/')}/demo-idp"

    def signing_endpoint(self) -> str:
        return f"{self.issuer()}/sign-transactions"

    def check_config(self) -> list[str]:
        problems = super().check_config()
        if not settings.IDX_DEMO_IDP:
            problems.append("the demo identity provider is not enabled (IDX_DEMO_IDP)")
        return problems

    def mount(self, session: requests.Session) -> None:
        session.mount("http://", LoopbackAdapter())
        super().mount(session)
