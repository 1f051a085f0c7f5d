"""Signed submission through the API with certificates from the tests' own CA (valid, expired,
revoked, wrong chain), the CRL served by a real loopback HTTP server.

Every refusal must leave the draft as it was, and nothing of the certificate may be stored.
"""

from __future__ import annotations

import base64
import copy
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.test import Client

from idx.applications.models import Application, ApplicationSignature, Status
from idx.audit.models import AuditEntry
from idx.identity.models import SigningTrustAnchor
from idx.identity.services import api_token_issue
from tests.conftest import IGA_HOST, example_answers, make_draft, procedure
from tests.signatures.conftest import PKI, der

pytestmark = pytest.mark.django_db


@pytest.fixture
def trusted(iga, pki: PKI, settings):
    # Real HTTP to the loopback CRL server, not the in-process transport of the other tests.
    settings.IDX_OIDC_TRANSPORT = ""
    return SigningTrustAnchor.objects.create(
        municipality=iga, name="IDX Test Root CA", certificate_der=der(pki.root)
    )


def matching_answers(resident) -> dict:
    """Answers whose claimant is the person in the test certificates (伊賀 太郎, 1980-01-02)."""
    answers = example_answers(procedure(resident.municipality))
    answers["claimant"] = {**answers["claimant"], "name": "伊賀 太郎", "birth_date": "1980-01-02"}
    answers["claimant"]["address"] = "三重県伊賀市上野丸之内116番地"
    return answers


class Api:
    def __init__(self, resident):
        self.client = Client(HTTP_HOST=IGA_HOST)
        self.headers = {"Authorization": f"Bearer {api_token_issue(user=resident, name='card reader')}"}

    def payload(self, application) -> bytes:
        response = self.client.get(
            f"/api/v1/applications/{application.public_id}/signing-payload", headers=self.headers
        )
        assert response.status_code == 200
        return base64.b64decode(response.json()["payload"])

    def submit(self, application, signature: dict | None):
        body: dict = {"declaration_accepted": True}
        if signature is not None:
            body["signature"] = signature
        return self.client.post(
            f"/api/v1/applications/{application.public_id}/submit",
            json.dumps(body),
            content_type="application/json",
            headers=self.headers,
        )


def sign(pki: PKI, certificate: str, payload: bytes, *, with_intermediate: bool = True) -> dict:
    value = pki.signer_key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
    return {
        "value": base64.b64encode(value).decode(),
        "certificate": base64.b64encode(der(pki.certs[certificate])).decode(),
        "intermediates": [base64.b64encode(der(pki.intermediate)).decode()] if with_intermediate else [],
    }


def assert_untouched(application, answers_before) -> None:
    current = Application.objects.get(pk=application.pk)
    assert current.status == Status.DRAFT
    assert current.receipt_number is None
    assert current.answers == answers_before
    assert not ApplicationSignature.objects.filter(application=application).exists()


def test_valid_signature_submits_and_keeps_no_certificate(trusted, pki, resident):
    application = make_draft(resident, answers=matching_answers(resident))
    api = Api(resident)
    signature = sign(pki, "valid", api.payload(application))
    response = api.submit(application, signature)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    stored = ApplicationSignature.objects.get(application=application)
    assert stored.certificate_serial == format(pki.certs["valid"].serial_number, "x")
    assert "IDX Test Signing CA" in stored.certificate_issuer
    assert stored.signer_name == "伊賀 太郎"
    # The certificate itself is nowhere: not in the signature row, not in the audit entry.
    certificate_b64 = signature["certificate"]
    row = json.dumps(
        {field.name: str(getattr(stored, field.name)) for field in ApplicationSignature._meta.fields}
    )
    assert certificate_b64[:60] not in row
    entry = AuditEntry.objects.get(action="application.submit", target_id=str(application.public_id))
    assert certificate_b64[:60] not in json.dumps(entry.after)
    assert entry.after["signature"]["certificate_serial"] == stored.certificate_serial


@pytest.mark.parametrize(
    ("certificate", "code"),
    [
        ("expired", "signature_expired"),
        ("revoked", "signature_revoked"),
        ("wrong_chain", "signature_untrusted_chain"),
        ("key_usage", "signature_key_usage"),
        ("missing_crl", "signature_crl_unavailable"),
    ],
)
def test_bad_certificates_are_refused_and_the_draft_kept(trusted, pki, resident, certificate, code):
    application = make_draft(resident, answers=matching_answers(resident))
    before = copy.deepcopy(Application.objects.get(pk=application.pk).answers)
    api = Api(resident)
    response = api.submit(application, sign(pki, certificate, api.payload(application)))
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert_untouched(application, before)


