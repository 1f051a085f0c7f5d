"""One SudachiPy dictionary per process, shared by furigana and the assistant.

Loading ``sudachidict-core`` costs about 140 MB of a worker's memory; tokenizers made from the
same ``Dictionary`` share it. Tokenizers themselves are not thread-safe, so callers keep one per
thread.
"""

from __future__ import annotations

import threading
from typing import Any

_dictionary: Any = None
_lock = threading.Lock()


def dictionary() -> Any:
    global _dictionary
    if _dictionary is None:
        with _lock:
            if _dictionary is None:
                from sudachipy import Dictionary

                _dictionary = Dictionary(dict="core")
    return _dictionary
