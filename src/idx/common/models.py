"""Municipalities (the tenants) and the base every domain record builds on."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from idx.common.i18n import Translatable


def municipality_code_check_digit(first_five: str) -> int:
    """全国地方公共団体コード check digit: weights 6..2, modulus 11 (伊賀市 24216 -> 1)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def validate_municipality_code(value: str) -> None:
    if len(value) != 6 or not value.isdigit() or municipality_code_check_digit(value[:5]) != int(value[5]):
        raise ValidationError(_("Enter a 6-digit local government code with a valid check digit."))


class Municipality(Translatable, models.Model):
    """A city, town or village (自治体) served by this deployment; every domain record belongs to one."""

    TRANSLATED_FIELDS = ("name", "address")

    code = models.CharField(max_length=6, unique=True, validators=[validate_municipality_code])
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    name_en = models.CharField(max_length=80)
    prefecture = models.CharField(max_length=10)
    receipt_prefix = models.CharField(max_length=8, help_text="受付番号の接頭辞 (IGA → IGA-2026-000123)")
    phone = models.CharField(max_length=20, blank=True)
    address = models.CharField(max_length=150, blank=True)
    website = models.URLField(blank=True)
    public_url = models.URLField(blank=True, help_text="このデプロイでの住民向けURL (メールのリンク用)")
    # Other languages of name and address: {"name": {"ja-easy": …, "vi": …}} (see idx.common.i18n).
    i18n = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the resident's language (伊賀市, Iga City …)."""
        return self.localized("name")

    @property
    def address_label(self) -> str:
        return self.localized("address")


class MunicipalityHost(models.Model):
    """A host name that answers as a municipality (one deployment, several cities)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="hosts")
    hostname = models.CharField(max_length=253, unique=True)

    def __str__(self) -> str:
        return self.hostname


class TenantModel(models.Model):
    """A domain record that belongs to one municipality; queries always filter by it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
