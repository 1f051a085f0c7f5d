"""Bulk import in the browser at 1280×800: a clerk of 健康推進課 sets up a source from a sample
workbook (each header beside a choice of the form's items), checks a Shift_JIS file with a bad
row (the problem named by row and column), then a good one, and imports it after the second look;
every page is checked with axe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, staff_sign_in
from tests.imports.conftest import HEADERS, MAPPING, csv_bytes, row, xlsx_bytes

pytestmark = pytest.mark.e2e

CLERK = "kenko-suishin@staff.iga.example.jp"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(page: Any, name: str, data: bytes, mime: str = "text/csv") -> None:
    page.set_input_files("#id_file", {"name": name, "mimeType": mime, "buffer": data})


def test_a_clerk_maps_checks_and_imports_a_file(new_context: Any) -> None:
    context = new_context(width=1280, height=800)
    clerk = context.new_page()
    staff_sign_in(clerk, CLERK)
    clerk.goto("/staff/imports/")
    assert_accessible(clerk, "imports-01-sources")
    click_and_wait(clerk, clerk.locator("main a[href='/staff/imports/sources/new/']"))
    assert_accessible(clerk, "imports-02-new-source")
    clerk.select_option("#id_procedure", label="妊娠の届出")
    clerk.fill("#id_name", "母子保健システム（ブラウザ）")
    _upload(clerk, "sample.xlsx", xlsx_bytes([]), XLSX)
    click_and_wait(clerk, clerk.locator("main form button[type=submit]"))
    assert_accessible(clerk, "imports-03-mapping")
    for index, header in enumerate(HEADERS):
        assert clerk.locator(f"label[for=id_column_{index}]").inner_text().startswith(header)
        clerk.select_option(f"#id_column_{index}", MAPPING[header])
    clerk.select_option("#id_birthdate_column", "生年月日")
    click_and_wait(clerk, clerk.locator("main form button[type=submit]").first)
    assert re.search(r"/staff/imports/sources/\d+/$", clerk.url), clerk.url
    assert_accessible(clerk, "imports-04-source")
    source_url = clerk.url
    clerk.goto(f"{source_url}mapping/")
    assert clerk.locator("#id_column_6").input_value() == MAPPING[HEADERS[6]]
    assert_accessible(clerk, "imports-04b-mapping-again")
    clerk.goto(source_url)

    _upload(clerk, "bad.csv", csv_bytes([row(1), row(2, 診断日="先月")], "cp932"))
    click_and_wait(clerk, clerk.locator("main form button[type=submit]"))
    assert "/staff/imports/runs/imp_" in clerk.url
    problem = clerk.locator("main table tbody tr").first
    assert problem.locator("td").nth(0).inner_text() == "3"
    assert problem.locator("td").nth(1).inner_text() == "診断日"
    assert "先月" in problem.locator("td").nth(2).inner_text()
    assert_accessible(clerk, "imports-05-problems")

    clerk.goto(source_url)
    _upload(clerk, "good.csv", csv_bytes([row(1), row(2), row(3)], "cp932"))
    click_and_wait(clerk, clerk.locator("main form button[type=submit]"))
    assert_accessible(clerk, "imports-06-second-look")
    click_and_wait(clerk, clerk.locator("main form button[type=submit]"))
    assert clerk.locator("#import-status").inner_text() == "取込済み"
    assert_accessible(clerk, "imports-07-imported")
