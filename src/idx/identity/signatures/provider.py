"""The relying party's side of the signing API of デジタル認証アプリ (and of the demo provider).

1. With a client-credentials token (private_key_jwt), register the SHA-256 digest of what is to
   be signed: ``POST {signing_endpoint}`` → ``sign_transaction_id``.
2. Send the browser to the authorization endpoint with ``scope=openid sign`` and that id; the
   holder signs with the card's signing certificate (署名用電子証明書) and its password.
3. Exchange the code (PKCE, nonce, ID token checked as for sign-in), then
   ``GET {signing_endpoint}/{id}/result`` with the holder's access token: the signature and
   certificate come back as a JWE encrypted to the relying party's key.

The result is then verified like any other signature (``idx.applications.signing``): nothing here
is trusted because of where it came from.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import requests
from joserfc import jwe
from joserfc.errors import JoseError

from idx.identity.contrib.oidc.client import AuthorizationRequest, SignInRefused
from idx.identity.contrib.oidc.plugins import OidcLoginMethod

SIGN_SCOPE = "openid sign"
_JWE_ALGORITHMS = ["ECDH-ES+A256KW", "RSA-OAEP-256", "A256GCM"]


@dataclass(frozen=True)
class SignedResult:
    signature: bytes
    certificate_der: bytes
    intermediates: list[bytes]


class SigningClient:
    def __init__(self, plugin: OidcLoginMethod):
        endpoint = plugin.signing_endpoint()
        if not endpoint:
            raise SignInRefused("signing_not_configured")
        self.plugin = plugin
        self.endpoint = endpoint.rstrip("/")
        self.client = plugin.client()

    def start(self, *, digest: bytes, redirect_uri: str) -> tuple[AuthorizationRequest, str]:
        token = self.client.client_credentials_token()
        try:
            with self.client.session() as session:
                response = session.post(
                    f"{self.endpoint}/",
                    json={"digest": base64.b64encode(digest).decode(), "digest_algorithm": "SHA-256"},
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    withhold_token=True,
                )
        except requests.RequestException as exc:
            raise SignInRefused("sign_transaction_unreachable") from exc
        if response.status_code not in (200, 201):
            raise SignInRefused(f"sign_transaction_http_{response.status_code}")
        try:
            transaction_id = str(response.json()["sign_transaction_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SignInRefused("sign_transaction_malformed") from exc
        request = self.client.authorization_request(
            redirect_uri=redirect_uri, scope=SIGN_SCOPE, sign_transaction_id=transaction_id
        )
        return request, transaction_id

    def finish(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        nonce: str,
        transaction_id: str,
        iss: str | None = None,
    ) -> SignedResult:
        """The signature, after the code exchange; ``iss`` is the authorization response's (RFC 9207)."""
        self.client.check_authorization_response_issuer(iss)
        verified = self.client.complete(
            code=code, redirect_uri=redirect_uri, code_verifier=code_verifier, nonce=nonce
        )
        try:
            with self.client.session() as session:
                response = session.get(
                    f"{self.endpoint}/{transaction_id}/result",
                    headers={"Authorization": f"Bearer {verified.access_token}"},
                    withhold_token=True,
                )
        except requests.RequestException as exc:
            raise SignInRefused("sign_result_unreachable") from exc
        if response.status_code != 200:
            raise SignInRefused(f"sign_result_http_{response.status_code}")
        try:
            plain = jwe.decrypt_compact(
                response.content.strip(), self.plugin.private_key(), algorithms=_JWE_ALGORITHMS
            ).plaintext
            data = json.loads(plain or b"")
            return SignedResult(
                signature=base64.b64decode(data["signature"], validate=True),
                certificate_der=base64.b64decode(data["certificate"], validate=True),
                intermediates=[
                    base64.b64decode(item, validate=True) for item in data.get("intermediates", [])
                ],
            )
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise SignInRefused("sign_result_malformed") from exc
