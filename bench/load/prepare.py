#!/usr/bin/env python
"""Prepare the data a load test needs, directly in the target's database, and write it as JSON.

Run it with the target's environment (``DATABASE_URL``, ``DJANGO_SETTINGS_MODULE``, ``IDX_SECRET_KEY``
... : ``Topology.env()`` for the reference topology; ``run.py`` does that):

    python bench/load/prepare.py --out var/load/data.json --portal-url http://127.0.0.1:9400 \\
        --backoffice-url http://127.0.0.1:9401 --residents 300 --surge-residents 2000 --webhooks 1500

What it makes, in 伊賀市 (nothing it makes is timed; ``bulk_create`` where thousands are needed):

* ``--residents`` residents ``load-<run>-<n>@iga.example.jp`` with one API token each (the
  applicants, payers and assistant users of the mixed workload);
* ``--surge-residents`` more residents with tokens, each applying once for the surge procedure
  (one household = one application, as 特別定額給付金);
* the surge procedure ``bench-special-cash-benefit`` (bench/load/special-cash-benefit.yaml, one
  step) imported and published (unchanged: nothing happens);
* ``--webhooks`` pending payments of 300 yen (provider ``hosted``), for the payment service's
  webhooks to settle; the webhook secret is read from the provider's configuration;
* one staff API token for each clerk of the departments the applications go to (the demo's
  clerks, ``<department>@staff.iga.example.jp``; ``demo_load`` must have run).

``--verify RUN`` instead checks a finished run (see ``verify``) and prints JSON.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SURGE_DEFINITION = HERE / "special-cash-benefit.yaml"
SURGE_CODE = "bench-special-cash-benefit"
APPLY_CODE = "event-registration"  # what residents of the mixed workload apply for (no fee)
PAY_CODE = "residence-certificate-request"  # a fee before submission (300 yen a copy)
BROWSE_CODES = [
    "residence-certificate-request",
    "event-registration",
    "child-allowance-certification",
    "bulky-waste-collection",
    "pregnancy-notification",
    "care-insurance-card-reissue",
]
QUESTIONS = {
    "ja": ["住民票の写しはどうやって取れますか", "粗大ごみの出し方", "児童手当の申請", "引っ越しの手続き"],
    "en": ["How do I get a copy of my residence certificate?", "bulky waste collection"],
    "ja-easy": ["じゅうみんひょう が ほしい", "ごみ の だしかた"],
}
CLERK_DEPARTMENTS = ["shimin-seikatsu", "jumin"]
MUNICIPALITY = "iga"


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idx.settings.dev")
    src = REPO / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    import django

    django.setup()


def _residents(municipality: Any, run_id: str, kind: str, count: int) -> list[str]:
    """``count`` new residents with an API token each; their raw tokens."""
    from django.utils import timezone

    from idx.identity.models import ApiToken, Role, User

    now = timezone.now()
    users = User.objects.bulk_create(
        [
            User(
                municipality=municipality,
                email=f"load-{run_id}-{kind}{index}@iga.example.jp",
                full_name=f"負荷 試験{index}",
                full_name_kana="フカ シケン",
                role=Role.RESIDENT,
                password="!load-test",  # no usable password: they use their token
                email_verified_at=now,
            )
            for index in range(count)
        ],
        batch_size=1000,
    )
    raws = [ApiToken.new_raw_token() for _ in users]
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                municipality=municipality,
                user=user,
                name=f"load {run_id}",
                token_hash=ApiToken.hash(raw),
                prefix=raw[:12],
                last_used_at=now,
            )
            for user, raw in zip(users, raws, strict=True)
        ],
        batch_size=1000,
    )
    return raws


def _example(municipality: Any, code: str) -> dict[str, Any]:
    from idx.applications.answers import visible_answers
    from idx.procedures.definition import validate_answers
    from idx.procedures.models import Procedure

    procedure = Procedure.objects.select_related("published_version").get(
        municipality=municipality, code=code
    )
    version = procedure.published_version
    example = copy.deepcopy(version.definition.get("example") or {})
    errors = validate_answers(version.parsed, visible_answers(version.parsed, example))
    if errors:
        raise SystemExit(f"the example answers of {code} are not valid: {errors}")
    return example


def _pending_payments(municipality: Any, run_id: str, count: int, payer: Any) -> list[dict[str, Any]]:
    from django.utils import timezone

    from idx.identity.models import Department
    from idx.payments.models import Payment

    department = Department.objects.get(municipality=municipality, code="jumin")
    rows = Payment.objects.bulk_create(
        [
            Payment(
                municipality=municipality,
                payer=payer,
                department=department,
                purpose="負荷試験 手数料",
                amount=300,
                provider="hosted",
                provider_reference=f"load_{run_id}_{index}",
                expires_at=timezone.now() + dt.timedelta(days=2),
            )
            for index in range(count)
        ],
        batch_size=1000,
    )
    return [
        {"reference": row.reference, "amount": row.amount, "checkout": row.provider_reference} for row in rows
    ]


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    import yaml

    from idx.common.models import Municipality
    from idx.identity.models import Role, User
    from idx.identity.services import api_token_issue
    from idx.payments.models import ProviderConfig
    from idx.procedures.services import procedure_import

    run_id = args.run_id or uuid.uuid4().hex[:8]
    municipality = Municipality.objects.get(slug=MUNICIPALITY)
    procedure_import(
        municipality=municipality, data=yaml.safe_load(SURGE_DEFINITION.read_text(encoding="utf-8"))
    )
    residents = _residents(municipality, run_id, "r", args.residents)
    surge = _residents(municipality, run_id, "s", args.surge_residents)
    clerks = list(
        User.objects.filter(
            municipality=municipality,
            role=Role.CLERK,
            department__code__in=CLERK_DEPARTMENTS,
            is_active=True,
        ).order_by("id")
    )
    if not clerks:
        raise SystemExit("no clerks of shimin-seikatsu or jumin: load the demo data first (demo_load)")
    staff_tokens = [api_token_issue(user=clerk, name=f"load {run_id}") for clerk in clerks]
    hosted = ProviderConfig.objects.get(municipality=municipality, provider="hosted")
    expected = f"{args.portal_url.rstrip('/')}/demo-pay/api/v1"
    if args.fix_payment_url and hosted.config.get("api_base") != expected:
        print(f"the demo payment service's api_base was {hosted.config.get('api_base')}; now {expected}")
        hosted.config = {**hosted.config, "api_base": expected}
        hosted.save(update_fields=["config"])
    secret = hosted.config.get("webhook_secret")
    if isinstance(secret, list):
        secret = secret[0]
    payer = User.objects.filter(email=f"load-{run_id}-r0@iga.example.jp").first()
    payments = _pending_payments(municipality, run_id, args.webhooks, payer)
    return {
        "run_id": run_id,
        "portal_url": args.portal_url.rstrip("/"),
        "backoffice_url": (args.backoffice_url or args.portal_url).rstrip("/"),
        "residents": residents,
        "surge_residents": surge,
        "staff_tokens": staff_tokens,
        "apply": {"procedure": APPLY_CODE, "answers": _example(municipality, APPLY_CODE)},
        "pay": {"procedure": PAY_CODE, "answers": _example(municipality, PAY_CODE)},
        "surge": {"procedure": SURGE_CODE, "answers": _example(municipality, SURGE_CODE)},
        "browse_codes": BROWSE_CODES,
        "questions": QUESTIONS,
        "webhook": {"path": "/payments/webhooks/hosted/", "secret": secret, "payments": payments},
    }


def verify(run_id: str, accepted_path: str) -> dict[str, Any]:
    """Every surge submission answered 200 is exactly one submitted application.

    ``accepted_path``: the ids of the applications whose submission was answered 200 (the
    locustfile writes them). Checked: each of them is submitted, with one ``submitted`` status
    change and a receipt number of its own; no household has two applications (the start's
    ``Idempotency-Key`` makes a retried start return the same draft). Submissions that were
    applied although their answer was lost (a 503 or a timeout at the load balancer) are counted
    apart: the resident sees an error, and a retried submit answers 409 (already submitted).
    """
    from django.db.models import Count

    from idx.applications.models import Application, StatusChange

    accepted = json.loads(Path(accepted_path).read_text(encoding="utf-8"))
    mine = Application.objects.filter(
        procedure__code=SURGE_CODE, applicant__email__startswith=f"load-{run_id}-s"
    )
    by_status = dict(mine.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    most_per_resident = (
        mine.values("applicant_id").annotate(n=Count("id")).order_by("-n").values_list("n", flat=True).first()
        or 0
    )
    submitted = dict(mine.exclude(status="draft").values_list("public_id", "receipt_number"))
    submitted = {str(key): value for key, value in submitted.items()}
    changes = StatusChange.objects.filter(application__in=mine, to_status="submitted")
    per_application = dict(
        changes.values("application__public_id")
        .annotate(n=Count("id"))
        .values_list("application__public_id", "n")
    )
    per_application = {str(key): value for key, value in per_application.items()}
    receipts = list(submitted.values())
    accepted_set = set(accepted)
    checks: dict[str, Any] = {
        "run_id": run_id,
        "applications_by_status": by_status,
        "submit_200": len(accepted),
        "submit_200_distinct": len(accepted_set),
        "submit_200_submitted_in_db": sum(1 for key in accepted_set if key in submitted),
        "submit_200_with_one_status_change": sum(1 for key in accepted_set if per_application.get(key) == 1),
        "submitted_in_db": len(submitted),
        "submitted_without_200": len(set(submitted) - accepted_set),
        "receipts_unique_and_set": len(set(receipts)) == len(receipts) and None not in receipts,
        "most_applications_per_household": most_per_resident,
        "most_submissions_per_application": max(per_application.values(), default=0),
    }
    checks["exactly_once"] = (
        len(accepted)
        == len(accepted_set)
        == checks["submit_200_submitted_in_db"]
        == checks["submit_200_with_one_status_change"]
        and checks["receipts_unique_and_set"]
        and most_per_resident <= 1
        and checks["most_submissions_per_application"] <= 1
    )
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default=str(REPO / "var" / "load" / "data.json"))
    parser.add_argument("--portal-url", default="http://127.0.0.1:8000")
    parser.add_argument("--backoffice-url", default="", help="staff API base (default: the portal URL)")
    parser.add_argument("--run-id", default="")
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--surge-residents", type=int, default=0)
    parser.add_argument("--webhooks", type=int, default=1000, help="pending payments for webhooks to settle")
    parser.add_argument(
        "--fix-payment-url",
        action="store_true",
        help="point the demo payment service's api_base at --portal-url when it names another address",
    )
    parser.add_argument("--verify", metavar="RUN", help="check a finished surge run instead")
    parser.add_argument(
        "--accepted", default="", help="with --verify: the file of the ids whose submission was answered 200"
    )
    args = parser.parse_args()
    setup()
    if args.verify:
        print(json.dumps(verify(args.verify, args.accepted), ensure_ascii=False))
        return 0
    data = prepare(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    print(
        f"run {data['run_id']}: {len(data['residents'])} residents, {len(data['surge_residents'])} surge residents, "
        f"{len(data['staff_tokens'])} staff tokens, {len(data['webhook']['payments'])} pending payments -> {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
