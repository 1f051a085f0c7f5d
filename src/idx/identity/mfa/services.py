"""Writes for staff second factors: TOTP enrolment and checks, passkeys, failure counting and lockout.

Every check that can fail counts towards the account's lockout (``sign_in_failure_record``);
failures and lockouts are audited with the user id only, never the e-mail address or the code.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
import time
from typing import Any

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from idx.audit.services import audit_record
from idx.identity.mfa.crypto import decrypt_secret, encrypt_secret
from idx.identity.mfa.models import SignInLockout, TotpDevice, WebAuthnCredential
from idx.identity.models import User

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
# One step either side of now: an authenticator whose clock is off by up to 30 seconds still works.
TOTP_DRIFT_STEPS = 1


class AlreadyEnrolled(Exception):
    pass


# ---- lockout ---------------------------------------------------------------------------------


def _lockout_failures() -> int:
    return int(getattr(settings, "IDX_STAFF_LOCKOUT_FAILURES", 5))


def _lockout_seconds() -> int:
    return int(getattr(settings, "IDX_STAFF_LOCKOUT_SECONDS", 900))


def sign_in_failure_record(*, user: User, step: str) -> bool:
    """Count one failed step of ``user`` (password, totp, passkey, reauth); True when now locked."""
    now = timezone.now()
    with transaction.atomic():
        SignInLockout.objects.get_or_create(user=user)
        row = SignInLockout.objects.select_for_update().get(user=user)
        audit_record(
            municipality=user.municipality,
            actor=None,
            action="staff.sign_in_failed",
            target_type="user",
            target_id=user.pk,
            after={"step": step},
        )
        if row.locked_until is not None and row.locked_until > now:
            return True  # already locked: the lock is not extended by further attempts
        row.failures += 1
        row.last_failure_at = now
        locked = row.failures >= _lockout_failures()
        if locked:
            row.locked_until = now + dt.timedelta(seconds=_lockout_seconds())
            row.failures = 0
            audit_record(
                municipality=user.municipality,
                actor=None,
                action="staff.locked",
                target_type="user",
                target_id=user.pk,
                after={"seconds": _lockout_seconds()},
            )
        row.save(update_fields=["failures", "last_failure_at", "locked_until"])
        return locked


def sign_in_failures_clear(*, user: User) -> None:
    SignInLockout.objects.filter(user=user).update(failures=0, locked_until=None)


def sign_in_unlock(*, user: User, actor: User) -> None:
    """An administrator lifts a lockout early (audited)."""
    with transaction.atomic():
        sign_in_failures_clear(user=user)
        audit_record(
            municipality=user.municipality,
            actor=actor,
            action="staff.unlocked",
            target_type="user",
            target_id=user.pk,
        )


# ---- TOTP ------------------------------------------------------------------------------------


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    code = "".join(code.split())
    if len(code) != TOTP_DIGITS or not code.isdecimal():
        return None
    current = int((time.time() if now is None else now) // TOTP_STEP_SECONDS)
    totp = _totp(secret)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            return step
    return None


def _claim_step(device: TotpDevice, step: int) -> bool:
    """Accept ``step`` only if it is later than the last accepted one (no replay within the window)."""
    return (
        TotpDevice.objects.filter(pk=device.pk)
        .filter(Q(last_step__isnull=True) | Q(last_step__lt=step))
        .update(last_step=step)
        == 1
    )


def totp_verify(*, user: User, code: str) -> bool:
    """True if ``code`` is a current, not yet used code of the user's confirmed authenticator."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return False
    step = _matching_step(decrypt_secret(device.secret_encrypted), code)
    return step is not None and _claim_step(device, step)


def totp_enrolment_begin(*, user: User) -> str:
    """A new secret waiting for its first code; replaces an unconfirmed one. Returns the secret."""
    if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        raise AlreadyEnrolled()
    secret = pyotp.random_base32(length=32)
    TotpDevice.objects.update_or_create(
        user=user,
        defaults={"secret_encrypted": encrypt_secret(secret), "confirmed_at": None, "last_step": None},
    )
    return secret


def totp_enrolment_confirm(*, user: User, code: str) -> bool:
    """Confirm the pending authenticator with its first code (audited as ``staff.mfa_enrolled``)."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        return False
    step = _matching_step(decrypt_secret(device.secret_encrypted), code)
    if step is None:
        return False
    with transaction.atomic():
        device.confirmed_at = timezone.now()
        device.last_step = step
        device.save(update_fields=["confirmed_at", "last_step"])
        audit_record(
            municipality=user.municipality,
            actor=user,
            action="staff.mfa_enrolled",
            target_type="user",
            target_id=user.pk,
            after={"factor": "totp"},
        )
    return True


def totp_pending_secret(*, user: User) -> str | None:
    """The secret of an enrolment waiting for its first code (shown again after a wrong code)."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    return None if device is None else decrypt_secret(device.secret_encrypted)


def totp_enrol_fixed(*, user: User, secret: str) -> None:
    """Enrol a known secret (demo accounts only: their secret is printed by ``demo_load``)."""
    TotpDevice.objects.update_or_create(
        user=user,
        defaults={
            "secret_encrypted": encrypt_secret(secret),
            "confirmed_at": timezone.now(),
            "last_step": None,
        },
    )


def totp_provisioning_uri(*, user: User, secret: str) -> str:
    return _totp(secret).provisioning_uri(name=user.email, issuer_name=f"IDX {user.municipality.name}")


def qr_svg_data_uri(text: str) -> str:
    """The QR code of ``text`` as an SVG data: URI (for an <img>; the CSP allows img-src data:)."""
    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=4))


# ---- WebAuthn passkeys -------------------------------------------------------------------------


def webauthn_registration_options(*, user: User, rp_id: str, rp_name: str) -> tuple[str, bytes]:
    """(options JSON for navigator.credentials.create, challenge to keep in the session)."""
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        user_id=f"idx-user-{user.pk}".encode(),
        user_name=user.email,
        user_display_name=user.full_name or user.email,
        challenge=secrets.token_bytes(32),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential.credential_id))
            for credential in user.webauthn_credentials.all()
        ],
    )
    return options_to_json(options), options.challenge


def webauthn_register(
    *, user: User, credential: dict[str, Any], challenge: bytes, rp_id: str, origin: str
) -> WebAuthnCredential | None:
    """Verify a registration response and store the passkey; None if it does not verify."""
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    with transaction.atomic():
        stored = WebAuthnCredential.objects.create(
            user=user,
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            name="passkey",
        )
        audit_record(
            municipality=user.municipality,
            actor=user,
            action="staff.mfa_enrolled",
            target_type="user",
            target_id=user.pk,
            after={"factor": "webauthn"},
        )
    return stored


def webauthn_authentication_options(*, user: User, rp_id: str) -> tuple[str, bytes]:
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=secrets.token_bytes(32),
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential.credential_id))
            for credential in user.webauthn_credentials.all()
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


def webauthn_authenticate(
    *,
    user: User,
    credential: dict[str, Any],
    challenge: bytes,
    rp_id: str,
    origin: str,
    require_user_verification: bool = False,
) -> bool:
    """Verify an assertion by one of the user's passkeys and advance its signature counter."""
    credential_id = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(credential_id, str):
        return False
    stored = WebAuthnCredential.objects.filter(user=user, credential_id=credential_id).first()
    if stored is None:
        return False
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(stored.public_key),
            credential_current_sign_count=stored.sign_count,
            require_user_verification=require_user_verification,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return False
    WebAuthnCredential.objects.filter(pk=stored.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    return True


def parse_credential(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body[:65_536])
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
