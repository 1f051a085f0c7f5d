"""The demo provider's endpoints: discovery, JWKS, authorize (choose a card holder, enter a PIN),
token (PKCE and private_key_jwt checked) and userinfo. Same protocol as デジタル認証アプリ."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import extract_compact
from joserfc.jwt import JWTClaimsRegistry

from idx.common.models import MunicipalityHost
from idx.demo_idp.jpki import card_certificate, crl_der, sign_digest
from idx.demo_idp.models import DemoAuthorization, DemoClient, DemoClientToken, DemoSignTransaction
from idx.demo_idp.provider import (
    CARD_HOLDERS,
    HOLDERS,
    pairwise_subject,
    public_jwks,
    signing_keys,
    token_hash,
)
from idx.identity.http import IdxRequest

logger = logging.getLogger("idx.demo_idp")

CODE_SECONDS = 60
ACCESS_SECONDS = 300
ID_TOKEN_SECONDS = 300
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PRINTABLE = re.compile(r"[\x20-\x7e]{1,255}")
CHALLENGE = re.compile(r"[0-9A-Za-z_-]{43,128}")
SIGN_TRANSACTION_SECONDS = 600
SIGNING_PASSWORD = re.compile(r"[0-9A-Za-z]{6,16}")


def issuer_for(request: IdxRequest) -> str:
    base = request.municipality.public_url.rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    return f"{base}/demo-idp"


@require_GET
def discovery(request: IdxRequest) -> HttpResponseBase:
    issuer = issuer_for(request)
    return JsonResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize/",
            "token_endpoint": f"{issuer}/token/",
            "userinfo_endpoint": f"{issuer}/userinfo/",
            "jwks_uri": f"{issuer}/jwks/",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "name", "address", "birthdate", "gender", "sign"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "claims_supported": ["sub", "name", "address", "birthdate", "gender"],
        }
    )


@require_GET
def jwks(request: IdxRequest) -> HttpResponseBase:
    return JsonResponse(public_jwks())


# ---- authorize ---------------------------------------------------------------------------


def _valid_redirect(client: DemoClient, redirect_uri: str) -> bool:
    parts = urlsplit(redirect_uri)
    registered = {client.redirect_path, client.signing_redirect_path} - {""}
    if parts.scheme not in ("http", "https") or parts.path not in registered or parts.query:
        return False
    return MunicipalityHost.objects.filter(
        municipality_id=client.municipality_id, hostname=(parts.hostname or "").lower()
    ).exists()


def _authorization_params(source: Any) -> dict[str, str]:
    keys = (
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "sign_transaction_id",
    )
    return {key: str(source.get(key, ""))[:500] for key in keys}


def _redirect_with(redirect_uri: str, **params: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{redirect_uri}?{urlencode(params)}")


@require_http_methods(["GET", "POST"])
def authorize(request: IdxRequest) -> HttpResponseBase:
    params = _authorization_params(request.POST if request.method == "POST" else request.GET)
    client = DemoClient.objects.filter(
        client_id=params["client_id"], municipality=request.municipality
    ).first()
    if client is None or not _valid_redirect(client, params["redirect_uri"]):
        # Never redirect to an address the client did not register.
        return render(request, "demo_idp/error.html", status=400)
    redirect_uri = params["redirect_uri"]
    state = params["state"]
    if not PRINTABLE.fullmatch(state):
        return _redirect_with(redirect_uri, error="invalid_request")
    problems = (
        params["response_type"] != "code"
        or "openid" not in params["scope"].split()
        or not PRINTABLE.fullmatch(params["nonce"])
        or not CHALLENGE.fullmatch(params["code_challenge"])
        or params["code_challenge_method"] != "S256"
    )
    if problems:
        return _redirect_with(redirect_uri, error="invalid_request", state=state)
    sign_transaction = None
    if "sign" in params["scope"].split():
        sign_transaction = _open_sign_transaction(client, params["sign_transaction_id"])
        if sign_transaction is None:
            return _redirect_with(redirect_uri, error="invalid_request", state=state)
    error = ""
    selected = ""
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            return _redirect_with(redirect_uri, error="access_denied", state=state)
        selected = request.POST.get("holder", "")
        pin = request.POST.get("pin", "").strip()
        if selected not in HOLDERS:
            error = _("Choose a card holder.")
        elif sign_transaction is None and not re.fullmatch(r"[0-9]{4}", pin):
            error = _("Enter the 4-digit PIN of the card (in the demo, any 4 digits).")
        elif sign_transaction is not None and not SIGNING_PASSWORD.fullmatch(pin):
            error = _(
                "Enter the signing password of the card: 6 to 16 letters and digits (in the demo, any)."
            )
        else:
            code = secrets.token_urlsafe(32)
            now = timezone.now()
            authorization = DemoAuthorization.objects.create(
                client=client,
                code_hash=token_hash(code),
                redirect_uri=redirect_uri,
                code_challenge=params["code_challenge"],
                nonce=params["nonce"],
                scope=params["scope"],
                holder=selected,
                auth_time=now,
                code_expires_at=now + dt.timedelta(seconds=CODE_SECONDS),
            )
            if sign_transaction is not None:
                _sign(request, sign_transaction, selected, authorization)
            return _redirect_with(redirect_uri, code=code, state=state)
    return render(
        request,
        "demo_idp/sign.html" if sign_transaction is not None else "demo_idp/authorize.html",
        {
            "params": params,
            "holders": CARD_HOLDERS,
            "error": error,
            "selected": selected,
            "fingerprint": _fingerprint(sign_transaction.digest_b64) if sign_transaction else "",
        },
        status=422 if error else 200,
    )


def _open_sign_transaction(client: DemoClient, transaction_id: str) -> DemoSignTransaction | None:
    try:
        public_id = uuid.UUID(transaction_id)
    except ValueError:
        return None
    return DemoSignTransaction.objects.filter(
        public_id=public_id, client=client, signed_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


def _fingerprint(digest_b64: str) -> str:
    """The first bytes of the digest in groups, so a careful holder can compare it with the portal."""
    hexed = base64.b64decode(digest_b64).hex().upper()[:16]
    return " ".join(hexed[i : i + 4] for i in range(0, len(hexed), 4))


def _sign(
    request: IdxRequest,
    sign_transaction: DemoSignTransaction,
    holder_id: str,
    authorization: DemoAuthorization,
) -> None:
    holder = HOLDERS[holder_id]
    card = card_certificate(
        request.municipality, holder.card_facts(), holder=holder.id, revoked=holder.certificate_revoked
    )
    signature = sign_digest(card, base64.b64decode(sign_transaction.digest_b64))
    sign_transaction.holder = holder.id
    sign_transaction.signed_at = timezone.now()
    sign_transaction.signature_b64 = base64.b64encode(signature).decode()
    sign_transaction.authorization = authorization
    sign_transaction.save(update_fields=["holder", "signed_at", "signature_b64", "authorization"])


# ---- token -------------------------------------------------------------------------------


def _token_error(error: str, status: int = 400) -> JsonResponse:
    response = JsonResponse({"error": error}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _authenticate_client(request: IdxRequest, token_endpoint: str) -> DemoClient | None:
    """private_key_jwt (RFC 7523): iss = sub = client_id, aud = this token endpoint, signed by the client's key."""
    if request.POST.get("client_assertion_type") != ASSERTION_TYPE:
        return None
    assertion = request.POST.get("client_assertion", "")
    client_id = request.POST.get("client_id", "")
    try:
        claimed = json.loads(extract_compact(assertion.encode()).payload)
    except (JoseError, ValueError):
        return None
    if not isinstance(claimed, dict):
        return None
    client_id = client_id or str(claimed.get("iss", ""))
    client = DemoClient.objects.filter(client_id=client_id, municipality=request.municipality).first()
    if client is None:
        return None
    jwk = client.public_jwk
    key: ECKey | RSAKey = RSAKey.import_key(jwk) if jwk.get("kty") == "RSA" else ECKey.import_key(jwk)
    try:
        token = jwt.decode(assertion, key, algorithms=["ES256", "RS256"])
        JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": client.client_id},
            sub={"essential": True, "value": client.client_id},
            aud={"essential": True, "value": token_endpoint},
            exp={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError):
        return None
    return client


