"""Datasets from draft to published, and files checked before anything is stored."""

from __future__ import annotations

import io
import json

import pytest
from django.test import override_settings

from idx.audit.models import AuditEntry
from idx.identity.models import Department
from idx.opendata import selectors, services
from idx.opendata.models import Dataset, DatastoreRecord, Resource
from idx.opendata.services import OpenDataRefused

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "aed-test",
    "titles": {"ja": "AED設置箇所一覧", "en": "AED locations"},
    "descriptions": {"ja": "市の施設のAEDです。"},
    "theme": "health_welfare",
    "tags": ["AED", "救命"],
    "license_id": "pdl-1.0",
    "frequency": "ANNUAL",
    "contact_name": "健康推進課",
}


@pytest.fixture
def draft(iga, supervisor):
    department = Department.objects.get(municipality=iga, code="kenko-suishin")
    return services.dataset_create(municipality=iga, department=department, data=GOOD, actor=supervisor)


def _add(dataset, body: bytes, format: str = "CSV", filename: str = "data.csv") -> Resource:
    return services.resource_add(
        dataset=dataset,
        names={"ja": "データ"},
        format=format,
        filename=filename,
        content=io.BytesIO(body),
        actor=None,
    )


def test_the_demo_catalog_is_published_with_its_tables(iga_catalog):
    published = selectors.published_datasets(municipality=iga_catalog)
    assert sorted(published.values_list("name", flat=True)) == [
        "aed-locations",
        "evacuation-sites",
        "events",
        "public-facilities",
    ]
    sites = Resource.objects.get(dataset__name="evacuation-sites", format="CSV")
    assert sites.row_count == 8
    types = {field["id"]: field["type"] for field in sites.fields}
    assert types["想定収容人数"] == "int"
    assert types["緯度"] == "numeric"
    assert types["名称"] == "text"
    # A standard dataset's columns are typed by its schema, an empty one too; codes stay text.
    assert types["災害種別_高潮"] == "int"
    assert types["全国地方公共団体コード"] == "text"
    first = DatastoreRecord.objects.get(resource=sites, number=1)
    assert first.data["名称"] == "上野公園"
    assert first.data["想定収容人数"] == 3000
    assert first.data["災害種別_洪水"] is None  # 空文字 (対応なし) is no value, not ""
    points = Resource.objects.get(dataset__name="evacuation-sites", format="GeoJSON")
    document = json.loads(points.file.read())
    assert document["features"][0]["geometry"] == {"type": "Point", "coordinates": [136.1262, 34.7706]}


def test_review_then_publish_is_audited(draft, supervisor, city_admin):
    _add(draft, "名称,設置位置\n伊賀市役所,1階\n".encode())
    with pytest.raises(OpenDataRefused):
        services.dataset_publish(dataset=draft, actor=city_admin)  # a draft is reviewed first
    services.dataset_submit_for_review(dataset=draft, actor=supervisor)
    services.dataset_return_to_draft(dataset=draft, actor=city_admin, reason="英語の説明を足してください")
    services.dataset_submit_for_review(dataset=draft, actor=supervisor)
    published = services.dataset_publish(dataset=draft, actor=city_admin)
    assert published.status == Dataset.Status.PUBLISHED and published.published_at is not None
    actions = list(
        AuditEntry.objects.filter(target_type="dataset", target_id=str(draft.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "opendata.dataset_create",
        "opendata.resource_add",
        "opendata.dataset_submit",
        "opendata.dataset_return",
        "opendata.dataset_submit",
        "opendata.dataset_publish",
    ]
    services.dataset_withdraw(dataset=published, actor=city_admin, reason="個人の住所が含まれていた")
    assert not selectors.published_datasets(municipality=draft.municipality).filter(pk=draft.pk).exists()


def test_a_dataset_without_a_file_cannot_go_to_review(draft):
    with pytest.raises(OpenDataRefused) as refused:
        services.dataset_submit_for_review(dataset=draft, actor=None)
    assert refused.value.field == "resources"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Bad Name"}, "name"),
        ({"titles": {"en": "No Japanese"}}, "titles"),
        ({"license_id": "all-rights-reserved"}, "license_id"),
        ({"license_id": ""}, "license_id"),
        ({"theme": "sports"}, "theme"),
        ({"tags": ["a|b"]}, "tags"),
        ({"contact_name": " "}, "contact_name"),
    ],
)
def test_a_dataset_missing_what_reusers_need_is_refused(iga, change, field):
    department = Department.objects.get(municipality=iga, code="kenko-suishin")
    with pytest.raises(OpenDataRefused) as refused:
        services.dataset_create(municipality=iga, department=department, data={**GOOD, **change}, actor=None)
    assert refused.value.field == field
    assert refused.value.text()  # a sentence for the person, not a code
    assert not Dataset.objects.filter(municipality=iga, name=GOOD["name"]).exists()


