"""Verification of a signature made with a JPKI signing certificate (署名用電子証明書).

Checks, in this order (the first failure decides ``reason``):

1. the leaf certificate parses and its key is RSA of at least 2048 bits, and the signature is
   RSA PKCS#1 v1.5 with SHA-256 over ``data``                                → ``bad_signature``;
2. a chain leads from the leaf through the given intermediates to one of the configured trust
   anchors: every link's issuer/subject names match, every signature verifies, and every issuer
   is a CA (basicConstraints cA, path length respected, keyCertSign if keyUsage is present)
                                                                              → ``untrusted_chain``;
3. every certificate in that chain is valid at the signing time ``at``  → ``expired`` /
   ``not_yet_valid``;
4. the leaf's keyUsage allows digitalSignature or nonRepudiation (contentCommitment)
                                                                              → ``key_usage``;
5. the leaf is not on the CRL named in its CRL Distribution Points (HTTP(S) URL, DER), where the
   CRL must be signed by the issuing CA and current at ``at`` (thisUpdate <= at <= nextUpdate)
                                                     → ``revoked`` / ``crl_unavailable``.

The result keeps the serial number, the issuer and (only when the signature is valid) the basic
four facts from the subjectAltName otherNames; never the raw certificate (J-LIS / platform rules
forbid relying parties from keeping it; see the shared reference jp-standards.md §2.2).

CRLs are fetched through ``crl_fetcher``; wrap the HTTP fetcher in :class:`CRLCache` so each
distribution point is fetched at most once per TTL.
"""

from __future__ import annotations

import threading
import time
import unicodedata
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "FACT_OIDS",
    "CRLCache",
    "SignatureVerification",
    "facts_match",
    "fetch_crl_over_http",
    "verify_signature",
]

Reason = Literal[
    "ok",
    "bad_signature",
    "untrusted_chain",
    "expired",
    "not_yet_valid",
    "revoked",
    "key_usage",
    "crl_unavailable",
]

_JPKI_BASIC_INFO: Final = "1.2.392.200149.8.5.5"
#: subjectAltName otherName OIDs of the basic four facts (基本4情報) -> fact name.
FACT_OIDS: Final[Mapping[str, str]] = {
    f"{_JPKI_BASIC_INFO}.1": "name",
    f"{_JPKI_BASIC_INFO}.3": "gender",
    f"{_JPKI_BASIC_INFO}.4": "birth_date",
    f"{_JPKI_BASIC_INFO}.5": "address",
}

MIN_RSA_BITS: Final = 2048
MAX_CHAIN_LENGTH: Final = 8
MAX_CRL_BYTES: Final = 64 * 1024 * 1024


@dataclass(frozen=True)
class SignatureVerification:
    """Outcome of :func:`verify_signature`; safe to store (no raw certificate)."""

    valid: bool
    reason: Reason
    serial_number: str = ""  # hex, lower case
    issuer: str = ""  # RFC 4514
    facts: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# CRL fetching and caching


