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
