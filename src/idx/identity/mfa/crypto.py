"""Encryption of TOTP secrets at rest.

A TOTP secret must be readable by the server (it computes the expected codes), so it is encrypted
rather than hashed: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived by HKDF from
``SECRET_KEY``. ``SECRET_KEY_FALLBACKS`` still decrypt after a key rotation; a database dump alone
does not reveal the secrets.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"idx.identity.mfa.totp-secret.v1"


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _multi() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(key) for key in keys])


def encrypt_secret(secret: str) -> str:
    return _multi().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    return _multi().decrypt(token.encode()).decode()
