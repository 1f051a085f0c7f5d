"""The catalog through CKAN's Action API: as a harvester reads it over HTTP, and with CKAN's own client."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client

from idx.opendata.models import Resource
from tests.conftest import IGA_HOST, WATARAI_HOST

pytestmark = pytest.mark.django_db


def _call(client: Client, action: str, method: str = "get", **params: Any) -> tuple[int, dict[str, Any]]:
    if method == "get":
        response = client.get(f"/api/3/action/{action}", params)
    else:
        response = client.post(f"/api/3/action/{action}", json.dumps(params), content_type="application/json")
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["help"].endswith(f"/api/3/action/help_show?name={action}")
    return response.status_code, body


@pytest.fixture
def harvester(iga_catalog) -> Client:
    return Client(HTTP_HOST=IGA_HOST)


def test_package_list_and_show(harvester):
    status, body = _call(harvester, "package_list")
    assert status == 200 and body["success"] is True
    assert body["result"] == ["aed-locations", "evacuation-sites", "events", "public-facilities"]
    status, body = _call(harvester, "package_show", id="evacuation-sites")
    package = body["result"]
    assert package["title"] == "指定緊急避難場所一覧"
    assert package["title_translated"]["en"] == "Designated emergency evacuation sites"
    assert package["organization"]["name"] == "kiki-kanri"
    assert package["organization"]["title"] == "危機管理課"
    assert package["license_id"] == "pdl-1.0" and package["isopen"] is True
    assert [tag["name"] for tag in package["tags"]] == ["防災", "避難場所", "地図"]
    assert package["groups"][0]["name"] == "disaster"
    assert [resource["format"] for resource in package["resources"]] == ["CSV", "GeoJSON"]
    assert package["num_resources"] == 2
    csv_resource = package["resources"][0]
    assert csv_resource["datastore_active"] is True
    assert csv_resource["hash"].startswith("sha256:")
    # The same dataset by its id, and by POST with a JSON body as CKAN clients send.
    status, again = _call(harvester, "package_show", method="post", id=package["id"])
    assert again["result"]["name"] == "evacuation-sites"


def test_the_download_address_serves_the_file(harvester):
    _status, body = _call(harvester, "package_show", id="aed-locations")
    resource = body["result"]["resources"][0]
    path = resource["url"].split(IGA_HOST, 1)[1]
    response = harvester.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    content = b"".join(response.streaming_content)
    assert len(content) == resource["size"]
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert rows[0]["名称"] == "伊賀市役所"
    assert harvester.get(path.replace("aed.csv", "other.csv")).status_code == 404


def test_package_search_with_facets_filters_and_paging(harvester):
    _status, body = _call(
        harvester,
        "package_search",
        q="地図",
        fq="res_format:CSV",
        rows=2,
        sort="name asc",
        **{"facet.field": '["tags","organization","res_format"]'},
    )
    result = body["result"]
    assert result["count"] == 3  # the three datasets tagged or described with 地図
    assert [package["name"] for package in result["results"]] == ["aed-locations", "evacuation-sites"]
    assert result["facets"]["tags"]["地図"] == 3
    assert result["facets"]["organization"] == {"kenko-suishin": 1, "kiki-kanri": 1, "shimin-seikatsu": 1}
    assert result["facets"]["res_format"] == {"CSV": 3, "GeoJSON": 1}
    organization_items = result["search_facets"]["organization"]["items"]
    assert {"name": "kiki-kanri", "display_name": "危機管理課", "count": 1} in organization_items
    _status, second_page = _call(
        harvester, "package_search", q="地図", fq="res_format:CSV", rows=2, start=2, sort="name asc"
    )
    assert [package["name"] for package in second_page["result"]["results"]] == ["public-facilities"]
    _status, tagged = _call(harvester, "package_search", fq='tags:"防災" organization:kiki-kanri')
    assert [package["name"] for package in tagged["result"]["results"]] == ["evacuation-sites"]
    _status, excluded = _call(harvester, "package_search", q="*:*", fq="-groups:disaster", rows=100)
    assert excluded["result"]["count"] == 3


@pytest.mark.parametrize(
    ("params", "status", "kind"),
    [
        ({"rows": 100000}, 409, "Validation Error"),
        ({"rows": "many"}, 409, "Validation Error"),
        ({"q": "title:(a OR b)"}, 409, "Search Query Error"),
        ({"fq": "secret_field:1"}, 409, "Search Query Error"),
        ({"q": '"unclosed'}, 409, "Search Query Error"),
        ({"sort": "drop table"}, 409, "Validation Error"),
        ({"facet.field": '["password"]'}, 409, "Validation Error"),
        ({"facet.field": "[broken"}, 400, "Bad request"),
    ],
)
def test_package_search_refuses_what_it_cannot_answer(harvester, params, status, kind):
    answer_status, body = _call(harvester, "package_search", **params)
    assert answer_status == status
    assert body["success"] is False and body["error"]["__type"] == kind


def test_errors_have_ckan_types(harvester):
    status, body = _call(harvester, "package_show", id="no-such-dataset")
    assert status == 404 and body["error"]["__type"] == "Not Found Error"
    status, body = _call(harvester, "no_such_action")
    assert status == 400 and "no_such_action" in body["error"]["message"]
    response = harvester.post("/api/3/action/package_show", b"{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["__type"] == "Bad request"


def test_organizations_tags_groups_and_status(harvester):
    assert _call(harvester, "organization_list")[1]["result"] == [
        "kenko-suishin",
        "kiki-kanri",
        "shimin-seikatsu",
    ]
    organization = _call(harvester, "organization_show", id="shimin-seikatsu", include_datasets="true")[1][
        "result"
    ]
    assert organization["package_count"] == 2
    assert sorted(package["name"] for package in organization["packages"]) == ["events", "public-facilities"]
    # A department that publishes nothing is not an organization of the catalog.
    assert _call(harvester, "organization_show", id="zeimu")[0] == 404
    assert "避難場所" in _call(harvester, "tag_list")[1]["result"]
    assert _call(harvester, "tag_list", query="救")[1]["result"] == ["救命"]
    groups = _call(harvester, "group_list", all_fields="true")[1]["result"]
    assert {group["name"]: group["package_count"] for group in groups} == {
        "disaster": 1,
        "health_welfare": 1,
        "facilities": 1,
        "tourism_events": 1,
    }
    status = _call(harvester, "status_show")[1]["result"]
    assert status["site_title"] == "伊賀市 オープンデータ" and "datastore" in status["extensions"]


def test_datastore_search(harvester):
    resource = Resource.objects.get(dataset__name="evacuation-sites", format="CSV")
    rid = str(resource.uid)
    _status, body = _call(harvester, "datastore_search", resource_id=rid, limit=3)
    result = body["result"]
    assert result["total"] == 8
    assert [record["_id"] for record in result["records"]] == [1, 2, 3]
    assert result["fields"][0] == {"id": "_id", "type": "int"}
    assert {"id": "想定収容人数", "type": "int"} in result["fields"]
    _status, body = _call(
        harvester,
        "datastore_search",
        method="post",
        resource_id=rid,
        filters={"災害種別_洪水": 1},
        sort="想定収容人数 desc",
        fields=["名称", "想定収容人数"],
    )
    records = body["result"]["records"]
    assert [record["名称"] for record in records] == [
        "ゆめが丘小学校",
        "上野西小学校",
        "青山ホール",
        "阿山ふるさと会館",
    ]
    assert set(records[0]) == {"_id", "名称", "想定収容人数"}
    _status, body = _call(harvester, "datastore_search", resource_id=rid, q="島ヶ原")
    assert [record["名称"] for record in body["result"]["records"]] == ["島ヶ原会館"]
    _status, body = _call(harvester, "datastore_search", resource_id=rid, q=json.dumps({"名称": "小学校"}))
    assert body["result"]["total"] == 2
    status, body = _call(harvester, "datastore_search", resource_id=rid, filters=json.dumps({"no_column": 1}))
    assert status == 409 and body["error"]["__type"] == "Validation Error"
    status, body = _call(harvester, "datastore_search", resource_id=rid, limit=1_000_000)
    assert status == 409
    geojson = Resource.objects.get(dataset__name="evacuation-sites", format="GeoJSON")
    assert _call(harvester, "datastore_search", resource_id=str(geojson.uid))[0] == 404


def test_nothing_crosses_municipalities(harvester, watarai_dataset):
    assert "watarai-shelters" not in _call(harvester, "package_list")[1]["result"]
    assert _call(harvester, "package_show", id=str(watarai_dataset.uid))[0] == 404
    resource = watarai_dataset.resources.get()
    assert _call(harvester, "resource_show", id=str(resource.uid))[0] == 404
    assert _call(harvester, "datastore_search", resource_id=str(resource.uid))[0] == 404
    watarai = Client(HTTP_HOST=WATARAI_HOST)
    assert _call(watarai, "package_list")[1]["result"] == ["watarai-shelters"]
    assert _call(watarai, "package_search", q="避難")[1]["result"]["count"] == 1


def test_drafts_and_withdrawn_datasets_are_not_public(harvester, iga_catalog, city_admin):
    from idx.opendata import services
    from idx.opendata.models import Dataset

    dataset = Dataset.objects.get(municipality=iga_catalog, name="events")
    services.dataset_withdraw(dataset=dataset, actor=city_admin, reason="日付の誤り")
    assert "events" not in _call(harvester, "package_list")[1]["result"]
    assert _call(harvester, "package_show", id="events")[0] == 404
    resource = dataset.resources.get()
    assert (
        harvester.get(f"/dataset/events/resource/{resource.uid}/download/{resource.filename}").status_code
        == 404
    )


@pytest.mark.django_db(transaction=True)
def test_ckans_own_client_reads_the_catalog(live_server, municipalities, supervisor, city_admin):
    """The ckanapi client, over real HTTP, as a CKAN harvester or a developer would use it."""
    from ckanapi import NotFound, RemoteCKAN, SearchQueryError, ValidationError

    from idx.demo.opendata import load_open_data

    load_open_data(municipalities["iga"], author=supervisor, reviewer=city_admin)
    with RemoteCKAN(live_server.url) as ckan, RemoteCKAN(live_server.url, get_only=True) as get_only:
        assert ckan.action.package_list() == [
            "aed-locations",
            "evacuation-sites",
            "events",
            "public-facilities",
        ]
        package = ckan.action.package_show(id="events")
        assert package["license_id"] == "cc-by-4.0"
        found = ckan.action.package_search(q="防災", **{"facet.field": ["groups"]})
        assert found["count"] >= 1 and "disaster" in found["facets"]["groups"]
        rows = ckan.action.datastore_search(
            resource_id=package["resources"][0]["id"], filters={"料金(基本)": "無料"}
        )
        assert rows["total"] == 3
        assert ckan.action.organization_list() == ["kenko-suishin", "kiki-kanri", "shimin-seikatsu"]
        with pytest.raises(NotFound):
            ckan.action.package_show(id="nothing-here")
        with pytest.raises(SearchQueryError):
            ckan.action.package_search(q="name:(a OR b)")
        with pytest.raises(ValidationError):
            ckan.action.package_search(rows=5000)
        assert get_only.action.package_search(fq="tags:AED")["results"][0]["name"] == "aed-locations"


def test_a_dataset_counts_once_per_format_however_many_files(harvester):
    from idx.opendata import services
    from idx.opendata.models import Dataset

    aed = Dataset.objects.get(name="aed-locations")
    services.resource_add(
        dataset=aed,
        names={"ja": "AED設置箇所一覧（2025年度）"},
        format="CSV",
        filename="aed-2025.csv",
        # A file of a standard dataset follows the standard's columns.
        content=io.BytesIO(
            "全国地方公共団体コード,ID,名称,緯度,経度\n242161,A1,伊賀市役所,34.77,136.14\n".encode()
        ),
        actor=None,
    )
    _status, body = _call(harvester, "package_search", q="*:*", **{"facet.field": '["res_format"]'})
    assert body["result"]["facets"]["res_format"] == {"CSV": 4, "GeoJSON": 1}
