"""What a configuration change changed, for its audit entry (``config.<thing>.update``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def changed_fields(
    before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) limited to the fields whose value differs; everything of ``after`` when
    there was nothing before. Callers pass no secret (a password, a key, a token) in either."""
    if before is None:
        return {}, dict(after)
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}
