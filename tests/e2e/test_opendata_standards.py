"""A standard dataset's CSV that does not fit is refused cell by cell; the corrected one is taken
with what was normalised said; the standards page offers templates. axe on every page."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

HEADER = "全国地方公共団体コード,ID,名称,名称_カナ,緯度,経度,電話番号,想定収容人数,災害種別_地震,開始時間\n"
BAD = HEADER + (
    "24216,S1,上野公園,ウエノコウエン,34.7706,136.1262,0595-22-9640,3000,1,\n"
    "242161,S2,青山ホール,あおやまほーる,95.1,136.2421,0595-52-1109,400人,2,\n"
)
GOOD = HEADER + (
    "２４２１６１,S1,上野公園,ｳｴﾉｺｳｴﾝ,34.7706,136.1262,０５９５ー２２ー９６４０,3000,1,\n"
    "242161,S2,青山ホール,アオヤマホール,34.6996,136.2421,0595-52-1109,400,1,\n"
)


def test_a_standard_csv_is_checked_cell_by_cell(new_context: Any, server: Any, tmp_path: Any) -> None:
    staff = new_context(width=1280, height=800).new_page()
    staff_sign_in(staff, "kiki-kanri-supervisor@staff.iga.example.jp")
    staff.goto("/staff/opendata/new/")
    staff.fill("#id_name", "flood-evacuation-sites")
    staff.fill("#id_title_ja", "洪水時の指定緊急避難場所")
    staff.fill("#id_description_ja", "洪水のときに使える指定緊急避難場所です。")
    staff.select_option("#id_theme", "disaster")
    staff.select_option("#id_standard", "03")
    staff.fill("#id_contact_name", "危機管理課")
    click_and_wait(staff, staff.get_by_role("button", name="下書きとして作成する"))
    assert "03 指定緊急避難場所一覧" in staff.locator("#dataset-standard").inner_text()

    bad = tmp_path / "sites.csv"
    bad.write_bytes(BAD.encode("cp932"))
    staff.fill("#id_name_ja", "避難場所（CSV）")
    staff.set_input_files("#id_file", str(bad))
    click_and_wait(staff, staff.get_by_role("button", name="確認して追加する"))
    problems = staff.locator(".od-problems").inner_text()
    assert "標準に合わないセルが 5件あります" in problems
    assert "-90〜90" in problems and "400人" in problems
    assert_accessible(staff, "opendata-standard-refused-1280")

    good = tmp_path / "sites-fixed.csv"
    good.write_bytes(GOOD.encode("cp932"))
    staff.fill("#id_name_ja", "避難場所（CSV）")
    staff.set_input_files("#id_file", str(good))
    click_and_wait(staff, staff.get_by_role("button", name="確認して追加する"))
    main = staff.locator("main").inner_text()
    assert "Shift_JIS のファイルを UTF-8 に変換して保存しました。" in main
    assert "半角カタカナを 1件 全角に直しました。" in main
    assert "★★★" in staff.locator("#dataset-stars").inner_text()
    assert_accessible(staff, "opendata-standard-normalised-1280")

    phone = new_context(width=390, height=844).new_page()
    phone.goto("/opendata-standards/")
    assert "ゴミの分別方法一覧" in phone.locator("main").inner_text()
    assert_accessible(phone, "opendata-standards-390")
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
