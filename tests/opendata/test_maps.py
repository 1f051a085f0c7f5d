"""Maps of a dataset's places: drawn on the server as SVG with a table of the same numbered places."""

from __future__ import annotations

import io
import json
import math
import re

import pytest
from django.test import Client

from idx.identity.models import Department
from idx.opendata import geo, services
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db


def _page(path: str, language: str = "ja") -> str:
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies["idx_language"] = language
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_points_are_projected_north_up_and_to_scale():
    # Two places 1 km apart east-west at 34.77°N, and one 1 km north of the first.
    north = 1000 / geo.METRES_PER_DEGREE
    east = 1000 / (geo.METRES_PER_DEGREE * math.cos(math.radians(34.77 + north / 2)))
    document = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": lon_lat}, "properties": props}
            for lon_lat, props in (
                ([136.1, 34.77], {"名称": "西", "所在地_連結表記": "三重県伊賀市上野丸之内"}),
                ([136.1 + east, 34.77], {"名称": "東"}),
                ([136.1, 34.77 + north], {"name": "北"}),
            )
        ],
    }
    drawn = geo.map_from_geojson(document)
    assert drawn is not None
    west_point, east_point, north_point = drawn.points
    assert [point.number for point in drawn.points] == [1, 2, 3]
    assert west_point.name == "西" and west_point.address == "三重県伊賀市上野丸之内"
    assert north_point.name == "北"
    assert west_point.y > north_point.y  # north is up
    assert east_point.x > west_point.x
    # 1 km east and 1 km north are the same length on the map (cos(latitude) scaling).
    assert abs((east_point.x - west_point.x) - (west_point.y - north_point.y)) < 0.5
    assert drawn.scale is not None and drawn.scale.metres in (100, 200, 500)
    units_per_metre = (east_point.x - west_point.x) / 1000
    assert abs(drawn.scale.length - drawn.scale.metres * units_per_metre) < 0.5
    assert drawn.width == 360 and 0 < drawn.height <= 360 * 1.25 + 80
    for point in drawn.points:
        assert 0 <= point.x <= drawn.width and 0 <= point.y <= drawn.height
    assert west_point.gsi_url == "https://maps.gsi.go.jp/#17/34.770000/136.100000/"


def test_lines_and_areas_are_paths_and_points_are_capped():
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [136.0 + i / 1000, 34.7]}}
        for i in range(30)
    ]
    features.append(
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[136.0, 34.70], [136.02, 34.72]]},
        }
    )
    features.append(
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[136.0, 34.7], [136.01, 34.7], [136.01, 34.71], [136.0, 34.7]]],
            },
        }
    )
    drawn = geo.map_from_geojson({"type": "FeatureCollection", "features": features}, limit=10)
    assert drawn is not None
    assert len(drawn.points) == 10 and drawn.point_total == 30 and drawn.truncated
    assert len(drawn.paths) == 2 and all(path.startswith("M") for path in drawn.paths)
    # Nothing drawable: no map at all.
    assert geo.map_from_geojson({"type": "FeatureCollection", "features": []}) is None
    assert geo.map_from_geojson([1, 2]) is None


def test_table_rows_with_latitude_and_longitude_become_a_map():
    columns = geo.coordinate_columns(["名称", "緯度", "経度"])
    assert columns == ("緯度", "経度")
    assert geo.coordinate_columns(["名称", "住所"]) is None
    rows = [
        {"名称": "上野公園", "緯度": "34.7706", "経度": "136.1262"},
        {"名称": "座標なし", "緯度": "", "経度": ""},
        {"名称": "青山ホール", "緯度": 34.6996, "経度": 136.2421},
    ]
    drawn = geo.map_from_rows(rows, columns=columns, total=3)
    assert drawn is not None
    assert [point.name for point in drawn.points] == ["上野公園", "青山ホール"]
    # About 13 km apart: the scale bar says km.
    assert drawn.scale is not None and drawn.scale.label.endswith("km")


def _svg(page: str) -> str:
    match = re.search(r"<svg class=\"od-map-svg\".*?</svg>", page, re.S)
    assert match, "no map on the page"
    return match.group(0)


def test_the_dataset_page_draws_the_map_and_lists_the_places(iga_catalog):
    page = _page("/opendata/evacuation-sites/")
    # The CSV (緯度, 経度) and the GeoJSON file each get a map.
    assert page.count('class="od-map-svg"') == 2
    svg = _svg(page)
    assert 'role="img"' in svg and "<title id=" in svg and 'viewBox="0 0 360 ' in svg
    assert 'width="100%"' in svg and "style=" not in svg
    assert svg.count("<circle") == 8
    assert ">N</text>" in svg and re.search(r">[0-9,]+ k?m</text>", svg)
    assert "上野公園" in page and "三重県伊賀市上野丸之内" in page
    assert "https://maps.gsi.go.jp/#17/34.770600/136.126200/" in page
    assert 'rel="external noopener noreferrer"' in page
    # No tiles or map scripts: the page names no map server other than the links.
    assert "tile" not in page.lower()


