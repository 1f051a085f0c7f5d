"""IDX under a realistic mix of traffic, or under a surge of applications (Locust).

    IDX_LOAD_DATA=var/load/data.json IDX_LOAD_SCENARIO=mixed \\
        .venv/bin/locust -f bench/load/locustfile.py --headless -u 40 -r 10 -t 90s --csv var/load/mixed

The data file comes from ``bench/load/prepare.py`` (residents' and clerks' API tokens, pending
payments, the webhook secret, the portal's and the back office's addresses); ``bench/load/run.py``
does all of it against the reference topology. No ``--host``: each user class knows its own
(clerks use the back office's address, everyone else the portal's).

Scenarios (``IDX_LOAD_SCENARIO``):

* ``mixed`` (default), weighted user classes: residents browsing the portal in 日本語, English and
  やさしい日本語 (``Browser``), residents applying through the API (``Applicant``), asking the FAQ
  assistant (``Asker``), paying a fee through the demo payment service (``Payer``), clerks working
  their queue through the staff API (``Clerk``), and the payment service's signed webhooks
  (``PaymentWebhook``).
* ``surge``: only ``SurgeApplicant``, households applying once each for the surge procedure at a
  fixed arrival rate (``IDX_LOAD_SURGE_PACING``: seconds between one user's applications, so the
  rate is users / pacing while the server keeps up).

Every request has a ``name`` of the form ``[class] METHOD /path/[placeholder]``: Locust's statistics
are per endpoint, and ``run.py`` sums the CPU per class (the part in brackets).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import time
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant_pacing, events, task

DATA_PATH = Path(os.environ.get("IDX_LOAD_DATA", "var/load/data.json"))
SCENARIO = os.environ.get("IDX_LOAD_SCENARIO", "mixed")
SURGE_PACING = float(os.environ.get("IDX_LOAD_SURGE_PACING", "1.0"))
ACCEPTED_PATH = os.environ.get("IDX_LOAD_ACCEPTED", "")  # surge: write the accepted ids here
ONLY = os.environ.get("IDX_LOAD_ONLY", "")  # one user class alone (run.py --isolate)
DATA: dict[str, Any] = json.loads(DATA_PATH.read_text(encoding="utf-8")) if DATA_PATH.exists() else {}
PORTAL = DATA.get("portal_url", "http://127.0.0.1:8000")
BACKOFFICE = DATA.get("backoffice_url", PORTAL)
LANGUAGES = [("ja", 70), ("en", 15), ("ja-easy", 15)]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PAYING_CARD = "4242 4242 4242 4242"

# Each user takes the next resident's token (one process: greenlets share these iterators).
_residents = itertools.cycle(DATA.get("residents") or [""])
_households = iter(DATA.get("surge_residents") or [])
_staff = itertools.cycle(DATA.get("staff_tokens") or [""])
_pending = iter((DATA.get("webhook") or {}).get("payments") or [])
_accepted: list[str] = []  # surge applications whose submission was answered 200


def _weight(scenario: str, weight: int, name: str) -> int:
    if ONLY:
        return 1 if name == ONLY else 0
    return weight if scenario == SCENARIO else 0


def _language() -> str:
    codes, weights = zip(*LANGUAGES, strict=True)
    return random.choices(codes, weights)[0]


def sign(body: bytes, secret: str, stamp: int | None = None) -> str:
    """``IDX-Signature`` as the payment service sends it (idx.payments.signing): HMAC-SHA256 of ``<t>.<body>``."""
    stamp = int(time.time()) if stamp is None else stamp
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


class ApiUser(HttpUser):
    abstract = True
    host = PORTAL
    token = ""

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json", **extra}

    def start_draft(self, procedure: str, label: str) -> str | None:
        with self.client.post(
            "/api/v1/applications",
            json={"procedure": procedure},
            headers=self.headers(**{"Idempotency-Key": f"load-{uuid.uuid4().hex}"}),
            name=f"[{label}] POST /api/v1/applications",
            catch_response=True,
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(f"{response.status_code} {response.text[:120]}")
                return None
            return str(response.json()["id"])

    def save_answers(self, application: str, answers: dict[str, Any], label: str) -> bool:
        response = self.client.patch(
            f"/api/v1/applications/{application}",
            json={"answers": answers},
            headers=self.headers(),
            name=f"[{label}] PATCH /api/v1/applications/[id]",
        )
        return response.status_code == 200

    def submit(self, application: str, label: str) -> bool:
        response = self.client.post(
            f"/api/v1/applications/{application}/submit",
            json={"declaration_accepted": True},
            headers=self.headers(),
            name=f"[{label}] POST /api/v1/applications/[id]/submit",
        )
        return response.status_code == 200


# ---- the mixed workload ---------------------------------------------------------------------


class Browser(HttpUser):
    """A resident reading the portal without signing in, in one of three languages."""

    weight = _weight("mixed", 50, "Browser")
    host = PORTAL
    wait_time = between(1, 4)

    def on_start(self) -> None:
        self.client.cookies.set("idx_language", _language())

    @task(3)
    def home(self) -> None:
        self.client.get("/", name="[browse] GET /")

    @task(2)
    def procedure_list(self) -> None:
        query = random.choice(
            ["?category=registry", "?category=childcare", "?life_event=childrearing", "?q=証明"]
        )
        self.client.get(f"/{query}", name="[browse] GET /?category|life_event|q=")

    @task(4)
    def procedure_page(self) -> None:
        code = random.choice(DATA.get("browse_codes") or ["event-registration"])
        self.client.get(f"/procedures/{code}/", name="[browse] GET /procedures/[code]/")

    @task(1)
    def procedures_api(self) -> None:
        self.client.get("/api/v1/procedures", name="[browse] GET /api/v1/procedures")


class Applicant(ApiUser):
    """A resident applying through the API: start a draft (Idempotency-Key), save the answers, submit."""

    weight = _weight("mixed", 12, "Applicant")
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.token = next(_residents)

    @task(5)
    def apply(self) -> None:
        spec = DATA["apply"]
        application = self.start_draft(spec["procedure"], "apply")
        if application and self.save_answers(application, spec["answers"], "apply"):
            self.submit(application, "apply")

    @task(1)
    def my_applications(self) -> None:
        self.client.get(
            "/api/v1/applications", headers=self.headers(), name="[apply] GET /api/v1/applications"
        )


class Asker(ApiUser):
    """A resident asking the FAQ assistant, on the page or through the API."""

    weight = _weight("mixed", 12, "Asker")
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.token = next(_residents)
        self.language = _language()
        self.client.cookies.set("idx_language", self.language)

    def question(self) -> str:
        questions = DATA.get("questions") or {}
        return random.choice(questions.get(self.language) or questions.get("ja") or ["住民票"])

    @task(2)
    def ask_page(self) -> None:
        self.client.get("/ask/", params={"q": self.question()}, name="[assist] GET /ask/?q=")

    @task(1)
    def ask_api(self) -> None:
        self.client.get(
            "/api/v1/assistant/answers",
            params={"q": self.question(), "language": self.language},
            headers=self.headers(),
            name="[assist] GET /api/v1/assistant/answers",
        )


class Payer(ApiUser):
    """A resident paying a fee before submission: a draft of 住民票の写し, the payment started through
    the API, paid on the demo payment service's checkout page (whose webhook then settles it), and
    the payment's status read back."""

    weight = _weight("mixed", 5, "Payer")
    wait_time = between(3, 8)

    def on_start(self) -> None:
        self.token = next(_residents)

    @task
    def pay(self) -> None:
        spec = DATA["pay"]
        application = self.start_draft(spec["procedure"], "pay")
        if not application or not self.save_answers(application, spec["answers"], "pay"):
            return
        with self.client.post(
            f"/api/v1/applications/{application}/payments",
            json={"provider": "hosted"},
            headers=self.headers(**{"Idempotency-Key": f"load-pay-{uuid.uuid4().hex}"}),
            name="[pay] POST /api/v1/applications/[id]/payments",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code} {response.text[:120]}")
                return
            payment = response.json()
        checkout = payment["checkout_url"]
        page = self.client.get(checkout, name="[pay] GET /demo-pay/checkout/[id]/")
        match = CSRF.search(page.text)
        with self.client.post(
            checkout,
            data={
                "csrfmiddlewaretoken": match.group(1) if match else "",
                "action": "pay",
                "method": "card",
                "card_number": PAYING_CARD,
            },
            headers={"Referer": checkout},
            allow_redirects=False,
            name="[pay] POST /demo-pay/checkout/[id]/",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code} {response.text[:120]}")
                return
        self.client.get(
            f"/api/v1/payments/{payment['reference']}",
            headers=self.headers(),
            name="[pay] GET /api/v1/payments/[reference]",
        )


