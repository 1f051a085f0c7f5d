"""The signed one-click link that stops one topic for one resident (no sign-in needed).

Notices put it in their text and topic e-mails in their ``List-Unsubscribe`` header
(RFC 2369, RFC 8058); the unsubscribe page checks it. A link stays valid for a year.
"""

from __future__ import annotations

from typing import Any

from django.core import signing

UNSUBSCRIBE_SALT = "idx.notifications.unsubscribe"
MAX_AGE_SECONDS = 60 * 60 * 24 * 365


class TokenInvalid(Exception):
    """The token was altered, is too old or holds nothing usable."""


def unsubscribe_token(user_id: int, topic: str) -> str:
    return signing.dumps({"u": user_id, "t": topic}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_check(token: str) -> tuple[Any, Any]:
    """(user id, topic) as signed in ``token``; raises :class:`TokenInvalid`.

    The values are as signed, unchecked: the caller looks the user and the topic up.
    """
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature as exc:
        raise TokenInvalid from exc
    if not isinstance(data, dict):
        raise TokenInvalid
    return data.get("u"), data.get("t")
