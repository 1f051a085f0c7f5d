"""パブリックコメント of the demo (伊賀市 only): 「伊賀市地域公共交通計画（案）」 taking opinions now,
with six sections and its PDF; 「伊賀市DX推進計画（案）」 closed, with opinions and its published
「意見の概要と市の考え方」 (and so its open dataset); 「伊賀市自転車活用推進計画（案）」 closed last week,
its result still being written by 交通政策課. Fictional but plausible."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from idx.common.models import Municipality
from idx.identity.models import Department, Role, User
from idx.public_comment import services
from idx.public_comment.models import Consultation

IGA_CODE = "242161"
TRANSPORT = {
    "code": "kotsu-seisaku",
    "name": "交通政策課",
    "name_en": "Transport Policy Division",
    "phone": "0595-22-9663",
    "counter": "本庁舎3階",
}
DX = {
    "code": "dx-suishin",
    "name": "デジタル自治推進局",
    "name_en": "Digital Transformation Bureau",
    "phone": "0595-22-9606",
    "counter": "本庁舎4階",
}

TRANSPORT_TITLES = {
    "ja": "伊賀市地域公共交通計画（案）",
    "ja-easy": "伊賀市の バスや 電車の 計画（案）",
    "en": "Iga City Regional Public Transport Plan (draft)",
}
TRANSPORT_SUMMARIES = {
    "ja": (
        "市は、鉄道（伊賀鉄道・関西本線）、路線バス、行政バス、デマンドタクシーを一体として見直し、"
        "令和9年度から令和13年度までの5年間の地域公共交通計画を定めます。高齢の方や通学する方が"
        "移動に困らないよう、路線の再編、乗り継ぎの改善、運賃の考え方などを案としてまとめました。"
    ),
    "ja-easy": (
        "市は、電車や バスの これからの 5年の 計画を 作ります。お年寄りや 学生が 困らないように、"
        "バスの 道や 乗りかえ、料金の ことを 考えました。あなたの 意見を 聞かせてください。"
    ),
    "en": (
        "The city reviews its railways, buses, municipal buses and on-demand taxis together and sets its "
        "public transport plan for the five years from fiscal 2027. The draft covers new routes, easier "
        "connections and fares, so that older people and students can get around."
    ),
}
TRANSPORT_SECTIONS = [
    (
        "計画の目的と期間",
        "Purpose and period",
        "この計画は、地域公共交通の活性化及び再生に関する法律に基づき、市内の公共交通のあり方を定める"
        "ものです。計画期間は令和9年度から令和13年度までの5年間とし、3年目に中間評価を行います。",
    ),
    (
        "伊賀市の公共交通の現状と課題",
        "Public transport in Iga today",
        "市内の路線バスの利用者は10年前に比べて約3割減り、運転士の不足から減便が続いています。"
        "一方、75歳以上の人口は増えており、運転免許を返納した方の移動手段の確保が課題です。"
        "伊賀鉄道の利用者は通学の定期券利用が約6割を占めています。",
    ),
    (
        "基本方針と目標",
        "Basic policies and targets",
        "「誰もが安心して移動できるまち」を基本方針とし、（1）生活に必要な移動の確保、"
        "（2）鉄道とバスの乗り継ぎの改善、（3）地域と事業者と市の協働、の3つを柱とします。"
        "目標として、公共交通の年間利用者数を令和8年度の水準で維持することを掲げます。",
    ),
    (
        "路線バス・行政バスの再編",
        "Reorganising the bus routes",
        "利用の少ない行政バスの路線を、予約に応じて運行するデマンドタクシーに順次切り替えます。"
        "上野市駅を中心とする幹線は、朝夕の便を確保したうえで、昼間は運行間隔を見直します。",
    ),
    (
        "乗り継ぎと運賃",
        "Connections and fares",
        "上野市駅、伊賀上野駅、佐那具駅を乗り継ぎ拠点とし、時刻の調整と待合環境の改善を進めます。"
        "行政バスとデマンドタクシーの運賃は1乗車300円を基本とし、交通系ICカードと"
        "スマートフォンでの支払いを導入します。",
    ),
    (
        "計画の推進と評価",
        "Carrying out and evaluating the plan",
        "伊賀市地域公共交通会議において毎年度、利用者数、収支率、住民満足度を確認し、"
        "結果を市のホームページとオープンデータで公表します。",
    ),
]

DX_TITLES = {
    "ja": "伊賀市DX推進計画（案）",
    "ja-easy": "伊賀市の デジタルの 計画（案）",
    "en": "Iga City DX Promotion Plan (draft)",
}
DX_SUMMARIES = {
    "ja": (
        "行政手続のオンライン化、書かない窓口、デジタル活用支援など、市のデジタル化の取組を"
        "まとめた計画の案です。"
    ),
    "ja-easy": "市の 手続きを インターネットで できるように する 計画の 案です。",
    "en": "The draft plan for the city's digital services: online procedures, assisted counters and help for residents.",
}
DX_SECTIONS = [
    (
        "計画の位置づけ",
        "Place of the plan",
        "伊賀市総合計画のもと、DX基本方針に基づく具体的な取組を定めます。",
        "",
        "",
        None,
    ),
    (
        "行政手続のオンライン化",
        "Online procedures",
        "令和10年度までに、申請件数の多い手続の9割をオンラインで申請できるようにします。",
        "オンライン化を進めてほしいという意見のほか、スマートフォンに慣れない高齢者が取り残されるのでは"
        "ないか、窓口での手続も残してほしいという意見がありました。",
        "窓口での手続は引き続き行います。あわせて、職員が聞き取りながら申請書を作成する「書かない窓口」を"
        "全支所に広げることを計画に明記しました。",
        True,
    ),
    (
        "デジタル活用支援",
        "Help with digital services",
        "スマートフォン教室を各地区市民センターで年2回以上開催します。",
        "教室の回数を増やしてほしい、平日の夜や土日にも開いてほしいという意見がありました。",
        "開催回数は地区の希望に応じて増やします。土日の開催を計画に追加しました。",
        True,
    ),
    (
        "情報セキュリティと個人情報",
        "Security and personal information",
        "国のガイドラインに沿って情報セキュリティ対策を行い、個人情報を適正に取り扱います。",
        "マイナンバーカードの情報が漏れないか心配だという意見がありました。",
        "マイナンバーは暗号化して保管し、閲覧できる職員を限り、すべての閲覧を記録しています。"
        "計画の記載で対応できるため、修正は行いません。",
        False,
    ),
]
# The result in やさしい日本語 and English, per section: (summary easy, view easy, summary en, view en).
DX_RESULT_OTHER_LANGUAGES = {
    2: (
        "インターネットで 手続きを したい という 意見が ありました。"
        "スマホを 使わない 人も こまらないように、窓口を のこして ほしい という 意見も ありました。",
        "市役所の 窓口は これからも あります。職員が 話を 聞いて 書類を つくる 窓口を、すべての 支所に 広げます。",
        "People asked for online procedures soon; others worried that older residents without a smartphone "
        "would be left behind and asked to keep the counters.",
        "The counters stay. The assisted counter, where staff fill in the form while listening to you, "
        "will be extended to every branch office; the plan now says so.",
    ),
    3: (
        "スマホ教室を もっと ふやして ほしい という 意見が ありました。"
        "夜や 土曜日・日曜日にも ひらいて ほしい という 意見も ありました。",
        "地区の 希望に あわせて 教室を ふやします。土曜日と 日曜日の 教室を 計画に 入れました。",
        "People asked for more smartphone classes, also in the evening and at weekends.",
        "Classes will be added as each area asks. Weekend classes are now in the plan.",
    ),
    4: (
        "マイナンバーカードの 情報が もれないか しんぱい という 意見が ありました。",
        "マイナンバーは わからない 形に して しまって います。見る ことが できる 職員は きまって います。"
        "見た 記録も のこります。計画は なおしません。",
        "A resident worried that the information of the My Number Card could leak.",
        "My Numbers are stored encrypted, only some staff may see them, and every look is recorded. "
        "The plan already covers this and is not changed.",
    ),
}
DX_OPINIONS = [
    (
        {
            2: "子育て中で平日に市役所へ行くのが難しいので、児童手当などの手続がオンラインでできるのはありがたいです。早く進めてください。"
        },
        "伊賀 太郎",
        "伊賀市上野丸之内",
    ),
    (
        {2: "母は80歳でスマホを持っていません。全部オンラインになると困ります。窓口は残してください。"},
        "上野 さくら",
        "伊賀市緑ケ丘本町",
    ),
    (
        {
            2: "オンライン申請の画面は、文字を大きくしたり、ふりがなを付けたりしてほしい。",
            3: "教室は平日の昼だけでなく、土日にも開いてほしいです。",
        },
        "",
        "",
    ),
    (
        {3: "地区市民センターでの教室は良いと思うが、年2回では少ない。毎月開いてほしい。"},
        "阿山 健一",
        "伊賀市馬場",
    ),
    ({4: "マイナンバーカードの情報が漏れないか心配です。どのように守るのか説明してください。"}, "", ""),
    ({3: "仕事帰りに参加できるよう、平日の夜の教室もお願いします。"}, "島ヶ原 由美", "伊賀市島ヶ原"),
    (
        {2: "窓口で職員さんが聞きながら書いてくれる仕組みを支所にも広げてほしいです。"},
        "青山 和夫",
        "伊賀市阿保",
    ),
]
CYCLING_TITLES = {
    "ja": "伊賀市自転車活用推進計画（案）",
    "ja-easy": "伊賀市の 自転車の 計画（案）",
    "en": "Iga City Cycling Promotion Plan (draft)",
}
CYCLING_SUMMARIES = {
    "ja": "自転車を安全に使える道づくり、観光でのサイクリング、通学時の安全対策についての計画の案です。",
    "ja-easy": "自転車で 安全に 走れる 道や、サイクリングの 計画の 案です。",
    "en": "The draft plan for safe cycling roads, cycling for visitors and safety on the way to school.",
}
CYCLING_SECTIONS = [
    (
        "自転車通行空間の整備",
        "Cycling lanes",
        "市街地の幹線道路に自転車の通行位置を示す矢羽根型の路面表示を整備します。",
    ),
    (
        "サイクルツーリズム",
        "Cycling for visitors",
        "伊賀上野城や忍者の里を巡るサイクリングルートを設定し、駅でのレンタサイクルを拡充します。",
    ),
    (
        "通学の安全",
        "Safe cycling to school",
        "中学校・高校と連携して、ヘルメットの着用と交通安全教室を進めます。",
    ),
]
CYCLING_OPINIONS = [
    (
        {1: "上野市駅周辺は道が狭く、自転車と歩行者が危ないので、表示だけでなく道幅の確保もしてほしい。"},
        "上野 一郎",
        "伊賀市上野東町",
    ),
    ({2: "レンタサイクルは電動アシスト付きにしてほしい。坂が多いので観光客には大変です。"}, "", ""),
    (
        {
            3: "ヘルメットの購入に補助があると、子どもに買いやすくなります。",
            1: "通学路の路面表示を優先してください。",
        },
        "柘植 真理",
        "伊賀市柘植町",
    ),
]
OPEN_OPINIONS = [
    (
        {
            4: "島ヶ原地区の行政バスが減ると、病院に通えなくなります。デマンドタクシーの予約は前日までではなく当日もできるようにしてください。"
        },
        "島ヶ原 花子",
        "伊賀市島ヶ原",
    ),
    (
        {
            5: "上野市駅での伊賀鉄道とバスの乗り継ぎの待ち時間が長いので、時刻を合わせてほしい。",
            2: "高校への通学にバスを使っていますが、朝の便が混んでいます。",
        },
        "",
        "",
    ),
]


def _department(municipality: Municipality, spec: dict[str, str]) -> Department:
    department, _made = Department.objects.get_or_create(
        municipality=municipality,
        code=spec["code"],
        defaults={key: value for key, value in spec.items() if key != "code"},
    )
    return department


def _department_admin(
    municipality: Municipality, domain: str, department: Department
) -> tuple[str, str, str]:
    """交通政策課's head (a department administrator), who runs its パブリックコメント."""
    from idx.demo.loader import DEMO_PASSWORD, demo_totp_secret
    from idx.identity.mfa.selectors import has_totp
    from idx.identity.mfa.services import totp_enrol_fixed
    from idx.identity.services import staff_create

    email = f"kotsu-seisaku-admin@{domain}"
    if not User.objects.filter(municipality=municipality, email=email).exists():
        staff_create(
            municipality=municipality,
            email=email,
            password=DEMO_PASSWORD,
            full_name="交通政策課 課長",
            role=Role.DEPARTMENT_ADMIN,
            department=department,
        )
    staff = User.objects.get(municipality=municipality, email=email)
    if not has_totp(staff):
        totp_enrol_fixed(user=staff, secret=demo_totp_secret(email))
    return (municipality.name, email, "department administrator, 交通政策課 (runs its public comment)")


