"""The demo hands out the address it is served on: a second instance on another port sends its
card sign-in, signing, payment and LINE traffic to itself, never to the first."""

from __future__ import annotations

import pytest

from idx.common.models import MunicipalityHost
from idx.demo.loader import MUNICIPALITIES, load_municipality
from idx.identity.contrib import login_method_for
from idx.identity.models import IdentityProvider
from idx.payments.models import ProviderConfig


def _load_both():
    return [load_municipality(spec)[0] for spec in MUNICIPALITIES]


@pytest.mark.django_db
def test_demo_follows_the_port_it_serves(municipalities, monkeypatch):
    monkeypatch.setenv("IDX_BIND", "127.0.0.1:8100")
    monkeypatch.delenv("IDX_PUBLIC_URL", raising=False)
    iga, watarai = _load_both()
    assert iga.public_url == "http://127.0.0.1:8100"
    assert watarai.public_url == "http://watarai.localhost:8100"
    for municipality in (iga, watarai):
        base = municipality.public_url
        hosted = ProviderConfig.objects.get(municipality=municipality, provider="hosted")
        assert hosted.config["api_base"] == f"{base}/demo-pay/api/v1"
        card = login_method_for(IdentityProvider.objects.get(municipality=municipality, slug="mynumber"))
        assert card.issuer() == f"{base}/demo-idp"  # type: ignore[attr-defined]
        assert card.signing_endpoint() == f"{base}/demo-idp/sign-transactions"  # type: ignore[attr-defined]
        assert ":8000" not in str(hosted.config)


@pytest.mark.django_db
def test_demo_behind_a_public_address(municipalities, monkeypatch):
    monkeypatch.setenv("IDX_BIND", "127.0.0.1:8100")
    monkeypatch.setenv("IDX_PUBLIC_URL", "https://demo.idx.example.jp/")
    iga, watarai = _load_both()
    assert iga.public_url == "https://demo.idx.example.jp"
    assert watarai.public_url == "https://watarai.demo.idx.example.jp"
    assert MunicipalityHost.objects.get(hostname="demo.idx.example.jp").municipality == iga
    assert MunicipalityHost.objects.get(hostname="watarai.demo.idx.example.jp").municipality == watarai
    hosted = ProviderConfig.objects.get(municipality=watarai, provider="hosted")
    assert hosted.config["api_base"] == "https://watarai.demo.idx.example.jp/demo-pay/api/v1"
