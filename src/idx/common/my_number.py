"""個人番号 (My Number): check digit, and sealing with the back office's X25519 public key.

A number is validated and sealed the moment the portal receives it (``seal``): what is stored is
an opaque token ``sealed:v1:<key id>:<base64url>``, a libsodium sealed box (X25519 + XSalsa20-
Poly1305, anonymous sender) of the number and the application it belongs to. Any tier can seal
with the public key; only a back-office process (``IDX_ROLE=backoffice`` or ``all``) configured with
the private key can ``unseal``. Callers that open a number audit it (``my_number_unseal`` service).

The clear number is never logged, never put in an exception message and never returned by a
function other than ``unseal``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

TOKEN_PREFIX = "sealed:v1:"  # noqa: S105 - a format marker, not a secret
_TOKEN = re.compile(r"^sealed:v1:[0-9a-f]{8}:[A-Za-z0-9_-]{80,400}$")
_DIGITS = re.compile(r"^[0-9]{12}$")
_SEPARATORS = re.compile(r"[\s\-‐−ー－]")


class MyNumberUnavailable(Exception):
    """This process cannot open sealed numbers (the portal role, or no private key configured)."""


class MyNumberKeyMissing(Exception):
    """No public key is configured, so a number cannot be sealed (set IDX_MY_NUMBER_PUBLIC_KEY)."""


class MyNumberSealBroken(Exception):
    """A token does not open with this key, or belongs to another application."""


def check_digit(first_eleven: str) -> int:
    """The 12th digit for 11 digits (番号法施行令第8条).

    P_n is the n-th digit counted from the right (excluding the check digit), Q_n = n + 1 for
    1 ≤ n ≤ 6 and n − 5 for 7 ≤ n ≤ 11; r = Σ P_n·Q_n mod 11; the check digit is 0 when r ≤ 1,
    else 11 − r.
    """
    if not re.fullmatch(r"[0-9]{11}", first_eleven):
        raise ValueError("eleven digits expected")
    total = 0
    for n, char in enumerate(reversed(first_eleven), start=1):
        q = n + 1 if n <= 6 else n - 5
        total += int(char) * q
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def normalise(text: str) -> str:
    """Half-width digits without spaces or hyphens (what a resident may type: ``1234 5678 9012``)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


def is_valid(value: object) -> bool:
    """Twelve half-width digits whose last is the check digit of the first eleven."""
    return isinstance(value, str) and bool(_DIGITS.match(value)) and check_digit(value[:11]) == int(value[11])


def is_sealed_token(value: object) -> bool:
    return isinstance(value, str) and bool(_TOKEN.match(value))


def _decode_key(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise ValueError(f"{what} is not base64") from exc
    if len(raw) != 32:
        raise ValueError(f"{what} must be 32 bytes (base64 of an X25519 key)")
    return raw


def key_id(public: PublicKey) -> str:
    return hashlib.sha256(bytes(public)).hexdigest()[:8]


def generate_key_pair() -> tuple[str, str]:
    """A new (public, private) X25519 key pair, each base64."""
    private = PrivateKey.generate()
    return (
        base64.b64encode(bytes(private.public_key)).decode(),
        base64.b64encode(bytes(private)).decode(),
    )


def _demo_allowed() -> bool:
    return bool(settings.IDX_DEMO) and settings.IDX_ROLE == "all" and not settings.IDX_MY_NUMBER_PUBLIC_KEY


@lru_cache(maxsize=4)
def _demo_private_key(path: str) -> PrivateKey:
    """The demo's key pair, made on first use and kept in IDX_DATA_DIR (never in production)."""
    file = Path(path)
    if file.exists():
        return PrivateKey(_decode_key(file.read_text(encoding="utf-8"), str(file)))
    private = PrivateKey.generate()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(base64.b64encode(bytes(private)).decode() + "\n", encoding="utf-8")
    file.chmod(0o600)
    return private


def public_key() -> PublicKey:
    configured = settings.IDX_MY_NUMBER_PUBLIC_KEY
    if configured:
        return PublicKey(_decode_key(configured, "IDX_MY_NUMBER_PUBLIC_KEY"))
    if _demo_allowed():
        return _demo_private_key(str(settings.IDX_MY_NUMBER_DEMO_KEY_FILE)).public_key
    raise MyNumberKeyMissing("IDX_MY_NUMBER_PUBLIC_KEY is not set")


def _private_key() -> PrivateKey:
    if settings.IDX_ROLE not in ("backoffice", "all"):
        raise MyNumberUnavailable("sealed numbers are opened in the back office only")
    configured = settings.IDX_MY_NUMBER_PRIVATE_KEY
    if configured:
        return PrivateKey(_decode_key(configured, "IDX_MY_NUMBER_PRIVATE_KEY"))
    if _demo_allowed():
        return _demo_private_key(str(settings.IDX_MY_NUMBER_DEMO_KEY_FILE))
    raise MyNumberUnavailable("IDX_MY_NUMBER_PRIVATE_KEY is not configured in this process")


def can_unseal() -> bool:
    """True when this process holds the private key (and is allowed to use it)."""
    try:
        _private_key()
    except (MyNumberUnavailable, ValueError):
        return False
    return True


def seal(number: str, *, context: str) -> str:
    """The sealed token of a valid number, bound to ``context`` (the application's public id)."""
    if not is_valid(number):
        raise ValueError("not a valid 個人番号")
    public = public_key()
    box = SealedBox(public).encrypt(f"{number}|{context}".encode())
    encoded = base64.urlsafe_b64encode(box).decode().rstrip("=")
    return f"{TOKEN_PREFIX}{key_id(public)}:{encoded}"


def unseal(token: str, *, context: str) -> str:
    """The clear number of a token; only the back office with the private key can call this.

    Callers must have checked the staff member's permission and re-authentication, and audit
    the opening (``idx.applications.services.my_number_unseal`` does both).
    """
    private = _private_key()
    if not is_sealed_token(token):
        raise MyNumberSealBroken("not a sealed token")
    _prefix, _version, kid, encoded = token.split(":")
    if kid != key_id(private.public_key):
        raise MyNumberSealBroken("sealed with another key")
    try:
        data = SealedBox(private).decrypt(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (CryptoError, ValueError) as exc:
        raise MyNumberSealBroken("the token does not open") from exc
    number, _bar, bound_to = data.decode().partition("|")
    if bound_to != context or not is_valid(number):
        raise MyNumberSealBroken("the token belongs to another application")
    return number