def test_the_map_reads_in_every_language(iga_catalog):
    for language, caption in (("en", "6 places, numbered"), ("ja", "6か所。"), ("vi", "6 địa điểm")):
        page = _page("/opendata/aed-locations/", language)
        assert 'class="od-map-svg"' in page
        assert caption in page, language
    easy = _page("/opendata/aed-locations/", "ja-easy")
    # Readings (ruby) never go inside the drawing.
    assert "<ruby" not in _svg(easy)


def test_a_large_file_shows_the_first_places_and_says_so(iga_catalog):
    department = Department.objects.get(municipality=iga_catalog, code="kiki-kanri")
    dataset = services.dataset_create(
        municipality=iga_catalog,
        department=department,
        data={
            "name": "many-points",
            "titles": {"ja": "多数の地点", "en": "Many places"},
            "descriptions": {"ja": "地点の多いファイルです。"},
            "theme": "disaster",
            "tags": ["地図"],
            "license_id": "pdl-1.0",
            "frequency": "IRREG",
            "contact_name": "危機管理課",
        },
        actor=None,
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [136.0 + (i % 40) / 400, 34.6 + (i // 40) / 400]},
            "properties": {"名称": f"地点{i + 1}"},
        }
        for i in range(650)
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    services.resource_add(
        dataset=dataset,
        names={"ja": "多数の地点"},
        format="GeoJSON",
        filename="many.geojson",
        content=io.BytesIO(body),
        actor=None,
    )
    services.dataset_submit_for_review(dataset=dataset, actor=None)
    services.dataset_publish(dataset=dataset, actor=None)
    page = _page("/opendata/many-points/", "en")
    assert "The file has 650 places; the map shows the first 500." in page
    assert _svg(page).count("<circle") == 500
    assert "<td>500</td>" in page and "<td>501</td>" not in page


def test_the_five_star_level_is_shown_and_in_package_show(iga_catalog):
    page = _page("/opendata/evacuation-sites/")
    match = re.search(r'<dd id="openness-stars">(.*?)</dd>', page, re.S)
    assert match
    assert "★★★" in match.group(1) and "☆☆" in match.group(1)
    assert "オープンな形式（CSV など）" in match.group(1)
    english = _page("/opendata/evacuation-sites/", "en")
    assert "Open format (CSV and the like)" in english and "Level 3 of 5" in english
    from ckanapi import TestAppCKAN

    ckan = TestAppCKAN(_App(Client(HTTP_HOST=IGA_HOST)))
    package = ckan.action.package_show(id="evacuation-sites")
    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    assert extras["openness_stars"] == "3"


class _App:
    """Just enough of webtest's app for ckanapi's TestAppCKAN, over Django's test client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def post(self, url, params=None, headers=None, expect_errors=False, upload_files=None):  # noqa: ANN001
        response = self.client.post(url, params, content_type="application/json")

        class _Response:
            status = response.status_code
            body = response.content
            text = response.content.decode()

            def json(self):  # noqa: ANN202
                return response.json()

        return _Response()


def test_earlier_files_are_listed_with_their_date_and_download(iga_catalog):
    from idx.opendata.models import Resource

    resource = Resource.objects.get(dataset__name="aed-locations", format="CSV")
    original = resource.file.open("rb").read()
    resource.file.close()
    assert 'class="od-versions"' not in _page("/opendata/aed-locations/")
    services.resource_replace(
        resource=resource,
        filename="aed.csv",
        content=io.BytesIO(original.replace("伊賀市役所".encode(), "伊賀市役所本庁舎".encode())),
        actor=None,
    )
    page = _page("/opendata/aed-locations/", "en")
    versions = re.search(r'<details class="od-versions">.*?</details>', page, re.S)
    assert versions, "no earlier files listed"
    assert "1 earlier file of this download" in versions.group(0)
    assert "In use until" in versions.group(0)
    link = re.search(r'href="([^"]+)" download', versions.group(0))
    assert link and "/version/1/download/aed.csv" in link.group(1)
    download = Client(HTTP_HOST=IGA_HOST).get(link.group(1))
    assert download.status_code == 200 and b"".join(download.streaming_content) == original
    assert "以前のファイル（1件）" in _page("/opendata/aed-locations/")
