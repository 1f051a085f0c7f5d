"""The request type views see after IDX's middleware: a municipality is always set.

``user`` is typed as the IDX user; views that need a signed-in user are wrapped in a decorator
that checks it, and public views only ask ``is_authenticated``.
"""

from __future__ import annotations

from django.http import HttpRequest

from idx.common.models import Municipality
from idx.identity.models import User


class IdxRequest(HttpRequest):
    municipality: Municipality
    user: User
