"""Surveys of the demo (伊賀市 only): an open, anonymous survey on the city's website and online
applications with about 60 answers, and a closed, signed survey on disaster information whose
results are published (and so an open dataset). Fictional but plausible."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from idx.common.models import Municipality
from idx.identity.models import Department, Role, User
from idx.surveys import services
from idx.surveys.models import Survey, SurveyResponse, SurveyStatus

IGA_CODE = "242161"


def _t(ja: str, en: str, easy: str) -> dict[str, str]:
    return {"ja": ja, "en": en, "ja-easy": easy}


WEBSITE_QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "single",
        "label": _t(
            "市のホームページをどのくらい利用しますか",
            "How often do you use the city's website?",
            "市の ホームページを どのくらい 使いますか",
        ),
        "choices": [
            _t("週に1回以上", "Once a week or more", "1週間に 1回 より 多い"),
            _t("月に1〜3回", "1–3 times a month", "1か月に 1〜3回"),
            _t("年に数回", "A few times a year", "1年に 何回か"),
            _t("ほとんど利用しない", "Hardly ever", "ほとんど 使わない"),
        ],
        "required": True,
    },
    {
        "kind": "single",
        "label": _t("主にどの機器で利用しますか", "Which device do you mostly use?", "おもに 何で 見ますか"),
        "choices": [
            _t("スマートフォン", "Smartphone", "スマートフォン"),
            _t("パソコン", "Computer", "パソコン"),
            _t("タブレット", "Tablet", "タブレット"),
        ],
        "required": True,
    },
    {
        "kind": "scale",
        "label": _t(
            "探している情報は見つけやすいですか",
            "Is the information you look for easy to find?",
            "ほしい 情報は 見つけやすいですか",
        ),
        "required": True,
    },
    {
        "kind": "multiple",
        "label": _t(
            "利用したことのあるオンライン申請（あてはまるものすべて）",
            "Online applications you have used (all that apply)",
            "インターネットで した 申し込み（ぜんぶ えらんで ください）",
        ),
        "choices": [
            _t("住民票の写しの請求", "Certificate of residence", "住民票の 写し"),
            _t("児童手当の申請", "Child allowance", "児童手当"),
            _t("粗大ごみの収集申込", "Bulky waste collection", "大きい ごみの 申し込み"),
            _t("施設・窓口の予約", "Booking a facility or counter", "施設や 窓口の 予約"),
            _t("利用したことはない", "None yet", "まだ 使った ことが ない"),
        ],
    },
    {
        "kind": "scale",
        "label": _t(
            "オンライン申請は手続きしやすかったですか",
            "Were the online applications easy to complete?",
            "インターネットの 申し込みは かんたん でしたか",
        ),
    },
    {
        "kind": "number",
        "label": _t(
            "ホームページで1回の用事にかかった時間（分）",
            "Minutes one visit to the website took you",
            "ホームページで 1回に かかった 時間（分）",
        ),
    },
    {
        "kind": "text",
        "label": _t(
            "使いにくかった点や改善してほしい点",
            "What was hard to use, and what should we improve?",
            "使いにくかった ところ、よく してほしい ところ",
        ),
    },
]

DISASTER_QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "multiple",
        "label": _t(
            "災害時の情報をどこから受け取っていますか",
            "Where do you get disaster information from?",
            "災害の ときの 情報を どこから もらいますか",
        ),
        "choices": [
            _t("防災行政無線", "Outdoor loudspeakers", "防災無線"),
            _t("伊賀市防災メール・LINE", "City disaster e-mail / LINE", "市の メール・LINE"),
            _t("テレビ・ラジオ", "TV and radio", "テレビ・ラジオ"),
            _t("自治会・近所の人", "Neighbourhood association", "近所の 人"),
        ],
    },
    {
        "kind": "single",
        "label": _t(
            "避難所の場所を知っていますか",
            "Do you know where your evacuation shelter is?",
            "ひなんじょの 場所を 知って いますか",
        ),
        "choices": [
            _t("知っている", "Yes", "知って いる"),
            _t("だいたい知っている", "Roughly", "だいたい 知って いる"),
            _t("知らない", "No", "知らない"),
        ],
        "required": True,
    },
    {
        "kind": "scale",
        "label": _t(
            "市の防災情報は分かりやすいですか",
            "Is the city's disaster information easy to understand?",
            "市の 防災の 情報は わかりやすい ですか",
        ),
        "required": True,
    },
    {
        "kind": "text",
        "label": _t("ご意見・ご要望", "Comments and requests", "意見・おねがい"),
    },
]

COMMENTS = [
    "スマートフォンだと文字が小さく、メニューの場所が分かりにくいです。",
    "検索で「ごみカレンダー」と入れても目的のページが出てきませんでした。",
    "オンラインで住民票が取れて、仕事を休まずに済みました。",
    "申請の途中で保存できるのが便利でした。",
    "PDFの様式が多く、スマホでは読みにくいです。",
    "子育て関係の情報が一か所にまとまっていると助かります。",
    "マイナンバーカードでのログインが何度かうまくいきませんでした。",
    "やさしい日本語のページがあるのは良いと思います。",
    "",
    "",
    "",
]


def _answers(rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "q1": rng.choices(["c1", "c2", "c3", "c4"], weights=[3, 6, 8, 3])[0],
        "q2": rng.choices(["c1", "c2", "c3"], weights=[12, 6, 2])[0],
        "q3": rng.choices([1, 2, 3, 4, 5], weights=[2, 6, 9, 8, 3])[0],
    }
    used = {f"c{n}": rng.random() < p for n, p in zip(range(1, 5), (0.35, 0.25, 0.4, 0.3), strict=True)}
    if not any(used.values()):
        used["c5"] = True
    answers["q4"] = used
    if not used.get("c5"):
        answers["q5"] = rng.choices([1, 2, 3, 4, 5], weights=[1, 3, 6, 9, 5])[0]
    if rng.random() < 0.8:
        answers["q6"] = rng.choice([3, 5, 5, 10, 10, 15, 20, 30])
    comment = rng.choice(COMMENTS)
    if comment:
        answers["q7"] = comment
    return answers


def load_surveys(municipality: Municipality) -> int:
    """The demo's surveys and answers (伊賀市); loading twice adds nothing. Returns surveys made."""
    if municipality.code != IGA_CODE:
        return 0
    made = 0
    today = timezone.localdate()
    departments = {d.code: d for d in Department.objects.filter(municipality=municipality)}
    rng = random.Random(2026)
    if not Survey.objects.filter(municipality=municipality, code="homepage-2026").exists():
        survey = services.survey_create(
            municipality=municipality,
            department=departments.get("joho-seisaku") or departments["shimin-seikatsu"],
            actor=None,
            code="homepage-2026",
            titles=_t(
                "市のホームページとオンライン申請の使いやすさアンケート",
                "Survey: how easy are the city's website and online applications to use?",
                "市の ホームページと インターネットの 申し込みの アンケート",
            ),
            descriptions=_t(
                "ホームページとオンライン申請をより使いやすくするため、ご意見をお聞かせください。"
                "無記名で、5分ほどで答えられます。",
                "Help us make the website and online applications easier to use. "
                "Anonymous; it takes about 5 minutes.",
                "ホームページを もっと 使いやすく したいです。名前は 書きません。5分くらいで 答えられます。",
            ),
            opens_on=today - dt.timedelta(days=14),
            closes_on=today + dt.timedelta(days=30),
            signed=False,
            questions=WEBSITE_QUESTIONS,
        )
        survey = services.survey_open(survey=survey, actor=None)
        for _index in range(60):
            services.response_submit(survey=survey, resident=None, answers=_answers(rng), language="ja")
        made += 1
    if not Survey.objects.filter(municipality=municipality, code="bousai-info-2026").exists():
        survey = services.survey_create(
            municipality=municipality,
            department=departments["kiki-kanri"],
            actor=None,
            code="bousai-info-2026",
            titles=_t(
                "災害時の情報の受け取り方に関するアンケート",
                "Survey: how do you receive information in a disaster?",
                "災害の ときの 情報の アンケート",
            ),
            descriptions=_t(
                "防災情報の伝え方を見直すためのアンケートです（記名式・1人1回）。",
                "To review how the city sends disaster information (signed, one answer per person).",
                "防災の 情報の 伝えかたを 考えます。サインインして 1人 1回 答えます。",
            ),
            opens_on=today - dt.timedelta(days=75),
            closes_on=today - dt.timedelta(days=45),
            signed=True,
            questions=DISASTER_QUESTIONS,
        )
        # Answered while it was open: made directly (the service refuses answers after the dates).
        residents = User.objects.filter(municipality=municipality, role=Role.RESIDENT).order_by("pk")[:40]
        for resident in residents:
            answers: dict[str, Any] = {
                "q1": {
                    f"c{n}": rng.random() < p for n, p in zip(range(1, 5), (0.5, 0.6, 0.7, 0.3), strict=True)
                },
                "q2": rng.choices(["c1", "c2", "c3"], weights=[5, 3, 2])[0],
                "q3": rng.choices([1, 2, 3, 4, 5], weights=[1, 3, 6, 7, 3])[0],
            }
            SurveyResponse.objects.create(
                municipality=municipality, survey=survey, resident=resident, answers=answers, language="ja"
            )
        Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.CLOSED)
        services.survey_publish_results(survey=Survey.objects.get(pk=survey.pk), actor=None)
        made += 1
    return made
