"""One error type for what a domain refuses: ``DomainError``.

A service raises a sub-class of :class:`DomainError` when it cannot do what was asked (the input
is wrong, the caller may not, the record changed meanwhile…). Each front door renders it in one
place: the API as its problem JSON (``idx.api.base``), the pages as a form error
(``idx.web.errors``). The error carries:

* ``code``: a stable machine string (``changed_meanwhile``); clients may rely on it;
* ``message``: the text for people, lazily translated (``gettext_lazy``), with ``%(name)s``
  placeholders filled from ``params``;
* ``field``: the input it concerns (a form field, an answer path), or ``None`` for the whole request;
* ``params``: extra values (for the message, and for programs);
* ``http_status``: the status the API answers with (the class chooses it, 400 unless it says otherwise).

Positional arguments stay the exception's ``args`` (what ``str(error)`` and logs show), as before;
``message``, ``code``, ``field`` and ``params`` are keywords, so the families that existed before
this type keep their constructors.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise

__all__ = ["DomainError"]


class DomainError(Exception):
    """Something a domain refuses to do; sub-classes name the reason (see the module's text)."""

    code: str = "error"
    message: str | Promise = ""
    field: str | None = None
    http_status: int = 400

    def __init__(
        self,
        *args: Any,
        message: str | Promise | None = None,
        code: str | None = None,
        field: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        if not args and message is not None:
            args = (message,)
        super().__init__(*args)
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        if field is not None:
            self.field = field
        self.params: dict[str, Any] = dict(params or {})

    def text(self) -> str:
        """The message for people, in the active language, placeholders filled; else ``str(self)``."""
        if not self.message:
            return str(self) or self.code
        text = str(self.message)
        if self.params:
            try:
                return text % self.params
            except (KeyError, TypeError, ValueError):
                return text
        return text
