"""A throw-away JPKI-like CA hierarchy and a real loopback HTTP server for its CRL.

root CA -> intermediate CA -> signing certificates (RSA-2048, SHA-256, nonRepudiation, the basic
four facts as subjectAltName otherNames, CRL distribution point on the loopback server). The
intermediate publishes a DER CRL listing the ``revoked`` certificate.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from idx.identity.signatures.jpki import fetch_crl_over_http

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)

FACTS = {
    "name": "伊賀 太郎",
    "gender": "1",
    "birth_date": "419800102",
    "address": "三重県伊賀市上野丸之内１１６番地",
}
FACT_OID = {
    "name": "1.2.392.200149.8.5.5.1",
    "gender": "1.2.392.200149.8.5.5.3",
    "birth_date": "1.2.392.200149.8.5.5.4",
    "address": "1.2.392.200149.8.5.5.5",
}


def utf8_string(text: str) -> bytes:
    body = text.encode("utf-8")
    assert len(body) < 0x80 * 2
    length = bytes([len(body)]) if len(body) < 0x80 else bytes([0x81, len(body)])
    return b"\x0c" + length + body


def printable_string(text: str) -> bytes:
    body = text.encode("ascii")
    return b"\x13" + bytes([len(body)]) + body


def make_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "IDX Test JPKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def ca_certificate(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    *,
    issuer: x509.Name | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
    path_length: int | None = None,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - 3650 * DAY)
        .not_valid_after(NOW + 3650 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(issuer_key or key, hashes.SHA256())
    )


def signing_certificate(
    key: rsa.RSAPrivateKey,
    *,
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    crl_url: str,
    not_before: dt.datetime = NOW - DAY,
    not_after: dt.datetime = NOW + 365 * DAY,
    non_repudiation: bool = True,
    facts: dict[str, str] = FACTS,
) -> x509.Certificate:
    others = [
        x509.OtherName(
            x509.ObjectIdentifier(FACT_OID[key_]),
            printable_string(value) if key_ == "gender" else utf8_string(value),
        )
        for key_, value in facts.items()
    ]
    return (
        x509.CertificateBuilder()
        .subject_name(name(f"signer {x509.random_serial_number()}"))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=non_repudiation,
                key_encipherment=not non_repudiation,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectAlternativeName(others), critical=False)
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


# --------------------------------------------------------------------------------------------
# CRL server


class CRLServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CRLHandler)
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _CRLHandler(http.server.BaseHTTPRequestHandler):
    server: CRLServer
    timeout = 5

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/pkix-crl")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def crl_server() -> Iterator[CRLServer]:
    server = CRLServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fetcher() -> Callable[[str], bytes]:
    return functools.partial(fetch_crl_over_http, timeout=2.0)


# --------------------------------------------------------------------------------------------
# PKI


@dataclass
class PKI:
    root: x509.Certificate
    intermediate: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    signer_key: rsa.RSAPrivateKey
    crl_url: str
    certs: dict[str, x509.Certificate] = field(default_factory=dict)

    def crl(self, revoked: list[x509.Certificate], *, issuer_key: rsa.RSAPrivateKey | None = None) -> bytes:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.intermediate.subject)
            .last_update(NOW - DAY)
            .next_update(NOW + 7 * DAY)
        )
        for cert in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(NOW - DAY)
                .build()
            )
        crl = builder.sign(issuer_key or self.intermediate_key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def pki(crl_server: CRLServer) -> PKI:
    root_key, intermediate_key, signer_key, other_key = make_key(), make_key(), make_key(), make_key()
    root = ca_certificate(name("IDX Test Root CA"), root_key, path_length=1)
    intermediate = ca_certificate(
        name("IDX Test Signing CA"), intermediate_key, issuer=root.subject, issuer_key=root_key, path_length=0
    )
    # Another CA that even claims the intermediate's name: only the signature can tell them apart.
    impostor = ca_certificate(name("IDX Test Signing CA"), other_key)
    crl_url = f"{crl_server.base_url}/crl.der"
    pki = PKI(root, intermediate, intermediate_key, signer_key, crl_url)

    def issue(**kwargs: object) -> x509.Certificate:
        options: dict = {"issuer": intermediate, "issuer_key": intermediate_key, "crl_url": crl_url}
        options.update(kwargs)
        return signing_certificate(signer_key, **options)

    pki.certs = {
        "valid": issue(),
        "expired": issue(not_before=NOW - 730 * DAY, not_after=NOW - 365 * DAY),
        "revoked": issue(),
        "wrong_chain": issue(issuer=impostor, issuer_key=other_key),
        "key_usage": issue(non_repudiation=False),
        "missing_crl": issue(crl_url=f"{crl_server.base_url}/missing.der"),
    }
    crl_server.files["/crl.der"] = pki.crl([pki.certs["revoked"]])
    return pki
