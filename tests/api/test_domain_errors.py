"""A refusal of a domain (``DomainError``) that an operation does not catch is answered once, in
``idx.api.base``: the problem JSON with the status its class names, its code and its message; the
input it concerns as an item; a 404 that says nothing more than "Not found."."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from django.utils.translation import gettext_lazy

from idx.api.base import api
from idx.applications import services
from idx.applications.signing import SignatureRefused
from idx.applications.workflow import Event, InvalidTransition
from idx.common.errors import DomainError
from idx.payments.providers import ProviderError


class _Refused(DomainError):
    code = "refused_for_a_test"
    http_status = 422
    message = gettext_lazy("%(name)s is not accepted.")


def _answer(exc: Exception) -> tuple[int, dict]:
    response = api.on_exception(RequestFactory().post("/api/v1/anything"), exc)
    return response.status_code, json.loads(response.content)


def test_a_plain_domain_error_answers_400_with_its_code_and_message():
    status, body = _answer(DomainError(code="not_possible", message="Not possible now."))
    assert status == 400
    assert body == {"code": "not_possible", "message": "Not possible now.", "errors": []}


def test_a_domain_error_about_one_input_answers_422_with_an_item_for_it():
    status, body = _answer(_Refused(field="body.name", params={"name": "x"}))
    assert status == 422
    assert body == {
        "code": "refused_for_a_test",
        "message": "x is not accepted.",
        "errors": [{"path": "body.name", "code": "refused_for_a_test", "message": "x is not accepted."}],
    }


def test_not_permitted_answers_404_and_tells_nothing_more():
    status, body = _answer(services.NotPermitted("someone else's application"))
    assert (status, body) == (404, {"code": "not_found", "message": "Not found.", "errors": []})


def test_conflicts_answer_409():
    status, body = _answer(services.ChangedMeanwhile())
    assert status == 409
    assert body["code"] == "changed_meanwhile"
    assert body["message"] == "The application was changed meanwhile; reload it and try again."
    status, body = _answer(InvalidTransition(Event.SUBMIT, "approved"))
    assert status == 409
    assert body == {
        "code": "invalid_transition",
        "message": "'submit' is not possible while the status is 'approved'.",
        "errors": [],
    }


def test_payment_and_size_and_signature_refusals_keep_their_statuses():
    status, body = _answer(services.PaymentRequired(1200))
    assert status == 402 and body["code"] == "payment_required" and "(1200 yen)" in body["message"]
    assert _answer(services.AnswersTooLarge())[0] == 413
    status, body = _answer(SignatureRefused("facts_mismatch", ["name"]))
    assert status == 422
    assert body["code"] == "signature_facts_mismatch"
    assert body["message"] == "The signature was refused: facts_mismatch (name differ)."


def test_a_provider_failure_answers_502():
    status, body = _answer(ProviderError("timeout"))
    assert status == 502 and body["code"] == "provider_error"


@pytest.mark.parametrize("positional", [(), ("internal detail",)])
def test_positional_arguments_stay_the_exceptions_text_not_the_message(positional):
    exc = services.NotEditable(*positional)
    assert str(exc) == (positional[0] if positional else "")
    assert exc.text() == "The application cannot be changed in its current status."
