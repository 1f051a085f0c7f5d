"""Staff sign-in with a mandatory second factor, lockout, idle timeout and re-authentication."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client, override_settings

from idx.audit.models import AuditEntry
from idx.demo.loader import DEMO_PASSWORD, demo_totp_secret
from idx.identity.mfa import services
from idx.identity.mfa.models import SignInLockout, TotpDevice
from idx.identity.mfa.signals import SEEN_KEY
from idx.identity.reauth import SESSION_KEY as REAUTH_KEY
from tests.conftest import IGA_HOST, reauthenticated, signed_in
from tests.factories import PASSWORD, StaffFactory

SECOND = "/staff/login/second-factor/"
ENROL = "/staff/login/enrol/"


def code_for(user, offset_steps: int = 0) -> str:
    return pyotp.TOTP(demo_totp_secret(user.email)).at(time.time() + 30 * offset_steps)


def password_step(client: Client, user, password: str = DEMO_PASSWORD, next_: str = ""):
    url = "/staff/login/" + (f"?next={next_}" if next_ else "")
    return client.post(url, {"email": user.email, "password": password})


@pytest.fixture
def client(municipalities) -> Client:
    return Client(HTTP_HOST=IGA_HOST)


# ---- the happy path and the pending state ------------------------------------------------------


def test_password_then_totp_signs_in_and_keeps_next(client, clerk):
    assert password_step(client, clerk, next_="/staff/exports/")["Location"] == SECOND
    page = client.get(SECOND)
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()
    assert "webauthn.js" not in page.content.decode()  # no passkey: no script
    response = client.post(SECOND, {"code": code_for(clerk)})
    assert response["Location"] == "/staff/exports/"
    assert int(client.session["_auth_user_id"]) == clerk.pk
    entry = AuditEntry.objects.filter(action="staff.sign_in", actor=clerk).get()
    assert entry.after == {"factor": "totp"}


@pytest.mark.parametrize(
    "path",
    [
        "/staff/",
        "/staff/exports/",
        "/staff/audit/",
        "/staff/procedures/",
        "/staff/reauth/",
        ENROL.replace("enrol", "x"),
    ],
)
def test_password_only_session_reaches_no_staff_page(client, clerk, path):
    password_step(client, clerk)
    response = client.get(path)
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response["Location"].startswith("/staff/login/")
    assert "_auth_user_id" not in client.session


def test_second_factor_page_without_password_step_restarts(client):
    assert client.get(SECOND)["Location"] == "/staff/login/"
    assert client.post(SECOND, {"code": "123456"})["Location"] == "/staff/login/"


@override_settings(IDX_MFA_PENDING_SECONDS=0)
def test_pending_sign_in_expires(client, clerk):
    password_step(client, clerk)
    time.sleep(0.01)
    assert client.post(SECOND, {"code": code_for(clerk)})["Location"] == "/staff/login/"
    assert "_auth_user_id" not in client.session


# ---- bad codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["000000", "", "abcdef", "12345", "1234567", "<script>"])
def test_wrong_totp_is_refused_and_counted(client, clerk, code):
    if code == code_for(clerk):
        code = "111111" if code != "111111" else "222222"
    password_step(client, clerk)
    response = client.post(SECOND, {"code": code})
    assert response.status_code == 422
    assert "_auth_user_id" not in client.session
    assert SignInLockout.objects.get(user=clerk).failures == 1
    entry = AuditEntry.objects.filter(action="staff.sign_in_failed").latest("id")
    assert entry.target_id == str(clerk.pk) and entry.after == {"step": "totp"}
    assert clerk.email not in str(entry.after)


def test_reused_totp_code_is_refused(client, clerk):
    code = code_for(clerk)
    password_step(client, clerk)
    assert client.post(SECOND, {"code": code}).status_code == 302
    other = Client(HTTP_HOST=IGA_HOST)
    password_step(other, clerk)
    response = other.post(SECOND, {"code": code})
    assert response.status_code == 422
    assert "_auth_user_id" not in other.session


def test_older_code_after_newer_is_refused(clerk):
    assert services.totp_verify(user=clerk, code=code_for(clerk, 0))
    assert not services.totp_verify(user=clerk, code=code_for(clerk, -1))  # earlier step: replay window
    assert services.totp_verify(user=clerk, code=code_for(clerk, 1))  # one step of drift accepted


def test_codes_outside_the_drift_window_are_refused(clerk):
    assert not services.totp_verify(user=clerk, code=code_for(clerk, -3))
    assert not services.totp_verify(user=clerk, code=code_for(clerk, 3))


def test_secret_is_not_stored_in_clear(clerk):
    device = TotpDevice.objects.get(user=clerk)
    assert demo_totp_secret(clerk.email) not in device.secret_encrypted


# ---- lockout -------------------------------------------------------------------------------------


@override_settings(IDX_STAFF_LOCKOUT_FAILURES=3, IDX_STAFF_LOCKOUT_SECONDS=600)
def test_repeated_wrong_passwords_lock_the_account(client, clerk):
    for _ in range(2):
        assert password_step(client, clerk, password="wrong").status_code == 422
    response = password_step(client, clerk, password="wrong")
    assert "locked" in response.content.decode() or response.status_code == 422
    assert AuditEntry.objects.filter(action="staff.locked", target_id=str(clerk.pk)).count() == 1
    # Even the right password does not get past a locked account.
    response = password_step(client, clerk)
    assert response.status_code == 422
    assert "_auth_user_id" not in client.session
    assert client.get(SECOND)["Location"] == "/staff/login/"


@override_settings(IDX_STAFF_LOCKOUT_FAILURES=2)
def test_wrong_codes_lock_the_account(client, clerk):
    password_step(client, clerk)
    client.post(SECOND, {"code": "000000"})
    response = client.post(SECOND, {"code": "000001"})
    assert response["Location"] == "/staff/login/"  # the pending sign-in is forgotten
    assert AuditEntry.objects.filter(action="staff.locked", target_id=str(clerk.pk)).exists()
    password_step(client, clerk)
    assert "_auth_user_id" not in client.session
    assert client.post(SECOND, {"code": code_for(clerk)})["Location"] == "/staff/login/"


@override_settings(IDX_STAFF_LOCKOUT_FAILURES=2, IDX_STAFF_LOCKOUT_SECONDS=1)
def test_lock_expires_and_success_resets_the_count(client, clerk):
    password_step(client, clerk, password="wrong")
    password_step(client, clerk, password="wrong")
    time.sleep(1.1)
    password_step(client, clerk)
    assert client.post(SECOND, {"code": code_for(clerk)}).status_code == 302
    assert SignInLockout.objects.get(user=clerk).failures == 0


def test_unknown_address_is_audited_without_a_user(client):
    client.post("/staff/login/", {"email": "nobody@staff.iga.example.jp", "password": "x"})
    entry = AuditEntry.objects.filter(action="staff.sign_in_failed").latest("id")
    assert entry.target_id == "-"
    assert not SignInLockout.objects.exists()


# ---- enrolment -----------------------------------------------------------------------------------


def test_staff_without_second_factor_must_enrol(client, iga):
    user = StaffFactory(municipality=iga, department=None)
    response = client.post("/staff/login/", {"email": user.email, "password": PASSWORD})
    assert response["Location"] == ENROL
    assert client.get(SECOND)["Location"] == ENROL
    assert client.get("/staff/")["Location"].startswith("/staff/login/")
    page = client.get(ENROL).content.decode()
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post(ENROL, {"code": "000000"}).status_code == 422
    response = client.post(ENROL, {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/staff/"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert AuditEntry.objects.filter(action="staff.mfa_enrolled", actor=user).exists()
    assert client.get("/staff/").status_code == 200


def test_enrolment_is_not_offered_to_enrolled_staff(client, clerk):
    password_step(client, clerk)
    assert client.get(ENROL)["Location"] == SECOND


# ---- idle timeout --------------------------------------------------------------------------------


@override_settings(IDX_STAFF_IDLE_SECONDS=60)
def test_idle_staff_session_is_signed_out(clerk_client):
    assert clerk_client.get("/staff/").status_code == 200
    session = clerk_client.session
    session[SEEN_KEY] = time.time() - 61
    session.save()
    response = clerk_client.get("/staff/?status=open")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")
    assert "_auth_user_id" not in clerk_client.session
    page = clerk_client.get(response["Location"]).content.decode()
    assert "inactivity" in page or "操作がなかった" in page


@override_settings(IDX_STAFF_IDLE_SECONDS=60)
def test_active_staff_session_stays(clerk_client):
    session = clerk_client.session
    session[SEEN_KEY] = time.time() - 50
    session.save()
    assert clerk_client.get("/staff/").status_code == 200
    assert clerk_client.session[SEEN_KEY] > time.time() - 5


@override_settings(IDX_STAFF_IDLE_SECONDS=60)
def test_idle_timeout_ignores_residents(resident_client):
    session = resident_client.session
    session[SEEN_KEY] = time.time() - 3600
    session.save()
    assert resident_client.get("/my/applications/").status_code in (200, 302, 404)
    assert "_auth_user_id" in resident_client.session


# ---- re-authentication ---------------------------------------------------------------------------


def test_export_asks_for_reauthentication_and_returns(supervisor_client, supervisor):
    response = supervisor_client.get("/staff/exports/?procedure=x&format=csv")
    assert response["Location"] == "/staff/reauth/?next=%2Fstaff%2Fexports%2F%3Fprocedure%3Dx%26format%3Dcsv"
    page = supervisor_client.get(response["Location"])
    assert page.status_code == 200
    bad = supervisor_client.post(
        "/staff/reauth/", {"password": DEMO_PASSWORD, "code": "000000", "next": "/staff/exports/"}
    )
    assert bad.status_code == 422
    bad = supervisor_client.post(
        "/staff/reauth/", {"password": "wrong", "code": code_for(supervisor), "next": "/staff/exports/"}
    )
    assert bad.status_code == 422
    assert REAUTH_KEY not in supervisor_client.session
    ok = supervisor_client.post(
        "/staff/reauth/",
        {"password": DEMO_PASSWORD, "code": code_for(supervisor, 1), "next": "/staff/exports/"},
    )
    assert ok["Location"] == "/staff/exports/"
    assert supervisor_client.get("/staff/exports/").status_code == 200
    assert AuditEntry.objects.filter(action="staff.reauthenticated", actor=supervisor).exists()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/accounts/", "/staff\\@evil"]
)
def test_reauth_next_stays_on_site(supervisor_client, supervisor, target):
    response = supervisor_client.post(
        "/staff/reauth/", {"password": DEMO_PASSWORD, "code": code_for(supervisor), "next": target}
    )
    assert response["Location"] == "/staff/"


@override_settings(IDX_REAUTH_SECONDS=60)
def test_reauthentication_expires(supervisor_client):
    reauthenticated(supervisor_client)
    assert supervisor_client.get("/staff/exports/").status_code == 200
    session = supervisor_client.session
    session[REAUTH_KEY] = time.time() - 61
    session.save()
    assert supervisor_client.get("/staff/exports/")["Location"].startswith("/staff/reauth/")


def test_audit_export_needs_reauthentication(iga):
    from idx.identity.models import Role

    auditor = StaffFactory(municipality=iga, department=None, role=Role.AUDITOR)
    client = signed_in(auditor)
    assert client.get("/staff/audit/")["Location"].startswith("/staff/reauth/")
    assert reauthenticated(client).get("/staff/audit/").status_code == 200


def test_staff_who_may_not_export_get_not_found_before_reauth(clerk_client):
    assert clerk_client.get("/staff/exports/").status_code == 404


@override_settings(IDX_STAFF_LOCKOUT_FAILURES=2)
def test_failed_reauthentication_locks_and_signs_out(supervisor_client, supervisor):
    supervisor_client.post("/staff/reauth/", {"password": "wrong", "code": "1"})
    response = supervisor_client.post("/staff/reauth/", {"password": "wrong", "code": "1"})
    assert response["Location"] == "/staff/login/"
    assert "_auth_user_id" not in supervisor_client.session
    assert AuditEntry.objects.filter(action="staff.locked", target_id=str(supervisor.pk)).exists()


def test_api_export_needs_reauth_for_sessions_only(supervisor_client, supervisor):
    from idx.identity.services import api_token_issue

    url = "/api/v1/staff/exports/child-allowance-certification?format=csv"
    refused = supervisor_client.get(url)
    assert refused.status_code == 403
    assert refused.json()["code"] == "reauthentication_required"
    assert reauthenticated(supervisor_client).get(url).status_code == 200
    token = api_token_issue(user=supervisor, name="export job")
    machine = Client(HTTP_HOST=IGA_HOST, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert machine.get(url).status_code == 200
    # A bad token next to a session cookie is a session call: it still needs the re-authentication.
    mixed = signed_in(supervisor, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert mixed.get(url).status_code == 403
