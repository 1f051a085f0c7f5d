from __future__ import annotations

import io

import pytest

from idx.common.models import Municipality
from idx.demo.opendata import load_open_data
from idx.identity.models import Department, User
from idx.opendata import services
from idx.opendata.models import Dataset


@pytest.fixture
def iga_catalog(iga: Municipality, supervisor: User, city_admin: User) -> Municipality:
    """伊賀市's demo catalog: four standard datasets, five files, published through review."""
    assert load_open_data(iga, author=supervisor, reviewer=city_admin) == 4
    return iga


@pytest.fixture
def watarai_dataset(watarai: Municipality) -> Dataset:
    """A published dataset of the other municipality, which 伊賀市's catalog must never show."""
    department = Department.objects.filter(municipality=watarai).order_by("code").first()
    assert department is not None
    dataset = services.dataset_create(
        municipality=watarai,
        department=department,
        data={
            "name": "watarai-shelters",
            "titles": {"ja": "度会町 避難所一覧", "en": "Watarai shelters"},
            "descriptions": {"ja": "度会町の避難所です。"},
            "theme": "disaster",
            "tags": ["防災"],
            "license_id": "pdl-1.0",
            "frequency": "IRREG",
            "contact_name": "総務課",
        },
        actor=None,
    )
    services.resource_add(
        dataset=dataset,
        names={"ja": "避難所（CSV）"},
        format="CSV",
        filename="shelters.csv",
        content=io.BytesIO("名称,想定収容人数\n度会町中央公民館,300\n".encode()),
        actor=None,
    )
    services.dataset_submit_for_review(dataset=dataset, actor=None)
    return services.dataset_publish(dataset=dataset, actor=None)
