"""Public comment (パブリックコメント) in the JSON API.

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

from ninja import Router

router: Router = Router(tags=["public_comment"], auth=None)
staff: Router = Router(tags=["staff"])
