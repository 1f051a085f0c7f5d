"""/staff/audit/: auditors and city administrators download a period as CSV; others get 404."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from idx.audit.models import AuditEntry
from idx.audit.services import audit_record
from tests.conftest import reauthenticated, signed_in

URL = "/staff/audit/"


def _content(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.mark.parametrize("persona", ["auditor", "city_admin"])
def test_form_is_shown(request, persona):
    response = reauthenticated(signed_in(request.getfixturevalue(persona))).get(URL)
    assert response.status_code == 200
    assert 'name="date_from"' in response.content.decode()


@pytest.mark.parametrize("persona", ["clerk", "supervisor", "clerk_other_department", "operator", "resident"])
def test_others_get_not_found(request, persona):
    today = timezone.localdate().isoformat()
    response = signed_in(request.getfixturevalue(persona)).get(URL, {"date_from": today, "date_to": today})
    assert response.status_code in (404, 302)  # residents are sent to the staff sign-in
    if persona != "resident":
        assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="audit.export").exists()


def test_auditor_of_another_municipality_sees_only_its_own(iga, watarai, auditor):
    from idx.identity.models import Role
    from tests.conftest import WATARAI_HOST
    from tests.factories import StaffFactory

    audit_record(municipality=iga, actor=None, action="iga.only", target_type="t", target_id=1)
    other = StaffFactory(municipality=watarai, department=None, role=Role.AUDITOR)
    today = timezone.localdate().isoformat()
    response = reauthenticated(signed_in(other, host=WATARAI_HOST)).get(
        URL, {"date_from": today, "date_to": today}
    )
    assert response.status_code == 200
    assert "iga.only" not in _content(response)


def test_auditor_downloads_csv_and_the_download_is_audited(iga, auditor, clerk):
    audit_record(
        municipality=iga,
        actor=clerk,
        action="case.decide",
        target_type="application",
        target_id="A1",
        after={"status": "approved", "note": "=HYPERLINK()"},
    )
    today = timezone.localdate().isoformat()
    response = reauthenticated(signed_in(auditor)).get(URL, {"date_from": today, "date_to": today})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"audit-{today}-{today}.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_content(response).lstrip("\ufeff"))))
    decided = [row for row in rows if row["action"] == "case.decide"]
    assert decided and decided[-1]["actor_email"] == clerk.email
    assert '"note": "=HYPERLINK()"' in decided[-1]["after"]
    assert len(decided[-1]["entry_hash"]) == 64
    export = AuditEntry.objects.get(action="audit.export", actor=auditor)
    assert export.after == {"from": today, "to": today, "format": "csv"}


@pytest.mark.parametrize(
    "params",
    [{"date_from": "2026-12-31", "date_to": "2026-01-01"}, {"date_from": "x", "date_to": "2026-01-01"}],
)
def test_bad_period_is_refused(auditor, params):
    response = reauthenticated(signed_in(auditor)).get(URL, params)
    assert response.status_code == 422
    assert not AuditEntry.objects.filter(action="audit.export").exists()


def test_auditor_cannot_work_cases(auditor, submitted_application):
    client = signed_in(auditor)
    case_url = f"/staff/cases/{submitted_application.public_id}/"
    assert client.get(case_url).status_code == 200
    client.post(f"{case_url}assign-self/", {"row_version": submitted_application.row_version})
    submitted_application.refresh_from_db()
    assert submitted_application.assignee_id is None
