"""What the open data catalog refuses, in one place for its services and the table checks."""

from __future__ import annotations

from idx.common.errors import DomainError


class OpenDataRefused(DomainError):
    """The catalog refuses the dataset or file as given; ``field`` names what to fix."""

    code = "open_data_refused"
    http_status = 422
