"""Open data from a department's desk to a resident's phone and a CKAN client.

危機管理課's supervisor prepares a dataset and its CSV, 情報政策課 reviews and publishes it, a
resident finds it signed out on a phone in Japanese and in English, and CKAN's own client reads it
from the served catalog. axe on every page on the way.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

CSV = (
    "名称,所在地_連結表記,緯度,経度,想定収容人数\n"
    "上野公園,三重県伊賀市上野丸之内,34.7706,136.1262,3000\n"
    "青山ホール,三重県伊賀市阿保1411-1,34.6996,136.2421,400\n"
)


def test_a_dataset_goes_from_the_department_to_residents(
    new_context: Any, server: Any, tmp_path: Any
) -> None:
    staff = new_context(width=1280, height=800).new_page()
    staff_sign_in(staff, "kiki-kanri-supervisor@staff.iga.example.jp")
    staff.goto("/staff/opendata/")
    assert_accessible(staff, "opendata-staff-list")
    click_and_wait(staff, staff.get_by_role("link", name="データセットを作る"))
    assert_accessible(staff, "opendata-staff-new")
    staff.fill("#id_name", "water-stations")
    staff.fill("#id_title_ja", "災害時給水所一覧")
    staff.fill("#id_title_en", "Emergency water stations")
    staff.fill("#id_description_ja", "断水のときに水を配る場所です。")
    staff.select_option("#id_theme", "disaster")
    staff.fill("#id_tags", "防災、給水")
    staff.fill("#id_contact_name", "危機管理課")
    click_and_wait(staff, staff.get_by_role("button", name="下書きとして作成する"))
    assert "/staff/opendata/water-stations/" in staff.url
    assert_accessible(staff, "opendata-staff-draft")

    upload = tmp_path / "water-stations.csv"
    upload.write_text(CSV, encoding="utf-8")
    staff.fill("#id_name_ja", "給水所一覧（CSV）")
    staff.set_input_files("#id_file", str(upload))
    click_and_wait(staff, staff.get_by_role("button", name="確認して追加する"))
    assert "2行" in staff.locator("main").inner_text()
    click_and_wait(staff, staff.locator("#submit-for-review"))
    assert "確認待ち" in staff.locator("#dataset-status").inner_text()

    reviewer = new_context(width=1280, height=800).new_page()
    staff_sign_in(reviewer, "admin@staff.iga.example.jp")
    reviewer.goto("/staff/opendata/water-stations/review/")
    assert "公開すると" in reviewer.locator("#publish-summary").inner_text()
    assert_accessible(reviewer, "opendata-staff-review")
    click_and_wait(reviewer, reviewer.locator("#publish-button"))
    assert "公開中" in reviewer.locator("#dataset-status").inner_text()

    for language, title in (
        ("ja", "災害時給水所一覧"),
        ("ja-easy", "災害時給水所一覧"),
        ("en", "Emergency water stations"),
    ):
        resident = new_context(width=390, height=844, language=language).new_page()
        resident.goto("/opendata/")
        assert_accessible(resident, f"opendata-list-{language}")
        resident.fill("#q", "給水")
        click_and_wait(resident, resident.locator("form[role=search] button[type=submit]"))
        link = resident.locator("main a[href='/opendata/water-stations/']")
        # The title as read, without the readings (ruby) that やさしい日本語 adds above kanji.
        shown = link.evaluate(
            "a => { const c = a.cloneNode(true); c.querySelectorAll('rt, rp').forEach(e => e.remove());"
            " return c.textContent.replace(/\\s+/g, ''); }"
        )
        assert shown == title.replace(" ", ""), shown
        click_and_wait(resident, link)
        # On a page in another language the Japanese cells carry readings (ruby): look for a number.
        assert resident.locator("table.data-preview td", has_text="136.2421").count() == 1
        assert_accessible(resident, f"opendata-dataset-{language}")
        # Nothing widens the phone's page (readings above long addresses once did in やさしい日本語).
        assert resident.evaluate("document.documentElement.scrollWidth") <= 390
        with resident.expect_download() as download:
            resident.locator("a[download]").first.click()
        assert download.value.suggested_filename == "water-stations.csv"
        # The CSV has 緯度 and 経度: a map of its two places, drawn by the server, and their table.
        drawn = resident.locator("svg.od-map-svg[role=img]")
        assert drawn.count() == 1 and drawn.locator("circle").count() == 2
        assert resident.locator("table.od-places tbody tr").count() == 2
        assert "★★★" in resident.locator("#openness-stars").inner_text()

        # A dataset with a CSV and a GeoJSON file of the same places: two maps, fitting the phone.
        resident.goto("/opendata/evacuation-sites/")
        maps = resident.locator("svg.od-map-svg")
        assert maps.count() == 2
        for index in range(2):
            box = maps.nth(index).bounding_box()
            assert box is not None and box["width"] <= 390 and box["height"] > 100
        assert resident.evaluate("document.documentElement.scrollWidth") <= 390
        first_place = resident.locator("table.od-places a[rel~=external]").first
        assert first_place.get_attribute("href", timeout=1000).startswith("https://maps.gsi.go.jp/#17/34.")
        # No map tiles: every request the page made went to this server.
        requested = resident.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        assert all(url.startswith(server.base_url) for url in requested), requested
        assert_accessible(resident, f"opendata-map-{language}")

    from ckanapi import RemoteCKAN

    with RemoteCKAN(server.base_url) as ckan:
        package = ckan.action.package_show(id="water-stations")
        assert package["organization"]["name"] == "kiki-kanri"
        rows = ckan.action.datastore_search(
            resource_id=package["resources"][0]["id"], sort="想定収容人数 desc"
        )
        assert [row["名称"] for row in rows["records"]] == ["上野公園", "青山ホール"]
        assert "water-stations" in ckan.action.package_list()
