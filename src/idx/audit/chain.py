"""The hash chain over audit entries (改ざん検知): how one entry's SHA-256 is computed.

Each municipality has its own chain. An entry's hash covers its id-independent fields and the
hash of the entry before it, so changing, inserting or deleting a row breaks the chain from that
point on. The canonical form below is a stored contract: changing it invalidates every existing
hash, so only ever add a new version next to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64
# The columns an entry's hash is computed from, with its id to keep the chain in order by.
HASHED_FIELDS = (
    "id",
    "municipality_id",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
    "created_at",
)


def normalize_json(value: Any) -> Any:
    """The value as the database gives it back: JSON types only, integral floats as ints.

    PostgreSQL's jsonb stores numbers as numeric (``1e20`` comes back as an integer), so floats
    that are whole numbers are hashed as integers on every backend.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(key): normalize_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalize_json(item) for item in value]
    return value


def canonical_timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def compute_entry_hash(
    *,
    municipality_id: int,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    before: Any,
    after: Any,
    created_at: dt.datetime,
    previous_hash: str,
) -> str:
    """SHA-256 (hex) over the sorted-key JSON of the entry's fields and its predecessor's hash."""
    payload = {
        "municipality": municipality_id,
        "actor": actor_id,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "before": normalize_json(before),
        "after": normalize_json(after),
        "created_at": canonical_timestamp(created_at),
        "previous_hash": previous_hash,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
