"""Writes for accounts: resident sign-up and e-mail verification, staff creation, API tokens."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.identity.models import ApiToken, Department, Role, User

VERIFY_SALT = "idx.identity.verify-email"
VERIFY_MAX_AGE = 60 * 60 * 48


class EmailTaken(Exception):
    pass


def resident_sign_up(
    *, municipality: Municipality, email: str, password: str, full_name: str, language: str
) -> User:
    """Create an unverified resident and send the verification link (after commit)."""
    email = email.strip().lower()
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                municipality=municipality,
                email=email,
                password=password,
                full_name=full_name.strip()[:60],
                preferred_language=language,
                role=Role.RESIDENT,
            )
            audit_record(
                municipality=municipality,
                actor=user,
                action="account.sign_up",
                target_type="user",
                target_id=user.pk,
            )
            user_id = user.pk
            transaction.on_commit(lambda: _enqueue_verification(user_id))
    except IntegrityError as exc:
        raise EmailTaken() from exc
    return user


def _enqueue_verification(user_id: int) -> None:
    from idx.identity.tasks import send_verification_email

    send_verification_email.enqueue(user_id)


def verification_token(user: User) -> str:
    return signing.dumps({"user": user.pk, "email": user.email}, salt=VERIFY_SALT)


def resident_verify_email(*, municipality: Municipality, token: str) -> User | None:
    """Confirm the address a verification link was sent to; None for a wrong, expired or used link.

    A link works once: the first use confirms the address, and a link that comes back (a forwarded
    or captured message, a second click) confirms nothing and says so. Two clicks at the same time
    confirm once (a conditional update).
    """
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature:
        return None
    user = User.objects.filter(
        pk=data.get("user"), municipality=municipality, email=data.get("email")
    ).first()
    if user is None or user.email_verified_at is not None:
        return None
    now = timezone.now()
    with transaction.atomic():
        if not User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(email_verified_at=now):
            return None
        user.email_verified_at = now
        audit_record(
            municipality=municipality,
            actor=user,
            action="account.verify_email",
            target_type="user",
            target_id=user.pk,
        )
    return user


def staff_create(
    *,
    municipality: Municipality,
    email: str,
    password: str,
    full_name: str,
    role: Role,
    department: Department | None,
) -> User:
    with transaction.atomic():
        user = User.objects.create_user(
            municipality=municipality,
            email=email,
            password=password,
            full_name=full_name,
            role=role,
            department=department,
            email_verified_at=timezone.now(),
        )
        audit_record(
            municipality=municipality,
            actor=None,
            action="config.staff.create",
            target_type="user",
            target_id=user.pk,
            after={"role": str(role), "department": department.code if department else ""},
        )
    return user


def api_token_issue(*, user: User, name: str, actor: User | None = None) -> str:
    """Create a token and return it once; only its hash is kept (and the issue is audited: by
    ``actor``, or by nobody for the ``api_token_issue`` command)."""
    raw = ApiToken.new_raw_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            municipality_id=user.municipality_id, user=user, name=name, token_hash=ApiToken.hash(raw)
        )
        audit_record(
            municipality=user.municipality,
            actor=actor,
            action="api_token.create",
            target_type="api_token",
            target_id=token.pk,
            after={"name": name, "user": user.pk, "role": user.role},
        )
    return raw


class TokenInvalid(DomainError):
    """A personal access token request that cannot be granted; ``field`` names the input."""

    http_status = 422
    field: str

    def __init__(self, field: str, code: str) -> None:
        super().__init__(code, code=code, field=field)
        self.field = field
        self.code = code


def personal_token_create(
    *, user: User, name: str, scopes: list[str], expires_in_days: int
) -> tuple[ApiToken, str]:
    """A resident's personal access token: returns the record and the token, shown only once."""
    from idx.identity.tokens import EXPIRY_DAYS, MAX_TOKENS_PER_USER, SCOPES

    name = " ".join(name.split())
    if not name or len(name) > 60:
        raise TokenInvalid("name", "name")
    if not scopes or not set(scopes) <= set(SCOPES):
        raise TokenInvalid("scopes", "scopes")
    if expires_in_days not in EXPIRY_DAYS:
        raise TokenInvalid("expires_in_days", "expiry")
    if not user.is_resident:
        raise TokenInvalid("user", "not_resident")
    raw = ApiToken.new_raw_token()
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days)
    with transaction.atomic(durable=True):
        User.objects.select_for_update().filter(pk=user.pk).first()  # one creation at a time per user
        active = ApiToken.objects.filter(user=user, revoked_at__isnull=True, scopes__isnull=False).filter(
            expires_at__gt=timezone.now()
        )
        if active.count() >= MAX_TOKENS_PER_USER:
            raise TokenInvalid("name", "too_many")
        token = ApiToken.objects.create(
            municipality_id=user.municipality_id,
            user=user,
            name=name,
            token_hash=ApiToken.hash(raw),
            prefix=raw[:12],
            scopes=sorted(set(scopes), key=SCOPES.index),
            expires_at=expires_at,
        )
        audit_record(
            municipality=user.municipality,
            actor=user,
            action="api_token.create",
            target_type="api_token",
            target_id=token.pk,
            after={"name": name, "scopes": token.scopes, "expires_at": expires_at.isoformat()},
        )
    return token, raw


