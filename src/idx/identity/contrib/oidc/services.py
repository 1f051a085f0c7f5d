"""Writes for sign-in through an identity provider: find or create the account, link, store 基本4情報."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from idx.audit.services import audit_record
from idx.identity.models import ExternalIdentity, IdentityProvider, ProviderKind, Role, User


class NotLinked(Exception):
    """No account is linked to this identity and the provider's kind does not create one."""


class AlreadyLinked(Exception):
    """The identity belongs to another account, or the account already has another one."""


@dataclass(frozen=True)
class BasicFacts:
    """基本4情報 as the provider asserted them."""

    name: str = ""
    address: str = ""
    birthdate: dt.date | None = None
    gender: str = ""

    @property
    def complete(self) -> bool:
        return bool(self.name and self.address and self.birthdate and self.gender)


_GENDERS = {"male": "male", "female": "female", "1": "male", "2": "female", "男": "male", "女": "female"}


def facts_from_userinfo(userinfo: dict[str, Any]) -> BasicFacts:
    """Read the four facts; ``address`` may be a string or the standard claim's object."""
    address = userinfo.get("address")
    if isinstance(address, dict):
        address = address.get("formatted", "")
    birthdate: dt.date | None = None
    raw_birthdate = userinfo.get("birthdate")
    if isinstance(raw_birthdate, str):
        try:
            birthdate = dt.date.fromisoformat(raw_birthdate)
        except ValueError:
            birthdate = None
    name = userinfo.get("name")
    return BasicFacts(
        name=name.strip()[:100] if isinstance(name, str) else "",
        address=address.strip()[:200] if isinstance(address, str) else "",
        birthdate=birthdate,
        gender=_GENDERS.get(str(userinfo.get("gender", "")).strip().lower(), ""),
    )


def _store_facts(user: User, facts: BasicFacts) -> None:
    if not facts.complete:
        return
    user.verified_name = facts.name
    user.verified_address = facts.address
    user.verified_birthdate = facts.birthdate
    user.verified_gender = facts.gender
    user.identity_verified_at = timezone.now()
    user.save(
        update_fields=[
            "verified_name",
            "verified_address",
            "verified_birthdate",
            "verified_gender",
            "identity_verified_at",
        ]
    )


def account_sign_in_with_provider(*, provider: IdentityProvider, subject: str, facts: BasicFacts) -> User:
    """The account linked to ``subject``; a resident provider creates a verified account on first use.

    The new account has no e-mail address (blank, not a placeholder): status e-mails are skipped
    until the resident adds one, and password sign-in cannot match it.
    """
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(provider=provider, subject=subject)
            .first()
        )
        if identity is not None:
            user = identity.user
            if not user.is_active or user.municipality_id != provider.municipality_id:
                raise NotLinked()
            identity.last_sign_in_at = timezone.now()
            identity.save(update_fields=["last_sign_in_at"])
            _store_facts(user, facts)
            audit_record(
                municipality=provider.municipality,
                actor=user,
                action="account.sign_in_provider",
                target_type="user",
                target_id=user.pk,
                after={"provider": provider.slug},
            )
            return user
        if provider.kind != ProviderKind.RESIDENT:
            raise NotLinked()
        user = User.objects.create_user(
            municipality=provider.municipality,
            email="",
            password=None,
            full_name=facts.name[:60],
            role=Role.RESIDENT,
        )
        try:
            with transaction.atomic():
                ExternalIdentity.objects.create(
                    user=user, provider=provider, subject=subject, last_sign_in_at=timezone.now()
                )
        except IntegrityError as exc:  # the same card signed in twice at once: the first one won
            raise AlreadyLinked() from exc
        _store_facts(user, facts)
        audit_record(
            municipality=provider.municipality,
            actor=user,
            action="account.sign_up_provider",
            target_type="user",
            target_id=user.pk,
            after={"provider": provider.slug},
        )
    return user


def external_identity_link(
    *, user: User, provider: IdentityProvider, subject: str, facts: BasicFacts
) -> ExternalIdentity:
    """Link a provider identity to the signed-in account (same municipality)."""
    if user.municipality_id != provider.municipality_id:
        raise NotLinked()
    with transaction.atomic():
        existing = ExternalIdentity.objects.filter(provider=provider, subject=subject).first()
        if existing is not None:
            if existing.user_id != user.pk:
                raise AlreadyLinked()
            _store_facts(user, facts)
            return existing
        if ExternalIdentity.objects.filter(provider=provider, user=user).exists():
            raise AlreadyLinked()
        try:
            with transaction.atomic():
                identity = ExternalIdentity.objects.create(
                    user=user, provider=provider, subject=subject, last_sign_in_at=timezone.now()
                )
        except IntegrityError as exc:
            raise AlreadyLinked() from exc
        _store_facts(user, facts)
        audit_record(
            municipality=provider.municipality,
            actor=user,
            action="account.link_provider",
            target_type="user",
            target_id=user.pk,
            after={"provider": provider.slug},
        )
    return identity


def staff_account_for_directory_identity(
    *, provider: IdentityProvider, subject: str, userinfo: dict[str, Any]
) -> User:
    """The staff member a directory identity (staff single sign-on) stands for.

    A linked ``sub`` decides; on first use, a verified ``email`` claim equal to an active staff
    account of the municipality links them. Nobody is created: staff accounts and their roles are
    made by the city's administrators, not by the directory. The caller still asks for the second
    factor.
    """
    if provider.kind != ProviderKind.STAFF:
        raise NotLinked()
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(provider=provider, subject=subject)
            .first()
        )
        if identity is not None:
            user = identity.user
        else:
            email = str(userinfo.get("email", "")).strip().lower()
            if not email or userinfo.get("email_verified") is not True:
                raise NotLinked()
            found = User.objects.filter(
                municipality=provider.municipality, email=email, is_active=True
            ).first()
            if found is None or not found.is_staff_member:
                raise NotLinked()
            if ExternalIdentity.objects.filter(provider=provider, user=found).exists():
                raise AlreadyLinked()
            user = found
            identity = ExternalIdentity.objects.create(user=user, provider=provider, subject=subject)
            audit_record(
                municipality=provider.municipality,
                actor=user,
                action="account.link_provider",
                target_type="user",
                target_id=user.pk,
                after={"provider": provider.slug, "by": "verified_email"},
            )
        if not user.is_active or not user.is_staff_member or user.municipality_id != provider.municipality_id:
            raise NotLinked()
        identity.last_sign_in_at = timezone.now()
        identity.save(update_fields=["last_sign_in_at"])
    return user