@csrf_exempt
@require_POST
def token(request: IdxRequest) -> HttpResponseBase:
    issuer = issuer_for(request)
    client = _authenticate_client(request, f"{issuer}/token/")
    if client is None:
        logger.info("demo idp: client authentication failed")
        return _token_error("invalid_client", 401)
    if request.POST.get("grant_type") == "client_credentials":
        return _client_credentials(client)
    if request.POST.get("grant_type") != "authorization_code":
        return _token_error("unsupported_grant_type")
    code = request.POST.get("code", "")
    verifier = request.POST.get("code_verifier", "")
    now = timezone.now()
    with transaction.atomic():
        authorization = (
            DemoAuthorization.objects.select_for_update()
            .filter(code_hash=token_hash(code), client=client)
            .first()
        )
        if (
            authorization is None
            or authorization.code_used_at is not None
            or authorization.code_expires_at < now
        ):
            return _token_error("invalid_grant")
        # A code is single use even when the rest of the request is wrong.
        authorization.code_used_at = now
        if authorization.redirect_uri != request.POST.get("redirect_uri", ""):
            authorization.save(update_fields=["code_used_at"])
            return _token_error("invalid_grant")
        if not verifier or create_s256_code_challenge(verifier) != authorization.code_challenge:
            authorization.save(update_fields=["code_used_at"])
            logger.info("demo idp: PKCE verification failed")
            return _token_error("invalid_grant")
        access_token = secrets.token_urlsafe(32)
        authorization.access_token_hash = token_hash(access_token)
        authorization.access_expires_at = now + dt.timedelta(seconds=ACCESS_SECONDS)
        authorization.save(update_fields=["code_used_at", "access_token_hash", "access_expires_at"])
    key = signing_keys()[0]
    issued = int(now.timestamp())
    claims = {
        "iss": issuer,
        "sub": pairwise_subject(client.client_id, authorization.holder),
        "aud": client.client_id,
        "exp": issued + ID_TOKEN_SECONDS,
        "iat": issued,
        "auth_time": int(authorization.auth_time.timestamp()),
        "nonce": authorization.nonce,
        "acr": "aal3",
        "amr": ["pin", "hwk"],
    }
    id_token = jwt.encode(
        {"alg": "ES256", "kid": key.kid, "typ": "JWT"}, claims, ECKey.import_key(key.private_jwk)
    )
    response = JsonResponse(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_SECONDS,
            "id_token": id_token,
            "scope": authorization.scope,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def _client_credentials(client: DemoClient) -> JsonResponse:
    """A token for the signing API (the client acts for itself, not for a card holder)."""
    access_token = secrets.token_urlsafe(32)
    DemoClientToken.objects.create(
        client=client,
        token_hash=token_hash(access_token),
        expires_at=timezone.now() + dt.timedelta(seconds=ACCESS_SECONDS),
    )
    response = JsonResponse(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": ACCESS_SECONDS, "scope": "sign"}
    )
    response["Cache-Control"] = "no-store"
    return response


# ---- signing API -------------------------------------------------------------------------


def _bearer(request: IdxRequest) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else ""


@csrf_exempt
@require_POST
def sign_transactions(request: IdxRequest) -> HttpResponseBase:
    """Register a digest to be signed: ``{"digest": base64 SHA-256, "digest_algorithm": "SHA-256"}``."""
    raw = _bearer(request)
    client_token = (
        DemoClientToken.objects.select_related("client")
        .filter(token_hash=token_hash(raw), expires_at__gt=timezone.now())
        .first()
        if raw
        else None
    )
    if client_token is None or client_token.client.municipality_id != request.municipality.pk:
        return _unauthorized()
    try:
        body = json.loads(request.body or b"{}")
        digest = base64.b64decode(str(body.get("digest", "")), validate=True)
    except (ValueError, binascii.Error, AttributeError):
        return _token_error("invalid_request")
    if body.get("digest_algorithm", "SHA-256") != "SHA-256" or len(digest) != 32:
        return _token_error("invalid_request")
    transaction_row = DemoSignTransaction.objects.create(
        public_id=uuid.uuid4(),
        client=client_token.client,
        digest_b64=base64.b64encode(digest).decode(),
        expires_at=timezone.now() + dt.timedelta(seconds=SIGN_TRANSACTION_SECONDS),
    )
    return JsonResponse(
        {"sign_transaction_id": str(transaction_row.public_id), "expires_in": SIGN_TRANSACTION_SECONDS},
        status=201,
    )


@csrf_exempt
@require_GET
def sign_result(request: IdxRequest, transaction_id: uuid.UUID) -> HttpResponseBase:
    """The signature and certificate, encrypted to the client's key (JWE), for the holder's access token."""
    raw = _bearer(request)
    sign_transaction = (
        DemoSignTransaction.objects.select_related("authorization", "client")
        .filter(
            public_id=transaction_id,
            signed_at__isnull=False,
            authorization__access_token_hash=token_hash(raw) if raw else "-",
            authorization__access_expires_at__gt=timezone.now(),
        )
        .first()
    )
    if sign_transaction is None or sign_transaction.client.municipality_id != request.municipality.pk:
        return _unauthorized()
    holder = HOLDERS[sign_transaction.holder]
    card = card_certificate(
        request.municipality, holder.card_facts(), holder=holder.id, revoked=holder.certificate_revoked
    )
    payload = {
        "signature": sign_transaction.signature_b64,
        "certificate": base64.b64encode(bytes(card.certificate_der)).decode(),
        "intermediates": [],
        "signed_at": sign_transaction.signed_at.isoformat() if sign_transaction.signed_at else "",
    }
    jwk = sign_transaction.client.public_jwk
    if jwk.get("kty") == "RSA":
        header = {"alg": "RSA-OAEP-256", "enc": "A256GCM"}
        key: ECKey | RSAKey = RSAKey.import_key(jwk)
    else:
        header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM"}
        key = ECKey.import_key(jwk)
    token = jwe.encrypt_compact(header, json.dumps(payload).encode(), key)
    response = HttpResponse(token, content_type="application/jose")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def crl(request: IdxRequest) -> HttpResponseBase:
    """The demo signing CA's CRL (DER), as a JPKI CRL distribution point serves it."""
    response = HttpResponse(crl_der(request.municipality), content_type="application/pkix-crl")
    response["Cache-Control"] = "max-age=300"
    return response


# ---- userinfo ----------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo(request: IdxRequest) -> HttpResponseBase:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return _unauthorized()
    authorization = (
        DemoAuthorization.objects.select_related("client")
        .filter(access_token_hash=token_hash(header[7:].strip()), access_expires_at__gt=timezone.now())
        .first()
    )
    if authorization is None or authorization.client.municipality_id != request.municipality.pk:
        return _unauthorized()
    holder = HOLDERS[authorization.holder]
    scopes = set(authorization.scope.split())
    claims: dict[str, Any] = {"sub": pairwise_subject(authorization.client.client_id, holder.id)}
    if "name" in scopes:
        claims["name"] = holder.name
    if "address" in scopes:
        claims["address"] = {"formatted": holder.address}
    if "birthdate" in scopes:
        claims["birthdate"] = holder.birthdate
    if "gender" in scopes:
        claims["gender"] = holder.gender
    response = JsonResponse(claims)
    response["Cache-Control"] = "no-store"
    return response


def _unauthorized() -> HttpResponse:
    response = HttpResponse(status=401)
    response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response
