"""Uploads of a standard dataset: normalised, validated against the standard, refused whole."""

from __future__ import annotations

import io
import json

import pytest
from django.test import override_settings
from django.utils import translation

from idx.identity.models import Department
from idx.opendata import services, standards, tabular
from idx.opendata.models import Dataset, DatastoreRecord, Resource
from idx.opendata.services import OpenDataRefused
from idx.opendata.tabular import StandardRefused

pytestmark = pytest.mark.django_db

HEADER = "全国地方公共団体コード,ID,名称,名称_カナ,緯度,経度,電話番号,設置位置,開始時間,終了時間\n"
GOOD_ROW = "242161,A1,伊賀市役所,イガシヤクショ,34.7718,136.1428,0595-22-9600,1階,08:30,17:15\n"


@pytest.fixture
def aed(iga, supervisor) -> Dataset:
    department = Department.objects.get(municipality=iga, code="kenko-suishin")
    return services.dataset_create(
        municipality=iga,
        department=department,
        data={
            "name": "aed-upload",
            "titles": {"ja": "AED設置箇所一覧"},
            "descriptions": {"ja": "市の施設のAEDです。"},
            "theme": "health_welfare",
            "tags": ["AED"],
            "license_id": "pdl-1.0",
            "frequency": "ANNUAL",
            "contact_name": "健康推進課",
            "standard": "08",
        },
        actor=supervisor,
    )


def _upload(dataset, body: bytes, format: str = "CSV", filename: str = "aed.csv"):
    return services.resource_upload(
        dataset=dataset,
        names={"ja": "AED"},
        format=format,
        filename=filename,
        content=io.BytesIO(body),
        actor=None,
    )


def _nothing_stored(dataset) -> None:
    assert not Resource.objects.filter(dataset=dataset).exists()
    assert not DatastoreRecord.objects.filter(resource__dataset=dataset).exists()


# ---- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "iso", "kind"),
    [
        ("令和6年4月1日", "2024-04-01", "wareki"),
        ("R6.4.1", "2024-04-01", "wareki"),
        ("r6/4/1", "2024-04-01", "wareki"),
        ("令和元年5月1日", "2019-05-01", "wareki"),
        ("平成31年4月30日", "2019-04-30", "wareki"),
        ("H31.4.30", "2019-04-30", "wareki"),
        ("昭和64年1月7日", "1989-01-07", "wareki"),
        ("2026/4/1", "2026-04-01", "date"),
        ("2026年4月1日", "2026-04-01", "date"),
        ("2026-04-01", "2026-04-01", ""),
        ("来月", "来月", ""),
    ],
)
def test_dates_in_the_japanese_era_become_iso_dates(written, iso, kind):
    assert tabular.iso_date(written) == (iso, kind)


def test_width_and_kana_are_normalised_column_by_column():
    assert tabular.narrow_text("０５９５ー２２ー９６００") == "0595-22-9600"
    assert tabular.narrow_text("２４２１６１\u3000") == "242161"
    assert tabular.wide_kana("ｲｶﾞｼﾔｸｼｮ") == "イガシヤクショ"
    assert tabular.wide_kana("伊賀市ＡＢＣ") == "伊賀市ＡＢＣ"  # full-width letters in text stay


def test_a_shift_jis_file_with_full_width_digits_kana_and_wareki_is_stored_normalised(iga, supervisor):
    department = Department.objects.get(municipality=iga, code="shimin-seikatsu")
    events = services.dataset_create(
        municipality=iga,
        department=department,
        data={
            "name": "events-upload",
            "titles": {"ja": "イベント一覧"},
            "descriptions": {"ja": "催しです。"},
            "theme": "tourism_events",
            "license_id": "cc-by-4.0",
            "frequency": "MONTHLY",
            "contact_name": "市民生活課",
            "standard": "12",
        },
        actor=supervisor,
    )
    text = (
        "全国地方公共団体コード,ID,イベント名,イベント名_カナ,開始日,終了日,開始時間,連絡先電話番号,説明\n"
        "２４２１６１,E1,上野天神祭,ｳｴﾉﾃﾝｼﾞﾝﾏﾂﾘ,令和8年10月23日,R8.10.25,１０:００,０５９５ー２２ー９６７０,ﾀﾞﾝｼﾞﾘが練り歩きます\n"
        "242161,E2,防災フェア,ボウサイフェア,2027/6/6,令和9年6月6日,9時30分,0595-22-9640,起震車体験\n"
    )
    upload = services.resource_upload(
        dataset=events,
        names={"ja": "イベント"},
        format="CSV",
        filename="events.csv",
        content=io.BytesIO(text.encode("cp932")),
        actor=None,
    )
    assert upload.normalised == {"encoding": 1, "width": 3, "kana": 2, "wareki": 3, "date": 1, "time": 1}
    resource = upload.resource
    with resource.file.open("rb") as handle:
        stored = handle.read().decode("utf-8")
    assert stored.splitlines()[1] == (
        "242161,E1,上野天神祭,ウエノテンジンマツリ,2026-10-23,2026-10-25,10:00,0595-22-9670,ダンジリが練り歩きます"
    )
    first = DatastoreRecord.objects.get(resource=resource, number=1).data
    assert first["全国地方公共団体コード"] == "242161" and first["開始日"] == "2026-10-23"
    assert resource.sha256 and resource.size == len(stored.encode())


