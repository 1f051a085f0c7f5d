"""City administrators edit the wording of messages; unknown placeholders are refused at save."""

from __future__ import annotations

import pytest

from idx.notifications.models import MessageTemplate
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
URL = "/staff/templates/application_status/ja/"


def test_edit_refuse_and_reset(city_admin, iga):
    client = signed_in(city_admin)
    assert "application_status" in client.get("/staff/templates/").content.decode()
    bad = client.post(URL, {"subject": "{procedure}", "body": "{name}様 {secret}"})
    assert bad.status_code == 422 and "{secret}" in bad.content.decode()
    assert not MessageTemplate.objects.exists()
    good = client.post(URL, {"subject": "【{municipality}】{procedure}", "body": "{name}様"})
    assert good.status_code == 302
    assert MessageTemplate.objects.get(municipality=iga).subject == "【{municipality}】{procedure}"
    # Going back to the standard wording asks first: the edit form's delete leads to that page.
    assert client.post(URL, {"action": "delete"})["Location"] == URL + "reset/"
    assert MessageTemplate.objects.exists()
    client.post(URL + "reset/")
    assert not MessageTemplate.objects.exists()


def test_only_city_administrators(clerk, supervisor):
    for user in (clerk, supervisor):
        assert signed_in(user).get("/staff/templates/").status_code == 404
        assert signed_in(user).post(URL, {"subject": "x", "body": "y"}).status_code == 404
