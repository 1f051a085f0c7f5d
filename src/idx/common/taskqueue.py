"""The RQ task backend, made to survive Redis being away (``IDX_TASK_BACKEND=rq``).

Enqueueing happens after a transaction has committed (``transaction.on_commit``): a submission, a
status change or an alert is already in the database. If Redis does not answer then, the plain
backend raises, the request that committed answers 500 and the task is gone, with whatever it
would have done (the applicant's notice, an alert's fan-out). Here the task is written instead
to the database's own task table (django-tasks-db's rows, the same the database backend uses) and
moved to Redis by :func:`tasks_relay` once Redis answers again: on the next enqueue that gets
through (at most every ``RELAY_EVERY_SECONDS`` per process) and from ``idx notifications requeue``
(run by cron). Tasks are idempotent (docs/decisions: persist first, then enqueue), so a task
relayed twice after a crash does no harm.

See docs/decisions/0035-degraded-modes.md.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks.base import Task, TaskResult
from django_tasks_rq.backend import RQBackend
from redis.exceptions import RedisError

logger = logging.getLogger("idx.common.taskqueue")

RELAY_EVERY_SECONDS = 15
RELAY_BATCH = 500
_lock = threading.Lock()
_state = {"parked_seen": 0.0, "last_relay": 0.0, "last_warning": 0.0}


class ResilientRQBackend(RQBackend):
    """RQ, with the database as the place a task waits while Redis is unavailable."""

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        try:
            result = super().enqueue(task, args, kwargs)
        except RedisError as exc:
            return self._park(task, args, kwargs, exc)
        if _state["parked_seen"] and time.monotonic() - _state["last_relay"] >= RELAY_EVERY_SECONDS:
            _relay_quietly()
        return result

    def enqueue_to_redis(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        """Enqueue on Redis only (raises when it does not answer): the relay's way in."""
        return super().enqueue(task, args, kwargs)

    def _park(self, task: Task, args: Any, kwargs: Any, exc: Exception) -> TaskResult:
        from django_tasks_db.backend import DatabaseBackend

        now = time.monotonic()
        if now - _state["last_warning"] >= 10:
            _state["last_warning"] = now
            logger.warning(
                "task queue unavailable (%s); tasks are kept in the database until it answers",
                type(exc).__name__,
            )
        _state["parked_seen"] = now
        database: Any = DatabaseBackend(self.alias, {"QUEUES": list(self.queues), "OPTIONS": {}})
        result: TaskResult = database.enqueue(task, args, kwargs)
        return result


def _relay_quietly() -> None:
    try:
        tasks_relay()
    except Exception:  # noqa: BLE001 - the relay is best effort here; cron runs it too
        logger.warning("relaying parked tasks failed; cron will try again", exc_info=True)


def parked_count() -> int:
    """Tasks waiting in the database for the queue (0 when the backend is not RQ)."""
    from django_tasks_db.models import DBTaskResult

    backend = _backend()
    if backend is None:
        return 0
    return DBTaskResult.objects.ready().filter(backend_name=backend.alias).count()


def _backend() -> ResilientRQBackend | None:
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    return backend if isinstance(backend, ResilientRQBackend) else None


def tasks_relay(*, limit: int | None = RELAY_BATCH) -> int:
    """Move tasks parked in the database to Redis, oldest first; returns how many moved.

    A request relays at most ``RELAY_BATCH`` on its way; cron's ``idx notifications requeue``
    relays every parked task (``limit=None``), however many a long outage left.

    Each row is locked (``SKIP LOCKED``, so two relays share the work), enqueued on Redis and
    deleted in one transaction: a crash between the enqueue and the commit leaves the row to be
    relayed again (a harmless second run of an idempotent task), never a lost task. Stops at the
    first Redis error: the rest wait for the next relay.
    """
    from django_tasks_db.models import DBTaskResult

    backend = _backend()
    if backend is None:
        return 0
    with _lock:
        _state["last_relay"] = time.monotonic()
        moved = 0
        while limit is None or moved < limit:
            with transaction.atomic():
                row = (
                    DBTaskResult.objects.ready()
                    .filter(backend_name=backend.alias)
                    .order_by("enqueued_at")
                    .select_for_update(skip_locked=True)
                    .first()
                )
                if row is None:
                    _state["parked_seen"] = 0.0
                    break
                task = import_string(row.task_path).using(queue_name=row.queue_name)
                try:
                    backend.enqueue_to_redis(task, row.args_kwargs["args"], row.args_kwargs["kwargs"])
                except RedisError:
                    logger.warning("task queue still unavailable; %s", "parked tasks wait")
                    return moved
                row.delete()
                moved += 1
        if moved:
            logger.info("relayed %d parked tasks to the task queue", moved)
        return moved
