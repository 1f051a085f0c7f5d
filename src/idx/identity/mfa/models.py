"""Second factors of staff members and their sign-in failure counters (app label ``identity``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TotpDevice(models.Model):
    """A staff member's authenticator app (RFC 6238, 30-second steps, 6 digits).

    The shared secret is stored encrypted (Fernet, key derived from SECRET_KEY; see
    ``idx.identity.mfa.crypto``). ``confirmed_at`` is empty while enrolment waits for the first
    code; ``last_step`` is the last accepted time step, so a code cannot be used twice.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "identity"

    def __str__(self) -> str:
        return f"TOTP of user {self.user_id}"


class WebAuthnCredential(models.Model):
    """A passkey registered by a staff member (public key only; the private key never leaves the device)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webauthn_credentials"
    )
    credential_id = models.CharField(max_length=1400, unique=True)  # base64url
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    name = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "identity"

    def __str__(self) -> str:
        return f"passkey {self.pk} of user {self.user_id}"


class SignInLockout(models.Model):
    """Consecutive failed sign-in steps (password, second factor, re-authentication) of one account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_lockout"
    )
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "identity"

    def __str__(self) -> str:
        return f"sign-in failures of user {self.user_id}"


from idx.identity.mfa import signals as signals  # noqa: E402  (connects the sign-in receiver)
