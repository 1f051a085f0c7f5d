"""Keys, demo card holders, pairwise subjects and client registration of the demo provider."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from joserfc.jwk import ECKey

from idx.common.models import Municipality
from idx.demo_idp.jpki import CardFacts, authority
from idx.demo_idp.models import DemoClient, DemoSigningKey


@dataclass(frozen=True)
class CardHolder:
    """A demo My Number Card holder with 基本4情報 (made-up people)."""

    id: str
    name: str
    address: str
    birthdate: str
    gender: str  # OIDC standard values: female / male
    # A holder whose signing certificate was revoked (e.g. after moving house), to show refusal.
    certificate_revoked: bool = False

    def card_facts(self) -> CardFacts:
        return CardFacts(name=self.name, address=self.address, birthdate=self.birthdate, gender=self.gender)


CARD_HOLDERS = [
    CardHolder("iga-hanako", "伊賀 花子", "三重県伊賀市上野丸之内116番地", "1985-04-01", "female"),
    CardHolder("iga-taro", "伊賀 太郎", "三重県伊賀市上野丸之内116番地", "1988-06-15", "male"),
    CardHolder("ueno-taro", "上野 太郎", "三重県伊賀市四十九町3184番地", "1979-11-23", "male"),
    CardHolder("tsuge-yumi", "柘植 由美", "三重県伊賀市柘植町1234番地", "1992-07-07", "female"),
    CardHolder("watarai-ken", "度会 健", "三重県度会郡度会町棚橋1215番地1", "1968-02-14", "male"),
    CardHolder(
        "shimagahara-jiro",
        "島ヶ原 次郎",
        "三重県伊賀市島ヶ原5555番地",
        "1958-09-30",
        "male",
        certificate_revoked=True,
    ),
]
HOLDERS = {holder.id: holder for holder in CARD_HOLDERS}


def new_signing_key() -> DemoSigningKey:
    key = ECKey.generate_key("P-256", private=True)
    kid = key.thumbprint()
    return DemoSigningKey.objects.create(kid=kid, private_jwk=key.as_dict(private=True))


def signing_keys() -> list[DemoSigningKey]:
    """All keys, newest first; a first key is made on first use."""
    keys = list(DemoSigningKey.objects.all())
    if not keys:
        with transaction.atomic():
            keys = list(DemoSigningKey.objects.select_for_update().all()) or [new_signing_key()]
    return keys


def public_jwks() -> dict[str, Any]:
    published = []
    for stored in signing_keys():
        public = ECKey.import_key(stored.private_jwk).as_dict(private=False)
        published.append({**public, "kid": stored.kid, "use": "sig", "alg": "ES256"})
    return {"keys": published}


def pairwise_subject(client_id: str, holder_id: str) -> str:
    """``sub`` differs per relying party (like デジタル認証アプリ's PPID)."""
    digest = salted_hmac("idx.demo_idp.sub", f"{client_id}:{holder_id}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def register_client(
    *,
    municipality: Municipality,
    client_id: str,
    public_jwk: dict[str, Any],
    redirect_path: str,
    signing_redirect_path: str = "",
) -> DemoClient:
    if not settings.IDX_DEMO_IDP:
        raise RuntimeError("the demo identity provider is not enabled")
    client, _ = DemoClient.objects.update_or_create(
        client_id=client_id,
        defaults={
            "municipality": municipality,
            "public_jwk": public_jwk,
            "redirect_path": redirect_path,
            "signing_redirect_path": signing_redirect_path,
        },
    )
    return client


def configure_for_municipality(municipality: Municipality, *, slug: str = "mynumber") -> None:
    """Make the demo provider a login method of ``municipality``: RP key, provider row, client row."""
    from django.urls import reverse

    from idx.identity.models import IdentityProvider, ProviderKind

    if not settings.IDX_DEMO_IDP:
        return
    client_id = f"RP{municipality.code}"
    provider = IdentityProvider.objects.filter(municipality=municipality, slug=slug).first()
    if provider is None or not provider.private_key_pem:
        key = ECKey.generate_key("P-256", private=True)
        pem = key.as_pem(private=True).decode()
        provider, _ = IdentityProvider.objects.update_or_create(
            municipality=municipality,
            slug=slug,
            defaults={
                "display_name": "マイナンバーカード（デモ認証アプリ）",
                "kind": ProviderKind.RESIDENT,
                "method": "demo",
                "issuer": "",
                "client_id": client_id,
                "private_key_pem": pem,
                "signing_alg": "ES256",
                "signing_endpoint": "",
                "enabled": True,
            },
        )
    # The demo CA's root becomes the municipality's trust anchor for electronic signatures.
    authority(municipality)
    public = ECKey.import_key(provider.private_key_pem).as_dict(private=False)
    register_client(
        municipality=municipality,
        client_id=provider.client_id,
        public_jwk=public,
        redirect_path=reverse("oidc:callback", kwargs={"slug": slug}),
        signing_redirect_path=reverse("portal:signature_callback"),
    )
