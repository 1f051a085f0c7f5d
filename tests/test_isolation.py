"""Nobody sees or touches what is not theirs: residents, departments and municipalities."""

from __future__ import annotations

import pytest
from django.test import Client

from idx.applications import services
from idx.applications.models import Application, CaseComment, Status
from idx.identity.services import api_token_issue
from tests.applications.test_attachments import png
from tests.conftest import IGA_HOST, WATARAI_HOST, make_draft, make_submitted, signed_in, submit


@pytest.fixture
def victim_case(resident):
    """A submitted application of ``resident`` with an attachment."""
    application = make_draft(resident)
    services.attachment_add(
        application=application, actor=resident, field_path="bank_document", name="通帳.png", data=png()
    )
    application.refresh_from_db()
    return submit(application=application, actor=resident, declaration_accepted=True)


def _pages(application):
    base = f"/my/applications/{application.public_id}"
    attachment = application.attachments.first()
    return [
        ("get", f"{base}/"),
        ("get", f"{base}/steps/claimant/"),
        ("post", f"{base}/steps/claimant/"),
        ("get", f"{base}/review/"),
        ("post", f"{base}/review/"),
        ("get", f"{base}/receipt/"),
        ("get", f"{base}/receipt.pdf"),
        ("post", f"{base}/withdraw/"),
        ("post", f"{base}/discard/"),
        ("get", f"{base}/correct/"),
        ("post", f"{base}/correct/"),
        ("get", f"{base}/files/{attachment.public_id if attachment else 'att_x'}/"),
    ]


def test_resident_cannot_reach_another_residents_submitted_application(victim_case, other_resident_client):
    for method, url in _pages(victim_case):
        data = {"declaration": "yes", "f.claimant.name": "乗っ取り"} if method == "post" else None
        response = getattr(other_resident_client, method)(url, data)
        assert response.status_code == 404, (method, url)
    fresh = Application.objects.get(pk=victim_case.pk)
    assert fresh.status == Status.SUBMITTED
    assert fresh.answers["claimant"]["name"] == "伊賀 太郎"


def test_resident_cannot_reach_another_residents_draft(draft_application, other_resident_client):
    for method, url in _pages(draft_application):
        response = getattr(other_resident_client, method)(
            url, {"declaration": "yes"} if method == "post" else None
        )
        assert response.status_code == 404, (method, url)
    fresh = Application.objects.get(pk=draft_application.pk)
    assert fresh.status == Status.DRAFT
    assert fresh.receipt_number is None


def test_resident_sees_their_own(victim_case, resident_client):
    for method, url in _pages(victim_case):
        if method == "get" and "/receipt.pdf" not in url:
            assert resident_client.get(url).status_code in (200, 302), url


def test_other_residents_list_does_not_show_it(victim_case, other_resident_client):
    page = other_resident_client.get("/my/applications/").content.decode()
    assert victim_case.receipt_number not in page


