"""Writing many message rows at once in constant memory: the one fan-out of alerts and notices.

``fan_out`` writes the rows a generator yields (streamed, never all in memory), skipping
idempotency keys that exist, so a crashed fan-out is resumed by running it again; then it enqueues
the external sends in batches of ``DELIVERY_BATCH`` per task.

On PostgreSQL the rows stream through ``COPY`` into a temporary table and one
``INSERT … ON CONFLICT (idempotency_key) DO NOTHING`` moves them over: an order of magnitude
faster than ``bulk_create`` for a hundred thousand residents, with the same result (rows that
exist already are skipped). Other databases use ``bulk_create`` in chunks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from idx.notifications.models import Message, MessageStatus

COLUMNS = (
    "municipality_id",
    "created_at",
    "updated_at",
    "recipient_id",
    "channel",
    "address",
    "purpose",
    "topic",
    "subject",
    "body",
    "language",
    "emergency",
    "idempotency_key",
    "status",
    "attempts",
    "last_error",
    "not_before",
    "sent_at",
    "read_at",
    "alert_id",
    "notice_id",
)
CHUNK = 1000
COPY_CHUNK = 5000
DELIVERY_BATCH = 200


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterable[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def message_row(
    *,
    municipality_id: int,
    now: dt.datetime,
    recipient_id: int,
    channel: str,
    address: str,
    purpose: str,
    topic: str,
    subject: str,
    body: str,
    language: str,
    emergency: bool,
    idempotency_key: str,
    delivered: bool,
    alert_id: int | None = None,
    notice_id: int | None = None,
    not_before: dt.datetime | None = None,
) -> tuple[Any, ...]:
    """One row in ``COLUMNS`` order."""
    return (
        municipality_id,
        now,
        now,
        recipient_id,
        channel,
        address,
        purpose,
        topic,
        subject[:200],
        body,
        language,
        emergency,
        idempotency_key,
        MessageStatus.DELIVERED.value if delivered else MessageStatus.QUEUED.value,
        0,
        "",
        None if delivered else not_before,
        now if delivered else None,
        None,
        alert_id,
        notice_id,
    )


def insert_messages(rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (``COLUMNS`` order), skipping idempotency keys that exist; call in a transaction."""
    table = Message._meta.db_table
    columns = ", ".join(COLUMNS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS idx_message_load AS "  # noqa: S608 - names from the model
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            cursor.execute("TRUNCATE idx_message_load")
            # ``rows`` may read the database itself (a cursor over the recipients): the connection
            # cannot answer a query during COPY, so each COPY takes one buffered chunk.
            for chunk in _chunks(rows, COPY_CHUNK):
                with cursor.copy(f"COPY idx_message_load ({columns}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM idx_message_load "  # noqa: S608
                "ON CONFLICT (idempotency_key) DO NOTHING"
            )
            cursor.execute("TRUNCATE idx_message_load")
        return
    batch: list[Message] = []
    for row in rows:
        batch.append(Message(**dict(zip(COLUMNS, row, strict=True))))
        if len(batch) >= CHUNK:
            Message.objects.bulk_create(batch, ignore_conflicts=True)
            batch.clear()
    if batch:
        Message.objects.bulk_create(batch, ignore_conflicts=True)


def fan_out(rows: Iterable[tuple[Any, ...]], *, messages: QuerySet[Message], done: Callable[[], None]) -> int:
    """Write ``rows`` (``message_row`` tuples) and call ``done`` in one transaction, then enqueue
    the queued ones among ``messages`` (the rows of this alert or notice) in batches of
    ``DELIVERY_BATCH``; returns how many of ``messages`` are new."""
    from idx.notifications.services import enqueue_batch

    before = messages.count()
    with transaction.atomic():
        insert_messages(rows)
        done()
    # After commit: the external sends, in batches of DELIVERY_BATCH per task.
    pending = messages.filter(status=MessageStatus.QUEUED).values_list("pk", flat=True)
    ids: list[int] = []
    for message_id in pending.iterator(chunk_size=CHUNK):
        ids.append(message_id)
        if len(ids) >= DELIVERY_BATCH:
            enqueue_batch(ids)
            ids = []
    if ids:
        enqueue_batch(ids)
    return messages.count() - before
