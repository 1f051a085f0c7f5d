"""Helpers for the 個人番号 tests: synthetic numbers, the claimant step as a form, re-authentication."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from django.test import Client

from idx.identity.reauth import mark_reauthenticated

# Synthetic numbers whose check digit was worked out by hand from the formula (see test_check_digit).
MY_NUMBER = "987654321018"
MY_NUMBER_SPACED = "9876 5432 1018"
OTHER_NUMBER = "123456789018"
BAD_CHECK_DIGIT = "987654321017"


def reauthenticate(client: Client) -> None:
    """What the back office's re-authentication page does on success, on the client's session."""
    session = client.session
    mark_reauthenticated(SimpleNamespace(session=session))  # type: ignore[arg-type]
    session.save()


def expire_reauth(client: Client) -> None:
    session = client.session
    session["idx_reauthenticated_at"] = time.time() - 10_000
    session.save()


def claimant_form(answers: dict[str, Any], my_number: str, action: str = "next") -> dict[str, str]:
    """The claimant step as the portal posts it."""
    data = {f"f.claimant.{key}": str(value) for key, value in answers["claimant"].items()}
    data["f.claimant.my_number"] = my_number
    data["action"] = action
    return data
