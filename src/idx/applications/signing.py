"""Electronic signatures on applications (電子署名 instead of a seal).

What is signed is :func:`signing_payload`: the canonical bytes of the application's identity
(municipality, public id, procedure and version) and of the answers that would be submitted, so a
signature can neither be moved to another application nor survive a change of any answer.

:func:`signature_verify` checks a signature made with a JPKI signing certificate (署名用電子証明書)
over that payload against the municipality's trust anchors and the certificate's CRL, and compares
the certificate's basic four facts with the applicant items. It returns :class:`SignatureEvidence`,
which keeps the serial number and issuer, never the certificate.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from idx.applications.answers import get_path, visible_answers
from idx.applications.models import Application
from idx.common.errors import DomainError
from idx.identity.signatures.canonical import canonical_answers
from idx.identity.signatures.jpki import facts_match, verify_signature
from idx.identity.signatures.trust import crl_cache, trust_anchors

logger = logging.getLogger("idx.applications.signing")

# Size limits of what a client may send (a JPKI certificate is about 2 kB; a chain a few).
MAX_CERTIFICATE_BYTES = 16 * 1024
MAX_INTERMEDIATES = 4


class SignatureRefused(DomainError):
    """The signature cannot stand for the applicant's seal; ``reason`` is a short code.

    Codes: the reasons of :func:`idx.identity.signatures.jpki.verify_signature`, plus
    ``malformed`` (not decodable), ``facts_mismatch`` (the certificate names someone else;
    ``mismatched`` lists which of name, birth_date, address differ), ``no_trust_anchor`` (the
    municipality trusts no signing CA) and ``answers_changed`` (the answers are no longer those
    that were signed).
    """

    http_status = 422
    message = "The signature was refused: %(reason)s%(detail)s."

    def __init__(self, reason: str, mismatched: list[str] | None = None):
        detail = f" ({', '.join(mismatched)} differ)" if mismatched else ""
        super().__init__(reason, code=f"signature_{reason}", params={"reason": reason, "detail": detail})
        self.reason = reason
        self.mismatched = mismatched or []


@dataclass(frozen=True)
class SignatureEvidence:
    """A verified signature, ready to be stored with the submission."""

    digest_sha256: str  # hex digest of the signed payload
    signature_b64: str
    serial_number: str
    issuer: str
    signer_name: str
    signed_at: dt.datetime


def signing_payload(application: Application) -> bytes:
    """The bytes the applicant signs (see the module docstring)."""
    version = application.procedure_version
    definition = version.parsed
    return canonical_answers(
        {
            "municipality": application.municipality.code,
            "application": str(application.public_id),
            "procedure": application.procedure.code,
            "version": version.number,
            "answers": visible_answers(definition, application.answers),
        }
    )


def payload_digest(application: Application) -> bytes:
    return hashlib.sha256(signing_payload(application)).digest()


def requires_signature(application: Application) -> bool:
    return bool(application.procedure_version.parsed.data.get("signature_required"))


def decode_b64(value: str, *, limit: int) -> bytes:
    """Standard or URL-safe base64 (padding optional); ``malformed`` when it is not."""
    text = re.sub(r"\s+", "", value or "")
    if not text or len(text) > limit * 4 // 3 + 4 or not re.fullmatch(r"[A-Za-z0-9+/_-]*={0,2}", text):
        raise SignatureRefused("malformed")
    text = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError as exc:
        raise SignatureRefused("malformed") from exc


def _certificate_birth_date(value: str) -> str:
    """JPKI writes the birth date as an era digit followed by the western YYYYMMDD (``EYYYYMMDD``)."""
    digits = value.strip()
    if re.fullmatch(r"[0-9]{9}", digits):
        digits = digits[1:]
    if re.fullmatch(r"[0-9]{8}", digits):
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return digits


def applicant_facts(application: Application) -> dict[str, str]:
    """The applicant's name, birth_date and address as answered (those a certificate must match)."""
    from idx.procedures.rendering import identity_fact_paths

    definition = application.procedure_version.parsed
    facts: dict[str, str] = {}
    for path, fact in identity_fact_paths(definition).items():
        value = get_path(application.answers, path)
        if isinstance(value, str):
            facts[fact] = value
    return facts


def signature_verify(
    *,
    application: Application,
    signature: bytes,
    certificate_der: bytes,
    intermediates: list[bytes] | None = None,
    at: dt.datetime | None = None,
    crl_fetcher: Callable[[str], bytes] | None = None,
) -> SignatureEvidence:
    """Verify a signature over :func:`signing_payload`; raise :class:`SignatureRefused` when it fails."""
    if len(certificate_der) > MAX_CERTIFICATE_BYTES or len(intermediates or []) > MAX_INTERMEDIATES:
        raise SignatureRefused("malformed")
    anchors = trust_anchors(application.municipality)
    if not anchors:
        raise SignatureRefused("no_trust_anchor")
    signed_at = at or timezone.now()
    payload = signing_payload(application)
    result = verify_signature(
        data=payload,
        signature=signature,
        certificate_der=certificate_der,
        intermediates=list(intermediates or []),
        trust_anchors=anchors,
        at=signed_at,
        crl_fetcher=crl_fetcher or crl_cache,
    )
    if not result.valid:
        # The serial and issuer identify the certificate to the help desk without naming anyone.
        logger.warning(
            "signature refused application=%s reason=%s serial=%s",
            application.public_id,
            result.reason,
            result.serial_number or "-",
        )
        raise SignatureRefused(result.reason)
    applicant = applicant_facts(application)
    mismatched = facts_match(
        {**result.facts, "birth_date": _certificate_birth_date(result.facts.get("birth_date", ""))},
        name=applicant.get("name", ""),
        birth_date=applicant.get("birth_date", ""),
        address=applicant.get("address", ""),
    )
    if mismatched:
        logger.warning(
            "signature refused application=%s reason=facts_mismatch items=%s",
            application.public_id,
            ",".join(mismatched),
        )
        raise SignatureRefused("facts_mismatch", mismatched)
    return SignatureEvidence(
        digest_sha256=hashlib.sha256(payload).hexdigest(),
        signature_b64=base64.b64encode(signature).decode(),
        serial_number=result.serial_number,
        issuer=result.issuer,
        signer_name=result.facts.get("name", ""),
        signed_at=signed_at,
    )


def signature_still_covers(application: Application, digest_sha256: str) -> bool:
    """Whether the application's current answers are still exactly those that were signed."""
    return hashlib.sha256(signing_payload(application)).hexdigest() == digest_sha256


def evidence_summary(evidence: SignatureEvidence) -> dict[str, Any]:
    return {"certificate_serial": evidence.serial_number, "certificate_issuer": evidence.issuer}
