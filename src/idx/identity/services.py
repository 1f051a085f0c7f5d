"""Writes for accounts: resident sign-up and e-mail verification, staff creation, API tokens."""

from __future__ import annotations

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from idx.audit.services import audit_record
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
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature:
        return None
    user = User.objects.filter(
        pk=data.get("user"), municipality=municipality, email=data.get("email")
    ).first()
    if user is None:
        return None
    if user.email_verified_at is None:
        with transaction.atomic():
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
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
    user = User.objects.create_user(
        municipality=municipality,
        email=email,
        password=password,
        full_name=full_name,
        role=role,
        department=department,
        email_verified_at=timezone.now(),
    )
    return user


def api_token_issue(*, user: User, name: str) -> str:
    """Create a token and return it once; only its hash is kept."""
    raw = ApiToken.new_raw_token()
    ApiToken.objects.create(
        municipality_id=user.municipality_id, user=user, name=name, token_hash=ApiToken.hash(raw)
    )
    return raw
