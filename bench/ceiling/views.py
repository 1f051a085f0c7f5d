"""The one view of the ceiling server: what any submission costs at least.

``POST /ceiling/submit`` with ``{"declaration_accepted": true}``:

1. parse the JSON body and check the declaration;
2. take the answers (a JSON text: the procedure's ``example``, read once from IDX's own published
   definition in the same database) and validate them as IDX does, with IDX's own functions
   (``visible_answers`` + ``validate_answers`` over the parsed definition);
3. in one transaction, three inserts into the ceiling's own tables (created by the first worker
   with ``CREATE TABLE IF NOT EXISTS``): the submission (with the answers as jsonb), its status
   change and an audit line;
4. answer a small JSON.

No authentication, no tenancy, no sessions, no ORM models, no receipt sequence: it is the lower
bound a full submission is compared with (bench/submit_ratio.py).
"""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from idx.applications.answers import visible_answers
from idx.procedures.definition import Definition, parse, validate_answers

TABLES = """
CREATE TABLE IF NOT EXISTS bench_ceiling_submission (
    id bigserial PRIMARY KEY, public_id uuid NOT NULL UNIQUE, status varchar(20) NOT NULL,
    answers jsonb NOT NULL, submitted_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS bench_ceiling_status (
    id bigserial PRIMARY KEY, submission_id bigint NOT NULL, from_status varchar(20) NOT NULL,
    to_status varchar(20) NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS bench_ceiling_audit (
    id bigserial PRIMARY KEY, action varchar(50) NOT NULL, target_id uuid NOT NULL,
    after jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
"""


@lru_cache(maxsize=1)
def _procedure() -> tuple[Definition, str]:
    """The published definition of the procedure (as IDX stores it) and its example answers as JSON."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(4242)")  # one worker creates the tables
        try:
            cursor.execute(TABLES)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(4242)")
        cursor.execute(
            "SELECT v.definition FROM procedures_procedureversion v "
            "JOIN procedures_procedure p ON p.id = v.procedure_id "
            "WHERE p.code = %s AND v.status = 'published' ORDER BY v.id DESC LIMIT 1",
            [settings.CEILING_PROCEDURE],
        )
        raw = cursor.fetchone()[0]
    data = raw if isinstance(raw, dict) else json.loads(raw)
    return parse(data), json.dumps(data["example"], ensure_ascii=False)


@csrf_exempt
@require_POST
def submit(request: HttpRequest) -> HttpResponse:
    body: Any = json.loads(request.body)
    if not isinstance(body, dict) or body.get("declaration_accepted") is not True:
        return JsonResponse({"code": "declaration_missing"}, status=422)
    definition, example = _procedure()
    answers = visible_answers(definition, json.loads(example))
    errors = validate_answers(definition, answers)
    if errors:
        return JsonResponse(
            {"code": "answers_invalid", "errors": [str(error) for error in errors]}, status=422
        )
    public_id = uuid.uuid4()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_ceiling_submission (public_id, status, answers) VALUES (%s, 'submitted', %s) "
            "RETURNING id",
            [public_id, json.dumps(answers, ensure_ascii=False)],
        )
        submission_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO bench_ceiling_status (submission_id, from_status, to_status) VALUES (%s, 'draft', 'submitted')",
            [submission_id],
        )
        cursor.execute(
            "INSERT INTO bench_ceiling_audit (action, target_id, after) VALUES ('application.submit', %s, %s)",
            [public_id, json.dumps({"status": "submitted"})],
        )
    return JsonResponse({"id": str(public_id), "status": "submitted"})
