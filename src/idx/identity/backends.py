"""Sign-in by e-mail and password within the request's municipality."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from idx.identity.models import User


class MunicipalityEmailBackend(BaseBackend):
    def authenticate(
        self, request: HttpRequest | None, email: str | None = None, password: str | None = None, **_: Any
    ) -> User | None:
        municipality = getattr(request, "municipality", None)
        if municipality is None or not email or password is None:
            return None
        user = User.objects.filter(municipality=municipality, email=email.strip().lower()).first()
        if user is None:
            User().set_password(password)  # same work either way, so timing does not reveal accounts
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id: int) -> User | None:
        return (
            User.objects.select_related("department", "municipality")
            .filter(pk=user_id, is_active=True)
            .first()
        )
