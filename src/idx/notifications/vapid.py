"""VAPID key pairs for Web Push (RFC 8292): made by `idx notifications vapid`, and kept in the data
folder for the demo, so that its own `idx notifications check` passes without configuration."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
from pathlib import Path


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_key_pair() -> tuple[str, str]:
    """(public, private) as the environment takes them: base64url, uncompressed P-256 point and scalar."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64(public), _b64(private)


def demo_key_pair(path: Path) -> tuple[str, str]:
    """The demo's key pair from ``path``, made there on first use.

    Several processes (web workers, the task worker) may start at once: the file appears whole
    (written aside, then linked into place) and the first one made wins, so all use the same pair.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        public, private = new_key_pair()
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"public": public, "private": private}, out)
            os.chmod(temporary, 0o600)
            with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    stored = json.loads(path.read_text(encoding="utf-8"))
    return str(stored["public"]), str(stored["private"])
