"""Bad input on the CKAN API: every refusal in CKAN's envelope and error types, never a server error.

Checked over plain HTTP as a harvester sends it, and with CKAN's own client (``ckanapi``), whose
exceptions must be the ones a CKAN site would make it raise.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from idx.opendata.models import Resource
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db


@pytest.fixture
def harvester(iga_catalog) -> Client:
    return Client(HTTP_HOST=IGA_HOST)


def _call(client: Client, action: str, method: str = "get", **params: Any) -> tuple[int, dict[str, Any]]:
    if method == "get":
        response = client.get(f"/api/3/action/{action}", params)
    else:
        response = client.post(f"/api/3/action/{action}", json.dumps(params), content_type="application/json")
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"help", "success"}
    return response.status_code, body


SEARCH_CASES = [
    # Text that looks like SQL is looked for as words: an empty result, not an error.
    ({"q": "'; DROP TABLE opendata_dataset; --"}, 200, None),
    ({"q": "1' OR '1'='1"}, 409, "Search Query Error"),  # OR is not taken
    ({"q": '" OR 1=1 --'}, 409, "Search Query Error"),  # an unclosed quotation mark
    ({"q": "名称 UNION SELECT password FROM identity_user"}, 200, None),
    ({"fq": "name:x'--"}, 200, None),
    # Solr's local parameters, functions, ranges and boosts are refused by name.
    ({"q": "{!lucene}title:避難"}, 409, "Search Query Error"),
    ({"q": "{!func}sum(1,1)"}, 409, "Search Query Error"),
    ({"fq": "{!join from=id to=owner_org}*:*"}, 409, "Search Query Error"),
    ({"q": "metadata_modified:[* TO NOW]"}, 409, "Search Query Error"),
    ({"q": "避難^10"}, 409, "Search Query Error"),
    ({"q": "title:避難~2"}, 409, "Search Query Error"),
    ({"q": "a OR b"}, 409, "Search Query Error"),
    ({"q": 'title:"unbalanced'}, 409, "Search Query Error"),
    ({"fq": 'tags:"防災'}, 409, "Search Query Error"),
    ({"q": "x" * 501}, 409, "Search Query Error"),
    ({"fq": "creator_user_id:1"}, 409, "Search Query Error"),
    # Paging and sorting out of range.
    ({"rows": 100000}, 409, "Validation Error"),
    ({"rows": 1001}, 409, "Validation Error"),
    ({"rows": -1}, 409, "Validation Error"),
    ({"rows": "1e3"}, 409, "Validation Error"),
    ({"start": -5}, 409, "Validation Error"),
    ({"start": "later"}, 409, "Validation Error"),
    ({"start": 10**30}, 409, "Validation Error"),
    ({"sort": "password asc"}, 409, "Validation Error"),
    ({"sort": "name sideways"}, 409, "Validation Error"),
    ({"sort": "name asc; DROP TABLE opendata_dataset"}, 409, "Validation Error"),
    ({"facet.field": '["creator_user_id"]'}, 409, "Validation Error"),
    ({"facet.limit": "all"}, 409, "Validation Error"),
    ({"q": "避難\x00"}, 400, "Bad request"),
]


@pytest.mark.parametrize(("params", "status", "kind"), SEARCH_CASES)
def test_package_search_answers_bad_input_in_ckans_envelope(harvester, params, status, kind):
    for method in ("get", "post"):
        answer_status, body = _call(harvester, "package_search", method=method, **params)
        assert answer_status == status, (method, body)
        if kind is None:
            assert body["success"] is True and body["result"]["count"] == 0
        else:
            assert body["success"] is False and body["error"]["__type"] == kind


def test_the_largest_page_and_the_last_page_are_answered(harvester):
    status, body = _call(harvester, "package_search", rows=1000, start=0)
    assert status == 200 and body["result"]["count"] == 4 and len(body["result"]["results"]) == 4
    status, body = _call(harvester, "package_search", rows=1000, start=2**31 - 1)
    assert status == 200 and body["result"]["results"] == []
    status, body = _call(harvester, "package_search", rows=0, **{"facet.field": '["tags"]'})
    assert status == 200 and body["result"]["results"] == [] and body["result"]["facets"]["tags"]["地図"] == 3


def test_package_list_refuses_negative_paging(harvester):
    assert _call(harvester, "package_list", limit=2, offset=1)[1]["result"] == ["evacuation-sites", "events"]
    for params in ({"offset": -1}, {"limit": -1}, {"limit": "ten"}):
        status, body = _call(harvester, "package_list", **params)
        assert status == 409 and body["error"]["__type"] == "Validation Error", params


def _csv_id() -> str:
    return str(Resource.objects.get(dataset__name="evacuation-sites", format="CSV").uid)


DATASTORE_CASES = [
    ({"filters": {"no_column": 1}}, 409, "Validation Error"),
    ({"filters": {"名称; DROP TABLE x": "a"}}, 409, "Validation Error"),
    ({"filters": ["名称"]}, 409, "Validation Error"),
    ({"filters": {"名称": {"$ne": ""}}}, 409, "Validation Error"),
    ({"filters": {"名称": []}}, 409, "Validation Error"),
    ({"q": {"no_column": "a"}}, 409, "Validation Error"),
    ({"sort": "no_column desc"}, 409, "Validation Error"),
    ({"sort": "名称 sideways"}, 409, "Validation Error"),
    ({"fields": ["名称", "password"]}, 409, "Validation Error"),
    ({"limit": -1}, 409, "Validation Error"),
    ({"limit": 1_000_000}, 409, "Validation Error"),
    ({"limit": "all"}, 409, "Validation Error"),
    ({"offset": -10}, 409, "Validation Error"),
    ({"offset": 10**30}, 409, "Validation Error"),
    ({"q": "'; DROP TABLE opendata_datastorerecord; --"}, 200, None),
    ({"q": "上野\x00"}, 400, "Bad request"),
]


@pytest.mark.parametrize(("params", "status", "kind"), DATASTORE_CASES)
def test_datastore_search_answers_bad_input_in_ckans_envelope(harvester, params, status, kind):
    answer_status, body = _call(harvester, "datastore_search", method="post", resource_id=_csv_id(), **params)
    assert answer_status == status, body
    if kind is None:
        assert body["success"] is True and body["result"]["records"] == []
    else:
        assert body["success"] is False and body["error"]["__type"] == kind


def test_datastore_paging_past_the_end_and_unknown_resources(harvester):
    rid = _csv_id()
    status, body = _call(harvester, "datastore_search", resource_id=rid, offset=6, limit=5)
    assert status == 200 and [row["_id"] for row in body["result"]["records"]] == [7, 8]
    assert body["result"]["total"] == 8
    status, body = _call(harvester, "datastore_search", resource_id=rid, offset=100)
    assert status == 200 and body["result"]["records"] == [] and body["result"]["total"] == 8
    # Without the total (CKAN's include_total=false), as a harvester paging a large table asks.
    status, body = _call(
        harvester,
        "datastore_search",
        resource_id=rid,
        filters=json.dumps({"災害種別_洪水": 1}),
        include_total="false",
    )
    assert status == 200 and "total" not in body["result"] and len(body["result"]["records"]) == 4
    # In another order, the same rows page the same way.
    status, body = _call(harvester, "datastore_search", resource_id=rid, sort="_id desc", limit=2)
    assert [row["_id"] for row in body["result"]["records"]] == [8, 7]
    for resource_id in ("00000000-0000-0000-0000-000000000000", "'; --", ""):
        status, body = _call(harvester, "datastore_search", resource_id=resource_id)
        assert status == 404 and body["error"]["__type"] == "Not Found Error"


class _App:
    """Just enough of webtest's app for ckanapi's TestAppCKAN, over Django's test client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def post(self, url: str, params: Any = None, **_options: Any) -> Any:
        response = self.client.post(url, params, content_type="application/json")
        assert response.status_code < 500, response.content[:300]

        class _Response:
            status = response.status_code
            body = response.content

        return _Response()


