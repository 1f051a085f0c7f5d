"""Participation (processes, proposals, supports, budgeting) in the JSON API.

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

from ninja import Router

router: Router = Router(tags=["participation"], auth=None)
staff: Router = Router(tags=["staff"])
