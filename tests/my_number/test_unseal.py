"""Opening a sealed 個人番号: back office only, after re-authentication, with permission, audited."""

from __future__ import annotations

import csv
import io

import pytest

from idx.applications import services
from idx.audit.models import AuditEntry
from idx.common import my_number
from tests.conftest import example_answers, make_submitted, procedure, signed_in
from tests.my_number.conftest import MY_NUMBER, expire_reauth, reauthenticate

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(resident):
    answers = example_answers(procedure(resident.municipality))
    answers["claimant"]["my_number"] = MY_NUMBER
    return make_submitted(resident, answers=answers)


def _url(case) -> str:
    return f"/staff/cases/{case.public_id}/my-number/"


def _unseal_entries(case):
    return AuditEntry.objects.filter(action="my_number.unseal", target_id=str(case.public_id))


def test_case_page_shows_only_that_it_was_given(case, clerk):
    page = signed_in(clerk).get(f"/staff/cases/{case.public_id}/").content.decode()
    assert "提出あり（暗号化済み）" in page or "Submitted (encrypted)" in page
    assert MY_NUMBER not in page and MY_NUMBER[-4:] not in page.replace(str(case.public_id), "")
    assert 'form="my-number-open"' in page


def test_opening_needs_recent_reauthentication(case, clerk):
    client = signed_in(clerk)
    response = client.post(_url(case), {"path": "claimant.my_number"})
    assert response.status_code == 302 and "/staff/reauth/" in response["Location"]
    expire_reauth(client)
    response = client.post(_url(case), {"path": "claimant.my_number"})
    assert response.status_code == 302
    assert not _unseal_entries(case).exists()


def test_opening_after_reauthentication_shows_it_once_and_is_audited(case, clerk):
    client = signed_in(clerk)
    reauthenticate(client)
    confirm = client.get(_url(case), {"path": "claimant.my_number"})
    assert confirm.status_code == 200 and "9876 5432 1018" not in confirm.content.decode()
    assert not _unseal_entries(case).exists()  # the GET only asks for confirmation
    response = client.post(_url(case), {"path": "claimant.my_number"})
    assert response.status_code == 200
    assert "9876 5432 1018" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    entry = _unseal_entries(case).get()
    assert entry.actor_id == clerk.pk and entry.target_type == "application"
    assert MY_NUMBER not in repr(entry.before) + repr(entry.after)
    assert entry.after == {"field": "claimant.my_number"}


@pytest.mark.parametrize(
    "who", ["clerk_other_department", "clerk_other_municipality", "city_admin", "resident"]
)
def test_others_get_not_found(case, who, request):
    from tests.conftest import WATARAI_HOST

    user = request.getfixturevalue(who)
    client = signed_in(user, host=WATARAI_HOST if who == "clerk_other_municipality" else "127.0.0.1")
    reauthenticate(client)
    response = client.post(_url(case), {"path": "claimant.my_number"})
    assert response.status_code in (404, 302)
    if who != "resident":
        assert response.status_code == 404
    assert MY_NUMBER not in response.content.decode()
    assert not _unseal_entries(case).exists()


def test_supervisor_of_the_department_may_open(case, supervisor):
    client = signed_in(supervisor)
    reauthenticate(client)
    response = client.post(_url(case), {"path": "claimant.my_number"})
    assert response.status_code == 200 and "9876 5432 1018" in response.content.decode()


def test_unknown_item_is_not_found(case, clerk):
    client = signed_in(clerk)
    reauthenticate(client)
    assert client.post(_url(case), {"path": "claimant.name"}).status_code == 404
    assert not _unseal_entries(case).exists()


def test_service_refuses_without_permission(case, clerk_other_department):
    with pytest.raises(services.NotPermitted):
        services.my_number_unseal(application=case, staff=clerk_other_department, path="claimant.my_number")


def _decided(case, supervisor):
    case = services.case_start_review(application=case, staff=supervisor, expected_version=case.row_version)
    return services.case_decide(
        application=case, staff=supervisor, approve=True, reason="", expected_version=case.row_version
    )


def _export_rows(client) -> list[dict[str, str]]:
    response = client.get("/staff/exports/", {"procedure": "child-allowance-certification", "format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_export_opens_it_for_those_who_may_see_it(case, supervisor):
    _decided(case, supervisor)
    client = signed_in(supervisor)
    reauthenticate(client)
    rows = [row for row in _export_rows(client) if row["受付番号"] == case.receipt_number]
    assert rows[0]["請求者_個人番号"] == MY_NUMBER
    assert _unseal_entries(case).get().after["field"] == "claimant.my_number"


def test_export_says_sealed_without_the_private_key(case, supervisor, settings):
    _decided(case, supervisor)
    settings.IDX_MY_NUMBER_PRIVATE_KEY = ""
    assert not my_number.can_unseal()
    client = signed_in(supervisor)
    reauthenticate(client)
    rows = [row for row in _export_rows(client) if row["受付番号"] == case.receipt_number]
    assert rows[0]["請求者_個人番号"] == "sealed"
    assert not _unseal_entries(case).exists()


def test_export_says_sealed_for_roles_that_may_not_see_it(case, supervisor, city_admin):
    _decided(case, supervisor)
    client = signed_in(city_admin)
    reauthenticate(client)
    rows = [row for row in _export_rows(client) if row["受付番号"] == case.receipt_number]
    assert rows[0]["請求者_個人番号"] == "sealed"
    assert not _unseal_entries(case).exists()
