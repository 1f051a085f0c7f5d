"""A replaced file is kept as a numbered version and can be downloaded while the dataset is public."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from idx.audit.models import AuditEntry
from idx.opendata import services
from idx.opendata.models import Resource, ResourceVersion
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db

NEW_EVENTS = (
    "全国地方公共団体コード,ID,イベント名,開始日,終了日\n"
    "242161,242161120005,伊賀上野城 薪能,令和9年8月20日,令和9年8月20日\n"
).encode()


def _events() -> Resource:
    return Resource.objects.get(dataset__name="events", format="CSV")


def test_the_demo_events_keep_last_months_file_as_version_1(iga_catalog):
    version = _events().versions.get()
    assert version.number == 1 and version.row_count == 3 and version.filename == "events.csv"


def test_replacing_keeps_the_old_file_and_the_same_bytes_change_nothing(iga_catalog, supervisor):
    resource = _events()
    old_sha, old_rows, old_name = resource.sha256, resource.row_count, resource.file.name
    upload = services.resource_replace(
        resource=resource, filename="events-2027.csv", content=io.BytesIO(NEW_EVENTS), actor=supervisor
    )
    assert upload.normalised == {"wareki": 2}
    resource.refresh_from_db()
    assert resource.row_count == 1 and resource.records.get().data["開始日"] == "2027-08-20"
    version = resource.versions.latest("number")
    assert (version.number, version.sha256, version.row_count) == (2, old_sha, old_rows)
    assert version.file.name == old_name and version.replaced_by == supervisor
    entry = AuditEntry.objects.filter(action="opendata.resource_replace").latest("pk")
    assert entry.after["version"] == 2
    services.resource_replace(
        resource=resource, filename="events-2027.csv", content=io.BytesIO(NEW_EVENTS), actor=supervisor
    )
    assert ResourceVersion.objects.count() == 2
    assert AuditEntry.objects.filter(action="opendata.resource_replace").count() == 2


def test_a_version_is_downloaded_with_the_headers_of_the_current_file(iga_catalog, supervisor):
    resource = _events()
    with resource.file.open("rb") as handle:
        old_bytes = handle.read()
    services.resource_replace(
        resource=resource, filename="events-2027.csv", content=io.BytesIO(NEW_EVENTS), actor=supervisor
    )
    version = resource.versions.latest("number")
    client = Client(HTTP_HOST=IGA_HOST)
    url = f"/dataset/events/resource/{resource.uid}/version/2/download/{version.filename}"
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == old_bytes
    assert response["Content-Type"] == "text/csv"
    assert response["Access-Control-Allow-Origin"] == "*" and response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    from idx.api.opendata_files import version_url

    assert version_url(version) == url
    assert client.get(url.replace("/version/2/", "/version/3/")).status_code == 404
    assert client.get(url.replace("events.csv", "other.csv")).status_code == 404
    assert client.get(url.replace("/dataset/events/", "/dataset/aed-locations/")).status_code == 404


def test_versions_of_a_withdrawn_dataset_or_another_municipality_are_not_found(
    iga_catalog, supervisor, city_admin
):
    resource = _events()
    services.resource_replace(
        resource=resource, filename="events-2027.csv", content=io.BytesIO(NEW_EVENTS), actor=supervisor
    )
    url = f"/dataset/events/resource/{resource.uid}/version/1/download/events.csv"
    from tests.conftest import WATARAI_HOST

    assert Client(HTTP_HOST=WATARAI_HOST).get(url).status_code == 404
    services.dataset_withdraw(dataset=resource.dataset, actor=city_admin, reason="日付の誤り")
    assert Client(HTTP_HOST=IGA_HOST).get(url).status_code == 404


def test_a_replacement_must_fit_the_standard_and_leaves_everything_as_it_was(iga_catalog, supervisor):
    resource = _events()
    before = (resource.sha256, resource.row_count, resource.records.count())
    with pytest.raises(services.OpenDataRefused):
        services.resource_replace(
            resource=resource,
            filename="events.csv",
            content=io.BytesIO(
                "全国地方公共団体コード,ID,イベント名,開始日\n242161,X,祭り,来年の春\n".encode()
            ),
            actor=supervisor,
        )
    resource.refresh_from_db()
    assert (resource.sha256, resource.row_count, resource.records.count()) == before
    assert resource.versions.count() == 1  # the demo's own earlier file only


def test_dcat_lists_the_earlier_files_as_versions(iga_catalog):
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import DCAT, DCTERMS

    resource = _events()
    response = Client(HTTP_HOST=IGA_HOST).get("/dataset/events.ttl")
    graph = Graph().parse(data=response.content.decode(), format="turtle")
    distribution = URIRef(f"http://{IGA_HOST}/dataset/events/resource/{resource.uid}")
    (version,) = graph.objects(distribution, DCTERMS.hasVersion)
    assert str(version).endswith(f"/dataset/events/resource/{resource.uid}/version/1/download/events.csv")
    assert graph.value(version, DCAT.version) == Literal("1")
    assert Client(HTTP_HOST=IGA_HOST).get(str(version).replace(f"http://{IGA_HOST}", "")).status_code == 200
    catalog = Graph().parse(
        data=Client(HTTP_HOST=IGA_HOST).get("/catalog.ttl").content.decode(), format="turtle"
    )
    assert (distribution, DCTERMS.hasVersion, version) in catalog
