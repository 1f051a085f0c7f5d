"""The procedure page says sign-in is needed and links both sign-in and sign-up, each returning
to the procedure."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from idx.demo.loader import DEMO_PASSWORD
from tests.conftest import IGA_HOST, signed_in

pytestmark = pytest.mark.django_db

PATH = "/procedures/pregnancy-notification/"


def test_signed_out_the_page_links_sign_in_and_sign_up_back_to_it(iga):
    page = Client(HTTP_HOST=IGA_HOST).get(PATH).content.decode()
    back = quote(PATH, safe="")
    assert f'href="/accounts/login/?next={back}"' in page
    assert f'href="/accounts/signup/?next={back}"' in page


def test_signing_in_from_the_link_returns_to_the_procedure(iga, resident):
    client = Client(HTTP_HOST=IGA_HOST)
    client.get(f"/accounts/login/?next={PATH}")
    response = client.post(
        f"/accounts/login/?next={PATH}", {"email": resident.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == PATH


def test_signed_in_residents_see_no_sign_in_links(resident):
    page = signed_in(resident).get(PATH).content.decode()
    assert "/accounts/signup/?next=" not in page
