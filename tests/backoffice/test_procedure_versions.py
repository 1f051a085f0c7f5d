"""The back office's version pages of a procedure: the list in words, the changes between two
versions, publishing the draft now or at a set moment after a second look, cancelling the
schedule, and withdrawing; only for staff who may edit the procedure's department."""

from __future__ import annotations

import copy
import datetime as dt
import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from idx.identity.models import Department, Role
from idx.procedures.models import Procedure, ProcedureVersion
from idx.procedures.services import (
    procedure_version_publish,
    procedure_version_save_draft,
    procedure_version_schedule,
    shipped_definitions,
)
from tests.conftest import procedure, signed_in
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

BULKY = "bulky-waste-collection"
BASE = f"/staff/procedures/{BULKY}"
JST = ZoneInfo("Asia/Tokyo")


def ja(msgid: str, **params: Any) -> str:
    with translation.override("ja"):
        text = gettext(msgid)
    return text % params if params else text


def bulky_waste() -> dict[str, Any]:
    return copy.deepcopy(next(d for d in shipped_definitions() if d["code"] == BULKY))


def revised() -> dict[str, Any]:
    data = bulky_waste()
    address = next(item for item in data["steps"][0]["items"] if item["field"] == "collection_address")
    address["label"]["ja"] = "収集場所の住所（番地まで）"
    return data


def text_of(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def waste_admin(iga):
    return StaffFactory(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="haikibutsu"),
        role=Role.DEPARTMENT_ADMIN,
        full_name="廃棄物 花子",
    )


@pytest.fixture
def admin_client(waste_admin):
    client = signed_in(waste_admin)
    client.cookies["idx_language"] = "ja"
    return client


@pytest.fixture
def bulky(iga) -> Procedure:
    return procedure(iga, BULKY)


@pytest.fixture
def draft(bulky, waste_admin) -> ProcedureVersion:
    return procedure_version_save_draft(procedure=bulky, data=revised(), actor=waste_admin)


def test_the_list_says_each_state_in_words(admin_client, bulky, draft, waste_admin):
    april = dt.datetime(2030, 4, 1, 0, 0, tzinfo=JST)
    procedure_version_schedule(version=draft, publish_at=april, actor=waste_admin)
    response = admin_client.get(f"{BASE}/versions/")
    assert response.status_code == 200
    text = text_of(response)
    assert "公開予定（2030年4月1日 0:00）" in text
    assert ja("Published now") in text and "公開中" in text
    assert "廃棄物 花子" in text
    assert f"?from={bulky.published_version.number}&amp;to={draft.number}" in response.content.decode()
    # More versions do not add queries.
    for data in (bulky_waste(), revised()):
        procedure_version_publish(
            version=procedure_version_save_draft(procedure=bulky, data=data, actor=waste_admin),
            actor=waste_admin,
        )
    admin_client.get(f"{BASE}/versions/")  # caches warm (host, navigation): only the page counts
    with CaptureQueriesContext(connection) as few:
        admin_client.get(f"{BASE}/versions/")
    for data in (bulky_waste(), revised(), bulky_waste()):
        procedure_version_publish(
            version=procedure_version_save_draft(procedure=bulky, data=data, actor=waste_admin),
            actor=waste_admin,
        )
    admin_client.get(f"{BASE}/versions/")
    with CaptureQueriesContext(connection) as more:
        response = admin_client.get(f"{BASE}/versions/")
    assert response.content.decode().count('<tr id="version-') == bulky.versions.count() >= 6
    assert len(more) == len(few) <= 8, [query["sql"][:80] for query in more.captured_queries]


def test_the_diff_page_shows_the_changes_with_labels(admin_client, bulky, draft):
    response = admin_client.get(
        f"{BASE}/versions/diff/?from={bulky.published_version.number}&to={draft.number}"
    )
    assert response.status_code == 200
    text = text_of(response)
    assert "質問「収集場所の住所（番地まで）」を変更しました" in text
    assert "質問文（日本語）：「収集場所の住所」→「収集場所の住所（番地まで）」" in text
    assert "collection_address" not in text


def test_the_diff_page_names_a_wrong_version(admin_client, draft):
    response = admin_client.get(f"{BASE}/versions/diff/?from=x&to=99")
    assert response.status_code == 422
    text = text_of(response)
    assert text.count(ja("Choose a version of this procedure.")) >= 2
    assert 'id="error-summary"' in response.content.decode()


