"""Shared pieces of the fault scripts: the topology, an SMTP sink, a mixed load, the checks.

Every fault script starts the reference topology (deploy/topology.py) unless given one, puts a
mixed load on it through the load balancer, breaks one thing, mends it, and checks the invariants
in the database and at the mail sink:

- no answer is a 500; every 503 carries ``Retry-After``;
- every logical submission (one ``Idempotency-Key``) is one application, submitted exactly once,
  after the resident's client retried what failed (the retries are counted);
- every message of the batch reaches the SMTP sink exactly once (each has its own address).

Residents submit through the API: create the draft with an ``Idempotency-Key`` (a retry returns the
same draft), save the answers, submit; a retried submission that finds the application submitted
(409 with status ``submitted``) is the earlier attempt having gone through. Browsers read pages.
Standard library plus aiosmtpd (a test dependency).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[2]
for folder in (REPO / "deploy", REPO / "src", REPO):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

PROCEDURE = "event-registration"  # no fee, no signature: a submission is one request
MUNICIPALITY = "iga"


# ---- mail sink ---------------------------------------------------------------------------------


class Sink:
    """An SMTP server on loopback that counts what it receives per recipient address."""

    def __init__(self) -> None:
        self.port = 0
        self.received: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        with self._lock:
            for address in envelope.rcpt_tos:
                self.received[address.lower()] += 1
        return "250 Message accepted for delivery"

    def start(self) -> Sink:
        import logging

        from aiosmtpd.controller import Controller
        from tests.servers import free_port

        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def counts(self, addresses: list[str]) -> tuple[int, int]:
        """(how many of ``addresses`` arrived at least once, how many arrived more than once)."""
        with self._lock:
            arrived = sum(1 for address in addresses if self.received.get(address, 0) >= 1)
            repeated = sum(1 for address in addresses if self.received.get(address, 0) > 1)
        return arrived, repeated


class MailboxSink:
    """The session topology's mailbox (tests/e2e/e2e_support.Mailbox) seen as a :class:`Sink`."""

    def __init__(self, mailbox: Any) -> None:
        self.mailbox = mailbox

    def counts(self, addresses: list[str]) -> tuple[int, int]:
        wanted = set(addresses)
        seen: Counter[str] = Counter()
        for mail in list(self.mailbox.messages):
            for address in mail.to:
                if address in wanted:
                    seen[address] += 1
        return len(seen), sum(1 for count in seen.values() if count > 1)


# ---- the topology ------------------------------------------------------------------------------


class DatabaseSink:
    """Where no sink of ours receives the mail (a topology started by someone else): a message
    counts as arrived when its row is ``delivered``; repeats are counted by whoever holds the SMTP
    server (tests/topology/test_faults.py counts them in the session's mailbox)."""

    def counts(self, addresses: list[str]) -> tuple[int, int]:
        from idx.notifications.models import Message

        return Message.objects.filter(address__in=addresses, status="delivered").count(), 0


@contextlib.contextmanager
def topology_for(args: argparse.Namespace) -> Iterator[tuple[Any, Any]]:
    """(topology, sink): a fresh topology in a temporary folder, stopped and removed afterwards;
    or, with ``--attach``, the one running in that folder (left running)."""
    from topology import Topology, free_base_port, remove_workdir

    if args.attach:
        yield Topology.attach(args.attach), DatabaseSink()
        return

    sink = Sink().start()
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="idx-faults-"))
    topo = Topology(
        workdir=workdir, base_port=args.base_port or free_base_port(), seed=True, email_port=sink.port
    )
    began = time.monotonic()
    try:
        with topo:
            print(f"topology up in {time.monotonic() - began:.0f} s at {topo.portal_url}", flush=True)
            yield topo, sink
    finally:
        sink.stop()
        if not args.workdir:
            remove_workdir(workdir)


def django_for(topo: Any) -> None:
    """Configure Django in this process like the topology's nodes (set-up and checks only)."""
    env = topo.env()
    for key, value in env.items():
        if key.startswith(("IDX_", "DJANGO_", "DATABASE_URL")):
            os.environ[key] = value
    import django
    from django.conf import settings

    if not settings.configured or not hasattr(django, "_faults_ready"):
        django.setup()
        django._faults_ready = True  # type: ignore[attr-defined]


def reconnect() -> None:
    """Drop this process's database connections (after PostgreSQL was restarted)."""
    from django.db import connections

    for connection in connections.all():
        with contextlib.suppress(Exception):
            connection.close()


