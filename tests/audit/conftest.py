"""Audit personas: an auditor (監査担当) and a system operator of 伊賀市, made for the test."""

from __future__ import annotations

import pytest

from idx.identity.models import Role


@pytest.fixture
def auditor(iga):
    from tests.factories import StaffFactory

    return StaffFactory(municipality=iga, department=None, role=Role.AUDITOR, full_name="監査 担当")


@pytest.fixture
def operator(iga):
    from tests.factories import StaffFactory

    return StaffFactory(municipality=iga, department=None, role=Role.OPERATOR, full_name="運用 担当")
