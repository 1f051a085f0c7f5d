from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import threading
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from idx.identity.signatures.canonical import canonical_answers
from idx.identity.signatures.jpki import (
    CRLCache,
    SignatureVerification,
    facts_match,
    fetch_crl_over_http,
    verify_signature,
)

from .conftest import DAY, FACTS, NOW, PKI, CRLServer, der, signing_certificate

DATA = canonical_answers({"applicant_name": "伊賀 太郎", "children": [{"name": "伊賀 花子"}]})


def sign(pki: PKI, data: bytes = DATA) -> bytes:
    return pki.signer_key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def verify(
    pki: PKI,
    cert: str,
    *,
    data: bytes = DATA,
    at: dt.datetime = NOW,
    fetcher: Callable[[str], bytes] | None = None,
    intermediates: list[bytes] | None = None,
) -> SignatureVerification:
    return verify_signature(
        data=data,
        signature=sign(pki),
        certificate_der=der(pki.certs[cert]),
        intermediates=[der(pki.intermediate)] if intermediates is None else intermediates,
        trust_anchors=[pki.root],
        at=at,
        crl_fetcher=fetcher or functools.partial(fetch_crl_over_http, timeout=2.0),
    )


def test_valid_signature(pki: PKI) -> None:
    result = verify(pki, "valid")
    assert result == SignatureVerification(
        valid=True,
        reason="ok",
        serial_number=format(pki.certs["valid"].serial_number, "x"),
        issuer=pki.intermediate.subject.rfc4514_string(),
        facts=FACTS,
    )
    assert result.issuer.startswith("CN=IDX Test Signing CA")
    # Nothing but these five fields is kept: in particular not the certificate.
    assert [f.name for f in dataclasses.fields(result)] == [
        "valid",
        "reason",
        "serial_number",
        "issuer",
        "facts",
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.valid = False  # type: ignore[misc]


def test_altered_data(pki: PKI) -> None:
    altered = canonical_answers({"applicant_name": "伊賀 次郎", "children": [{"name": "伊賀 花子"}]})
    result = verify(pki, "valid", data=altered)
    assert (result.valid, result.reason, result.facts) == (False, "bad_signature", {})


def test_expired_at_signing_time(pki: PKI) -> None:
    assert verify(pki, "expired").reason == "expired"
    assert verify(pki, "valid", at=NOW + 400 * DAY).reason == "expired"


def test_not_yet_valid_at_signing_time(pki: PKI) -> None:
    result = verify(pki, "valid", at=NOW - 2 * DAY)
    assert (result.valid, result.reason) == (False, "not_yet_valid")


def test_revoked(pki: PKI) -> None:
    result = verify(pki, "revoked")
    assert (result.valid, result.reason) == (False, "revoked")
    assert result.serial_number == format(pki.certs["revoked"].serial_number, "x")


def test_wrong_chain(pki: PKI) -> None:
    result = verify(pki, "wrong_chain")
    assert (result.valid, result.reason, result.facts) == (False, "untrusted_chain", {})


def test_missing_intermediate(pki: PKI) -> None:
    assert verify(pki, "valid", intermediates=[]).reason == "untrusted_chain"


def test_wrong_key_usage(pki: PKI) -> None:
    assert verify(pki, "key_usage").reason == "key_usage"


def test_crl_server_down(pki: PKI) -> None:
    # A second, real server that is stopped before the verification runs.
    down = CRLServer()
    thread = threading.Thread(target=down.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    cert = signing_certificate(
        pki.signer_key,
        issuer=pki.intermediate,
        issuer_key=pki.intermediate_key,
        crl_url=f"{down.base_url}/crl.der",
    )
    down.shutdown()
    down.server_close()
    thread.join(timeout=5)
    pki.certs["server_down"] = cert
    assert verify(pki, "server_down").reason == "crl_unavailable"


def test_crl_not_found(pki: PKI) -> None:
    assert verify(pki, "missing_crl").reason == "crl_unavailable"


def test_crl_signed_by_someone_else(pki: PKI, crl_server: CRLServer) -> None:
    crl_server.files["/forged.der"] = pki.crl([], issuer_key=pki.signer_key)
    pki.certs["forged_crl"] = signing_certificate(
        pki.signer_key,
        issuer=pki.intermediate,
        issuer_key=pki.intermediate_key,
        crl_url=f"{crl_server.base_url}/forged.der",
    )
    assert verify(pki, "forged_crl").reason == "crl_unavailable"


def test_crl_not_current_at_signing_time(pki: PKI) -> None:
    pki.certs["older"] = signing_certificate(
        pki.signer_key,
        issuer=pki.intermediate,
        issuer_key=pki.intermediate_key,
        crl_url=pki.crl_url,
        not_before=NOW - 10 * DAY,
    )
    # The only CRL was issued after this signing time (thisUpdate = NOW - 1 day).
    assert verify(pki, "older", at=NOW - 2 * DAY).reason == "crl_unavailable"
    assert verify(pki, "older").reason == "ok"


def test_crl_fetched_once_within_ttl(pki: PKI, crl_server: CRLServer) -> None:
    clock = [1000.0]
    cache = CRLCache(functools.partial(fetch_crl_over_http, timeout=2.0), ttl=60, clock=lambda: clock[0])
    crl_server.requests.clear()
    assert verify(pki, "valid", fetcher=cache).reason == "ok"
    assert verify(pki, "revoked", fetcher=cache).reason == "revoked"
    clock[0] += 59
    assert verify(pki, "valid", fetcher=cache).reason == "ok"
    assert crl_server.requests == ["/crl.der"]
    clock[0] += 2
    assert verify(pki, "valid", fetcher=cache).reason == "ok"
    assert crl_server.requests == ["/crl.der", "/crl.der"]


def test_naive_signing_time_refused(pki: PKI) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(pki, "valid", at=NOW.replace(tzinfo=None))


def test_garbage_certificate() -> None:
    result = verify_signature(
        data=DATA,
        signature=b"x",
        certificate_der=b"not a certificate",
        intermediates=[],
        trust_anchors=[],
        at=NOW,
        crl_fetcher=lambda url: b"",
    )
    assert (result.valid, result.reason, result.serial_number) == (False, "untrusted_chain", "")


def test_facts_match() -> None:
    assert facts_match(FACTS, name="伊賀　太郎", birth_date="419800102", address=FACTS["address"]) == []
    # Half-width digits and no space still match (NFKC + whitespace removal).
    assert (
        facts_match(
            FACTS, name="伊賀太郎", birth_date="４１９８００１０２", address="三重県伊賀市上野丸之内116番地"
        )
        == []
    )
    assert facts_match(
        FACTS, name="伊賀 太郎", birth_date="419800102", address="三重県名張市鴻之台1番町1番地"
    ) == ["address"]
    assert facts_match({}, name="a", birth_date="b", address="c") == ["name", "birth_date", "address"]
