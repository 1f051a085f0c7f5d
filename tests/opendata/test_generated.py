"""Data the platform produces itself is published by the system, idempotently, keeping versions."""

from __future__ import annotations

import pytest

from idx.audit.models import AuditEntry
from idx.identity.models import Department
from idx.opendata import selectors
from idx.opendata.models import Dataset, DatastoreRecord, ResourceVersion
from idx.opendata.services import GeneratedFile, OpenDataRefused, generated_dataset_put

pytestmark = pytest.mark.django_db

CSV_V1 = "年月,手続,オンライン,窓口\n2026-10,住民票の写し,120,340\n2026-11,住民票の写し,150,310\n".encode()
CSV_V2 = CSV_V1 + "2026-12,住民票の写し,170,290\n".encode()


def _put(iga, content: bytes, **overrides):
    department = Department.objects.get(municipality=iga, code="shimin-seikatsu")
    arguments = {
        "municipality": iga,
        "name": "applications-by-channel",
        "titles": {"ja": "手続別・受付方法別の申請件数", "en": "Applications by procedure and channel"},
        "descriptions": {"ja": "IDXで受け付けた申請の月別件数です。5件未満は秘匿しています。"},
        "department": department,
        "theme": "administration",
        "tags": ["統計", "DX"],
        "license_id": "cc-by-4.0",
        "frequency": "MONTHLY",
        "files": [
            GeneratedFile(
                names={"ja": "申請件数（CSV）", "en": "Applications (CSV)"},
                filename="applications.csv",
                format="CSV",
                content=content,
            )
        ],
    }
    arguments.update(overrides)
    return generated_dataset_put(**arguments)


def _entries(iga) -> int:
    return AuditEntry.objects.filter(municipality=iga, action="opendata.generated_dataset_put").count()


def test_it_creates_publishes_and_loads_the_rows(iga):
    dataset = _put(iga, CSV_V1)
    assert dataset.status == Dataset.Status.PUBLISHED and dataset.published_at is not None
    assert selectors.published_datasets(municipality=iga).filter(name="applications-by-channel").exists()
    resource = dataset.resources.get()
    assert resource.row_count == 2
    assert DatastoreRecord.objects.filter(resource=resource).count() == 2
    entry = AuditEntry.objects.get(municipality=iga, action="opendata.generated_dataset_put")
    assert entry.actor is None


def test_the_same_bytes_again_change_nothing(iga):
    first = _put(iga, CSV_V1)
    again = _put(iga, CSV_V1)
    assert again.pk == first.pk and again.updated_at == first.updated_at
    assert not ResourceVersion.objects.exists()
    assert _entries(iga) == 1


def test_new_bytes_replace_the_file_and_keep_the_old_one_as_a_version(iga):
    dataset = _put(iga, CSV_V1)
    old = dataset.resources.get()
    old_name = old.file.name
    dataset = _put(iga, CSV_V2)
    resource = dataset.resources.get()
    assert resource.pk == old.pk and resource.row_count == 3
    assert DatastoreRecord.objects.filter(resource=resource).count() == 3
    version = resource.versions.get()
    assert version.number == 1 and version.row_count == 2 and version.file.name == old_name
    assert version.replaced_by is None
    with version.file.open("rb") as handle:
        assert handle.read() == CSV_V1
    assert _entries(iga) == 2


def test_a_refused_file_publishes_nothing(iga):
    with pytest.raises(OpenDataRefused):
        _put(iga, "年月,件数\n2026-10,=1+1\n".encode())
    assert not Dataset.objects.filter(name="applications-by-channel").exists()
    _put(iga, CSV_V1)
    with pytest.raises(OpenDataRefused):
        _put(iga, "年月,件数\n2026-10,=1+1\n".encode())
    assert Dataset.objects.get(name="applications-by-channel").resources.get().row_count == 2
    assert not ResourceVersion.objects.exists()


def test_a_withdrawn_dataset_is_not_put_back_in_the_catalog(iga, city_admin):
    from idx.opendata import services

    dataset = _put(iga, CSV_V1)
    services.dataset_withdraw(dataset=dataset, actor=city_admin, reason="少ない件数が見えていた")
    dataset = _put(iga, CSV_V2)
    assert dataset.status == Dataset.Status.WITHDRAWN
    assert dataset.resources.get().row_count == 3
    assert not selectors.published_datasets(municipality=iga).filter(name="applications-by-channel").exists()
