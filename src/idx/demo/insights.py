"""The demo's KPIs and intervention log for 伊賀市 (the EBPM dashboards, docs/ebpm.md).

Six KPIs defined as data over the fact tables: the national KPI (online share of the 27
procedures of the national online-application programme that the demo offers), the online share
of every procedure, the share decided within 標準処理期間, the average counter wait, the share of
sign-ins made with the My Number Card, and one department's own KPI. One intervention: from
2026-06-01 the 児童手当 現況届 reminder is sent by LINE too (the step the history loads, see
``idx.demo.history``), with the two other 現況届 as comparable procedures.

Idempotent (records are found by code or title and updated); it works whether the facts were
built or not (the dashboards then show no figures until the nightly rebuild).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from idx.common.models import Municipality
from idx.demo.history import (
    COMPARISON_PROCEDURES,
    INTERVENTION_DAY,
    INTERVENTION_PROCEDURE,
    STATISTICS_DEPARTMENT,
)
from idx.identity.models import Department, User
from idx.insights.models import Intervention, Kpi, Measure

# 対象27手続 (子育て15・介護11・罹災証明書1) among the demo's procedures (jp-standards §1.3).
NATIONAL_27 = [
    "child-allowance-certification",
    "child-allowance-amount-revision",
    "child-allowance-change-notification",
    "child-allowance-eligibility-ended",
    "child-allowance-unpaid-claim",
    "child-allowance-donation",
    "child-allowance-donation-change",
    "child-allowance-school-lunch-deduction",
    "child-allowance-school-lunch-deduction-change",
    "child-allowance-status-report",
    "childcare-eligibility-certification",
    "childcare-facility-application",
    "childcare-facility-status-report",
    "child-rearing-allowance-status-report",
    "pregnancy-notification",
    "care-needs-certification",
    "care-needs-renewal",
    "care-plan-request",
    "care-cost-share-certificate-reissue",
    "care-insurance-card-reissue",
    "high-cost-care-benefit",
    "care-cost-limit-certification",
    "care-needs-level-change",
    "welfare-equipment-purchase-benefit",
    "home-modification-benefit",
    "care-needs-certification-after-move",
    "disaster-damage-certificate",
]

KPIS: list[dict[str, Any]] = [
    {
        "code": "online-share-national",
        "names": {
            "ja": "オンライン申請率（国が示す27手続）",
            "ja-easy": "インターネットで 申し込んだ 割合（国が 決めた 27の 手続き）",
            "en": "Online applications, 27 procedures of the national programme",
            "pt-br": "Pedidos online, 27 procedimentos do programa nacional",
            "vi": "Tỷ lệ đơn trực tuyến, 27 thủ tục của chương trình quốc gia",
            "zh-hans": "在线申请率（国家指定的27项手续）",
            "es": "Solicitudes en línea, 27 trámites del programa nacional",
            "fil": "Mga aplikasyon online, 27 pamamaraan ng pambansang programa",
        },
        "descriptions": {
            "ja": "子育て・介護の26手続と罹災証明書の発行申請のうち、オンラインで受け付けた割合（自治体DX推進計画の重点取組）。",
            "en": "Share of applications made online for the 26 child-care and long-term-care procedures and the disaster damage certificate.",
        },
        "numerator": Measure.APPLICATIONS_ONLINE,
        "denominator": Measure.APPLICATIONS,
        "unit": Kpi.Unit.PERCENT,
        "procedure_codes": NATIONAL_27,
        "target": Decimal(60),
        "target_fiscal_year": 2027,
        "direction": Kpi.Direction.UP,
        "owner": "joho-seisaku",
        "is_public": True,
    },
    {
        "code": "online-share",
        "names": {
            "ja": "オンライン申請率（すべての手続）",
            "ja-easy": "インターネットで 申し込んだ 割合（すべての 手続き）",
            "en": "Online applications, all procedures",
            "pt-br": "Pedidos online, todos os procedimentos",
            "vi": "Tỷ lệ đơn trực tuyến, tất cả thủ tục",
            "zh-hans": "在线申请率（全部手续）",
            "es": "Solicitudes en línea, todos los trámites",
            "fil": "Mga aplikasyon online, lahat ng pamamaraan",
        },
        "descriptions": {"ja": "市が受け付けたすべての申請のうち、オンラインで受け付けた割合。"},
        "numerator": Measure.APPLICATIONS_ONLINE,
        "denominator": Measure.APPLICATIONS,
        "unit": Kpi.Unit.PERCENT,
        "procedure_codes": [],
        "target": Decimal(50),
        "target_fiscal_year": 2027,
        "direction": Kpi.Direction.UP,
        "owner": "joho-seisaku",
        "is_public": True,
    },
    {
        "code": "within-standard",
        "names": {
            "ja": "標準処理期間内に処理した割合",
            "ja-easy": "決まった 日数の 中で 手続きが 終わった 割合",
            "en": "Applications decided within the standard processing period",
            "pt-br": "Pedidos decididos dentro do prazo padrão",
            "vi": "Tỷ lệ đơn được giải quyết trong thời hạn tiêu chuẩn",
            "zh-hans": "在标准处理期限内办结的比例",
            "es": "Solicitudes resueltas dentro del plazo estándar",
            "fil": "Mga aplikasyong napagpasyahan sa loob ng karaniwang panahon",
        },
        "descriptions": {"ja": "処理した申請のうち、手続ごとの標準処理期間内に処理した割合。"},
        "numerator": Measure.DECIDED_WITHIN_STANDARD,
        "denominator": Measure.DECIDED,
        "unit": Kpi.Unit.PERCENT,
        "procedure_codes": [],
        "target": Decimal(95),
        "target_fiscal_year": 2026,
        "direction": Kpi.Direction.UP,
        "owner": "joho-seisaku",
        "is_public": True,
    },
    {
        "code": "counter-wait",
        "names": {
            "ja": "窓口の平均待ち時間",
            "ja-easy": "窓口で 待つ 時間（平均）",
            "en": "Average wait at the counters",
            "pt-br": "Espera média nos balcões",
            "vi": "Thời gian chờ trung bình tại quầy",
            "zh-hans": "窗口平均等候时间",
            "es": "Espera media en las ventanillas",
            "fil": "Karaniwang paghihintay sa mga counter",
        },
        "descriptions": {"ja": "番号札を受け取ってから呼ばれるまでの時間の平均（対応した人のみ）。"},
        "numerator": Measure.WAIT_MINUTES,
        "denominator": Measure.SERVED,
        "unit": Kpi.Unit.MINUTES,
        "procedure_codes": [],
        "target": Decimal(10),
        "target_fiscal_year": 2026,
        "direction": Kpi.Direction.DOWN,
        "owner": "jumin",
        "is_public": True,
    },
    {
        "code": "card-sign-in",
        "names": {
            "ja": "マイナンバーカードでのログインの割合",
            "ja-easy": "マイナンバーカードで ログインした 割合",
            "en": "Sign-ins with the My Number Card",
            "pt-br": "Acessos com o cartão My Number",
            "vi": "Tỷ lệ đăng nhập bằng thẻ My Number",
            "zh-hans": "使用个人编号卡登录的比例",
            "es": "Inicios de sesión con la tarjeta My Number",
            "fil": "Mga pag-sign in gamit ang My Number Card",
        },
        "descriptions": {"ja": "住民のログインのうち、マイナンバーカードを使ったものの割合。"},
        "numerator": Measure.CARD_SIGN_INS,
        "denominator": Measure.SIGN_INS,
        "unit": Kpi.Unit.PERCENT,
        "procedure_codes": [],
        "target": Decimal(70),
        "target_fiscal_year": 2027,
        "direction": Kpi.Direction.UP,
        "owner": "joho-seisaku",
        "is_public": True,
    },
    {
        "code": "status-report-online",
        "names": {
            "ja": "児童手当の現況届のオンライン率",
            "en": "Child allowance status reports made online",
        },
        "descriptions": {"ja": "こども家庭課の取組目標。現況届のリマインダーの効果を見るためのKPI。"},
        "numerator": Measure.APPLICATIONS_ONLINE,
        "denominator": Measure.APPLICATIONS,
        "unit": Kpi.Unit.PERCENT,
        "procedure_codes": [INTERVENTION_PROCEDURE],
        "target": Decimal(60),
        "target_fiscal_year": 2026,
        "direction": Kpi.Direction.UP,
        "owner": "kodomo-katei",
        "is_public": False,
    },
]

INTERVENTION: dict[str, Any] = {
    "titles": {
        "ja": "現況届のリマインダーをLINEでも送信",
        "en": "Status report reminders sent by LINE too",
    },
    "descriptions": {
        "ja": (
            "2026年6月1日から、児童手当の現況届の提出を促すお知らせを、郵送のはがきに加えて市公式LINEでも"
            "送信。LINEのお知らせからオンライン申請の画面に直接進める。"
        ),
        "en": "From 1 June 2026 the reminder is sent by the city's LINE account as well as by post, linking to the online form.",
    },
    "started_on": INTERVENTION_DAY,
    "department": "kodomo-katei",
    "kpis": ["online-share-national", "online-share", "status-report-online"],
    "procedure_codes": [INTERVENTION_PROCEDURE],
    "comparison_procedure_codes": COMPARISON_PROCEDURES,
}


def _department(municipality: Municipality, code: str) -> Department:
    department = Department.objects.filter(municipality=municipality, code=code).first()
    if department is not None:
        return department
    if code == STATISTICS_DEPARTMENT[0]:
        _code, name, name_en, phone, counter = STATISTICS_DEPARTMENT
        return Department.objects.create(
            municipality=municipality, code=code, name=name, name_en=name_en, phone=phone, counter=counter
        )
    return Department.objects.get(municipality=municipality, code="kodomo-katei")


def load_insights(municipality: Municipality, *, recorded_by: User | None = None) -> list[Kpi]:
    """The KPIs and the intervention log of the demo (see the module's text)."""
    kpis: dict[str, Kpi] = {}
    with transaction.atomic():
        for position, spec in enumerate(KPIS):
            values = {key: value for key, value in spec.items() if key not in ("code", "owner")}
            kpi, _made = Kpi.objects.update_or_create(
                municipality=municipality,
                code=spec["code"],
                defaults=values | {"owner": _department(municipality, spec["owner"]), "position": position},
            )
            kpis[kpi.code] = kpi
        intervention = Intervention.objects.filter(
            municipality=municipality, titles__ja=INTERVENTION["titles"]["ja"]
        ).first() or Intervention(municipality=municipality)
        intervention.titles = INTERVENTION["titles"]
        intervention.descriptions = INTERVENTION["descriptions"]
        intervention.started_on = dt.date.fromisoformat(str(INTERVENTION["started_on"]))
        intervention.department = _department(municipality, str(INTERVENTION["department"]))
        intervention.procedure_codes = list(INTERVENTION["procedure_codes"])
        intervention.comparison_procedure_codes = list(INTERVENTION["comparison_procedure_codes"])
        intervention.recorded_by = recorded_by
        intervention.save()
        intervention.kpis.set([kpis[code] for code in INTERVENTION["kpis"] if code in kpis])
    return list(kpis.values())


__all__ = ["INTERVENTION", "KPIS", "NATIONAL_27", "load_insights"]
