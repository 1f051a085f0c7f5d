"""Linking card sign-in to an e-mail account, and 基本4情報 prefilled and locked in applications."""

from __future__ import annotations

import subprocess
import sys

import pytest

from idx.applications import services
from idx.identity.models import ExternalIdentity
from tests.conftest import CHILD_ALLOWANCE, procedure, signed_in
from tests.identity.conftest import HANAKO_BIRTHDATE, CardBrowser

pytestmark = pytest.mark.django_db


def _link(resident, holder: str = "iga-hanako"):
    browser = CardBrowser(signed_in(resident))
    authorize_url = browser.start(intent="link")
    return browser, browser.callback(browser.authorize(authorize_url, holder=holder)["Location"])


def test_my_applications_offers_linking(resident_client):
    page = resident_client.get("/my/applications/").content.decode()
    assert 'name="intent" value="link"' in page


def test_link_card_to_an_email_account(resident, card_provider):
    _browser, response = _link(resident)
    assert response["Location"] == "/my/applications/"
    identity = ExternalIdentity.objects.get(provider=card_provider)
    assert identity.user_id == resident.pk
    resident.refresh_from_db()
    assert resident.verified_birthdate == HANAKO_BIRTHDATE
    # Afterwards the card signs in to the same account.
    response = CardBrowser().sign_in()
    assert response["Location"] == "/my/applications/"
    assert ExternalIdentity.objects.filter(provider=card_provider).count() == 1


def test_linking_needs_a_signed_in_resident(iga_client, card_provider):
    response = iga_client.post("/oidc/my-number-card/start/", {"intent": "link"})
    assert response["Location"].startswith("/accounts/login/")
    assert "idx_oidc_flows" not in iga_client.session


def test_a_card_linked_elsewhere_is_not_linked_again(resident, other_resident, card_provider):
    _link(resident)
    _browser, response = _link(other_resident)
    assert response["Location"] == "/my/applications/"
    assert ExternalIdentity.objects.get(provider=card_provider).user_id == resident.pk


def test_linking_survives_only_in_the_same_session(resident, other_resident, card_provider):
    browser = CardBrowser(signed_in(resident))
    authorize_url = browser.start(intent="link")
    callback = browser.authorize(authorize_url)["Location"]
    browser.client.force_login(other_resident)  # another account in this browser meanwhile
    response = browser.callback(callback)
    assert response["Location"] == "/accounts/login/"
    assert not ExternalIdentity.objects.exists()


def test_prefill_and_lock_for_a_verified_resident(resident, card_provider):
    _link(resident)
    resident.refresh_from_db()
    proc = procedure(resident.municipality, CHILD_ALLOWANCE)
    application = services.application_start(resident=resident, procedure=proc)
    assert application.answers["claimant"] == {
        "name": "伊賀 花子",
        "birth_date": "1985-04-01",
        "gender": "female",
        "address": "三重県伊賀市上野丸之内116番地",
    }
    client = signed_in(resident)
    page = client.get(f"/my/applications/{application.public_id}/steps/claimant/").content.decode()
    assert page.count("Verified by My Number Card") + page.count("マイナンバーカードで確認済み") == 4
    assert 'name="f.claimant.name"' not in page
    assert 'name="f.claimant.phone"' in page
    # A tampered post cannot change them.
    client.post(
        f"/my/applications/{application.public_id}/steps/claimant/",
        {"f.claimant.name": "別人 太郎", "f.claimant.phone": "0595-22-9611", "action": "save_exit"},
    )
    application.refresh_from_db()
    assert application.answers["claimant"]["name"] == "伊賀 花子"
    assert application.answers["claimant"]["phone"] == "0595-22-9611"
    assert application.answers["claimant"]["birth_date"] == "1985-04-01"


def test_no_prefill_without_verification(resident):
    proc = procedure(resident.municipality, CHILD_ALLOWANCE)
    application = services.application_start(resident=resident, procedure=proc)
    assert application.answers == {}
    page = (
        signed_in(resident).get(f"/my/applications/{application.public_id}/steps/claimant/").content.decode()
    )
    assert 'name="f.claimant.name"' in page


def test_identity_items_are_found_in_each_definition(iga):
    from idx.procedures.models import Procedure
    from idx.procedures.rendering import identity_fact_paths

    found = {
        p.code: identity_fact_paths(p.published_version.parsed)
        for p in Procedure.objects.filter(municipality=iga).select_related("published_version")
    }
    assert found[CHILD_ALLOWANCE]["claimant.name"] == "name"
    assert set(found[CHILD_ALLOWANCE].values()) == {"name", "birth_date", "gender", "address"}


def test_production_refuses_the_demo_provider(tmp_path):
    env = {
        "IDX_SECRET_KEY": "x" * 50,
        "IDX_DEMO_IDP": "true",
        "DJANGO_SETTINGS_MODULE": "idx.settings.production",
        "IDX_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "IDX_DEMO_IDP must not be enabled in production" in result.stderr
    env["IDX_DEMO_IDP"] = "false"
    assert subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env).returncode == 0


def test_demo_plugin_reports_its_configuration(card_provider, settings):
    from idx.common.registry import Registry
    from idx.identity.contrib import LoginMethod, login_method_for
    from idx.identity.contrib.oidc.plugins import DemoLoginMethod

    assert login_method_for(card_provider).check_config() == []
    settings.IDX_DEMO_IDP = False
    assert "IDX_DEMO_IDP" in " ".join(login_method_for(card_provider).check_config())
    registry: Registry[LoginMethod] = Registry()
    registry.register("demo")(DemoLoginMethod)
    assert isinstance(login_method_for(card_provider, registry), DemoLoginMethod)
    with pytest.raises(ValueError):
        registry.register("demo")(DemoLoginMethod)