def test_signature_over_altered_answers_is_refused(trusted, pki, resident):
    application = make_draft(resident, answers=matching_answers(resident))
    api = Api(resident)
    signature = sign(pki, "valid", api.payload(application))
    altered = copy.deepcopy(Application.objects.get(pk=application.pk).answers)
    altered["claimant"]["phone"] = "0595-00-0000"
    patched = api.client.patch(
        f"/api/v1/applications/{application.public_id}",
        json.dumps({"answers": {"claimant": altered["claimant"]}}),
        content_type="application/json",
        headers=api.headers,
    )
    assert patched.status_code == 200
    response = api.submit(application, signature)
    assert response.status_code == 422
    assert response.json()["code"] == "signature_bad_signature"
    assert_untouched(application, altered)


def test_signature_for_another_application_is_refused(trusted, pki, resident):
    first = make_draft(resident, answers=matching_answers(resident))
    second = make_draft(resident, answers=matching_answers(resident))
    api = Api(resident)
    response = api.submit(second, sign(pki, "valid", api.payload(first)))
    assert response.status_code == 422
    assert response.json()["code"] == "signature_bad_signature"


def test_someone_elses_certificate_is_refused(trusted, pki, resident):
    answers = matching_answers(resident)
    answers["claimant"]["name"] = "伊賀 花子"
    application = make_draft(resident, answers=answers)
    before = copy.deepcopy(Application.objects.get(pk=application.pk).answers)
    api = Api(resident)
    response = api.submit(application, sign(pki, "valid", api.payload(application)))
    assert response.status_code == 422
    assert response.json()["code"] == "signature_facts_mismatch"
    assert "name" in response.json()["message"]
    assert_untouched(application, before)


def test_missing_intermediate_breaks_the_chain(trusted, pki, resident):
    application = make_draft(resident, answers=matching_answers(resident))
    api = Api(resident)
    response = api.submit(application, sign(pki, "valid", api.payload(application), with_intermediate=False))
    assert response.json()["code"] == "signature_untrusted_chain"


@pytest.mark.parametrize(
    "signature",
    [
        {"value": "not base64!", "certificate": "AAAA"},
        {"value": "AAAA", "certificate": ""},
        {"value": "AAAA", "certificate": "A" * 40000},
        {"value": "AAAA", "certificate": base64.b64encode(b"not a certificate").decode()},
    ],
)
def test_malformed_signatures_get_a_clear_error(trusted, resident, signature):
    application = make_draft(resident, answers=matching_answers(resident))
    before = copy.deepcopy(Application.objects.get(pk=application.pk).answers)
    response = Api(resident).submit(application, signature)
    assert response.status_code == 422
    assert response.json()["code"].startswith("signature_")
    assert_untouched(application, before)


def test_unsigned_submission_of_a_signature_procedure_is_refused(trusted, resident):
    application = make_draft(resident, answers=matching_answers(resident))
    response = Api(resident).submit(application, None)
    assert response.status_code == 422
    assert response.json()["code"] == "signature_required"


def test_a_municipality_without_trust_anchors_accepts_no_signature(iga, pki, resident, settings):
    settings.IDX_OIDC_TRANSPORT = ""
    SigningTrustAnchor.objects.filter(municipality=iga).update(enabled=False)
    application = make_draft(resident, answers=matching_answers(resident))
    api = Api(resident)
    response = api.submit(application, sign(pki, "valid", api.payload(application)))
    assert response.json()["code"] == "signature_no_trust_anchor"


def test_another_municipalitys_anchor_does_not_count(iga, watarai, pki, resident, settings):
    settings.IDX_OIDC_TRANSPORT = ""
    SigningTrustAnchor.objects.create(municipality=watarai, name="elsewhere", certificate_der=der(pki.root))
    application = make_draft(resident, answers=matching_answers(resident))
    api = Api(resident)
    response = api.submit(application, sign(pki, "valid", api.payload(application)))
    assert response.json()["code"] == "signature_untrusted_chain"