def test_the_staff_page_says_what_was_normalised():
    from idx.backoffice.opendata import normalised_texts

    with translation.override("ja"):
        texts = normalised_texts({"wareki": 12, "encoding": 1})
    assert "和暦の日付 12件を西暦に直しました" in texts[1]
    assert "UTF-8" in texts[0]


# ---- refusals, by row and column ------------------------------------------------------------------


def test_cells_that_do_not_fit_are_listed_by_row_and_column_and_nothing_is_stored(aed):
    body = (
        HEADER
        + GOOD_ROW
        + "24216,A2,上野総合市民病院,ウエノ,34.77,136.13,0595-24-1111,救急外来,00:00,23:59\n"
        + "242161,A3,ハイトピア伊賀,ハイトピア,95,136.13,電話なし,1階,25:00,21:00\n"
        + ",A4,文化会館,ぶんかかいかん,34.77,東経136度,0595-24-7015,1階,09:00,22:00\n"
    )
    with pytest.raises(StandardRefused) as refused:
        _upload(aed, body.encode())
    problems = {(problem.row, problem.column) for problem in refused.value.problems}
    assert problems == {
        (3, "全国地方公共団体コード"),
        (4, "緯度"),
        (4, "電話番号"),
        (4, "開始時間"),
        (5, "全国地方公共団体コード"),
        (5, "名称_カナ"),
        (5, "経度"),
    }
    assert refused.value.total == 7 and refused.value.field == "file"
    with translation.override("ja"):
        texts = {(problem.row, problem.column): problem.text() for problem in refused.value.problems}
        assert "-90" in texts[(4, "緯度")] and "90" in texts[(4, "緯度")]
        assert "空" in texts[(5, "全国地方公共団体コード")] or "必須" in texts[(5, "全国地方公共団体コード")]
        assert "6桁" in texts[(3, "全国地方公共団体コード")]
        assert "7" in refused.value.text()
    _nothing_stored(aed)


def test_at_most_fifty_problems_are_listed_with_the_total(aed):
    body = HEADER + "".join(
        f"242161,A{n},施設{n},シセツ,99,136.1,0595-22-9600,1階,08:30,17:15\n" for n in range(80)
    )
    with pytest.raises(StandardRefused) as refused:
        _upload(aed, body.encode())
    assert len(refused.value.problems) == tabular.LISTED == 50
    assert refused.value.total == 80
    _nothing_stored(aed)


def test_a_missing_required_column_is_named(aed):
    with pytest.raises(OpenDataRefused) as refused:
        _upload(aed, "全国地方公共団体コード,名称,緯度,経度\n242161,市役所,34.7,136.1\n".encode())
    with translation.override("ja"):
        message = refused.value.text()
    assert "「ID」" in message and refused.value.field == "file"
    _nothing_stored(aed)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('名称,備考\n市役所,=HYPERLINK("http://evil.example")\n'.encode(), "formula"),
        ("名称,備考\n市役所,@SUM(A1)\n".encode(), "formula"),
        ("名称,備考\n市役所,+1+1\n".encode(), "formula"),
        ("名称\n市役所\n".encode("utf-16"), "UTF-8"),
        (b"\x82\xa0\xff\xfe\x81", "UTF-8"),
    ],
)
def test_formula_cells_and_wrong_encodings_are_refused(aed, body, words):
    with pytest.raises(OpenDataRefused) as refused:
        _upload(aed, body)
    assert refused.value.field == "file"
    with translation.override("en"):
        assert words in refused.value.text()
    _nothing_stored(aed)


