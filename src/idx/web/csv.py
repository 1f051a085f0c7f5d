"""CSV downloads: one writer, UTF-8 with a BOM, every cell guarded against spreadsheet formulas.

Spreadsheet programs in Japan read UTF-8 correctly only with a byte-order mark. A cell that
starts like a formula gets a leading apostrophe (``idx.common.spreadsheet``, the one CSV writer
every layer uses). Rows a domain has already guarded (a file IDX also reads back, such as the FAQ
export) are written as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

from idx.common.spreadsheet import BOM, csv_chunks

__all__ = ["BOM", "csv_download", "csv_lines"]


def csv_lines(rows: Iterable[Iterable[object]], *, guarded: bool = False) -> Iterator[str]:
    """The BOM, then one CSV line per row; ``guarded`` rows already went through the formula guard."""
    return csv_chunks(rows, guarded=guarded)


def csv_download(chunks: Iterable[str], filename: str) -> StreamingHttpResponse:
    """A streamed CSV file the browser saves as ``filename``."""
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
