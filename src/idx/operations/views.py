"""/healthz (alive), /readyz (database, cache, queue, storage) and /metrics (protected).

These answer on every role and every host name (load balancers probe by address), without a
session, a language or a municipality; none of them says more than which dependency failed.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from idx.common.files import storage_check
from idx.operations.metrics import exposition

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is asked (a load balancer's liveness probe)."""
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("idx:readyz", "1", 30)
    if cache.get("idx:readyz") != "1":
        raise RuntimeError("the cache did not keep a value")


def _queue() -> None:
    if settings.IDX_TASK_BACKEND == "rq":
        import django_rq

        django_rq.get_connection("default").ping()
    elif settings.IDX_TASK_BACKEND == "database":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.only("id").first()


def _storage() -> None:
    storage = default_storage
    if isinstance(getattr(storage, "_wrapped", storage), FileSystemStorage):
        folder = Path(storage.location)  # type: ignore[attr-defined]
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # made on the first upload: its nearest folder must be writable
        if not os.access(folder, os.W_OK):
            raise PermissionError("the storage folder is not writable")
    else:
        storage_check(storage)  # asks the object storage itself (a HEAD on the bucket for S3)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "queue": _queue,
    "storage": _storage,
}


# Without these a node cannot serve; without the others (Redis as cache and queue) it serves in
# the degraded modes of decision 0035, so the balancer must keep sending it requests.
ESSENTIAL = ("database", "storage")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the file storage answer ("degraded" when the cache or the task
    queue does not: the node still serves, decision 0035); otherwise 503. The failed checks are
    named, never why (error texts may hold addresses or credentials)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            logger.warning("readiness: %s failed (%s)", name, type(exc).__name__)
            results[name] = "failed"
    failed = [name for name, result in results.items() if result != "ok"]
    not_ready = any(name in ESSENTIAL for name in failed)
    status = "not ready" if not_ready else "degraded" if failed else "ready"
    response = JsonResponse(
        {"status": status, "checks": results, "failed": failed}, status=503 if not_ready else 200
    )
    if not_ready:
        response["Retry-After"] = "5"
    return response


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.IDX_METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    # An allowed address counts only for a scraper connecting directly, never through a proxy
    # (behind a proxy on the same host every request would come from 127.0.0.1).
    if request.META.get("HTTP_X_FORWARDED_FOR") or request.META.get("HTTP_FORWARDED"):
        return False
    return request.META.get("REMOTE_ADDR", "") in settings.IDX_METRICS_ALLOWED_ADDRESSES


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's text format, for IDX_METRICS_TOKEN or IDX_METRICS_ALLOWED_ADDRESSES only;
    anyone else finds nothing here (404)."""
    if not _metrics_allowed(request):
        raise Http404
    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
