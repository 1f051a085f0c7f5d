"""The back office's hand-over pages (list, create and change a target, run now after a second
look, history with the manifest) and the staff API, checked against its OpenAPI document."""

from __future__ import annotations

import json

import pytest

from idx.audit.models import AuditEntry
from idx.handover.models import HandedOverCase, HandoverTarget, RunStatus
from tests.api.contract import conforms
from tests.conftest import WATARAI_HOST, signed_in
from tests.handover.conftest import decided_case, folder_target

pytestmark = pytest.mark.django_db


def _form(**changes):
    values = {
        "name": "粗大ごみ 基幹連携",
        "procedure": "",
        "cases": "decided",
        "file_format": "csv_utf8",
        "headers": "standard",
        "values": "codes",
        "daily_at": "02:00",
        "active": "on",
        "destination": "folder",
        "folder": "kikan",
        "sftp_port": "22",
    }
    values.update(changes)
    return values


def test_a_supervisor_sets_up_a_target_and_runs_it_after_a_second_look(
    iga, resident, bulky_supervisor, handover_root
):
    from tests.conftest import procedure

    case = decided_case(resident, bulky_supervisor)
    client = signed_in(bulky_supervisor)
    listing = client.get("/staff/handover/", HTTP_ACCEPT_LANGUAGE="ja")
    assert listing.status_code == 200 and "/staff/handover/new/" in listing.content.decode()

    bulky = procedure(iga, "bulky-waste-collection")
    refused = client.post(
        "/staff/handover/new/",
        _form(procedure=str(bulky.pk), destination="sftp", sftp_host_key="md5:xx"),
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "SFTPサーバー" in text and "ホスト鍵のフィンガープリント" in text
    assert 'value="粗大ごみ 基幹連携"' in text  # nothing typed is lost
    saved = client.post("/staff/handover/new/", _form(procedure=str(bulky.pk)))
    target = HandoverTarget.objects.get(municipality=iga)
    assert saved.status_code == 302 and saved["Location"] == f"/staff/handover/{target.pk}/"
    assert AuditEntry.objects.filter(action="handover.target_created", target_id=str(target.pk)).exists()

    look = client.get(f"/staff/handover/{target.pk}/run/", HTTP_ACCEPT_LANGUAGE="ja")
    assert look.status_code == 200 and "1件" in look.content.decode()
    assert not HandedOverCase.objects.exists()  # nothing sent by looking
    done = client.post(f"/staff/handover/{target.pk}/run/", {"confirm": "yes"})
    assert done.status_code == 302
    run = target.runs.get()
    assert run.status == RunStatus.DELIVERED and run.receipts == [case.receipt_number]
    assert run.started_by == bulky_supervisor

    page = client.get(f"/staff/handover/{target.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert run.file_name in page and "配信済み" in page
    assert "2026-" not in page.split("<h2")[1]  # no ISO dates in the history
    manifest = client.get(f"/staff/handover/{target.pk}/runs/{run.pk}/manifest.json")
    assert manifest.status_code == 200
    assert json.loads(manifest.content)["sha256"] == run.sha256

    edit = client.post(f"/staff/handover/{target.pk}/edit/", _form(procedure=str(bulky.pk), daily_at="03:30"))
    assert edit.status_code == 302
    assert AuditEntry.objects.filter(action="handover.target_changed", target_id=str(target.pk)).exists()


def test_other_departments_and_municipalities_see_no_target(
    iga, clerk, supervisor, clerk_other_municipality, handover_root
):
    target = folder_target(iga)
    # The こども家庭課 supervisor may export, but not the 廃棄物対策課's procedure.
    assert signed_in(supervisor).get(f"/staff/handover/{target.pk}/").status_code == 404
    assert target.name not in signed_in(supervisor).get("/staff/handover/").content.decode()
    assert signed_in(clerk).get("/staff/handover/").status_code == 404  # a clerk may not export
    other = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert other.get(f"/staff/handover/{target.pk}/").status_code in (403, 404)


def test_the_api_lists_targets_and_runs_and_runs_a_target(iga, resident, bulky_supervisor, handover_root):
    case = decided_case(resident, bulky_supervisor)
    target = folder_target(iga)
    client = signed_in(bulky_supervisor)

    started = client.post(f"/api/v1/staff/handover/targets/{target.pk}/runs")
    body = conforms(started, "POST", f"/api/v1/staff/handover/targets/{target.pk}/runs")
    assert started.status_code == 201 and body["receipts"] == [case.receipt_number]
    assert body["status"] == "delivered" and len(body["sha256"]) == 64

    again = conforms(
        client.post(f"/api/v1/staff/handover/targets/{target.pk}/runs"),
        "POST",
        f"/api/v1/staff/handover/targets/{target.pk}/runs",
    )
    assert again["status"] == "nothing_new" and again["receipts"] == []

    targets = conforms(client.get("/api/v1/staff/handover/targets"), "GET", "/api/v1/staff/handover/targets")
    assert [(t["id"], t["handed_over"], t["unacknowledged"]) for t in targets] == [(target.pk, 1, 1)]
    runs = conforms(
        client.get(f"/api/v1/staff/handover/targets/{target.pk}/runs"),
        "GET",
        f"/api/v1/staff/handover/targets/{target.pk}/runs",
    )
    assert [run["status"] for run in runs] == ["nothing_new", "delivered"]

    missing = client.get("/api/v1/staff/handover/targets/999999/runs")
    conforms(missing, "GET", "/api/v1/staff/handover/targets/999999/runs")
    assert missing.status_code == 404


def test_the_list_page_reads_the_same_number_of_queries_however_many_targets(
    iga, bulky_supervisor, handover_root
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from idx.handover.services import handover_run

    client = signed_in(bulky_supervisor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/staff/handover/").status_code == 200
        return len(captured)

    handover_run(target=folder_target(iga))
    queries()  # the first page of a session reads what later pages find cached
    one = queries()
    for number in range(3):
        handover_run(target=folder_target(iga, name=f"連携 {number}"))
    assert queries() == one
