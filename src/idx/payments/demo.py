"""Demo payment configuration: the in-project demo payment service, a JPQR slip, the counter, tax slips.

Keys are derived from the municipality (demo data, like the demo staff's TOTP secrets): the demo
payment service (``idx.demo_pay``) reads the same ``ProviderConfig`` row to check the key and to
sign its webhooks.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone

from idx.applications.models import Application
from idx.common.addresses import public_base_url
from idx.common.models import Municipality
from idx.payments.models import Payment, PaymentMethod, ProviderConfig
from idx.payments.providers import ProviderEvent
from idx.payments.selectors import answers_digest, fee_of
from idx.payments.services import paid_draft_submit, payment_apply_event


def demo_secret(municipality: Municipality, purpose: str) -> str:
    return hashlib.sha256(f"idx-demo-pay-2026:{municipality.code}:{purpose}".encode()).hexdigest()[:40]


def configure_demo_payments(municipality: Municipality) -> None:
    base = (municipality.public_url or public_base_url()).rstrip("/")
    configs = {
        "hosted": (
            "オンライン決済（クレジットカード・QRコード決済）",
            {
                "api_base": f"{base}/demo-pay/api/v1",
                "secret_key": "sk_demo_" + demo_secret(municipality, "api"),
                "webhook_secret": "whsec_demo_" + demo_secret(municipality, "webhook"),
                "expires_minutes": 60,
            },
        ),
        "jpqr": (
            "JPQR 納付書（スマホ決済アプリで読み取り）",
            {
                "merchant_id": f"DEMO{municipality.code}",
                "merchant_name": municipality.slug.upper()[:25],
                "merchant_name_ja": municipality.name,
                "city": municipality.slug.upper()[:15],
                "city_ja": municipality.name,
                "mcc": "9399",
                "webhook_secret": "whsec_demo_" + demo_secret(municipality, "jpqr"),
                "expires_minutes": 7 * 24 * 60,
            },
        ),
        "counter": ("窓口（現金・カード端末）", {}),
        "eltax": ("地方税お支払サイト", {"payment_site": "https://www.payment.eltax.lta.go.jp/"}),
    }
    for provider, (label, config) in configs.items():
        ProviderConfig.objects.update_or_create(
            municipality=municipality,
            provider=provider,
            defaults={"label": label, "config": config, "enabled": True},
        )


def demo_paid(application: Application) -> Payment:
    """A fee paid online, for demo applications made without a browser (as the demo service reports it)."""
    fee = fee_of(application)
    payment = Payment.objects.create(
        municipality_id=application.municipality_id,
        application=application,
        payer=application.applicant,
        department_id=application.department_id,
        purpose=fee.purpose,
        amount=fee.amount,
        provider="hosted",
        method=PaymentMethod.CARD,
        expires_at=timezone.now() + dt.timedelta(hours=1),
        answers_digest=answers_digest(application.answers or {}),
    )
    payment_apply_event(
        provider="hosted",
        municipality_id=application.municipality_id,
        event=ProviderEvent(
            event_id=f"demo-data:{payment.reference}",
            kind="paid",
            payment_reference=payment.reference,
            amount=fee.amount,
            occurred_at=timezone.now(),
            provider_reference=f"demo_{payment.reference.lower()}",
            method=PaymentMethod.CARD,
        ),
    )
    # No worker runs while the demo data is made: the draft is submitted here and now (the task
    # enqueued when the payment's transaction commits then finds it submitted and does nothing).
    paid_draft_submit(payment.pk)
    return payment
