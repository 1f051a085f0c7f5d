"""The demo identity provider's state: its signing keys, registered clients and issued codes.

A stand-in for デジタル認証アプリ so the demo and the tests run the real OIDC flow; it is only
reachable when IDX_DEMO_IDP is on, which production settings refuse.
"""

from __future__ import annotations

from django.db import models

from idx.common.models import Municipality


class DemoSigningKey(models.Model):
    """An ES256 key; the newest signs, all stay published in the JWKS (rotation)."""

    kid = models.CharField(max_length=100, unique=True)
    private_jwk = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.kid


class DemoClient(models.Model):
    """A registered relying party: its public key (for private_key_jwt) and callback path."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    client_id = models.CharField(max_length=255, unique=True)
    public_jwk = models.JSONField()
    redirect_path = models.CharField(max_length=255)
    # The relying party's second registered redirect URI: where the signing flow returns.
    signing_redirect_path = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.client_id


class DemoAuthorization(models.Model):
    """One authorization: a single-use code, then an access token for userinfo. Only hashes are kept."""

    client = models.ForeignKey(DemoClient, on_delete=models.CASCADE, related_name="authorizations")
    code_hash = models.CharField(max_length=64, unique=True)
    redirect_uri = models.CharField(max_length=500)
    code_challenge = models.CharField(max_length=128)
    nonce = models.CharField(max_length=255)
    scope = models.CharField(max_length=300)
    holder = models.CharField(max_length=40)
    auth_time = models.DateTimeField()
    code_expires_at = models.DateTimeField()
    code_used_at = models.DateTimeField(null=True, blank=True)
    access_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.client_id}:{self.pk}"


class DemoClientToken(models.Model):
    """An access token from the client-credentials grant (what the signing API is called with)."""

    client = models.ForeignKey(DemoClient, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"client token {self.pk}"


class DemoSignTransaction(models.Model):
    """A request to sign one SHA-256 digest, then the card holder's signature once given."""

    public_id = models.UUIDField(unique=True)
    client = models.ForeignKey(DemoClient, on_delete=models.CASCADE, related_name="+")
    digest_b64 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    holder = models.CharField(max_length=40, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signature_b64 = models.TextField(blank=True)
    authorization = models.OneToOneField(
        DemoAuthorization, null=True, blank=True, on_delete=models.SET_NULL, related_name="sign_transaction"
    )

    def __str__(self) -> str:
        return str(self.public_id)


class DemoCertificateAuthority(models.Model):
    """The demo signing CA of one municipality (stands in for J-LIS's 署名用認証局)."""

    municipality = models.OneToOneField(Municipality, on_delete=models.CASCADE, related_name="+")
    key_pem = models.TextField()
    certificate_der = models.BinaryField()

    def __str__(self) -> str:
        return f"demo CA {self.municipality_id}"


class DemoCardCertificate(models.Model):
    """A demo card holder's signing certificate and key (on a real card the key never leaves it)."""

    authority = models.ForeignKey(DemoCertificateAuthority, on_delete=models.CASCADE, related_name="cards")
    holder = models.CharField(max_length=40)
    key_pem = models.TextField()
    certificate_der = models.BinaryField()
    serial_number = models.CharField(max_length=80)
    crl_url = models.CharField(max_length=500)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authority", "holder"], name="demo_card_unique_holder")
        ]

    def __str__(self) -> str:
        return self.holder
