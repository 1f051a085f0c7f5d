"""Lists stay O(1) in queries however many cases and sections there are."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import signed_in
from tests.public_comment.conftest import make_case


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_lists_and_a_case_page_do_not_grow_with_rows(iga, kodomo, kodomo_admin, iga_client):
    first = make_case(iga, kodomo, sections=2)
    staff = signed_in(kodomo_admin)
    for client, url in ((iga_client, "/public-comment/"), (staff, "/staff/public-comment/")):
        client.get(url)  # the first request of a client warms caches (the host, the session)
    public_list = _count(iga_client, "/public-comment/")
    staff_list = _count(staff, "/staff/public-comment/")
    page = _count(iga_client, f"/public-comment/{first.uid}/")
    for _ in range(4):
        make_case(iga, kodomo, sections=2)
    bigger = make_case(iga, kodomo, sections=8)
    assert _count(iga_client, "/public-comment/") == public_list
    assert _count(staff, "/staff/public-comment/") == staff_list
    assert _count(iga_client, f"/public-comment/{bigger.uid}/") == page
    assert page <= 12, page