def test_ckans_client_raises_what_a_ckan_site_would_make_it_raise(harvester):
    from ckanapi import CKANAPIError, NotFound, SearchQueryError, TestAppCKAN, ValidationError

    ckan = TestAppCKAN(_App(harvester))
    with pytest.raises(SearchQueryError):
        ckan.action.package_search(q="{!lucene}*:*")
    with pytest.raises(SearchQueryError):
        ckan.action.package_search(fq='tags:"防災')
    with pytest.raises(ValidationError) as refused:
        ckan.action.package_search(rows=100000)
    assert "rows" in refused.value.error_dict
    with pytest.raises(ValidationError):
        ckan.action.package_search(start=-1)
    with pytest.raises(ValidationError):
        ckan.action.package_search(sort="secret desc")
    rid = _csv_id()
    with pytest.raises(ValidationError) as refused:
        ckan.action.datastore_search(resource_id=rid, filters={"no_column": 1})
    assert "filters" in refused.value.error_dict
    with pytest.raises(ValidationError):
        ckan.action.datastore_search(resource_id=rid, offset=-1)
    with pytest.raises(NotFound):
        ckan.action.datastore_search(resource_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(CKANAPIError):
        ckan.action.package_search(q="a\x00b")
    assert ckan.action.package_search(q="'; DROP TABLE x; --")["count"] == 0
    assert ckan.action.datastore_search(resource_id=rid, limit=2)["total"] == 8
