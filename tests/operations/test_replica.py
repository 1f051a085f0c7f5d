"""Dashboards and exports read from the read replica when one is configured; nothing else does."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from idx.common import replica
from idx.common.replica import (
    ReplicaRouter,
    chunks_from_replica,
    is_reading_from_replica,
    reading_from_replica,
    replica_reads,
)
from idx.identity.services import api_token_issue
from tests.conftest import IGA_HOST


@pytest.fixture
def with_replica(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}


def test_reads_go_to_the_replica_only_inside_the_block_and_only_when_it_exists(settings, with_replica):
    router = ReplicaRouter()
    assert router.db_for_read(object) == "default"
    with reading_from_replica():
        assert is_reading_from_replica()
        assert router.db_for_read(object) == "replica"
        assert router.db_for_write(object) == "default"
        with reading_from_replica():
            pass
        assert router.db_for_read(object) == "replica"  # a nested block leaves the outer one on
    assert not is_reading_from_replica()
    assert router.db_for_read(object) == "default"

    del settings.DATABASES["replica"]
    with reading_from_replica():
        assert router.db_for_read(object) == "default"


def test_a_read_inside_a_transaction_stays_on_the_primary(with_replica):
    router = ReplicaRouter()
    with reading_from_replica(), mock.patch.object(connections["default"], "in_atomic_block", True):
        # e.g. audit_record reading the chain's last entry while an export is being written
        assert router.db_for_read(object) == "default"


def test_migrations_and_relations():
    router = ReplicaRouter()
    assert router.allow_migrate("default", "applications") is True
    assert router.allow_migrate("replica", "applications") is False
    assert router.allow_relation(object(), object()) is True


def test_the_block_ends_with_an_exception():
    with pytest.raises(ValueError), reading_from_replica():
        raise ValueError
    assert not is_reading_from_replica()


def test_a_streamed_body_is_read_inside_the_block_again():
    seen: list[bool] = []

    def chunks():
        for part in ("a", "b"):
            seen.append(is_reading_from_replica())
            yield part

    assert list(chunks_from_replica(chunks())) == ["a", "b"]
    assert seen == [True, True] and not is_reading_from_replica()

    from django.http import StreamingHttpResponse

    @replica_reads
    def view(request):
        assert is_reading_from_replica()
        return StreamingHttpResponse(chunks())

    seen.clear()
    response = view(None)
    assert not is_reading_from_replica()
    assert b"".join(response.streaming_content) == b"ab" and seen == [True, True]


@pytest.mark.django_db
def test_the_dashboard_page_its_csv_and_the_api_read_inside_the_block(city_admin, city_admin_client):
    from idx.insights import dashboards

    states: list[tuple[str, bool]] = []
    original = dashboards.dashboard_for_staff

    def recording(**kwargs):
        states.append(("dashboard", is_reading_from_replica()))
        return original(**kwargs)

    with (
        mock.patch("idx.backoffice.insights.dashboard_for_staff", recording),
        mock.patch("idx.api.insights.dashboard_for_staff", recording),
    ):
        assert city_admin_client.get(reverse("backoffice:insights_home")).status_code == 200
        response = city_admin_client.get(reverse("backoffice:insights_csv", args=["channels"]))
        assert response.status_code == 200
        b"".join(response.streaming_content)
        token = api_token_issue(user=city_admin, name="replica")
        api = Client(HTTP_HOST=IGA_HOST).get(
            "/api/v1/staff/insights/channels", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert api.status_code == 200, api.content
    assert states == [("dashboard", True)] * 3
    assert not replica.is_reading_from_replica()


@pytest.mark.django_db
def test_the_audit_export_streams_its_rows_inside_the_block(iga, city_admin):
    from django.utils import timezone

    from idx.audit.services import audit_record
    from idx.backoffice import exports
    from tests.conftest import reauthenticated, signed_in

    audit_record(municipality=iga, actor=city_admin, action="faq.save", target_type="faq", target_id="1")
    seen: list[bool] = []
    original = exports.audit_csv_chunks

    def recording(entries):
        for chunk in original(entries):
            seen.append(is_reading_from_replica())
            yield chunk

    today = timezone.localdate().isoformat()
    client = reauthenticated(signed_in(city_admin))
    with mock.patch("idx.backoffice.exports.audit_csv_chunks", recording):
        response = client.get("/staff/audit/", {"date_from": today, "date_to": today})
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
    assert b"faq.save" in body
    assert seen and all(seen)
    assert not is_reading_from_replica()