def parser(description: str) -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(description=description)
    command.add_argument("--workdir", help="keep the topology in this folder (default: a temporary one)")
    command.add_argument("--attach", help="use the topology already running in this folder")
    command.add_argument("--base-port", type=int, default=0)
    command.add_argument("--submitters", type=int, default=6)
    command.add_argument("--browsers", type=int, default=3)
    command.add_argument("--json", help="write the figures to this file")
    return command


# ---- set-up in the database --------------------------------------------------------------------


@dataclass
class Prepared:
    run_id: str
    tokens: list[str]
    answers: dict[str, Any]


def prepare(run_id: str, residents: int) -> Prepared:
    """Residents of 伊賀市 with an API token each, and valid answers for the procedure."""
    from django.utils import timezone

    from idx.applications.answers import visible_answers
    from idx.common.models import Municipality
    from idx.identity.models import ApiToken, Role, User
    from idx.procedures.definition import validate_answers
    from idx.procedures.models import Procedure

    municipality = Municipality.objects.get(slug=MUNICIPALITY)
    now = timezone.now()
    users = User.objects.bulk_create(
        [
            User(
                municipality=municipality,
                email=f"fault-{run_id}-r{index}@iga.example.jp",
                full_name=f"障害 試験{index}",
                full_name_kana="ショウガイ シケン",
                role=Role.RESIDENT,
                password="!fault-test",  # noqa: S106 - no usable password: they use their token
                email_verified_at=now,
            )
            for index in range(residents)
        ]
    )
    raws = [ApiToken.new_raw_token() for _ in users]
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                municipality=municipality,
                user=user,
                name=f"fault {run_id}",
                token_hash=ApiToken.hash(raw),
                prefix=raw[:12],
                last_used_at=now,
            )
            for user, raw in zip(users, raws, strict=True)
        ]
    )
    version = (
        Procedure.objects.select_related("published_version")
        .get(municipality=municipality, code=PROCEDURE)
        .published_version
    )
    example = copy.deepcopy(version.definition.get("example") or {})
    errors = validate_answers(version.parsed, visible_answers(version.parsed, example))
    if errors:
        raise SystemExit(f"the example answers of {PROCEDURE} are not valid: {errors}")
    return Prepared(run_id, raws, example)


def message_batch(run_id: str, label: str, count: int, *, enqueue: bool = True) -> list[str]:
    """``count`` e-mail messages (rows first, like every message), enqueued in batches of 50 as an
    alert's fan-out is; returns their addresses (one each, so the sink can count them)."""
    from idx.common.models import Municipality
    from idx.notifications.models import Message, MessageStatus
    from idx.notifications.services import enqueue_batch

    municipality = Municipality.objects.get(slug=MUNICIPALITY)
    addresses = [f"{run_id}-{label}{index}@fault.example.jp" for index in range(count)]
    rows = Message.objects.bulk_create(
        [
            Message(
                municipality=municipality,
                channel="email",
                address=address,
                purpose="fault-test",
                subject=f"障害試験 {label}{index}",
                body="これは障害試験のメッセージです。",
                language="ja",
                idempotency_key=f"fault:{run_id}:{label}{index}",
                status=MessageStatus.QUEUED,
            )
            for index, address in enumerate(addresses)
        ]
    )
    if enqueue:
        ids = [row.pk for row in rows]
        for start in range(0, len(ids), 50):
            enqueue_batch(ids[start : start + 50])
    return addresses


def message_states(addresses: list[str]) -> dict[str, int]:
    from django.db.models import Count

    from idx.notifications.models import Message

    rows = Message.objects.filter(address__in=addresses).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def cron_requeue(stuck_seconds: int) -> tuple[int, int]:
    """What cron's ``idx notifications requeue`` does: relay parked tasks, enqueue due messages."""
    import datetime as dt

    from idx.common.taskqueue import tasks_relay
    from idx.notifications.services import messages_requeue

    relayed = tasks_relay(limit=None)
    return relayed, messages_requeue(older_than=dt.timedelta(seconds=stuck_seconds))


def parked_tasks() -> int:
    from idx.common.taskqueue import parked_count

    return parked_count()


# ---- the load ----------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0 when no HTTP answer
    kind: str  # "2xx", "409", "503+retry-after", "503", "500", "refused", "reset", "timeout", …
    body: bytes = b""
    retry_after: float | None = None
    at: float = 0.0


@dataclass
class Figures:
    started: float = field(default_factory=time.monotonic)
    requests: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    submissions_started: int = 0
    submitted_first_try: int = 0
    submitted_after_retry: int = 0
    submit_found_already_submitted: int = 0
    submissions_unfinished: int = 0
    browses: int = 0
    failures: list[tuple[float, str]] = field(default_factory=list)  # (time, kind) of non-2xx/4xx
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, answer: Answer) -> None:
        with self.lock:
            self.requests += 1
            self.answers[answer.kind] += 1
            if answer.kind not in ("2xx", "3xx", "404", "409"):
                self.failures.append((answer.at, answer.kind))


