"""Departments, residents and staff members."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from idx.common.i18n import Translatable
from idx.common.models import Municipality, TenantModel


class Department(Translatable, TenantModel):
    """A 課 that owns procedures and handles their cases."""

    TRANSLATED_FIELDS = ("name", "counter", "counter_hours")

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=60)
    name_en = models.CharField(max_length=100)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    counter = models.CharField(max_length=100, blank=True, help_text="窓口の場所 (e.g. 本庁舎1階 3番窓口)")
    counter_hours = models.CharField(max_length=100, blank=True)
    # 危機管理: its staff issue and confirm disaster alerts.
    crisis_management = models.BooleanField(default=False)
    # Other languages of name, counter and counter_hours (see idx.common.i18n).
    i18n = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="department_code_unique_per_municipality"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the resident's language."""
        return self.localized("name")

    @property
    def counter_label(self) -> str:
        return self.localized("counter")

    @property
    def hours_label(self) -> str:
        return self.localized("counter_hours")


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    CLERK = "clerk", _("Clerk")
    SUPERVISOR = "supervisor", _("Supervisor")
    DEPARTMENT_ADMIN = "department_admin", _("Department administrator")
    CITY_ADMIN = "city_admin", _("City administrator")
    AUDITOR = "auditor", _("Auditor (read only)")
    OPERATOR = "operator", _("System operator")


STAFF_ROLES = {role for role in Role if role != Role.RESIDENT}


class UserManager(BaseUserManager["User"]):
    def create_user(
        self, *, municipality: Municipality, email: str, password: str | None = None, **fields: object
    ) -> User:
        user = self.model(municipality=municipality, email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save()
        return user


class User(AbstractBaseUser):
    """A resident or a staff member of one municipality; the e-mail is unique within it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="users")
    # Blank for a resident who signed up with My Number Card and has not added an address yet.
    email = models.EmailField(max_length=254, blank=True)
    full_name = models.CharField(max_length=60, blank=True)
    full_name_kana = models.CharField(max_length=60, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RESIDENT)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    preferred_language = models.CharField(max_length=10, default="ja")
    email_verified_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    # 基本4情報 as read from My Number Card through an identity provider; never typed by the resident.
    verified_name = models.CharField(max_length=100, blank=True)
    verified_address = models.CharField(max_length=200, blank=True)
    verified_birthdate = models.DateField(null=True, blank=True)
    verified_gender = models.CharField(max_length=10, blank=True)
    identity_verified_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "email"],
                condition=~models.Q(email=""),
                name="email_unique_per_municipality",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_resident(self) -> bool:
        return self.role == Role.RESIDENT


class ApiToken(TenantModel):
    """A bearer token for API clients (LINE bots, kiosks) or a resident's personal access token;
    only its SHA-256 is stored (see ``idx.identity.tokens``)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60)
    token_hash = models.CharField(max_length=64, unique=True)
    # The token's first characters, shown so that a person can tell their tokens apart.
    prefix = models.CharField(max_length=12, blank=True)
    # ``None``: an operator-issued token with its user's full access; else the scopes granted.
    scopes = models.JSONField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_raw_token() -> str:
        return "idx_" + secrets.token_urlsafe(32)


class ProviderKind(models.TextChoices):
    RESIDENT = "resident", _("Residents")
    STAFF = "staff", _("Staff")
    BUSINESS = "business", _("Businesses")


class IdentityProvider(TenantModel):
    """An OpenID Connect provider a municipality signs people in with (a login-method plugin).

    デジタル認証アプリ (My Number Card), the city's staff directory or gBizID: each is one row,
    configured by the city; ``method`` names the plugin in ``idx.identity.contrib.login_methods``.
    """

    slug = models.SlugField(max_length=40)
    display_name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ProviderKind.choices, default=ProviderKind.RESIDENT)
    method = models.CharField(max_length=40, default="oidc")
    issuer = models.URLField(max_length=300, blank=True, help_text="Blank for the demo provider")
    client_id = models.CharField(max_length=255)
    # The RP's private key (PEM). Production should leave this blank and point private_key_file at a
    # secret mounted from outside the database.
    private_key_pem = models.TextField(blank=True)
    private_key_file = models.CharField(max_length=500, blank=True)
    signing_alg = models.CharField(
        max_length=10, choices=[("ES256", "ES256"), ("RS256", "RS256")], default="ES256"
    )
    scopes = models.CharField(max_length=300, default="openid name address birthdate gender")
    # The ``aud`` of the client assertion (private_key_jwt) at the token endpoint: OIDC Core names
    # the token endpoint; FAPI 2.0 providers require the issuer identifier; "both" sends an array.
    assertion_audience = models.CharField(
        max_length=20,
        choices=[
            ("token_endpoint", "token endpoint"),
            ("issuer", "issuer"),
            ("both", "token endpoint and issuer"),
        ],
        default="token_endpoint",
    )
    # Where the provider's signing API takes sign transactions (デジタル認証アプリ's
    # /api/sign-transactions); blank when the provider offers sign-in only.
    signing_endpoint = models.URLField(max_length=300, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "slug"], name="identity_provider_slug_unique_per_municipality"
            )
        ]

    def __str__(self) -> str:
        return self.display_name


class ExternalIdentity(models.Model):
    """A provider's pairwise ``sub`` (per relying party) linked to one account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    provider = models.ForeignKey(IdentityProvider, on_delete=models.PROTECT, related_name="identities")
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="external_identity_unique_subject"),
            models.UniqueConstraint(fields=["provider", "user"], name="external_identity_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.provider.slug}:{self.user_id}"


# Second factors and sign-in lockout of staff (models of this app kept in their own module).
from idx.identity.mfa.models import (  # noqa: E402
    SignInLockout as SignInLockout,
)
from idx.identity.mfa.models import (  # noqa: E402
    TotpDevice as TotpDevice,
)
from idx.identity.mfa.models import (  # noqa: E402
    WebAuthnCredential as WebAuthnCredential,
)
from idx.identity.signatures.models import (  # noqa: E402
    SigningTrustAnchor as SigningTrustAnchor,
)
