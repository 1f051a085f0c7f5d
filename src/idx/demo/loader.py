"""Demo content: two municipalities, their departments and staff, residents and applications.

Everything here is ordinary data a city would enter itself; nothing in the product depends on it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from idx.applications import services
from idx.applications.models import Application
from idx.applications.signing import requires_signature
from idx.audit.services import audit_seal_all
from idx.common.addresses import public_base_url, sibling_url
from idx.common.models import Municipality, MunicipalityHost
from idx.demo.opendata import load_open_data
from idx.demo.texts import MUNICIPALITY_TEXTS, department_i18n
from idx.demo_idp.jpki import demo_signature
from idx.demo_idp.provider import configure_for_municipality as configure_demo_identity_provider
from idx.identity.mfa.selectors import has_totp
from idx.identity.mfa.services import totp_enrol_fixed
from idx.identity.models import Department, Role, User
from idx.identity.services import staff_create
from idx.procedures.models import Procedure
from idx.procedures.services import procedure_import, shipped_definitions

DEMO_PASSWORD = "idx-demo-2026"  # noqa: S105 (the demo accounts' published password)


def demo_totp_secret(email: str) -> str:
    """The fixed TOTP secret of a demo staff account (from a public demo seed: demo data only).

    Demo staff are enrolled with it, so the demo printout can show it and browser tests and
    benchmarks can compute codes with pyotp. Real staff enrol their own random secret.
    """
    digest = hashlib.sha256(f"idx-demo-totp-2026:{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()


MUNICIPALITIES = [
    {
        "code": "242161",
        "slug": "iga",
        "name": "伊賀市",
        "name_en": "Iga City",
        "prefecture": "三重県",
        "receipt_prefix": "IGA",
        "phone": "0595-22-9611",
        "address": "518-8501 三重県伊賀市四十九町3184番地",
        "hosts": ["127.0.0.1", "localhost", "iga.localhost"],
        "staff_domain": "staff.iga.example.jp",
    },
    {
        "code": "244708",
        "slug": "watarai",
        "name": "度会町",
        "name_en": "Watarai Town",
        "prefecture": "三重県",
        "receipt_prefix": "WAT",
        "phone": "0596-62-1111",
        "address": "516-2195 三重県度会郡度会町棚橋1215番地1",
        "hosts": ["watarai.localhost"],
        "staff_domain": "staff.watarai.example.jp",
    },
]

# Areas for subscriptions and alerts (demo data after the cities' 住民自治協議会 and districts).
AREAS = {
    "iga": [
        ("ueno-seibu", "上野西部地区", "Ueno West"),
        ("ueno-tobu", "上野東部地区", "Ueno East"),
        ("ueno-nanbu", "上野南部地区", "Ueno South"),
        ("ueno-hokubu", "上野北部地区", "Ueno North"),
        ("tsuge", "柘植地区", "Tsuge"),
        ("shimagahara", "島ヶ原地区", "Shimagahara"),
        ("ayama", "阿山地区", "Ayama"),
        ("ooyamada", "大山田地区", "Ooyamada"),
        ("aoyama", "青山地区", "Aoyama"),
    ],
    "watarai": [
        ("tanahashi", "棚橋地区", "Tanahashi"),
        ("ichinose", "一之瀬地区", "Ichinose"),
        ("nakagawa", "中川地区", "Nakagawa"),
    ],
}

DEPARTMENTS = [
    ("kodomo-katei", "こども家庭課", "Child and Family Division", "0595-22-9654", "本庁舎1階 12番窓口"),
    (
        "hoiku-youchien",
        "保育幼稚園課",
        "Nursery and Kindergarten Division",
        "0595-22-9674",
        "本庁舎1階 13番窓口",
    ),
    ("kenko-suishin", "健康推進課", "Health Promotion Division", "0595-22-9653", "ハイトピア伊賀 4階"),
    (
        "kaigo-koureifukushi",
        "介護高齢福祉課",
        "Long-term Care and Elderly Welfare Division",
        "0595-26-3939",
        "本庁舎1階 15番窓口",
    ),
    ("jumin", "住民課", "Resident Registration Division", "0595-22-9645", "本庁舎1階 1番窓口"),
    ("shimin-seikatsu", "市民生活課", "Civic Life Division", "0595-22-9638", "本庁舎2階"),
    ("haikibutsu", "廃棄物対策課", "Waste Management Division", "0595-20-1050", "さくらリサイクルセンター"),
    ("zeimu", "税務課", "Taxation Division", "0595-22-9617", "本庁舎1階 8番窓口"),
    ("kiki-kanri", "危機管理課", "Crisis Management Division", "0595-22-9640", "本庁舎3階"),
    ("suido", "上下水道部 料金課", "Water and Sewerage Billing Division", "0595-22-9820", "本庁舎2階"),
]
COUNTER_HOURS = "平日 午前8時30分から午後5時15分まで（土日祝日・年末年始を除く）"

RESIDENT_NAMES = [
    ("伊賀 花子", "イガ ハナコ"),
    ("上野 太郎", "ウエノ タロウ"),
    ("阿山 美咲", "アヤマ ミサキ"),
    ("青山 健一", "アオヤマ ケンイチ"),
    ("柘植 由美", "ツゲ ユミ"),
    ("島田 大輔", "シマダ ダイスケ"),
    ("Silva Ana", "シルバ アナ"),
    ("Nguyen Van An", "グエン ヴァン アン"),
    ("大山田 恵子", "オオヤマダ ケイコ"),
    ("名張 翔", "ナバリ ショウ"),
]


@dataclass
class DemoSummary:
    municipalities: list[Municipality]
    accounts: list[tuple[str, str, str]]  # (municipality, e-mail, what)
    applications: int


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 210, 230)).save(out, format="PNG")
    return out.getvalue()


def _attachment_paths(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        found: list[str] = []
        for key, child in value.items():
            found += _attachment_paths(child, f"{prefix}.{key}" if prefix else key)
        return found
    if isinstance(value, list):
        found = []
        for index, child in enumerate(value):
            found += _attachment_paths(child, f"{prefix}[{index}]")
        return found
    return [prefix] if isinstance(value, str) and value.startswith("att_") else []


def demo_public_url(spec: dict[str, Any]) -> str:
    """Where the demo serves a municipality: the first at the public address (``IDX_PUBLIC_URL``,
    else the address served, ``IDX_BIND``), the others beside it on ``<slug>.localhost`` (or
    ``<slug>.<public host>``). Every address the demo hands out (links in messages, the demo
    identity provider's issuer and signing API, the demo payment service) follows from it."""
    base = public_base_url()
    return base if spec["slug"] == MUNICIPALITIES[0]["slug"] else sibling_url(base, spec["slug"])


def load_municipality(spec: dict[str, Any]) -> tuple[Municipality, list[tuple[str, str, str]]]:
    public_url = demo_public_url(spec)
    municipality, _ = Municipality.objects.update_or_create(
        code=spec["code"],
        defaults={
            **{
                key: spec[key]
                for key in ("slug", "name", "name_en", "prefecture", "receipt_prefix", "phone", "address")
            },
            "public_url": public_url,
        },
    )
    municipality.i18n = MUNICIPALITY_TEXTS.get(spec["slug"], {})
    municipality.save(update_fields=["i18n"])
    public_host = urlsplit(public_url).hostname
    for host in dict.fromkeys([*spec["hosts"], *([public_host] if public_host else [])]):
        MunicipalityHost.objects.update_or_create(hostname=host, defaults={"municipality": municipality})
    departments = {}
    for code, name, name_en, phone, counter in DEPARTMENTS:
        departments[code], _ = Department.objects.update_or_create(
            municipality=municipality,
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "phone": phone,
                "counter": counter,
                "counter_hours": COUNTER_HOURS,
                "crisis_management": code == "kiki-kanri",
                "i18n": department_i18n(code, counter),
            },
        )
    from idx.notifications.models import Area, Subscription, Topic

    areas = []
    for area_code, area_name, area_name_en in AREAS.get(spec["slug"], []):
        area, _made = Area.objects.update_or_create(
            municipality=municipality, code=area_code, defaults={"name": area_name, "name_en": area_name_en}
        )
        areas.append(area)
    accounts: list[tuple[str, str, str]] = []
    domain = spec["staff_domain"]

    def ensure_staff(
        email: str, full_name: str, role: Role, department: Department | None, what: str
    ) -> None:
        if not User.objects.filter(municipality=municipality, email=email).exists():
            staff_create(
                municipality=municipality,
                email=email,
                password=DEMO_PASSWORD,
                full_name=full_name,
                role=role,
                department=department,
            )
        staff = User.objects.get(municipality=municipality, email=email)
        if not has_totp(staff):  # demo staff get their second factor pre-enrolled (printed by demo_load)
            totp_enrol_fixed(user=staff, secret=demo_totp_secret(email))
        accounts.append((municipality.name, email, what))

    for code, name, *_rest in DEPARTMENTS:
        ensure_staff(f"{code}@{domain}", f"{name} 担当", Role.CLERK, departments[code], f"clerk, {name}")
    ensure_staff(
        f"supervisor@{domain}",
        "こども家庭課 係長",
        Role.SUPERVISOR,
        departments["kodomo-katei"],
        "supervisor, こども家庭課",
    )
    ensure_staff(
        f"kiki-kanri-supervisor@{domain}",
        "危機管理課 係長",
        Role.SUPERVISOR,
        departments["kiki-kanri"],
        "supervisor, 危機管理課 (confirms レベル4–5 alerts)",
    )
    ensure_staff(f"admin@{domain}", "情報政策課 管理者", Role.CITY_ADMIN, None, "city administrator")
    for index, (name, kana) in enumerate(RESIDENT_NAMES[:5], start=1):
        email = f"resident{index}@{spec['slug']}.example.jp"
        if not User.objects.filter(municipality=municipality, email=email).exists():
            User.objects.create_user(
                municipality=municipality,
                email=email,
                password=DEMO_PASSWORD,
                full_name=name,
                full_name_kana=kana,
                email_verified_at=timezone.now(),
            )
        accounts.append((municipality.name, email, "resident"))
        resident = User.objects.get(municipality=municipality, email=email)
        subscription, made = Subscription.objects.get_or_create(
            user=resident, defaults={"topics": [Topic.DISASTER, Topic.CHILDCARE], "channels": ["email"]}
        )
        if made and areas:
            subscription.areas.set([areas[(index - 1) % len(areas)]])
    for data in shipped_definitions():
        procedure_import(municipality=municipality, data=data)
    from idx.assist.demo import load_faqs

    load_faqs(municipality)
    from idx.demo.booking import load_booking

    load_booking(municipality)
    from idx.notifications.demo import load_disaster_guide

    load_disaster_guide(municipality)
    from idx.assist.demo import load_general_desk

    load_general_desk(municipality)
    from idx.payments.demo import configure_demo_payments

    configure_demo_payments(municipality)
    # Sign-in with My Number Card through the in-project demo provider (only when IDX_DEMO_IDP is on).
    configure_demo_identity_provider(municipality)
    return municipality, accounts