def call(base: str, method: str, path: str, token: str = "", body: Any = None, key: str = "") -> Answer:
    parsed = urlparse(base)
    headers = {"Accept": "application/json", "Host": parsed.netloc}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=15)
    now = time.monotonic()
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        content = response.read()
        status = response.status
        retry_after = response.getheader("Retry-After")
    except ConnectionRefusedError:
        return Answer(0, "refused", at=now)
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
        return Answer(0, "reset", at=now)
    except TimeoutError:
        return Answer(0, "timeout", at=now)
    except http.client.HTTPException as exc:  # IncompleteRead: the node died mid-answer
        return Answer(0, type(exc).__name__, at=now)
    except OSError as exc:
        return Answer(0, type(exc).__name__, at=now)
    finally:
        connection.close()
    if 200 <= status < 300:
        kind = "2xx"
    elif 300 <= status < 400:
        kind = "3xx"
    elif status == 503:
        kind = "503+retry-after" if retry_after else "503 without retry-after"
        if not retry_after and b"No server is available" in content:
            kind = "503 from the balancer without retry-after"
    else:
        kind = str(status)
    wait = float(retry_after) if retry_after and retry_after.isdigit() else None
    return Answer(status, kind, content, wait, now)


class Load:
    """Residents submitting and browsing through the balancer until :meth:`stop`."""

    def __init__(self, base: str, prepared: Prepared, figures: Figures, submitters: int, browsers: int):
        self.base = base
        self.prepared = prepared
        self.figures = figures
        self.stopping = threading.Event()
        self.keys: dict[str, dict[str, Any]] = {}  # idempotency key -> {"id", "done", "first_try"}
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._submitter, args=(index,), daemon=True)
            for index in range(submitters)
        ] + [threading.Thread(target=self._browser, args=(index,), daemon=True) for index in range(browsers)]
        self._counter = 0

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _retrying(
        self, attempt: Callable[[], Answer], ok: Callable[[Answer], bool], give_up: float
    ) -> Answer:
        """Send until ``ok``; a 4xx other than 409/429 is final. Waits ``Retry-After`` (at most 5 s)."""
        first = True
        while True:
            answer = attempt()
            self.figures.record(answer)
            if ok(answer) or (400 <= answer.status < 500 and answer.status not in (409, 429)):
                return answer
            if time.monotonic() > give_up:
                return answer
            if not first:
                pass
            first = False
            with self.figures.lock:
                self.figures.retries += 1
            time.sleep(min(answer.retry_after or 0.5, 5.0))

    def submit_one(self, token: str, key: str, give_up: float) -> bool:
        """One resident's submission under ``key``, retried until it is through or ``give_up``."""
        entry = self.keys.setdefault(key, {"id": None, "done": False, "first_try": False, "token": token})
        if entry["id"] is None:
            created = self._retrying(
                lambda: call(self.base, "POST", "/api/v1/applications", token, {"procedure": PROCEDURE}, key),
                lambda answer: answer.status in (200, 201),
                give_up,
            )
            if created.status not in (200, 201):
                return False
            entry["id"] = json.loads(created.body)["id"]
        path = f"/api/v1/applications/{entry['id']}"
        saved = self._retrying(
            lambda: call(self.base, "PATCH", path, token, {"answers": self.prepared.answers}),
            lambda answer: answer.status in (200, 409),  # 409: submitted already by an earlier try
            give_up,
        )
        if saved.status not in (200, 409):
            return False
        tries = 0

        def submit() -> Answer:
            nonlocal tries
            tries += 1
            return call(self.base, "POST", f"{path}/submit", token, {"declaration_accepted": True})

        answer = self._retrying(submit, lambda answer: answer.status in (200, 409), give_up)
        if answer.status == 200:
            entry["done"] = True
            entry["first_try"] = tries == 1
            with self.figures.lock:
                if tries == 1:
                    self.figures.submitted_first_try += 1
                else:
                    self.figures.submitted_after_retry += 1
            return True
        if answer.status == 409:
            state = call(self.base, "GET", path, token)
            if state.status == 200 and json.loads(state.body).get("status") != "draft":
                entry["done"] = True
                with self.figures.lock:
                    self.figures.submit_found_already_submitted += 1
                return True
        return False

    def _submitter(self, index: int) -> None:
        tokens = self.prepared.tokens
        while not self.stopping.is_set():
            with self._lock:
                self._counter += 1
                number = self._counter
            key = f"fault-{self.prepared.run_id}-{number}"
            with self.figures.lock:
                self.figures.submissions_started += 1
            self.submit_one(tokens[number % len(tokens)], key, time.monotonic() + 30)

    def _browser(self, index: int) -> None:
        paths = ["/", "/procedures/event-registration/", "/api/v1/procedures"]
        rng = random.Random(index)
        while not self.stopping.is_set():
            answer = call(self.base, "GET", rng.choice(paths))
            self.figures.record(answer)
            with self.figures.lock:
                self.figures.browses += 1
            time.sleep(0.05)

    def finish(self, give_up_seconds: float = 60) -> None:
        """After the fault: retry every submission that did not get through (a resident's client
        would), with the same idempotency key."""
        deadline = time.monotonic() + give_up_seconds
        for key, entry in list(self.keys.items()):
            if not entry["done"]:
                self.submit_one(entry["token"], key, deadline)
        with self.figures.lock:
            self.figures.submissions_unfinished = sum(1 for entry in self.keys.values() if not entry["done"])


