"""The OIDC relying party: discovery, authorization request, code exchange, ID token checks, userinfo.

Authorization code flow with PKCE (S256), ``state`` and ``nonce``; the client authenticates at
the token endpoint with ``private_key_jwt``; the ID token must be signed ES256 by a key of the
provider's JWKS (cached; an unknown ``kid`` or a signature that does not verify refetches the set
once, at most every ``JWKS_REFRESH_SECONDS`` per set, so key rotation works and a key set that was
wrong once does not stay cached). A token without ``kid`` is verified with the one suitable key of
the set (OIDC Core §10.1). Issuers are compared exactly as the discovery document states them (a
trailing ``/`` included), and the RFC 9207 ``iss`` of the authorization response must equal it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import ECKey, KeySet, RSAKey
from joserfc.jws import extract_compact

logger = logging.getLogger("idx.identity.oidc")

ID_TOKEN_ALGORITHMS = ["ES256"]
# A refetch forced by an unknown kid or a bad signature happens at most this often per key set,
# so a run of forged or broken tokens cannot make us hammer the provider's JWKS endpoint.
JWKS_REFRESH_SECONDS = 60


class AssertionAudience:
    """What the ``aud`` of our client assertion (RFC 7523, ``private_key_jwt``) names."""

    TOKEN_ENDPOINT = "token_endpoint"  # noqa: S105 (a name, not a secret) OIDC Core §9, the default
    ISSUER = "issuer"  # FAPI 2.0 / RFC 7523bis: the provider's issuer identifier
    BOTH = "both"  # an array of both, for providers that accept either

    ALL = (TOKEN_ENDPOINT, ISSUER, BOTH)


class SignInRefused(Exception):
    """The provider's answer cannot be trusted; ``reason`` is a short code for the log (no personal data)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass
class VerifiedSignIn:
    subject: str
    id_token_claims: dict[str, Any]
    userinfo: dict[str, Any] = field(default_factory=dict)
    # Kept for calls made on the holder's behalf after sign-in (the signing API's result).
    access_token: str = field(default="", repr=False)


# ---- caches (per process) ------------------------------------------------------------------

_lock = threading.Lock()
_discovery: dict[str, tuple[float, dict[str, Any]]] = {}
_jwks: dict[str, tuple[float, KeySet]] = {}
_jwks_forced: dict[str, float] = {}  # jwks_uri -> when a refetch was last forced


def clear_caches() -> None:
    with _lock:
        _discovery.clear()
        _jwks.clear()
        _jwks_forced.clear()