def test_shift_jis_and_bom_files_are_read(draft):
    shift_jis = _add(draft, "名称,収容人数\r\n上野公園,3000\r\n".encode("cp932"))
    with_bom = _add(draft, "\ufeff名称,収容人数\n上野公園,3000\n".encode())
    for resource in (shift_jis, with_bom):
        assert [field["id"] for field in resource.fields] == ["名称", "収容人数"]
        assert DatastoreRecord.objects.get(resource=resource).data == {"名称": "上野公園", "収容人数": 3000}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('名称,電話\n伊賀市役所,=HYPERLINK("http://example.com")\n'.encode(), "formula"),
        ("名称,電話\n伊賀市役所\n".encode(), "cells"),
        ("名称,名称\n上野,伊賀\n".encode(), "name of its own"),
        (",電話\n上野,1\n".encode(), "name every column"),
        (b"\xff\xfe\x00\x00garbage\x81\x00", "UTF-8"),
    ],
)
def test_a_bad_csv_is_refused_and_nothing_is_stored(draft, body, words):
    with pytest.raises(OpenDataRefused) as refused:
        _add(draft, body)
    assert refused.value.field == "file"
    with __import__("django").utils.translation.override("en"):
        assert words in refused.value.text()
    assert not Resource.objects.filter(dataset=draft).exists()
    assert not DatastoreRecord.objects.filter(resource__dataset=draft).exists()


def test_a_file_over_the_limit_is_refused_before_it_is_read(draft):
    with override_settings(IDX_OPENDATA_MAX_UPLOAD_MB=0), pytest.raises(OpenDataRefused) as refused:
        _add(draft, b"a,b\n" + b"1,2\n" * 1000)
    assert refused.value.field == "file"
    assert not Resource.objects.filter(dataset=draft).exists()


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [136.1, 134.7]},  # latitude out of range
        {"type": "Point", "coordinates": ["136.1", "34.7"]},
        {"type": "Polygon", "coordinates": [[]]},
        {"type": "Circle", "coordinates": [136.1, 34.7]},
        None,
    ],
)
def test_geojson_with_an_invalid_geometry_is_refused(draft, geometry):
    document = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": geometry, "properties": {}}],
    }
    with pytest.raises(OpenDataRefused):
        _add(draft, json.dumps(document).encode(), format="GeoJSON", filename="points.geojson")
    assert not Resource.objects.filter(dataset=draft).exists()


def test_a_pdf_must_be_a_pdf(draft):
    with pytest.raises(OpenDataRefused):
        _add(draft, b"<html>not a pdf</html>", format="PDF", filename="report.pdf")
    resource = _add(draft, b"%PDF-1.7\n%%EOF\n", format="PDF", filename="report.pdf")
    assert resource.media_type == "application/pdf" and not resource.datastore_active


def test_a_large_csv_loads_in_batches(draft, django_assert_max_num_queries):
    rows = "".join(f"施設{number},{number}\n" for number in range(1, 5001))
    with django_assert_max_num_queries(40):
        resource = _add(draft, ("名称,番号\n" + rows).encode())
    assert resource.row_count == 5000
    assert DatastoreRecord.objects.filter(resource=resource).count() == 5000
