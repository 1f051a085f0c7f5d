"""The request id follows a request into the tasks it enqueues: kept for a day in the shared cache
under the task's id, and set again while a worker runs the task (every backend sends django-tasks'
signals: the database worker, RQ's, and the immediate one of the tests). A task a task enqueues
carries the same id on."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.dispatch import receiver
from django_tasks import signals as task_signals
from django_tasks.signals import task_enqueued, task_finished, task_started

from idx.operations.context import request_id, request_id_reset, request_id_set

logger = logging.getLogger("idx.tasks")
_KEY = "idx:task-request:{}"
_tokens: dict[str, object] = {}


@receiver(task_enqueued)
def _remember_request(sender: Any, task_result: Any, **kwargs: Any) -> None:
    current = request_id()
    if not current:
        return
    try:
        cache.set(_KEY.format(task_result.id), current, 24 * 60 * 60)
    except Exception as exc:  # noqa: BLE001 - a cache outage never stops a task being enqueued
        logger.warning("the request id of task %s was not kept (%s)", task_result.id, type(exc).__name__)
    logger.info("task enqueued id=%s path=%s", task_result.id, task_result.task.module_path)


@receiver(task_started)
def _restore_request(sender: Any, task_result: Any, **kwargs: Any) -> None:
    try:
        remembered = cache.get(_KEY.format(task_result.id))
    except Exception:  # noqa: BLE001 - without the cache the task runs without the request's id
        remembered = None
    if remembered:
        _tokens[str(task_result.id)] = request_id_set(str(remembered))


@receiver(task_finished)
def _forget_request(sender: Any, task_result: Any, **kwargs: Any) -> None:
    token = _tokens.pop(str(task_result.id), None)
    if token is not None:
        request_id_reset(token)


# django-tasks logs "Task id=… state=RUNNING" from its own receiver, connected before ours: put it
# after ours so that the worker's line for the start of a task carries the request's id too.
if task_started.disconnect(task_signals.log_task_started):
    task_started.connect(task_signals.log_task_started)