class _TryFreshKeys(Exception):
    """The cached key set could not verify the token; a fresh set might."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _ClientAssertion(PrivateKeyJWT):
    """``private_key_jwt`` whose ``aud`` is the token endpoint, the issuer or both (a fresh jti each time)."""

    def __init__(self, token_endpoint: str, *, audience: str | list[str], alg: str):
        super().__init__(token_endpoint, alg=alg)
        self.audience = audience

    def sign(self, auth: Any, token_endpoint: str) -> Any:
        return private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            claims={"aud": self.audience},
            alg=self.alg,
        )


SessionFactory = Callable[[], requests.Session]


class OidcClient:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        private_key: ECKey | RSAKey,
        signing_alg: str,
        scopes: str,
        mount: Callable[[requests.Session], None] | None = None,
        assertion_audience: str = AssertionAudience.TOKEN_ENDPOINT,
    ):
        # Exactly as configured: "https://idp.example/" and "https://idp.example" are two issuers.
        self.issuer = issuer
        self.client_id = client_id
        self.private_key = private_key
        self.signing_alg = signing_alg
        self.scopes = scopes
        self._mount = mount
        if assertion_audience not in AssertionAudience.ALL:
            raise ValueError(f"unknown assertion audience {assertion_audience!r}")
        self.assertion_audience = assertion_audience

    # ---- HTTP ----------------------------------------------------------------------------

    def _session(self, **kwargs: Any) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.client_id,
            default_timeout=settings.IDX_OIDC_HTTP_TIMEOUT,
            **kwargs,
        )
        if self._mount is not None:
            self._mount(session)
        return session

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            with self._session() as session:
                response = session.get(url, headers={"Accept": "application/json"}, withhold_token=True)
        except requests.RequestException as exc:
            raise SignInRefused(f"{what}_unreachable") from exc
        if response.status_code != 200:
            raise SignInRefused(f"{what}_http_{response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise SignInRefused(f"{what}_not_json") from exc
        if not isinstance(data, dict):
            raise SignInRefused(f"{what}_not_object")
        return data

    # ---- discovery and keys ----------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        now = time.monotonic()
        with _lock:
            cached = _discovery.get(self.issuer)
        if cached is not None and now - cached[0] < settings.IDX_OIDC_JWKS_CACHE_SECONDS:
            return cached[1]
        # OIDC Discovery §4: a trailing "/" of the issuer is removed before appending the path;
        # the document's issuer must then be the configured one exactly (§4.3).
        data = self._get_json(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration", "discovery")
        if data.get("issuer") != self.issuer:
            raise SignInRefused("discovery_issuer_mismatch")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
            if not isinstance(data.get(key), str):
                raise SignInRefused(f"discovery_missing_{key}")
        with _lock:
            _discovery[self.issuer] = (now, data)
        return data

    def key_set(self, *, refresh: bool = False) -> KeySet:
        uri = self.metadata()["jwks_uri"]
        now = time.monotonic()
        with _lock:
            cached = _jwks.get(uri)
        if not refresh and cached is not None and now - cached[0] < settings.IDX_OIDC_JWKS_CACHE_SECONDS:
            return cached[1]
        data = self._get_json(uri, "jwks")
        try:
            keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError) as exc:
            raise SignInRefused("jwks_invalid") from exc
        with _lock:
            _jwks[uri] = (now, keys)
        return keys

    def _refreshed_key_set(self) -> KeySet | None:
        """A freshly fetched key set, or None when a refetch was forced too recently."""
        uri = self.metadata()["jwks_uri"]
        now = time.monotonic()
        with _lock:
            last = _jwks_forced.get(uri)
            if last is not None and now - last < JWKS_REFRESH_SECONDS:
                return None
            _jwks_forced[uri] = now
        return self.key_set(refresh=True)

    def check_authorization_response_issuer(self, iss: str | None) -> None:
        """RFC 9207: the ``iss`` of the authorization response names the provider we asked.

        When present it must equal the issuer exactly (a mix-up attack sends another provider's
        code to us); when the provider announces that it always sends it, it must be present.
        """
        metadata = self.metadata()
        if iss is None:
            if metadata.get("authorization_response_iss_parameter_supported") is True:
                raise SignInRefused("authorization_response_iss_missing")
            return
        if iss != self.issuer:
            raise SignInRefused("authorization_response_iss_mismatch")

    def client_assertion(self, token_endpoint: str) -> PrivateKeyJWT:
        """How we authenticate at the token endpoint: ``private_key_jwt`` with the configured ``aud``."""
        audience: str | list[str]
        if self.assertion_audience == AssertionAudience.ISSUER:
            audience = self.issuer
        elif self.assertion_audience == AssertionAudience.BOTH:
            audience = [self.issuer, token_endpoint]
        else:
            audience = token_endpoint
        return _ClientAssertion(token_endpoint, audience=audience, alg=self.signing_alg)

    # ---- the flow ------------------------------------------------------------------------

    def authorization_request(
        self, *, redirect_uri: str, scope: str | None = None, **extra: str
    ) -> AuthorizationRequest:
        """The URL to send the browser to; ``extra`` parameters (e.g. ``sign_transaction_id``) are added."""
        endpoint = self.metadata()["authorization_endpoint"]
        state = generate_token(32)
        nonce = generate_token(32)
        code_verifier = generate_token(64)
        with self._session(
            scope=scope or self.scopes, redirect_uri=redirect_uri, code_challenge_method="S256"
        ) as session:
            url, _state = session.create_authorization_url(
                endpoint, state=state, code_verifier=code_verifier, nonce=nonce, **extra
            )
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=code_verifier)

    def complete(self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str) -> VerifiedSignIn:
        metadata = self.metadata()
        token_endpoint = metadata["token_endpoint"]
        auth = self.client_assertion(token_endpoint)
        with self._session(
            client_secret=self.private_key,
            token_endpoint_auth_method=auth,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        ) as session:
            session.register_client_auth_method(auth)
            try:
                token = session.fetch_token(
                    token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
            except requests.RequestException as exc:
                raise SignInRefused("token_unreachable") from exc
            except Exception as exc:  # Authlib raises OAuthError for error responses
                error = getattr(exc, "error", None) or type(exc).__name__
                raise SignInRefused(f"token_error_{error}") from exc
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise SignInRefused("token_without_id_token")
            claims = self.verify_id_token(id_token, nonce=nonce)
            try:
                response = session.get(metadata["userinfo_endpoint"], headers={"Accept": "application/json"})
            except requests.RequestException as exc:
                raise SignInRefused("userinfo_unreachable") from exc
        if response.status_code != 200:
            raise SignInRefused(f"userinfo_http_{response.status_code}")
        try:
            userinfo = response.json()
        except ValueError as exc:
            raise SignInRefused("userinfo_not_json") from exc
        if not isinstance(userinfo, dict) or userinfo.get("sub") != claims["sub"]:
            raise SignInRefused("userinfo_sub_mismatch")
        return VerifiedSignIn(
            subject=claims["sub"],
            id_token_claims=claims,
            userinfo=userinfo,
            access_token=str(token.get("access_token", "")),
        )

    def client_credentials_token(self) -> str:
        """An access token for the client itself (private_key_jwt), e.g. for the signing API."""
        token_endpoint = self.metadata()["token_endpoint"]
        auth = self.client_assertion(token_endpoint)
        with self._session(client_secret=self.private_key, token_endpoint_auth_method=auth) as session:
            session.register_client_auth_method(auth)
            try:
                token = session.fetch_token(token_endpoint, grant_type="client_credentials")
            except requests.RequestException as exc:
                raise SignInRefused("token_unreachable") from exc
            except Exception as exc:  # Authlib raises OAuthError for error responses
                error = getattr(exc, "error", None) or type(exc).__name__
                raise SignInRefused(f"token_error_{error}") from exc
        access_token = token.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise SignInRefused("token_without_access_token")
        return access_token

    def session(self) -> OAuth2Session:
        """A plain session with this provider's transport (for calls outside the OIDC flow)."""
        return self._session()

    def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """Signature (ES256, by a key of the provider's JWKS), then iss, aud, exp, iat/nbf, nonce, azp."""
        try:
            header = extract_compact(id_token.encode()).protected
        except (JoseError, ValueError) as exc:
            raise SignInRefused("id_token_malformed") from exc
        if header.get("alg") not in ID_TOKEN_ALGORITHMS:
            raise SignInRefused("id_token_alg")
        raw_kid = header.get("kid")
        kid = raw_kid if isinstance(raw_kid, str) else None
        try:
            token = _decode(id_token, self.key_set(), kid)
        except _TryFreshKeys as first:
            # Rotation (a kid we do not know) or a set that was wrong when we cached it: fetch once.
            fresh = self._refreshed_key_set()
            if fresh is None:
                raise SignInRefused(first.reason) from first
            try:
                token = _decode(id_token, fresh, kid)
            except _TryFreshKeys as second:
                raise SignInRefused(second.reason) from second
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": self.client_id},
                "sub": {"essential": True},
            },
            params={"nonce": nonce, "client_id": self.client_id},
        )
        try:
            claims.validate(leeway=settings.IDX_OIDC_LEEWAY_SECONDS)
        except ExpiredTokenError as exc:
            raise SignInRefused("id_token_expired") from exc
        except InvalidClaimError as exc:
            raise SignInRefused(f"id_token_invalid_{exc.claim}") from exc
        except MissingClaimError as exc:
            raise SignInRefused(f"id_token_missing_{exc.claim}") from exc
        except JoseError as exc:
            raise SignInRefused("id_token_invalid") from exc
        if not nonce or claims.get("nonce") != nonce:
            raise SignInRefused("id_token_invalid_nonce")
        return dict(claims)