# ---- checks ------------------------------------------------------------------------------------


def check_submissions(load: Load) -> dict[str, Any]:
    """Each key one application; each application submitted once, with its own receipt number."""
    from django.db.models import Count

    from idx.applications.models import Application, StatusChange

    keys = list(load.keys)
    applications = Application.objects.filter(idempotency_key__in=keys)
    per_key = Counter(applications.values_list("idempotency_key", flat=True))
    submitted = applications.exclude(status="draft")
    ids = list(submitted.values_list("id", flat=True))
    changes = Counter(
        dict(
            StatusChange.objects.filter(application_id__in=ids, to_status="submitted")
            .values_list("application_id")
            .annotate(n=Count("id"))
            .values_list("application_id", "n")
        )
    )
    receipts = list(submitted.values_list("receipt_number", flat=True))
    done = [key for key, entry in load.keys.items() if entry["done"]]
    done_submitted = set(submitted.filter(idempotency_key__in=done).values_list("idempotency_key", flat=True))
    return {
        "keys": len(keys),
        "keys_with_more_than_one_application": sum(1 for count in per_key.values() if count > 1),
        "keys_answered_submitted": len(done),
        "answered_submitted_but_not_in_database": len(set(done) - done_submitted),
        "applications_submitted": len(ids),
        "submitted_more_than_once": sum(1 for application_id in ids if changes.get(application_id, 0) != 1),
        "receipt_numbers_unique": len(set(receipts)) == len(receipts) and None not in receipts,
    }


def violations_of(figures: Figures, submissions: dict[str, Any]) -> list[str]:
    problems = []
    # A request in flight on a node that is killed fails (HAProxy answers 502, or the connection
    # breaks): the client retries it; kill_web_node.py checks that such failures stop at once.
    for kind, count in figures.answers.items():
        if kind == "500" or kind.startswith("503 "):
            problems.append(f"{count} answers {kind}")
    if submissions["keys_with_more_than_one_application"]:
        problems.append("an idempotency key made two applications")
    if submissions["answered_submitted_but_not_in_database"]:
        problems.append("a submission answered 2xx is not in the database")
    if submissions["submitted_more_than_once"]:
        problems.append("an application was submitted more than once")
    if not submissions["receipt_numbers_unique"]:
        problems.append("receipt numbers repeat or are missing")
    if figures.submissions_unfinished:
        problems.append(f"{figures.submissions_unfinished} submissions did not get through after the fault")
    return problems


def recovery_after(figures: Figures, moment: float) -> float | None:
    """Seconds from ``moment`` to the last failed request (None if nothing failed after it)."""
    after = [at for at, _kind in figures.failures if at >= moment]
    return round(max(after) - moment, 1) if after else None


def report(
    name: str, command: str, figures: Figures, extra: dict[str, Any], problems: list[str], path: str | None
) -> int:
    load = os.getloadavg()
    result = {
        "fault": name,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "command": command,
        "load_average": [round(value, 2) for value in load],
        "seconds": round(time.monotonic() - figures.started, 1),
        "requests": figures.requests,
        "answers": dict(figures.answers.most_common()),
        "retries": figures.retries,
        "submissions_started": figures.submissions_started,
        "submitted_first_try": figures.submitted_first_try,
        "submitted_after_retry": figures.submitted_after_retry,
        "submit_found_already_submitted": figures.submit_found_already_submitted,
        "browses": figures.browses,
        **extra,
        "violations": problems,
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if path:
        Path(path).write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print("PASS" if not problems else "FAIL: " + "; ".join(problems))
    return 1 if problems else 0


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]


def wait_until(predicate: Callable[[], bool], timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()