def plan_pdf(title: str, sections: list[tuple[str, str, str]]) -> bytes:
    """The draft as a PDF (the document residents download), made from the sections' texts."""
    from django.utils.html import escape
    from weasyprint import HTML

    body = "".join(
        f"<h2>{number}. {escape(heading)}</h2><p>{escape(text)}</p>"
        for number, (heading, _english, text) in enumerate(sections, start=1)
    )
    html = (
        "<html lang='ja'><head><meta charset='utf-8'><style>body{font-family:'Noto Sans CJK JP',"
        "'Noto Serif CJK JP',sans-serif;font-size:11pt}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>令和8年 伊賀市</p>{body}</body></html>"
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def load_public_comment(municipality: Municipality, *, staff_domain: str = "") -> list[tuple[str, str, str]]:
    """The two cases of 伊賀市 (other demo towns have none); returns the demo account it adds."""
    if municipality.code != IGA_CODE:
        return []
    transport = _department(municipality, TRANSPORT)
    dx = _department(municipality, DX)
    accounts = [_department_admin(municipality, staff_domain, transport)] if staff_domain else []
    today = timezone.localdate()
    if not Consultation.objects.filter(municipality=municipality, titles__ja=TRANSPORT_TITLES["ja"]).exists():
        _open_case(municipality, transport, today)
    if not Consultation.objects.filter(municipality=municipality, titles__ja=DX_TITLES["ja"]).exists():
        _closed_case(municipality, dx, today)
    if not Consultation.objects.filter(municipality=municipality, titles__ja=CYCLING_TITLES["ja"]).exists():
        _result_pending_case(municipality, transport, today)
    return accounts


def _open_case(municipality: Municipality, department: Department, today: dt.date) -> None:
    opens_on = today - dt.timedelta(days=10)
    consultation = services.consultation_create(
        municipality=municipality,
        department=department,
        titles=TRANSPORT_TITLES,
        summaries=TRANSPORT_SUMMARIES,
        opens_on=opens_on,
        closes_on=opens_on + dt.timedelta(days=34),
        anonymous_allowed=True,
        eligibility="anyone",
        actor=None,
    )
    for number, (heading, english, text) in enumerate(TRANSPORT_SECTIONS, start=1):
        services.section_put(
            consultation=consultation,
            number=number,
            headings={"ja": heading, "en": english},
            texts={"ja": text},
            actor=None,
        )
    services.document_add(
        consultation=consultation,
        names={"ja": "伊賀市地域公共交通計画（案）本文", "en": "The draft plan (full text)"},
        filename="iga-kokyo-kotsu-keikaku-an.pdf",
        content=plan_pdf(TRANSPORT_TITLES["ja"], TRANSPORT_SECTIONS),
        actor=None,
    )
    consultation = services.consultation_publish(consultation=consultation, actor=None, today=opens_on)
    for opinions, name, address in OPEN_OPINIONS:
        services.submission_create(
            consultation=consultation, opinions=opinions, name=name, address=address, today=today
        )


def _closed_case(municipality: Municipality, department: Department, today: dt.date) -> None:
    opens_on = today - dt.timedelta(days=75)
    closes_on = opens_on + dt.timedelta(days=30)
    consultation = services.consultation_create(
        municipality=municipality,
        department=department,
        titles=DX_TITLES,
        summaries=DX_SUMMARIES,
        opens_on=opens_on,
        closes_on=closes_on,
        anonymous_allowed=True,
        eligibility="related",
        actor=None,
    )
    for number, (heading, english, text, _summary, _view, _changed) in enumerate(DX_SECTIONS, start=1):
        services.section_put(
            consultation=consultation,
            number=number,
            headings={"ja": heading, "en": english},
            texts={"ja": text},
            actor=None,
        )
    services.document_add(
        consultation=consultation,
        names={"ja": "伊賀市DX推進計画（案）", "en": "The draft plan"},
        filename="iga-dx-suishin-keikaku-an.pdf",
        content=plan_pdf(DX_TITLES["ja"], [(h, e, t) for h, e, t, *_rest in DX_SECTIONS]),
        actor=None,
    )
    consultation = services.consultation_publish(consultation=consultation, actor=None, today=opens_on)
    for index, (opinions, name, address) in enumerate(DX_OPINIONS):
        services.submission_create(
            consultation=consultation,
            opinions=opinions,
            name=name,
            address=address,
            relation="resident",
            today=opens_on + dt.timedelta(days=2 + index * 4),
        )
    consultation.refresh_from_db()
    for section in consultation.sections.all():
        _heading, _english, _text, summary, view, changed = DX_SECTIONS[section.number - 1]
        easy_summary, easy_view, en_summary, en_view = DX_RESULT_OTHER_LANGUAGES.get(
            section.number, ("", "", "", "")
        )
        services.section_result_put(
            section=section,
            opinion_summaries={"ja": summary, "ja-easy": easy_summary, "en": en_summary} if summary else {},
            city_views={"ja": view, "ja-easy": easy_view, "en": en_view} if view else {},
            changed=changed,
            actor=None,
        )
    services.result_publish(
        consultation=consultation,
        notes={
            "ja": (
                "7人の方から8件の意見をいただきました。いただいた意見を踏まえ、「書かない窓口」の全支所への拡大と、"
                "スマートフォン教室の土日開催を計画に加えました。"
            ),
            "ja-easy": (
                "7人から 8つの 意見を もらいました。職員が 書類を つくる 窓口を すべての 支所に 広げます。"
                "土曜日と 日曜日の スマホ教室も 計画に 入れました。"
            ),
            "en": (
                "Seven people sent eight opinions. The plan now extends the assisted counter to every branch "
                "office and adds weekend smartphone classes."
            ),
        },
        actor=None,
    )


def _result_pending_case(municipality: Municipality, department: Department, today: dt.date) -> None:
    """Closed last week: the opinions are in, 交通政策課 is writing the result (not public yet)."""
    opens_on = today - dt.timedelta(days=40)
    consultation = services.consultation_create(
        municipality=municipality,
        department=department,
        titles=CYCLING_TITLES,
        summaries=CYCLING_SUMMARIES,
        opens_on=opens_on,
        closes_on=opens_on + dt.timedelta(days=32),
        anonymous_allowed=True,
        eligibility="anyone",
        actor=None,
    )
    for number, (heading, english, text) in enumerate(CYCLING_SECTIONS, start=1):
        services.section_put(
            consultation=consultation,
            number=number,
            headings={"ja": heading, "en": english},
            texts={"ja": text},
            actor=None,
        )
    consultation = services.consultation_publish(consultation=consultation, actor=None, today=opens_on)
    for index, (opinions, name, address) in enumerate(CYCLING_OPINIONS):
        services.submission_create(
            consultation=consultation,
            opinions=opinions,
            name=name,
            address=address,
            today=opens_on + dt.timedelta(days=5 + index * 6),
        )