def load_applications(municipality: Municipality, count: int, seed: int = 2026) -> int:
    """Applications in every status, made through the same services residents and staff use."""
    from idx.payments.demo import demo_paid
    from idx.payments.selectors import payment_due_before_submission

    if Application.objects.filter(municipality=municipality).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    residents = list(User.objects.filter(municipality=municipality, role=Role.RESIDENT))
    procedures = list(Procedure.objects.filter(municipality=municipality).select_related("published_version"))
    clerks = {
        user.department_id: user for user in User.objects.filter(municipality=municipality, role=Role.CLERK)
    }
    outcomes = [
        "draft",
        "submitted",
        "submitted",
        "in_review",
        "correction_requested",
        "resubmitted",
        "approved",
        "approved",
        "rejected",
        "withdrawn",
    ]
    made = 0
    with services.notifications_muted():
        for index in range(count):
            procedure = procedures[index % len(procedures)]
            resident = rng.choice(residents)
            example = copy.deepcopy(procedure.published_version.definition.get("example") or {})  # type: ignore[union-attr]
            outcome = rng.choice(outcomes)
            with transaction.atomic():
                application = services.application_start(resident=resident, procedure=procedure)
                attachment_paths = _attachment_paths(example)
                for path in attachment_paths:
                    from idx.applications.answers import set_path

                    set_path(example, path, None)
                application = services.application_save_answers(
                    application=application, actor=resident, answers=example
                )
                for path in attachment_paths:
                    services.attachment_add(
                        application=application,
                        actor=resident,
                        field_path=path,
                        name="photo.png",
                        data=_png(),
                    )
                application.refresh_from_db()
                made += 1
                if outcome == "draft":
                    continue
                if payment_due_before_submission(application):
                    # Paid online first, as the demo payment service reports it: that submits it.
                    demo_paid(application)
                    application.refresh_from_db()
                else:
                    signature = None
                    if requires_signature(application):
                        if not settings.IDX_DEMO_IDP:
                            continue  # nothing can sign it here: it stays a draft
                        signature = demo_signature(application)
                    application = services.application_submit(
                        application=application,
                        actor=resident,
                        declaration_accepted=True,
                        signature=signature,
                    )
                if outcome == "withdrawn":
                    services.application_withdraw(
                        application=application, actor=resident, reason="重複して申請したため"
                    )
                    continue
                clerk = clerks[application.department_id]
                if outcome == "submitted":
                    continue
                application = services.case_start_review(
                    application=application, staff=clerk, expected_version=application.row_version
                )
                if outcome == "in_review":
                    continue
                first_path = next(iter(_scalar_paths(application.answers)), None)
                if outcome in ("correction_requested", "resubmitted") and first_path:
                    application = services.case_request_correction(
                        application=application,
                        staff=clerk,
                        notes={first_path: "記載内容を確認のうえ、訂正してください。"},
                        message="一部の項目について確認をお願いします。",
                        expected_version=application.row_version,
                    )
                    if outcome == "resubmitted":
                        services.application_resubmit(application=application, actor=resident)
                    continue
                services.case_decide(
                    application=application,
                    staff=clerk,
                    approve=outcome == "approved",
                    reason="" if outcome == "approved" else "要件を満たしていないため。",
                    expected_version=application.row_version,
                )
    return made


