"""Trust anchors for electronic signatures, configured per municipality (app label ``identity``)."""

from __future__ import annotations

from django.db import models

from idx.common.models import TenantModel


class SigningTrustAnchor(TenantModel):
    """A root certificate a JPKI signing certificate must chain to (e.g. J-LIS's 署名用認証局).

    Only CA certificates are kept here; the applicants' own certificates never are.
    """

    name = models.CharField(max_length=200)
    certificate_der = models.BinaryField()
    enabled = models.BooleanField(default=True)

    class Meta:
        app_label = "identity"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
