"""The demo provider's stand-in for J-LIS: a signing CA per municipality, card certificates, a CRL.

Each demo card holder gets a 署名用電子証明書 shaped like a JPKI one (RSA-2048, SHA-256,
nonRepudiation, the basic four facts as subjectAltName otherNames under 1.2.392.200149.8.5.5, a
CRL distribution point on this deployment's ``/demo-idp/crl/``). The CA's certificate is
registered as the municipality's trust anchor, so the verification that runs on submission is the
same code that checks real JPKI certificates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from idx.common.models import Municipality
from idx.demo_idp.models import DemoCardCertificate, DemoCertificateAuthority

if TYPE_CHECKING:
    from idx.applications.models import Application
    from idx.applications.signing import SignatureEvidence

TRUST_ANCHOR_NAME = "IDX デモ署名用認証局"
_FACTS_ARC = "1.2.392.200149.8.5.5"
_GENDER_CODES = {"male": "1", "female": "2"}
# 元号 digit before the western date (明治 1 … 令和 5), as JPKI writes 生年月日.
_ERAS = [(dt.date(2019, 5, 1), "5"), (dt.date(1989, 1, 8), "4"), (dt.date(1926, 12, 25), "3")]
_CRL_HOURS = 24


@dataclass(frozen=True)
class CardFacts:
    """The basic four facts written into a signing certificate."""

    name: str
    address: str
    birthdate: str  # ISO date
    gender: str  # male / female / other


def _der_string(tag: int, body: bytes) -> bytes:
    if len(body) < 0x80:
        length = bytes([len(body)])
    else:
        size = (len(body).bit_length() + 7) // 8
        length = bytes([0x80 | size]) + len(body).to_bytes(size, "big")
    return bytes([tag]) + length + body


def _utf8(text: str) -> bytes:
    return _der_string(0x0C, text.encode("utf-8"))


def _printable(text: str) -> bytes:
    return _der_string(0x13, text.encode("ascii"))


def jpki_birth_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    era = next((digit for start, digit in _ERAS if day >= start), "2")
    return era + day.strftime("%Y%m%d")


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_card_keys: dict[str, rsa.RSAPrivateKey] = {}


def _card_key(label: str) -> rsa.RSAPrivateKey:
    """One key per holder and process: RSA-2048 generation is slow, and the demo reloads often."""
    key = _card_keys.get(label)
    if key is None:
        key = _card_keys[label] = _new_key()
    return key


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _load_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("demo JPKI keys are RSA")
    return key


def crl_url(municipality: Municipality) -> str:
    return municipality.public_url.rstrip("/") + reverse("demo_idp:crl")


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def authority(municipality: Municipality) -> DemoCertificateAuthority:
    """The municipality's demo signing CA (made on first use) and its trust-anchor row."""
    from idx.identity.models import SigningTrustAnchor

    existing = DemoCertificateAuthority.objects.filter(municipality=municipality).first()
    if existing is not None:
        return existing
    key = _new_key()
    now = timezone.now()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "IDX Demo JPKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"IDX Demo Signing CA {municipality.code}"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    with transaction.atomic():
        created, made = DemoCertificateAuthority.objects.get_or_create(
            municipality=municipality, defaults={"key_pem": _pem(key), "certificate_der": der}
        )
        if made:
            SigningTrustAnchor.objects.filter(municipality=municipality, name=TRUST_ANCHOR_NAME).delete()
            SigningTrustAnchor.objects.create(
                municipality=municipality, name=TRUST_ANCHOR_NAME, certificate_der=der
            )
    return created


def _label(facts: CardFacts) -> str:
    return hashlib.sha256(f"{facts.name}|{facts.address}|{facts.birthdate}".encode()).hexdigest()[:32]


def card_certificate(
    municipality: Municipality, facts: CardFacts, *, holder: str = "", revoked: bool = False
) -> DemoCardCertificate:
    """The signing certificate of a card holder (issued on first use; reissued if the URL moved)."""
    ca = authority(municipality)
    label = holder or _label(facts)
    url = crl_url(municipality)
    card = DemoCardCertificate.objects.filter(authority=ca, holder=label).first()
    if card is not None and card.crl_url == url:
        return card
    key = _load_key(card.key_pem) if card is not None else _card_key(label)
    ca_cert = x509.load_der_x509_certificate(bytes(ca.certificate_der))
    now = timezone.now()
    others = [
        x509.OtherName(x509.ObjectIdentifier(f"{_FACTS_ARC}.1"), _utf8(facts.name)),
        x509.OtherName(
            x509.ObjectIdentifier(f"{_FACTS_ARC}.3"), _printable(_GENDER_CODES.get(facts.gender, "9"))
        ),
        x509.OtherName(
            x509.ObjectIdentifier(f"{_FACTS_ARC}.4"), _printable(jpki_birth_date(facts.birthdate))
        ),
        x509.OtherName(x509.ObjectIdentifier(f"{_FACTS_ARC}.5"), _utf8(facts.address)),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                    x509.NameAttribute(NameOID.COMMON_NAME, f"demo signer {label[:16]}"),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=5 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(x509.SubjectAlternativeName(others), critical=False)
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        .sign(_load_key(ca.key_pem), hashes.SHA256())
    )
    card, _made = DemoCardCertificate.objects.update_or_create(
        authority=ca,
        holder=label,
        defaults={
            "key_pem": _pem(key),
            "certificate_der": certificate.public_bytes(serialization.Encoding.DER),
            "serial_number": format(certificate.serial_number, "x"),
            "crl_url": url,
            "revoked_at": now if revoked else None,
        },
    )
    return card


def sign_digest(card: DemoCardCertificate, digest: bytes) -> bytes:
    """What the card does with its signing key: RSA PKCS#1 v1.5 over a SHA-256 digest."""
    return _load_key(card.key_pem).sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def crl_der(municipality: Municipality) -> bytes:
    """The CA's current CRL (DER), listing every revoked demo card certificate."""
    ca = authority(municipality)
    ca_cert = x509.load_der_x509_certificate(bytes(ca.certificate_der))
    now = timezone.now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - dt.timedelta(minutes=5))
        .next_update(now + dt.timedelta(hours=_CRL_HOURS))
    )
    for card in DemoCardCertificate.objects.filter(authority=ca, revoked_at__isnull=False):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(int(card.serial_number, 16))
            .revocation_date(card.revoked_at)  # type: ignore[arg-type]
            .build()
        )
    return builder.sign(_load_key(ca.key_pem), hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def demo_signature(application: Application, *, revoked: bool = False) -> SignatureEvidence:
    """Sign ``application`` with a demo card made out to its applicant, and verify it.

    For demo data and tests that need signed submissions without a browser. The verification is
    the real one; only the CRL is handed over in-process instead of over HTTP.
    """
    from idx.applications.signing import applicant_facts, payload_digest, signature_verify

    facts = applicant_facts(application)
    card = card_certificate(
        application.municipality,
        CardFacts(
            name=facts.get("name", ""),
            address=facts.get("address", ""),
            birthdate=facts.get("birth_date", "") or "1980-01-01",
            gender="other",
        ),
        revoked=revoked,
    )
    signature = sign_digest(card, payload_digest(application))
    return signature_verify(
        application=application,
        signature=signature,
        certificate_der=bytes(card.certificate_der),
        crl_fetcher=lambda _url: crl_der(application.municipality),
    )