def test_malformed_ids_are_404(resident_client):
    assert resident_client.get("/my/applications/not-a-uuid/").status_code == 404
    assert resident_client.get("/my/applications/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_staff_cannot_use_the_resident_pages(victim_case, clerk_client):
    response = clerk_client.get(f"/my/applications/{victim_case.public_id}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_resident_cannot_use_the_back_office(victim_case, resident_client):
    response = resident_client.get(f"/staff/cases/{victim_case.public_id}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_clerk_of_another_department(victim_case, clerk_other_department):
    client = signed_in(clerk_other_department)
    base = f"/staff/cases/{victim_case.public_id}"
    attachment = victim_case.attachments.get()
    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/files/{attachment.public_id}/").status_code == 404
    version = {"row_version": victim_case.row_version}
    for action, data in [
        ("assign-self", version),
        ("start-review", version),
        ("request-correction", {**version, "flag": "claimant.name", "note:claimant.name": "x"}),
        ("decide", {**version, "decision": "approve"}),
        ("comment", {"body": "見ました"}),
    ]:
        assert client.post(f"{base}/{action}/", data).status_code == 404, action
    response = client.post(
        "/staff/cases/bulk-assign/",
        {"cases": [str(victim_case.public_id)], "assignee": clerk_other_department.pk},
    )
    assert response.status_code == 302
    fresh = Application.objects.get(pk=victim_case.pk)
    assert (fresh.status, fresh.assignee_id, fresh.row_version) == (
        Status.SUBMITTED,
        None,
        victim_case.row_version,
    )
    assert not CaseComment.objects.exists()
    queue = client.get("/staff/?status=").content.decode()
    assert victim_case.receipt_number not in queue


def test_clerk_of_another_municipality(victim_case, clerk_other_municipality, watarai_resident):
    watarai_case = make_submitted(watarai_resident)
    client = signed_in(clerk_other_municipality, WATARAI_HOST)
    base = f"/staff/cases/{victim_case.public_id}"
    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/files/{victim_case.attachments.get().public_id}/").status_code == 404
    assert client.post(f"{base}/decide/", {"decision": "approve", "row_version": 1}).status_code == 404
    queue = client.get("/staff/?status=")
    assert queue.status_code == 200
    page = queue.content.decode()
    assert watarai_case.receipt_number in page
    assert "IGA-" not in page
    assert str(victim_case.public_id) not in page
    assert client.get(f"/staff/cases/{watarai_case.public_id}/").status_code == 200


def test_resident_of_another_municipality_on_their_own_host(victim_case, watarai_resident):
    client = signed_in(watarai_resident, WATARAI_HOST)
    assert client.get(f"/my/applications/{victim_case.public_id}/").status_code == 404


def test_iga_session_is_not_signed_in_at_watarai(resident):
    client = signed_in(resident, IGA_HOST)
    assert client.get("/my/applications/").status_code == 200
    response = client.get("/my/applications/", HTTP_HOST=WATARAI_HOST)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fmy%2Fapplications%2F"


def test_iga_staff_session_is_not_signed_in_at_watarai(clerk):
    client = signed_in(clerk, IGA_HOST)
    assert client.get("/staff/").status_code == 200
    response = client.get("/staff/", HTTP_HOST=WATARAI_HOST)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_iga_password_does_not_sign_in_at_watarai(watarai_client):
    response = watarai_client.post(
        "/accounts/login/", {"email": "resident1@iga.example.jp", "password": "idx-demo-2026"}
    )
    assert response.status_code == 422
    assert "_auth_user_id" not in watarai_client.session
    ok = watarai_client.post(
        "/accounts/login/", {"email": "resident1@watarai.example.jp", "password": "idx-demo-2026"}
    )
    assert ok.status_code == 302


def test_api_tokens_are_bound_to_their_municipality(victim_case, resident, clerk, watarai_resident):
    resident_token = api_token_issue(user=resident, name="test")
    clerk_token = api_token_issue(user=clerk, name="test")
    watarai_token = api_token_issue(user=watarai_resident, name="test")
    iga = Client(HTTP_HOST=IGA_HOST)
    watarai = Client(HTTP_HOST=WATARAI_HOST)
    own = f"/api/v1/applications/{victim_case.public_id}"
    assert iga.get(own, HTTP_AUTHORIZATION=f"Bearer {resident_token}").status_code == 200
    for token, url in [(resident_token, "/api/v1/applications"), (clerk_token, "/api/v1/staff/cases")]:
        response = watarai.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    response = watarai.get(own, HTTP_AUTHORIZATION=f"Bearer {watarai_token}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert iga.get(own, HTTP_AUTHORIZATION=f"Bearer {watarai_token}").status_code == 401


def test_api_other_resident_and_other_department(victim_case, other_resident, clerk_other_department, clerk):
    other = api_token_issue(user=other_resident, name="t")
    other_department = api_token_issue(user=clerk_other_department, name="t")
    own_department = api_token_issue(user=clerk, name="t")
    client = Client(HTTP_HOST=IGA_HOST)
    url = f"/api/v1/applications/{victim_case.public_id}"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 404
    assert (
        client.patch(
            url,
            {"answers": {"remarks": "x"}},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {other}",
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"{url}/withdraw", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {other}"
        ).status_code
        == 404
    )
    case = f"/api/v1/staff/cases/{victim_case.public_id}"
    assert client.get(case, HTTP_AUTHORIZATION=f"Bearer {other_department}").status_code == 404
    response = client.post(
        f"{case}/transitions",
        {"event": "start_review", "expected_version": victim_case.row_version},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {other_department}",
    )
    assert response.status_code == 404
    listed = client.get("/api/v1/staff/cases?status=", HTTP_AUTHORIZATION=f"Bearer {other_department}").json()
    assert str(victim_case.public_id) not in {case["id"] for case in listed}
    assert client.get(case, HTTP_AUTHORIZATION=f"Bearer {own_department}").status_code == 200
    assert Application.objects.get(pk=victim_case.pk).status == Status.SUBMITTED


def test_revoked_token_is_refused(resident):
    from django.utils import timezone

    from idx.identity.models import ApiToken

    token = api_token_issue(user=resident, name="t")
    client = Client(HTTP_HOST=IGA_HOST)
    assert client.get("/api/v1/applications", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    ApiToken.objects.filter(user=resident).update(revoked_at=timezone.now())
    assert client.get("/api/v1/applications", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert client.get("/api/v1/applications", HTTP_AUTHORIZATION="Bearer idx_made-up").status_code == 401


@pytest.mark.parametrize("path", ["/", "/staff/login/", "/api/v1/procedures", "/accounts/login/"])
def test_unknown_host_is_404(municipalities, path):
    response = Client(HTTP_HOST="nowhere.localhost").get(path)
    assert response.status_code == 404
    assert "No municipality is served at this address." in response.content.decode()
