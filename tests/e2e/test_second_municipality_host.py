"""One deployment, two municipalities: the host name decides which one, and cases never leak."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from e2e_support import assert_accessible, staff_sign_in

pytestmark = pytest.mark.e2e

IGA_CLERK = "kodomo-katei@staff.iga.example.jp"
WATARAI_CLERK = "kodomo-katei@staff.watarai.example.jp"


def _staff_sign_in(page: Any, email: str) -> None:
    staff_sign_in(page, email)
    assert page.url.endswith("/staff/"), page.url


def test_second_municipality_host(new_context: Any, server: Any) -> None:
    watarai_url = server.url("", host="watarai.localhost")

    # An Iga case, as an Iga clerk sees it.
    iga = new_context(width=1280).new_page()
    _staff_sign_in(iga, IGA_CLERK)
    iga.goto("/staff/?status=")
    case_path = iga.locator("table.cases tbody a").first.get_attribute("href")
    assert case_path and case_path.startswith("/staff/cases/"), case_path
    assert iga.goto(case_path).status == 200  # type: ignore[union-attr]
    assert "伊賀市" in iga.locator(".brand").inner_text()

    # The portal at watarai.localhost is Watarai's.
    watarai = new_context(width=390, base_url=watarai_url).new_page()
    response = watarai.goto("/")
    assert response is not None and response.status == 200
    brand = watarai.locator(".brand").inner_text()
    assert "度会町" in brand and "伊賀市" not in brand
    assert "度会町" in watarai.title()
    assert_accessible(watarai, "host-watarai-catalog")

    # A Watarai clerk cannot open Iga's case there: it does not exist for them.
    _staff_sign_in(watarai, WATARAI_CLERK)
    assert "度会町" in watarai.locator(".brand").inner_text()
    assert_accessible(watarai, "host-watarai-queue")
    response = watarai.goto(case_path)
    assert response is not None and response.status == 404, response and response.status
    assert "伊賀市" not in watarai.content()
    assert_accessible(watarai, "host-watarai-case-404", styled=False)  # Django's plain 404 page

    # Nor can the Iga clerk's session be carried over to Watarai's host (cookies are per host),
    # and an unknown host serves nobody.
    assert iga.goto(server.url(case_path, host="watarai.localhost")).url.endswith(  # type: ignore[union-attr]
        "/staff/login/?" + urlencode({"next": case_path})
    )
    unknown = iga.goto(server.url("/", host="nowhere.localhost"))
    assert unknown is not None and unknown.status == 404