def personal_token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of ``user``'s own tokens; ``False`` when there is no such active token."""
    with transaction.atomic(durable=True):
        token = (
            ApiToken.objects.select_for_update()
            .filter(pk=token_id, user=user, municipality_id=user.municipality_id, revoked_at__isnull=True)
            .first()
        )
        if token is None:
            return False
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            municipality=user.municipality,
            actor=user,
            action="api_token.revoke",
            target_type="api_token",
            target_id=token.pk,
        )
    return True


def counter_resident_find_or_create(
    *,
    staff: User,
    full_name: str,
    birthdate: dt.date | None,
    address: str,
    gender: str = "",
    email: str = "",
    identity_checked: bool = False,
) -> User:
    """The resident a clerk serves at the counter (書かない窓口).

    An existing account is found by its e-mail address; otherwise a counter account is made
    without a password (the resident may add sign-in later). When the clerk checked the identity
    on the My Number Card (or read its basic four facts), the facts are stored as verified and
    prefill the applicant items, locked.
    """
    email = email.strip().lower()
    with transaction.atomic():
        user = (
            User.objects.filter(municipality=staff.municipality, email=email, role=Role.RESIDENT).first()
            if email
            else None
        )
        made = user is None
        if user is None:
            user = User.objects.create_user(
                municipality=staff.municipality,
                email=email,
                password=None,
                full_name=full_name.strip()[:60],
                role=Role.RESIDENT,
            )
        if identity_checked and birthdate is not None and address.strip():
            user.verified_name = full_name.strip()[:100]
            user.verified_address = address.strip()[:200]
            user.verified_birthdate = birthdate
            user.verified_gender = gender if gender in ("male", "female") else ""
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
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="account.counter_create" if made else "account.counter_find",
            target_type="user",
            target_id=user.pk,
            after={"identity_checked": identity_checked},
        )
    return user


def _name_key(text: str) -> str:
    """A name as compared for matching: NFKC, without any space (「伊賀　花子」 = 「伊賀花子」)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def offline_applicant(
    *,
    municipality: Municipality,
    full_name: str,
    birthdate: dt.date | None,
    actor: User | None,
    source: str,
    audit: bool = True,
) -> User:
    """The resident an application that reached the city off-line belongs to (a paper form keyed
    in or read, a row imported from another system).

    Exactly one resident of ``municipality`` whose name (spaces and full-width letters ignored,
    the account's name or the name verified by My Number Card) and birth date (the verified one)
    both match is that resident. Otherwise, also when two or more match, a new resident record is
    made that cannot sign in: no e-mail address and an unusable password, so nobody can claim it
    by e-mail; a counter clerk can link sign-in later. ``source`` ("import", "paper") goes into
    the audit entry of a new record. The caller holds the transaction; ``audit=False`` leaves the
    audit entry to the caller (a bulk import audits the whole run once).
    """
    name = full_name.strip()
    key = _name_key(name)
    if key and birthdate is not None:
        candidates = [
            user
            for user in User.objects.filter(
                municipality=municipality, role=Role.RESIDENT, verified_birthdate=birthdate
            ).only("id", "full_name", "verified_name", "municipality_id")[:20]
            if key in (_name_key(user.full_name), _name_key(user.verified_name))
        ]
        if len(candidates) == 1:
            return candidates[0]
    user = User.objects.create_user(
        municipality=municipality,
        email="",
        password=None,  # set_password(None) stores an unusable password
        full_name=name[:60],
        role=Role.RESIDENT,
    )
    if audit:
        audit_record(
            municipality=municipality,
            actor=actor,
            action="account.offline_create",
            target_type="user",
            target_id=user.pk,
            after={"source": source},
        )
    return user