def fetch_crl_over_http(url: str, *, timeout: float = 10.0, max_bytes: int = MAX_CRL_BYTES) -> bytes:
    """Fetch a DER CRL from an ``http``/``https`` distribution point; raise on any failure."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"unsupported CRL distribution point scheme: {url!r}")
    # The scheme is checked above: only http and https distribution points are fetched.
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  # nosec B310
        body: bytes = response.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise ValueError(f"CRL at {url!r} is larger than {max_bytes} bytes")
    return body


class CRLCache:
    """A CRL fetcher (``Callable[[str], bytes]``) that caches each URL's response for ``ttl`` s.

    Only successful fetches are cached. :func:`verify_signature` drops an entry whose CRL turned
    out unusable (bad signature, not current), so the next verification fetches it again.
    """

    def __init__(
        self,
        fetcher: Callable[[str], bytes],
        *,
        ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None and now - entry[0] < self._ttl:
                return entry[1]
        body = self._fetcher(url)
        with self._lock:
            self._entries[url] = (now, body)
        return body

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def invalidate(self, url: str) -> None:
        with self._lock:
            self._entries.pop(url, None)


# --------------------------------------------------------------------------------------------
# Helpers


def _extension(cert: x509.Certificate, ext_type: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(ext_type).value
    except x509.ExtensionNotFound:
        return None


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _may_issue(issuer: x509.Certificate, ca_certs_below: int) -> bool:
    """Whether ``issuer`` is a CA allowed to sign a chain with ``ca_certs_below`` CA certs under it."""
    constraints = _extension(issuer, x509.BasicConstraints)
    if not isinstance(constraints, x509.BasicConstraints) or not constraints.ca:
        return False
    if constraints.path_length is not None and ca_certs_below > constraints.path_length:
        return False
    usage = _extension(issuer, x509.KeyUsage)
    return not (isinstance(usage, x509.KeyUsage) and not usage.key_cert_sign)


def _build_chain(
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    trust_anchors: list[x509.Certificate],
) -> list[x509.Certificate] | None:
    """Return ``[leaf, intermediate..., anchor]`` or ``None`` if no trusted path exists."""
    chain = [leaf]
    while len(chain) <= MAX_CHAIN_LENGTH:
        current = chain[-1]
        ca_certs_below = len(chain) - 1
        for anchor in trust_anchors:
            if _issued_by(current, anchor) and _may_issue(anchor, ca_certs_below):
                return [*chain, anchor]
        candidates = [
            cert
            for cert in intermediates
            if cert not in chain and _issued_by(current, cert) and _may_issue(cert, ca_certs_below)
        ]
        if not candidates:
            return None
        chain.append(candidates[0])
    return None


def _validity_reason(chain: list[x509.Certificate], at: datetime) -> Reason | None:
    for cert in chain:
        if at < cert.not_valid_before_utc:
            return "not_yet_valid"
        if at > cert.not_valid_after_utc:
            return "expired"
    return None


def _key_usage_ok(cert: x509.Certificate) -> bool:
    usage = _extension(cert, x509.KeyUsage)
    return isinstance(usage, x509.KeyUsage) and (usage.digital_signature or usage.content_commitment)


def _crl_urls(cert: x509.Certificate) -> list[str]:
    points = _extension(cert, x509.CRLDistributionPoints)
    urls: list[str] = []
    if isinstance(points, x509.CRLDistributionPoints):
        for point in points:
            for name in point.full_name or ():
                if isinstance(name, x509.UniformResourceIdentifier) and name.value.lower().startswith(
                    ("http://", "https://")
                ):
                    urls.append(name.value)
    return urls


def _revocation_reason(
    leaf: x509.Certificate,
    issuer: x509.Certificate,
    at: datetime,
    crl_fetcher: Callable[[str], bytes],
) -> Reason | None:
    """``None`` when not revoked; ``revoked``; or ``crl_unavailable`` if no usable CRL was found."""
    for url in _crl_urls(leaf):
        try:
            crl = x509.load_der_x509_crl(crl_fetcher(url))
        # Any fetch or parse failure: try the next distribution point.
        except Exception:  # noqa: S112  # nosec B112
            continue
        next_update = crl.next_update_utc
        usable = (
            crl.issuer == issuer.subject
            and crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
            and next_update is not None
            and crl.last_update_utc <= at <= next_update
        )
        if not usable:
            if isinstance(crl_fetcher, CRLCache):
                crl_fetcher.invalidate(url)
            continue
        if crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None:
            return "revoked"
        return None
    return "crl_unavailable"


def _decode_der_string(der: bytes) -> str | None:
    """Decode a DER UTF8String / PrintableString / IA5String; ``None`` for anything else."""
    if len(der) < 2:
        return None
    tag, first = der[0], der[1]
    if first < 0x80:
        length, offset = first, 2
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or len(der) < 2 + count:
            return None
        length, offset = int.from_bytes(der[2 : 2 + count], "big"), 2 + count
    if offset + length != len(der):
        return None
    content = der[offset:]
    try:
        if tag == 0x0C:
            return content.decode("utf-8")
        if tag in (0x13, 0x16):
            return content.decode("ascii")
    except UnicodeDecodeError:
        return None
    return None


def extract_facts(cert: x509.Certificate) -> dict[str, str]:
    """The basic four facts found in the subjectAltName otherNames (missing ones are absent)."""
    san = _extension(cert, x509.SubjectAlternativeName)
    facts: dict[str, str] = {}
    if isinstance(san, x509.SubjectAlternativeName):
        for other in san.get_values_for_type(x509.OtherName):
            key = FACT_OIDS.get(other.type_id.dotted_string)
            if key is None or key in facts:
                continue
            value = _decode_der_string(other.value)
            if value is not None:
                facts[key] = value
    return facts


# --------------------------------------------------------------------------------------------
# Public API


def verify_signature(
    *,
    data: bytes,
    signature: bytes,
    certificate_der: bytes,
    intermediates: list[bytes],
    trust_anchors: list[x509.Certificate],
    at: datetime,
    crl_fetcher: Callable[[str], bytes],
) -> SignatureVerification:
    """Verify ``signature`` over ``data`` made with the JPKI signing certificate (module docs)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the signing time must be timezone-aware")
    try:
        leaf = x509.load_der_x509_certificate(certificate_der)
    except ValueError:
        return SignatureVerification(valid=False, reason="untrusted_chain")

    def result(reason: Reason) -> SignatureVerification:
        return SignatureVerification(
            valid=reason == "ok",
            reason=reason,
            serial_number=format(leaf.serial_number, "x"),
            issuer=leaf.issuer.rfc4514_string(),
            facts=extract_facts(leaf) if reason == "ok" else {},
        )

    public_key = leaf.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < MIN_RSA_BITS:
        return result("bad_signature")
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return result("bad_signature")

    parsed_intermediates: list[x509.Certificate] = []
    for der in intermediates:
        try:
            parsed_intermediates.append(x509.load_der_x509_certificate(der))
        except ValueError:
            continue
    chain = _build_chain(leaf, parsed_intermediates, trust_anchors)
    if chain is None:
        return result("untrusted_chain")

    validity = _validity_reason(chain, at)
    if validity is not None:
        return result(validity)

    if not _key_usage_ok(leaf):
        return result("key_usage")

    revocation = _revocation_reason(leaf, chain[1], at, crl_fetcher)
    if revocation is not None:
        return result(revocation)
    return result("ok")


def _comparable(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split())


def facts_match(facts: Mapping[str, str], *, name: str, birth_date: str, address: str) -> list[str]:
    """Names of the facts (``name``, ``birth_date``, ``address``) that differ from the applicant's.

    Compared after NFKC normalisation and removal of all whitespace (so full-width and
    half-width forms, and spaces between family and given name, do not matter). A fact the
    certificate lacks counts as a mismatch. ``birth_date`` must be given in the certificate's
    format; converting between formats is the caller's job.
    """
    expected = {"name": name, "birth_date": birth_date, "address": address}
    return [
        key
        for key, value in expected.items()
        if key not in facts or _comparable(facts[key]) != _comparable(value)
    ]