class _HugeUpload(io.BytesIO):
    """An upload that says it is 2 GB and must not be read."""

    size = 2 * 1024 * 1024 * 1024

    def read(self, *args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("the file was read")


def test_a_file_over_the_limit_is_refused_from_its_size_before_it_is_read(aed):
    with pytest.raises(OpenDataRefused) as refused:
        services.resource_upload(
            dataset=aed,
            names={"ja": "AED"},
            format="CSV",
            filename="huge.csv",
            content=_HugeUpload(),
            actor=None,
        )
    with translation.override("en"):
        assert "100 MB" in refused.value.text()
    with override_settings(IDX_OPENDATA_MAX_UPLOAD_MB=3000), pytest.raises(AssertionError, match="was read"):
        services.resource_upload(
            dataset=aed,
            names={"ja": "AED"},
            format="CSV",
            filename="huge.csv",
            content=_HugeUpload(),
            actor=None,
        )
    _nothing_stored(aed)


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Polygon", "coordinates": [[[136.1, 34.7], [136.2, 34.7], [136.2, 34.8], [136.1, 34.8]]]},
        {"type": "Point", "coordinates": [136.1, 95]},
        {"type": "Circle", "coordinates": [136.1, 34.7]},
        {"type": "MultiPolygon", "coordinates": [[[[136.1, 34.7], [136.2, 34.7], [136.1, 34.7]]]]},
    ],
    ids=["unclosed-ring", "latitude-95", "wrong-type", "short-ring"],
)
def test_geojson_with_invalid_geometry_is_refused(aed, geometry):
    document = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": geometry, "properties": {}}],
    }
    with pytest.raises(OpenDataRefused) as refused:
        _upload(aed, json.dumps(document).encode(), format="GeoJSON", filename="aed.geojson")
    assert refused.value.field == "file"
    with translation.override("en"):
        assert "Feature 1" in refused.value.text()
    _nothing_stored(aed)


def test_a_closed_polygon_is_taken(aed):
    ring = [[136.1, 34.7], [136.2, 34.7], [136.2, 34.8], [136.1, 34.7]]
    document = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": {}}
        ],
    }
    assert _upload(aed, json.dumps(document).encode(), format="GeoJSON", filename="area.geojson").resource.pk


def test_a_dataset_without_a_license_cannot_go_to_review_or_be_published(aed):
    _upload(aed, (HEADER + GOOD_ROW).encode())
    Dataset.objects.filter(pk=aed.pk).update(license_id="")
    aed.refresh_from_db()
    with pytest.raises(OpenDataRefused) as refused:
        services.dataset_submit_for_review(dataset=aed, actor=None)
    assert refused.value.field == "license_id"
    Dataset.objects.filter(pk=aed.pk).update(status=Dataset.Status.IN_REVIEW)
    aed.refresh_from_db()
    with pytest.raises(OpenDataRefused) as refused:
        services.dataset_publish(dataset=aed, actor=None)
    assert refused.value.field == "license_id"
    aed.refresh_from_db()
    assert aed.status == Dataset.Status.IN_REVIEW and aed.published_at is None


def test_every_standard_has_a_schema_the_upload_uses():
    for standard in standards.all_standards():
        assert standard.schema["fieldsMatch"] == "partial"


def test_a_code_with_a_wrong_check_digit_is_refused_with_the_right_one(aed):
    assert tabular.check_digit("13101") == "6" and tabular.check_digit("01100") == "2"
    body = HEADER + GOOD_ROW + GOOD_ROW.replace("242161,A1", "242162,A2")
    with pytest.raises(StandardRefused) as refused:
        _upload(aed, body.encode())
    (problem,) = refused.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "全国地方公共団体コード", "242162")
    with translation.override("ja"):
        assert "242161" in problem.text()
    _nothing_stored(aed)


def test_past_ten_thousand_problems_the_total_says_or_more(aed, monkeypatch):
    monkeypatch.setattr(tabular, "ERRORS_COUNTED", 60)
    body = HEADER + "".join(
        f"242161,A{n},施設{n},シセツ,99,136.1,0595-22-9600,1階,08:30,17:15\n" for n in range(80)
    )
    with pytest.raises(StandardRefused) as refused:
        _upload(aed, body.encode())
    with translation.override("ja"):
        assert refused.value.total_text == "60以上"
        assert "60以上件" in refused.value.text()
    _nothing_stored(aed)


@pytest.mark.parametrize("shift", [0, 1, 2])
def test_a_utf8_file_with_a_bom_is_read_when_the_sample_cuts_a_character(shift):
    """The encoding is guessed from the first 64 KiB; a BOM shifts where a 3-byte character is cut."""
    from idx.opendata.services import _decode

    text = "名称,住所\n" + "x" * shift + "\n" + "伊賀市役所,伊賀市四十九町\n" * 4000
    decoded = _decode(io.BytesIO(b"\xef\xbb\xbf" + text.encode("utf-8"))).read()
    assert decoded == text
