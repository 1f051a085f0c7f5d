"""API of the FAQ assistant and inquiries."""

from ninja import Router

router = Router(tags=["assistant"], auth=None)
staff = Router(tags=["staff"])