def test_publish_needs_the_confirmation_and_publishes(admin_client, bulky, draft):
    page = admin_client.get(f"{BASE}/publish/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "質問「収集場所の住所（番地まで）」を変更しました" in text_of(page)
    checked = re.search(r'name="checked" value="([0-9a-f]+)"', body).group(1)
    refused = admin_client.post(f"{BASE}/publish/", {"when": "now", "checked": checked})
    assert refused.status_code == 422
    assert ja("Tick the box to confirm that you have checked the changes.") in text_of(refused)
    bulky.refresh_from_db()
    assert bulky.published_version_id != draft.pk
    done = admin_client.post(
        f"{BASE}/publish/", {"when": "now", "confirm": "on", "checked": checked}, follow=True
    )
    assert done.redirect_chain[-1][0].endswith("/versions/")
    assert f"バージョン{draft.number}を公開しました" in text_of(done)
    bulky.refresh_from_db()
    assert bulky.published_version_id == draft.pk


def test_a_draft_changed_since_the_page_opened_is_not_published(admin_client, bulky, draft, waste_admin):
    body = admin_client.get(f"{BASE}/publish/").content.decode()
    checked = re.search(r'name="checked" value="([0-9a-f]+)"', body).group(1)
    changed = revised()
    changed["processing_days"] = 7
    procedure_version_save_draft(procedure=bulky, data=changed, actor=waste_admin)
    response = admin_client.post(f"{BASE}/publish/", {"when": "now", "confirm": "on", "checked": checked})
    assert response.status_code == 422
    assert ja("The draft was changed after this page was opened. Check the changes again.") in text_of(
        response
    )
    assert "処理日数を変更しました" in text_of(response)


def test_schedule_with_a_japanese_date_then_cancel(admin_client, bulky, draft):
    checked = re.search(
        r'name="checked" value="([0-9a-f]+)"', admin_client.get(f"{BASE}/publish/").content.decode()
    ).group(1)
    bad = admin_client.post(
        f"{BASE}/publish/",
        {
            "when": "scheduled",
            "publish_date": "4月のはじめ",
            "publish_time": "25時",
            "confirm": "on",
            "checked": checked,
        },
    )
    assert bad.status_code == 422
    text = text_of(bad)
    assert ja("Enter the date like 令和9年4月1日 or 2027年4月1日.") in text
    assert ja("Enter the time like 0:00 or 9時30分.") in text
    assert 'value="4月のはじめ"' in bad.content.decode()  # nothing typed is lost
    past = admin_client.post(
        f"{BASE}/publish/",
        {
            "when": "scheduled",
            "publish_date": "令和2年4月1日",
            "publish_time": "0:00",
            "confirm": "on",
            "checked": checked,
        },
    )
    assert past.status_code == 422 and ja("Choose a moment in the future for publishing.") in text_of(past)
    done = admin_client.post(
        f"{BASE}/publish/",
        {
            "when": "scheduled",
            "publish_date": "令和12年4月1日",
            "publish_time": "０時",
            "confirm": "on",
            "checked": checked,
        },
        follow=True,
    )
    assert "バージョン" in text_of(done) and "2030年4月1日 0:00" in text_of(done)
    draft.refresh_from_db()
    assert draft.publish_at == dt.datetime(2030, 4, 1, 0, 0, tzinfo=JST)
    assert draft.status == ProcedureVersion.Status.DRAFT
    page = admin_client.get(f"{BASE}/publish/")
    assert 'id="unschedule"' in page.content.decode()
    cancelled = admin_client.post(f"{BASE}/publish/", {"action": "unschedule"}, follow=True)
    assert ja("The schedule of version %(number)s was cancelled.", number=draft.number) in text_of(cancelled)
    draft.refresh_from_db()
    assert draft.publish_at is None


def test_a_draft_with_problems_says_why_and_offers_no_publishing(admin_client, bulky):
    broken = revised()
    broken["steps"][0]["items"][0]["label"] = {"ja": "申込者"}
    ProcedureVersion.objects.create(procedure=bulky, number=50, definition=broken)
    page = admin_client.get(f"{BASE}/publish/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="draft-problems"' in body and 'id="publish-button"' not in body
    assert "言語「en」の文章がありません" in text_of(page)
    refused = admin_client.post(f"{BASE}/publish/", {"when": "now", "confirm": "on", "checked": "x"})
    assert refused.status_code == 422
    bulky.refresh_from_db()
    assert bulky.published_version.number != 50


def test_withdraw_asks_for_a_reason_and_says_which_version_returns(admin_client, bulky, draft, waste_admin):
    first = bulky.published_version
    procedure_version_publish(version=draft, actor=waste_admin)
    page = admin_client.get(f"{BASE}/withdraw/")
    assert page.status_code == 200
    text = text_of(page)
    assert f"バージョン{draft.number}" in text and f"バージョン{first.number}" in text
    refused = admin_client.post(f"{BASE}/withdraw/", {"reason": ""})
    assert refused.status_code == 422 and ja("Enter the reason for withdrawing.") in text_of(refused)
    bulky.refresh_from_db()
    assert bulky.published_version_id == draft.pk
    done = admin_client.post(
        f"{BASE}/withdraw/", {"reason": "住所の質問文の変更は4月からのため"}, follow=True
    )
    assert ja(
        "Version %(number)s was withdrawn. Version %(previous)s is published again.",
        number=draft.number,
        previous=first.number,
    ) in text_of(done)
    assert "取り下げ" in text_of(done) and "住所の質問文の変更は4月からのため" in text_of(done)
    bulky.refresh_from_db()
    assert bulky.published_version_id == first.pk


@pytest.mark.parametrize("path", ["versions/", "versions/diff/", "publish/", "withdraw/"])
def test_only_staff_who_may_edit_the_department_see_the_pages(path, bulky, draft, clerk, supervisor, watarai):
    other_admin = StaffFactory(
        municipality=bulky.municipality,
        department=Department.objects.get(municipality=bulky.municipality, code="kodomo-katei"),
        role=Role.DEPARTMENT_ADMIN,
    )
    watarai_admin = StaffFactory(municipality=watarai, role=Role.CITY_ADMIN, department=None)
    waste_clerk = StaffFactory(
        municipality=bulky.municipality,
        department=Department.objects.get(municipality=bulky.municipality, code="haikibutsu"),
        role=Role.CLERK,
    )
    for user in (clerk, supervisor, other_admin, waste_clerk):
        assert signed_in(user).get(f"{BASE}/{path}").status_code == 404
        assert (
            signed_in(user)
            .post(f"{BASE}/{path}", {"when": "now", "confirm": "on", "reason": "x"})
            .status_code
            == 404
        )
    # 度会町's administrator: 伊賀市's pages are not theirs; their own procedure of the same code
    # shows nothing of 伊賀市's draft.
    assert signed_in(watarai_admin).get(f"{BASE}/{path}").status_code in (302, 404)
    own = signed_in(watarai_admin, host="watarai.localhost").get(f"{BASE}/{path}")
    assert "収集場所の住所（番地まで）" not in own.content.decode()
    bulky.refresh_from_db()
    assert bulky.published_version_id != draft.pk
    assert ProcedureVersion.objects.get(pk=draft.pk).status == ProcedureVersion.Status.DRAFT


def test_the_city_administrator_may_publish_any_department(city_admin, bulky, draft):
    client = signed_in(city_admin)
    assert client.get(f"{BASE}/versions/").status_code == 200
    body = client.get(f"{BASE}/publish/").content.decode()
    checked = re.search(r'name="checked" value="([0-9a-f]+)"', body).group(1)
    client.post(f"{BASE}/publish/", {"when": "now", "confirm": "on", "checked": checked})
    bulky.refresh_from_db()
    assert bulky.published_version_id == draft.pk
    assert timezone.now() - bulky.published_version.published_at < dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0:00", dt.time(0, 0)),
        ("９：３０", dt.time(9, 30)),
        ("0時", dt.time(0, 0)),
        ("9時30分", dt.time(9, 30)),
        ("23", dt.time(23, 0)),
    ],
)
def test_times_are_read_as_people_type_them(typed, expected):
    from idx.backoffice.procedure_versions import parse_time

    assert parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["", "24:00", "9:60", "朝", "9時半"])
def test_other_times_are_refused(typed):
    from idx.backoffice.procedure_versions import parse_time

    with pytest.raises(ValueError):  # noqa: PT011 - the page words the error itself
        parse_time(typed)
