"""Input types that accept only what the OpenAPI document says (pydantic's lax mode accepts more).

Lax mode turns ``0`` into ``false``, ``"5"`` into ``5`` and ``"0"`` into 1970-01-01: a client that
sends those has a bug the API should name (422), not guess around.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, StrictBool, StrictInt

__all__ = ["IsoDate", "IsoDateTime", "StrictBool", "StrictInt"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE
)


def _iso(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"not an ISO 8601 {what}")
        return value

    return check


IsoDate = Annotated[dt.date, BeforeValidator(_iso(_DATE, "date (YYYY-MM-DD)"))]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso(_DATETIME, "date-time"))]
