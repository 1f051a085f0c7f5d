"""Management commands a city's IT team runs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.conftest import IGA_HOST, WATARAI_HOST


def test_api_token_issue_prints_a_token_that_works_on_its_own_municipality_only(resident):
    out = StringIO()
    call_command("api_token_issue", "242161", resident.email, "kiosk 1F", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("idx_")
    mine = Client(HTTP_HOST=IGA_HOST, HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/applications")
    assert mine.status_code == 200
    elsewhere = Client(HTTP_HOST=WATARAI_HOST, HTTP_AUTHORIZATION=f"Bearer {token}").get(
        "/api/v1/applications"
    )
    assert elsewhere.status_code == 401


def test_api_token_issue_refuses_an_unknown_account(municipalities):
    with pytest.raises(CommandError):
        call_command("api_token_issue", "242161", "nobody@example.jp", "x", stdout=StringIO())


def test_procedures_import_is_idempotent(iga):
    out = StringIO()
    call_command("procedures_import", "242161", stdout=out)
    # Every shipped definition is already loaded unchanged: no new versions.
    assert all(line.endswith("version 1") for line in out.getvalue().splitlines())
