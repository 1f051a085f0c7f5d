"""Log records as JSON lines with the request id (IDX_LOG_FORMAT=json; docs/operations.md).

The request id comes from the proxy's X-Request-ID or is made per request, and follows the request
into the tasks it enqueued (idx.operations.signals). Nothing here adds personal data to a record:
request bodies, cookies and headers are dropped before (idx.common.security.DropRequestDataFilter).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from idx.operations.context import request_id


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