class Clerk(ApiUser):
    """A clerk of 市民生活課 or 住民課 working the queue through the staff API (back office)."""

    weight = _weight("mixed", 6, "Clerk")
    host = BACKOFFICE
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.token = next(_staff)

    @task
    def work(self) -> None:
        response = self.client.get(
            "/api/v1/staff/cases",
            params={"status": random.choice(["open", "open", "submitted"]), "limit": 50},
            headers=self.headers(),
            name="[staff] GET /api/v1/staff/cases",
        )
        cases = response.json() if response.status_code == 200 else []
        if not cases:
            return
        case = random.choice(cases)
        detail = self.client.get(
            f"/api/v1/staff/cases/{case['id']}",
            headers=self.headers(),
            name="[staff] GET /api/v1/staff/cases/[id]",
        )
        if detail.status_code != 200 or case["status"] != "submitted" or random.random() > 0.3:
            return
        # Two clerks may take the same case at once: the second one's 409 is the correct answer.
        with self.client.post(
            f"/api/v1/staff/cases/{case['id']}/transitions",
            json={"event": "start_review", "expected_version": detail.json()["row_version"]},
            headers=self.headers(),
            name="[staff] POST /api/v1/staff/cases/[id]/transitions",
            catch_response=True,
        ) as answer:
            if answer.status_code in (200, 409):
                answer.success()
            else:
                answer.failure(f"{answer.status_code} {answer.text[:120]}")


