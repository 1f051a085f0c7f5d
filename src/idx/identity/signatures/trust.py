"""What a municipality trusts for signatures: its configured anchors and one CRL cache per process."""

from __future__ import annotations

import requests
from cryptography import x509
from django.conf import settings
from django.utils.module_loading import import_string

from idx.common.models import Municipality
from idx.identity.signatures.jpki import MAX_CRL_BYTES, CRLCache
from idx.identity.signatures.models import SigningTrustAnchor


def trust_anchors(municipality: Municipality) -> list[x509.Certificate]:
    anchors = []
    for der in SigningTrustAnchor.objects.filter(municipality=municipality, enabled=True).values_list(
        "certificate_der", flat=True
    ):
        try:
            anchors.append(x509.load_der_x509_certificate(bytes(der)))
        except ValueError:
            continue  # a broken row must not stop the others; `idx check_signing` reports it
    return anchors


def _fetch_crl(url: str) -> bytes:
    """Fetch a DER CRL over HTTP(S) with the same transport rules as the OIDC back channel."""
    from idx.identity.contrib.oidc.plugins import LoopbackAdapter

    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("unsupported CRL distribution point scheme")
    with requests.Session() as session:
        session.mount("http://", LoopbackAdapter())
        if settings.IDX_OIDC_TRANSPORT:
            adapter = import_string(settings.IDX_OIDC_TRANSPORT)()
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        response = session.get(url, timeout=settings.IDX_OIDC_HTTP_TIMEOUT, stream=True)
        response.raise_for_status()
        if response.raw is None:  # a test transport that answers with a ready body
            body = response.content
        else:
            body = response.raw.read(MAX_CRL_BYTES + 1, decode_content=True)
    if len(body) > MAX_CRL_BYTES:
        raise ValueError("CRL too large")
    return body


crl_cache = CRLCache(_fetch_crl, ttl=float(settings.IDX_JPKI_CRL_CACHE_SECONDS))
