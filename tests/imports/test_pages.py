"""The back office's import pages: a source set up from a sample file, a file checked, looked at
again and imported; problems by row and column in Japanese and English; other staff refused."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from idx.applications.models import Application, Channel
from idx.imports.models import ImportRun, ImportSource

from .conftest import HEADERS, MAPPING, csv_bytes, row, xlsx_bytes


def test_set_up_a_source_check_and_import_a_file(health_clerk_client, pregnancy):
    client = health_clerk_client
    assert client.get("/staff/imports/").status_code == 200
    page = client.get("/staff/imports/sources/new/")
    assert page.status_code == 200
    sample = SimpleUploadedFile("sample.xlsx", xlsx_bytes([]))
    page = client.post(
        "/staff/imports/sources/new/",
        {"stage": "sample", "procedure": str(pregnancy.pk), "name": "母子保健システム", "file": sample},
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "出産予定日" in body and 'name="column_6"' in body
    data = {
        "stage": "mapping",
        "procedure": str(pregnancy.pk),
        "header": HEADERS,
        "name": "母子保健システム",
        "applicant_name_column": "氏名",
        "birthdate_column": "生年月日",
    }
    data.update({f"column_{index}": MAPPING[header] for index, header in enumerate(HEADERS)})
    saved = client.post("/staff/imports/sources/new/", data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    source = ImportSource.objects.get(name="母子保健システム")
    assert source.mapping == MAPPING and saved["Location"] == f"/staff/imports/sources/{source.pk}/"
    assert client.get(f"/staff/imports/sources/{source.pk}/mapping/").status_code == 200

    bad = SimpleUploadedFile("bad.csv", csv_bytes([row(1), row(2, 妊娠週数="八週")], "cp932"))
    checked = client.post(f"/staff/imports/sources/{source.pk}/", {"file": bad})
    assert checked.status_code == 302
    report = client.get(checked["Location"]).content.decode()
    assert re.search(r"<td>3</td><td>妊娠週数</td><td>“八週”は数字ではありません", report), report[-3000:]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(checked["Location"]).content.decode()
    assert '<td>3</td><td>妊娠週数</td><td>“<span lang="ja">八週</span>” is not a number.</td>' in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"

    good = SimpleUploadedFile("good.csv", csv_bytes([row(1), row(2)], "utf-8-sig"))
    checked = client.post(f"/staff/imports/sources/{source.pk}/", {"file": good})
    run = ImportRun.objects.get(original_name="good.csv")
    assert run.status == ImportRun.Status.CHECKED
    look = client.get(checked["Location"]).content.decode()
    assert f'action="/staff/imports/runs/{run.public_id}/import/"' in look
    assert not Application.objects.filter(channel=Channel.IMPORTED).exists()  # nothing before the second look
    done = client.post(f"/staff/imports/runs/{run.public_id}/import/")
    assert done.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportRun.Status.IMPORTED and run.imported_count == 2
    assert Application.objects.filter(channel=Channel.IMPORTED).count() == 2
    again = client.post(f"/staff/imports/runs/{run.public_id}/import/")  # a second click imports nothing
    assert again.status_code == 302 and Application.objects.filter(channel=Channel.IMPORTED).count() == 2


def test_staff_of_another_municipality_or_department_see_nothing(source, clerk_client):
    from tests.conftest import signed_in

    run_page = f"/staff/imports/sources/{source.pk}/"
    assert clerk_client.get(run_page).status_code == 404  # こども家庭課: not the procedure's department
    assert clerk_client.get("/staff/imports/").status_code == 200
    assert source.name not in clerk_client.get("/staff/imports/").content.decode()
    from idx.identity.models import User

    watarai = User.objects.get(email="kodomo-katei@staff.watarai.example.jp")
    client = signed_in(watarai, host="watarai.localhost")
    assert client.get(run_page).status_code == 404
    assert client.get(f"/staff/imports/sources/{source.pk}/mapping/").status_code == 404
