"""Reads for staff second factors and lockout."""

from __future__ import annotations

from django.utils import timezone

from idx.common.models import Municipality
from idx.identity.mfa.models import SignInLockout, TotpDevice, WebAuthnCredential
from idx.identity.models import STAFF_ROLES, User


def staff_for_sign_in(*, municipality: Municipality, email: str) -> User | None:
    """The staff account an e-mail address names in this municipality (to count failures against)."""
    return (
        User.objects.select_related("municipality")
        .filter(municipality=municipality, email=email.strip().lower(), role__in=STAFF_ROLES, is_active=True)
        .first()
    )


def is_locked(user: User) -> bool:
    return SignInLockout.objects.filter(user=user, locked_until__gt=timezone.now()).exists()


def has_totp(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def has_passkey(user: User) -> bool:
    return WebAuthnCredential.objects.filter(user=user).exists()


def has_second_factor(user: User) -> bool:
    return has_totp(user) or has_passkey(user)
