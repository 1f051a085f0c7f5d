"""Staff single sign-on through the same OIDC client: a provider of kind ``staff`` (the city's
directory; here the demo provider registered as a second relying party). The directory vouches
for the account, the second factor is still asked for, and nobody is created by it."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.test import Client
from joserfc.jwk import ECKey

from idx.demo.loader import demo_totp_secret
from idx.demo_idp.provider import pairwise_subject, register_client
from idx.identity.mfa.views import PENDING_KEY
from idx.identity.models import ExternalIdentity, IdentityProvider, ProviderKind
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db

CLIENT_ID = "DIR242161"


@pytest.fixture
def directory(iga) -> IdentityProvider:
    key = ECKey.generate_key("P-256", private=True)
    provider = IdentityProvider.objects.create(
        municipality=iga,
        slug="directory",
        display_name="伊賀市 職員ディレクトリ",
        kind=ProviderKind.STAFF,
        method="demo",
        client_id=CLIENT_ID,
        private_key_pem=key.as_pem(private=True).decode(),
        scopes="openid email",
    )
    register_client(
        municipality=iga,
        client_id=CLIENT_ID,
        public_jwk=key.as_dict(private=False),
        redirect_path="/oidc/directory/callback/",
    )
    return provider


def through_directory(client: Client, *, holder: str = "iga-hanako"):
    page = client.get("/staff/login/")
    assert 'action="/oidc/directory/start/"' in page.content.decode()
    started = client.post("/oidc/directory/start/", {"next": "/staff/exports/"})
    parts = urlsplit(started["Location"])
    fields = {key: values[0] for key, values in parse_qs(parts.query).items()}
    back = client.post(parts.path, {**fields, "holder": holder, "pin": "1234", "action": "sign_in"})
    back_parts = urlsplit(back["Location"])
    return client.get(f"{back_parts.path}?{back_parts.query}")


def test_linked_directory_identity_then_second_factor(directory, clerk):
    ExternalIdentity.objects.create(
        user=clerk, provider=directory, subject=pairwise_subject(CLIENT_ID, "iga-hanako")
    )
    client = Client(HTTP_HOST=IGA_HOST)
    response = through_directory(client)
    assert response["Location"] == "/staff/login/second-factor/"
    assert client.session[PENDING_KEY]["user"] == clerk.pk
    assert "_auth_user_id" not in client.session  # not signed in before the second factor
    assert client.get("/staff/")["Location"].startswith("/staff/login/")
    code = pyotp.TOTP(demo_totp_secret(clerk.email)).at(time.time())
    done = client.post("/staff/login/second-factor/", {"code": code})
    assert done["Location"] == "/staff/exports/"
    assert int(client.session["_auth_user_id"]) == clerk.pk


def test_unknown_directory_identity_is_refused(directory):
    client = Client(HTTP_HOST=IGA_HOST)
    response = through_directory(client)
    assert response["Location"] == "/staff/login/"
    assert PENDING_KEY not in client.session
    assert not ExternalIdentity.objects.filter(provider=directory).exists()


def _with_email(email: str, verified: bool = True):
    def rewrite(request, response):
        if urlsplit(request.url).path == "/demo-idp/userinfo/":
            claims = json.loads(response.content)
            response._content = json.dumps({**claims, "email": email, "email_verified": verified}).encode()
        return response

    return rewrite


def test_verified_email_links_a_staff_account_once(directory, clerk, back_channel):
    back_channel.rewrite = _with_email(clerk.email.upper())
    client = Client(HTTP_HOST=IGA_HOST)
    assert through_directory(client)["Location"] == "/staff/login/second-factor/"
    assert client.session[PENDING_KEY]["user"] == clerk.pk
    assert ExternalIdentity.objects.get(provider=directory).user == clerk


def test_unverified_email_links_nothing(directory, clerk, back_channel):
    back_channel.rewrite = _with_email(clerk.email, verified=False)
    client = Client(HTTP_HOST=IGA_HOST)
    assert through_directory(client)["Location"] == "/staff/login/"
    assert not ExternalIdentity.objects.filter(provider=directory).exists()


def test_a_residents_email_is_not_a_staff_account(directory, resident, back_channel):
    back_channel.rewrite = _with_email(resident.email)
    client = Client(HTTP_HOST=IGA_HOST)
    assert through_directory(client)["Location"] == "/staff/login/"
    assert PENDING_KEY not in client.session


def test_another_municipalitys_staff_is_not_found(directory, clerk_other_municipality, back_channel):
    back_channel.rewrite = _with_email(clerk_other_municipality.email)
    client = Client(HTTP_HOST=IGA_HOST)
    assert through_directory(client)["Location"] == "/staff/login/"