def _scalar_paths(answers: dict[str, Any]) -> list[str]:
    paths = []
    for key, value in answers.items():
        if isinstance(value, dict):
            paths += [
                f"{key}.{child}"
                for child, item in value.items()
                if isinstance(item, str) and not item.startswith("att_")
            ]
        elif isinstance(value, str) and not value.startswith("att_"):
            paths.append(key)
    return paths


def load_demo(applications: int = 200) -> DemoSummary:
    municipalities = []
    accounts: list[tuple[str, str, str]] = []
    made = 0
    for index, spec in enumerate(MUNICIPALITIES):
        municipality, municipality_accounts = load_municipality(spec)
        municipalities.append(municipality)
        accounts += municipality_accounts
        made += load_applications(municipality, applications if index == 0 else max(applications // 10, 1))
        if index == 0:  # two years of history for the dashboards and the published statistics
            from idx.demo.history import load_history_and_statistics

            load_history_and_statistics(municipality)
            from idx.demo.checks import load_checks  # claims passing and failing the automated checks

            load_checks(municipality)
            from idx.demo.insights import load_insights  # KPIs and the intervention log (docs/ebpm.md)

            load_insights(
                municipality, recorded_by=User.objects.filter(email=f"admin@{spec['staff_domain']}").first()
            )
        domain = spec["staff_domain"]
        load_open_data(
            municipality,
            author=User.objects.filter(email=f"kiki-kanri-supervisor@{domain}").first(),
            reviewer=User.objects.filter(email=f"admin@{domain}").first(),
        )
        from idx.demo.dxplan import load_dx_plan

        accounts += load_dx_plan(municipality, staff_domain=str(domain))
        if index == 0:  # participation themes of 伊賀市 (docs/participation.md)
            from idx.demo.participation import load_participation

            accounts += load_participation(municipality, staff_domain=str(domain))
        from idx.demo.public_comment import load_public_comment

        accounts += load_public_comment(municipality, staff_domain=str(domain))
        from idx.demo.events import load_events

        load_events(municipality)
        from idx.demo.surveys import load_surveys  # an open and a published survey (伊賀市, docs/surveys.md)

        load_surveys(municipality)
    audit_seal_all()  # chain what the loading wrote; the running demo's worker seals from here on
    return DemoSummary(municipalities=municipalities, accounts=accounts, applications=made)
