"""Reads that may lag a few seconds go to the read replica (docs/configuration.md, IDX_DATABASE_REPLICA_URL).

Nothing reads from the replica unless it asks: a front-door view of a dashboard or an export runs
inside ``reading_from_replica()`` (or is decorated with ``replica_reads``). Everything else, and
every write, uses the primary. Without the setting there is no ``replica`` alias and the router
always answers "default".

Two rules keep the replica's lag harmless:

- a read inside a transaction on the primary stays on the primary (a service that reads what it is
  about to change, such as the audit chain's last entry, must see the latest row);
- writes, ``select_for_update()`` and ``get_or_create()`` always go to the primary (Django asks
  ``db_for_write`` for those).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http.response import HttpResponseBase

REPLICA_ALIAS = "replica"

_reading: ContextVar[bool] = ContextVar("idx_reading_from_replica", default=False)

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads in this block may go to the replica (when one is configured)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def is_reading_from_replica() -> bool:
    """True inside ``reading_from_replica()`` (whether or not a replica is configured)."""
    return _reading.get()


def chunks_from_replica(chunks: Iterable[Any]) -> Iterator[Any]:
    """The chunks of a streamed download, each made inside ``reading_from_replica()``: the body of
    a streamed response is read after the view has returned, outside the view's own block."""
    iterator = iter(chunks)
    while True:
        with reading_from_replica():
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


def replica_reads(view: F) -> F:
    """Decorator for a front-door view that only reads (a dashboard, an export): its queries, and
    those of a streamed response's body, may go to the replica."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with reading_from_replica():
            response = view(*args, **kwargs)
        if isinstance(response, HttpResponseBase) and getattr(response, "streaming", False):
            streaming = cast(Any, response)
            streaming.streaming_content = chunks_from_replica(streaming.streaming_content)
        return response

    return cast(F, wrapped)


class ReplicaRouter:
    """DATABASE_ROUTERS entry when IDX_DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if (
            _reading.get()
            and REPLICA_ALIAS in settings.DATABASES
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Both aliases hold the same rows (the replica copies the primary).
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