def _suitable(key: Any) -> bool:
    """A key that can verify an ES256 signature (an EC P-256 public key meant for signing)."""
    return (
        key.key_type == "EC"
        and key.get("crv") == "P-256"
        and key.get("use") in (None, "sig")
        and key.get("alg") in (None, *ID_TOKEN_ALGORITHMS)
    )


def _decode(id_token: str, keys: KeySet, kid: str | None) -> Any:
    """The decoded token, verified by the key ``kid`` names, or by the set's only suitable key.

    Raises ``_TryFreshKeys`` when this set cannot verify it (a fresh one might) and
    ``SignInRefused`` when no set could.
    """
    if kid is not None:
        candidates = [key for key in keys.keys if key.kid == kid]
        if not candidates:
            raise _TryFreshKeys("unknown_kid")
    else:
        # OIDC Core §10.1: without kid, the set must hold exactly one key that fits.
        candidates = [key for key in keys.keys if _suitable(key)]
        if not candidates:
            raise _TryFreshKeys("no_suitable_key")
        if len(candidates) > 1:
            raise SignInRefused("id_token_kid_missing")
    key = candidates[0]
    if not _suitable(key):
        raise _TryFreshKeys("id_token_bad_signature")
    try:
        return jwt.decode(id_token, key, algorithms=ID_TOKEN_ALGORITHMS)
    except BadSignatureError as exc:
        raise _TryFreshKeys("id_token_bad_signature") from exc
    except (JoseError, ValueError) as exc:
        raise SignInRefused("id_token_malformed") from exc