class PaymentWebhook(HttpUser):
    """The payment service telling IDX a payment was made: a signed ``payment.paid`` event for one of
    the pending payments, and now and then the same event again (services retry; IDX applies it once)."""

    weight = _weight("mixed", 3, "PaymentWebhook")
    host = PORTAL
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.sent: list[bytes] = []

    @task
    def deliver(self) -> None:
        hook = DATA["webhook"]
        if self.sent and random.random() < 0.1:
            body = random.choice(self.sent)
        else:
            payment = next(_pending, None)
            if payment is None:
                return
            body = json.dumps(
                {
                    "id": f"evt_{payment['checkout']}",
                    "type": "payment.paid",
                    "payment_reference": payment["reference"],
                    "amount": payment["amount"],
                    "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
                    "provider_reference": payment["checkout"],
                    "method": "card",
                }
            ).encode()
            self.sent.append(body)
        with self.client.post(
            hook["path"],
            data=body,
            headers={"Content-Type": "application/json", "IDX-Signature": sign(body, hook["secret"])},
            name="[webhook] POST /payments/webhooks/hosted/",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.text[:120]}")


# ---- the surge ------------------------------------------------------------------------------


class SurgeApplicant(ApiUser):
    """One household after another applying once for the surge procedure (特別定額給付金-like)."""

    weight = _weight("surge", 1, "SurgeApplicant")
    wait_time = constant_pacing(SURGE_PACING)

    @task
    def apply(self) -> None:
        self.token = next(_households, "")
        if not self.token:
            return  # every household has applied
        spec = DATA["surge"]
        application = self.start_draft(spec["procedure"], "surge")
        if (
            application
            and self.save_answers(application, spec["answers"], "surge")
            and self.submit(application, "surge")
        ):
            _accepted.append(application)


@events.test_stop.add_listener
def _write_accepted(environment: Any, **_kwargs: Any) -> None:
    if ACCEPTED_PATH and SCENARIO == "surge":
        Path(ACCEPTED_PATH).write_text(json.dumps(_accepted), encoding="utf-8")


@events.test_start.add_listener
def _check_data(environment: Any, **_kwargs: Any) -> None:
    if not DATA:
        raise SystemExit(f"no load-test data at {DATA_PATH}: run bench/load/prepare.py first")
