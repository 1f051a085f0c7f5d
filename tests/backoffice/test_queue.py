"""The queue at a desk: counts per status as filter links, the applicant's language and channels,
saved filters that belong to one clerk, and the department boundary unchanged."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from idx.applications import services
from idx.applications.models import SavedCaseFilter
from idx.notifications.models import Subscription
from tests.conftest import make_submitted, signed_in


def msg(msgid: str, **params: object) -> str:
    with translation.override("ja"):
        text = gettext(msgid)
    return escape(text % params if params else text)


def receipts(response) -> list[str]:
    return re.findall(r'href="/staff/cases/[0-9a-f-]+/">([A-Z]+-\d{4}-\d{6})</a>', response.content.decode())


@pytest.fixture
def desk(resident, other_resident, clerk):
    """こども家庭課: three received, one in review, one sent back for correction."""
    received = [make_submitted(resident) for _ in range(3)]
    in_review = make_submitted(other_resident)
    in_review = services.case_start_review(
        application=in_review, staff=clerk, expected_version=in_review.row_version
    )
    sent_back = make_submitted(other_resident)
    sent_back = services.case_request_correction(
        application=sent_back,
        staff=clerk,
        notes={"claimant.phone": "日中の番号をお願いします。"},
        message="",
        expected_version=sent_back.row_version,
    )
    return {"received": received, "in_review": in_review, "sent_back": sent_back}


def counts(page: str) -> dict[str, tuple[str, int]]:
    nav = page[
        page.index('class="status-counts"') : page.index("</nav>", page.index('class="status-counts"'))
    ]
    return {
        value: (label.strip(), int(count))
        for value, label, count in re.findall(
            r'status=([a-z_]*)"[^>]*>([^<]+)<span class="count">(\d+)</span>', nav.replace("&amp;", "&")
        )
    }


def test_counts_per_status_link_to_the_filter(desk, clerk_client):
    page = clerk_client.get("/staff/").content.decode()
    found = counts(page)
    assert found["submitted"][1] == 3
    assert found["in_review"][1] == 1
    assert found["correction_requested"][1] == 1
    assert found["approved"][1] == 0
    assert found["open"][1] == 5
    with translation.override("ja"):
        assert found["correction_requested"][0] == escape(gettext("Correction requested"))
    filtered = clerk_client.get("/staff/", {"status": "correction_requested"})
    assert receipts(filtered) == [desk["sent_back"].receipt_number]


def test_counts_keep_the_other_filters(desk, clerk_client):
    page = clerk_client.get("/staff/", {"assignee": "me"}).content.decode()
    found = counts(page)
    assert found["submitted"][1] == 0 and found["in_review"][1] == 1
    assert "assignee=me&amp;status=in_review" in page


def test_counts_stay_in_the_department(desk, clerk_other_department):
    page = signed_in(clerk_other_department).get("/staff/").content.decode()
    assert all(count == 0 for _label, count in counts(page).values())


def test_contact_column_names_language_in_japanese_and_channels(desk, clerk_client, resident, other_resident):
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    Subscription.objects.update_or_create(user=resident, defaults={"channels": ["email", "line"]})
    Subscription.objects.filter(user=other_resident).update(channels=[])
    other_resident.preferred_language = "vi"
    other_resident.save(update_fields=["preferred_language"])
    page = clerk_client.get("/staff/").content.decode()
    assert '<th scope="col">連絡</th>' in page
    assert "英語・メール・LINE" in page
    assert "ベトナム語・ポータル" in page


def test_queue_queries_do_not_grow_with_the_contacts(resident, clerk_client):
    for _ in range(3):
        make_submitted(resident)
    with CaptureQueriesContext(connection) as three:
        clerk_client.get("/staff/")
    for _ in range(7):
        make_submitted(resident)
    with CaptureQueriesContext(connection) as ten:
        assert len(receipts(clerk_client.get("/staff/"))) == 10
    assert len(ten.captured_queries) == len(three.captured_queries)


# ---- saved filters --------------------------------------------------------------------------


def test_save_list_apply_and_delete_a_filter(desk, clerk_client, clerk):
    response = clerk_client.post(
        "/staff/cases/filters/save/",
        {"name": "差し戻し中", "query": "status=correction_requested&page=3&evil=1"},
        follow=True,
    )
    assert msg("Saved the filter “%(name)s”.", name="差し戻し中") in response.content.decode()
    saved = SavedCaseFilter.objects.get(user=clerk)
    assert saved.query == "status=correction_requested"
    assert receipts(response) == [desk["sent_back"].receipt_number]
    page = clerk_client.get("/staff/").content.decode()
    assert f'<a href="?{saved.query}">差し戻し中</a>' in page
    confirm = clerk_client.get(f"/staff/cases/filters/{saved.pk}/delete/")
    assert confirm.status_code == 200
    assert msg("Delete this saved filter?") in confirm.content.decode()
    assert SavedCaseFilter.objects.filter(pk=saved.pk).exists()
    done = clerk_client.post(f"/staff/cases/filters/{saved.pk}/delete/", follow=True)
    assert msg("Deleted the saved filter “%(name)s”.", name="差し戻し中") in done.content.decode()
    assert not SavedCaseFilter.objects.filter(pk=saved.pk).exists()


def test_a_filter_without_a_name_is_refused(clerk_client, clerk):
    response = clerk_client.post(
        "/staff/cases/filters/save/", {"name": "  ", "query": "status=in_review"}, follow=True
    )
    assert msg("Enter a name for the saved filter (at most 30 saved filters).") in response.content.decode()
    assert not SavedCaseFilter.objects.filter(user=clerk).exists()


def test_saving_the_same_name_replaces_it(clerk_client, clerk):
    clerk_client.post("/staff/cases/filters/save/", {"name": "自分", "query": "assignee=me"})
    clerk_client.post("/staff/cases/filters/save/", {"name": "自分", "query": "assignee=me&due=week"})
    assert list(SavedCaseFilter.objects.filter(user=clerk).values_list("query", flat=True)) == [
        "assignee=me&due=week"
    ]


def test_a_clerk_never_sees_or_deletes_another_clerks_filters(clerk, other_clerk, clerk_client):
    theirs = services.saved_case_filter_save(staff=other_clerk, name="同僚の絞り込み", query="due=overdue")
    page = clerk_client.get("/staff/").content.decode()
    assert "同僚の絞り込み" not in page
    assert clerk_client.get(f"/staff/cases/filters/{theirs.pk}/delete/").status_code == 404
    assert clerk_client.post(f"/staff/cases/filters/{theirs.pk}/delete/").status_code == 404
    assert SavedCaseFilter.objects.filter(pk=theirs.pk).exists()
    assert services.saved_case_filter_delete(staff=clerk, pk=theirs.pk) is False
    assert "同僚の絞り込み" in signed_in(other_clerk).get("/staff/").content.decode()


def test_saved_filters_do_not_cross_municipalities(clerk, clerk_other_municipality):
    from tests.conftest import WATARAI_HOST

    mine = services.saved_case_filter_save(staff=clerk, name="伊賀の絞り込み", query="status=submitted")
    other = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert "伊賀の絞り込み" not in other.get("/staff/").content.decode()
    assert other.post(f"/staff/cases/filters/{mine.pk}/delete/").status_code == 404


def test_an_applicant_without_an_account_is_told_by_post(iga, clerk_client, clerk):
    from idx.identity.services import offline_applicant

    on_paper = offline_applicant(
        municipality=iga, full_name="紙野 ふみ", birthdate=None, actor=clerk, source="paper"
    )
    make_submitted(on_paper)
    page = clerk_client.get("/staff/").content.decode()
    assert page.count("日本語・郵送</td>") == 1  # the others have accounts: the portal's inbox at least
