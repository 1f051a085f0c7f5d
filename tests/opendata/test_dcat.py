"""The catalog as DCAT, read back with rdflib in each of its three forms."""

from __future__ import annotations

import pytest
from django.test import Client
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db

SPDX = Namespace("http://spdx.org/rdf/terms#")
BASE = f"http://{IGA_HOST}"


def _graph(response, format: str) -> Graph:
    assert response.status_code == 200
    return Graph().parse(data=response.content.decode(), format=format)


@pytest.mark.parametrize(
    ("path", "accept", "format"),
    [
        ("/catalog.jsonld", "", "json-ld"),
        ("/catalog.ttl", "", "turtle"),
        ("/catalog.rdf", "", "xml"),
        ("/catalog", "text/turtle", "turtle"),
        ("/catalog", "application/ld+json", "json-ld"),
    ],
)
def test_the_catalog_reads_as_dcat(iga_catalog, path, accept, format):
    response = Client(HTTP_HOST=IGA_HOST).get(path, HTTP_ACCEPT=accept)
    graph = _graph(response, format)
    catalog = URIRef(f"{BASE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    datasets = set(graph.objects(catalog, DCAT.dataset))
    assert len(datasets) == 4
    sites = URIRef(f"{BASE}/dataset/evacuation-sites")
    assert sites in datasets
    assert Literal("指定緊急避難場所一覧", lang="ja") in set(graph.objects(sites, DCTERMS.title))
    assert Literal("Designated emergency evacuation sites", lang="en") in set(
        graph.objects(sites, DCTERMS.title)
    )
    assert graph.value(sites, DCTERMS.license) == URIRef(
        "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0"
    )
    assert graph.value(sites, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/IRREG"
    )
    assert {str(keyword) for keyword in graph.objects(sites, DCAT.keyword)} == {"防災", "避難場所", "地図"}
    publisher = graph.value(sites, DCTERMS.publisher)
    assert "伊賀市 危機管理課" in {
        str(name) for name in graph.objects(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))
    }
    distributions = list(graph.objects(sites, DCAT.distribution))
    assert len(distributions) == 2
    for distribution in distributions:
        assert (distribution, RDF.type, DCAT.Distribution) in graph
        download = graph.value(distribution, DCAT.downloadURL)
        assert str(download).startswith(f"{BASE}/dataset/evacuation-sites/resource/")
        assert int(graph.value(distribution, DCAT.byteSize)) > 0
        checksum = graph.value(distribution, SPDX.checksum)
        assert len(str(graph.value(checksum, SPDX.checksumValue))) == 64
    # Every download address in the graph really serves its file.
    client = Client(HTTP_HOST=IGA_HOST)
    for distribution in distributions:
        path = str(graph.value(distribution, DCAT.downloadURL)).removeprefix(BASE)
        assert client.get(path).status_code == 200


def test_one_dataset_reads_as_dcat(iga_catalog):
    graph = _graph(Client(HTTP_HOST=IGA_HOST).get("/dataset/aed-locations.ttl"), "turtle")
    dataset = URIRef(f"{BASE}/dataset/aed-locations")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert graph.value(dataset, DCAT.landingPage) == URIRef(f"{BASE}/opendata/aed-locations/")
    assert Client(HTTP_HOST=IGA_HOST).get("/dataset/no-such-thing.ttl").status_code == 404
    assert Client(HTTP_HOST=IGA_HOST).get("/dataset/aed-locations.exe").status_code == 404


def test_another_municipalitys_datasets_stay_out_of_the_graph(iga_catalog, watarai_dataset):
    graph = _graph(Client(HTTP_HOST=IGA_HOST).get("/catalog.ttl"), "turtle")
    assert not any("watarai" in str(subject) for subject in graph.subjects())
    assert Client(HTTP_HOST=IGA_HOST).get("/dataset/watarai-shelters.ttl").status_code == 404
