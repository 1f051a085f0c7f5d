"""Saving answers seals 個人番号 at once; an invalid number keeps nothing of it."""

from __future__ import annotations

import copy

import pytest

from idx.applications import services
from idx.applications.models import Application, Status
from idx.common import my_number
from idx.identity.services import api_token_issue
from tests.conftest import example_answers, make_draft, procedure, submit
from tests.my_number.conftest import BAD_CHECK_DIGIT, MY_NUMBER, MY_NUMBER_SPACED, OTHER_NUMBER, claimant_form
from tests.test_api import Api

pytestmark = pytest.mark.django_db


def _with_number(resident, number):
    answers = example_answers(procedure(resident.municipality))
    answers["claimant"]["my_number"] = number
    return answers


def test_saved_answer_is_a_sealed_token(resident):
    application = make_draft(resident, answers=_with_number(resident, MY_NUMBER))
    stored = Application.objects.get(pk=application.pk).answers["claimant"]["my_number"]
    assert my_number.is_sealed_token(stored)
    assert my_number.unseal(stored, context=str(application.public_id)) == MY_NUMBER


def test_invalid_number_is_refused_and_nothing_of_it_is_kept(resident):
    application = make_draft(resident)
    answers = _with_number(resident, BAD_CHECK_DIGIT)
    answers["claimant"]["address"] = "三重県伊賀市四十九町3184番地（変更後）"
    with pytest.raises(services.MyNumberInvalid) as caught:
        services.application_save_answers(application=application, actor=resident, answers=answers)
    assert [(e.path, e.code) for e in caught.value.errors] == [("claimant.my_number", "format:my-number")]
    stored = Application.objects.get(pk=application.pk).answers
    assert "my_number" not in stored["claimant"]
    assert stored["claimant"]["address"].endswith("（変更後）")  # the rest of the draft is saved


def test_invalid_number_does_not_replace_nor_keep_a_previous_one(resident):
    application = make_draft(resident, answers=_with_number(resident, MY_NUMBER))
    with pytest.raises(services.MyNumberInvalid):
        services.application_save_answers(
            application=application, actor=resident, answers=_with_number(resident, BAD_CHECK_DIGIT)
        )
    assert "my_number" not in Application.objects.get(pk=application.pk).answers["claimant"]


def test_blank_input_keeps_the_sealed_number_and_a_new_one_replaces_it(resident):
    application = make_draft(resident, answers=_with_number(resident, MY_NUMBER))
    first = Application.objects.get(pk=application.pk).answers["claimant"]["my_number"]
    application = services.application_save_answers(
        application=application, actor=resident, answers=example_answers(procedure(resident.municipality))
    )
    assert application.answers["claimant"]["my_number"] == first
    application = services.application_save_answers(
        application=application, actor=resident, answers=_with_number(resident, OTHER_NUMBER)
    )
    token = application.answers["claimant"]["my_number"]
    assert token != first
    assert my_number.unseal(token, context=str(application.public_id)) == OTHER_NUMBER


def test_a_token_from_elsewhere_is_not_accepted(resident, other_resident):
    theirs = make_draft(other_resident, answers=_with_number(other_resident, OTHER_NUMBER))
    token = theirs.answers["claimant"]["my_number"]
    application = make_draft(resident)
    forged = my_number.seal(MY_NUMBER, context=str(application.public_id))  # anyone holds the public key
    for candidate in (token, forged):
        with pytest.raises(services.MyNumberInvalid):
            services.application_save_answers(
                application=application, actor=resident, answers=_with_number(resident, candidate)
            )
        assert "my_number" not in Application.objects.get(pk=application.pk).answers["claimant"]


def test_submission_requires_the_sealed_form(resident):
    application = make_draft(resident, answers=_with_number(resident, MY_NUMBER))
    answers = copy.deepcopy(application.answers)
    answers["claimant"]["my_number"] = MY_NUMBER  # as if a clear value had reached the row somehow
    Application.objects.filter(pk=application.pk).update(answers=answers)
    application.refresh_from_db()
    with pytest.raises(services.AnswersInvalid) as caught:
        submit(application=application, actor=resident, declaration_accepted=True)
    assert ("claimant.my_number", "format:my-number") in [(e.path, e.code) for e in caught.value.errors]


def test_submission_with_a_sealed_number(resident):
    application = make_draft(resident, answers=_with_number(resident, MY_NUMBER))
    application = submit(application=application, actor=resident, declaration_accepted=True)
    assert application.status == Status.SUBMITTED
    assert my_number.is_sealed_token(application.answers["claimant"]["my_number"])


def test_portal_shows_the_error_and_keeps_the_other_answers(resident, resident_client):
    application = make_draft(resident)
    answers = example_answers(procedure(resident.municipality))
    answers["claimant"]["phone"] = "0595-00-0000"
    url = f"/my/applications/{application.public_id}/steps/claimant/"
    response = resident_client.post(url, claimant_form(answers, BAD_CHECK_DIGIT))
    assert response.status_code == 422
    text = response.content.decode()
    assert "マイナンバー（個人番号）の12桁" in text or "12 digits of your My Number" in text
    assert BAD_CHECK_DIGIT not in text
    stored = Application.objects.get(pk=application.pk).answers["claimant"]
    assert "my_number" not in stored and stored["phone"] == "0595-00-0000"


def test_portal_seals_and_shows_only_that_it_was_entered(resident, resident_client):
    application = make_draft(resident)
    answers = example_answers(procedure(resident.municipality))
    url = f"/my/applications/{application.public_id}/steps/claimant/"
    response = resident_client.post(url, claimant_form(answers, MY_NUMBER_SPACED))
    assert response.status_code == 302
    stored = Application.objects.get(pk=application.pk).answers["claimant"]["my_number"]
    assert my_number.is_sealed_token(stored)
    page = resident_client.get(url).content.decode()
    assert "入力済み（暗号化されています）" in page or "Entered (encrypted)" in page
    assert MY_NUMBER not in page and stored not in page
    assert 'name="f.claimant.my_number"' in page and 'autocomplete="off"' in page
    # Saving the step again with the input left empty keeps the number.
    resident_client.post(url, claimant_form(answers, ""))
    assert Application.objects.get(pk=application.pk).answers["claimant"]["my_number"] == stored


def test_api_patch_seals_refuses_invalid_and_accepts_its_own_token_back(resident):
    api = Api(api_token_issue(user=resident, name="client"))
    application = make_draft(resident)
    claimant = example_answers(procedure(resident.municipality))["claimant"]
    path = f"/applications/{application.public_id}"
    response = api.patch(path, {"answers": {"claimant": {**claimant, "my_number": BAD_CHECK_DIGIT}}})
    assert response.status_code == 422
    assert response.json()["code"] == "my_number_invalid"
    assert BAD_CHECK_DIGIT not in response.content.decode()
    response = api.patch(path, {"answers": {"claimant": {**claimant, "my_number": MY_NUMBER}}})
    assert response.status_code == 200
    token = response.json()["answers"]["claimant"]["my_number"]
    assert my_number.is_sealed_token(token) and MY_NUMBER not in response.content.decode()
    # A client sending back what it read changes nothing.
    got = api.get(path).json()
    assert api.patch(path, {"answers": {"claimant": got["answers"]["claimant"]}}).status_code == 200
    assert Application.objects.get(pk=application.pk).answers["claimant"]["my_number"] == token
