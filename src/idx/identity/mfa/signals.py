"""Start the idle clock of a staff session when it signs in (also for ``force_login`` in tests)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

SEEN_KEY = "idx_staff_seen_at"


@receiver(user_logged_in, dispatch_uid="idx.identity.mfa.staff_seen_at")
def _staff_signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and getattr(user, "is_staff_member", False) and hasattr(request, "session"):
        request.session[SEEN_KEY] = time.time()
