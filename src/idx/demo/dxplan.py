"""The demo's DX action plan: 伊賀市's three basic policies (from the IDXビジョン, 2021) and the
initiatives the 推進本部 follows, with yearly targets, milestones and quarterly progress notes.

The figures and notes are fictional but shaped like a real plan's: some initiatives on track, some
delayed, each delay with the reason the owner gave. KPIs of the dashboards are linked by code when
they exist. Loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from idx.common.models import Municipality
from idx.dxplan import services
from idx.dxplan.models import Initiative, ProgressNote
from idx.identity.models import Department, Role, User
from idx.insights.models import Kpi

DX_DEPARTMENT = {
    "code": "dx-suishin",
    "name": "デジタル自治推進局",
    "name_en": "Digital Transformation Bureau",
    "phone": "0595-22-9606",
    "counter": "本庁舎4階",
}

POLICIES = [
    (
        1,
        {
            "ja": "安全安心で利便性を実感できる市民サービスの実現",
            "ja-easy": "安全で　便利な　市の　サービスを　つくります",
            "en": "Safe, secure public services whose convenience residents can feel",
        },
        {
            "ja": "いつでもどこでも手続や相談ができ、必要な情報を受け取り、いろいろな手段で支払える、安全安心な行政サービスを目指します。",
            "en": "Procedures and consultations anytime and anywhere, the information each resident needs, many ways to pay, and services that keep personal data safe.",
        },
    ),
    (
        2,
        {
            "ja": "市民誰もが参加できるデジタル社会の実現",
            "ja-easy": "だれでも　デジタルを　使える　まちに　します",
            "en": "A digital society every resident can take part in",
        },
        {
            "ja": "「誰一人取り残さない」ため、デジタル活用の支援とオープンデータによる価値創造を進めます。",
            "en": "Leaving no one behind: help with using digital services, and value created from open data.",
        },
    ),
    (
        3,
        {
            "ja": "スマート行政の実現",
            "ja-easy": "市役所の　仕事を　デジタルで　よくします",
            "en": "Smart administration",
        },
        {
            "ja": "AI・RPAで事務の負担を減らし、データに基づく政策立案（EBPM）と多様な働き方を進めます。",
            "en": "Less clerical work through AI and RPA, evidence-based policy making, and flexible ways of working.",
        },
    ),
]

# (fiscal year, quarter, status, ja, en)
Note = tuple[int, int, str, str, str]

INITIATIVES: list[dict[str, Any]] = [
    {
        "policy": 1,
        "code": "online-procedures",
        "owner": "dx-suishin",
        "others": ["jumin", "kodomo-katei", "kaigo-koureifukushi"],
        "kpis": ["online-share-national", "online-share"],
        "titles": {
            "ja": "行政手続のオンライン化",
            "ja-easy": "手続きを　インターネットで　できるように　します",
            "en": "Putting procedures online",
        },
        "descriptions": {
            "ja": "国が示す27手続をはじめ、申請・届出をスマートフォンから24時間できるようにします。",
            "en": "The 27 procedures the national government names, and more, can be made from a smartphone at any hour.",
        },
        "targets": [
            (
                2025,
                "27手続すべてをオンライン化し、オンライン申請率30％",
                "All 27 procedures online; 30% of applications made online",
                30,
                "%",
            ),
            (
                2026,
                "オンライン申請率40％、対象を60手続に拡大",
                "40% made online; 60 procedures online",
                40,
                "%",
            ),
            (2027, "オンライン申請率50％", "50% made online", 50, "%"),
        ],
        "milestones": [
            (
                "子育て・介護の27手続をオンライン化",
                "The 27 child-care and care procedures online",
                "2025-09-30",
                "2025-09-12",
            ),
            (
                "税・住民票関係の手続を追加",
                "Tax and resident-record procedures added",
                "2026-06-30",
                "2026-07-15",
            ),
            ("60手続のオンライン化", "60 procedures online", "2027-03-31", None),
        ],
        "notes": [
            (
                2025,
                3,
                "on_track",
                "27手続のオンライン受付を9月に始めた。12月末までのオンライン申請率は24.1％。児童手当の認定請求が伸びている。",
                "The 27 procedures went online in September; 24.1% of applications were made online by December. Child allowance claims lead.",
            ),
            (
                2025,
                4,
                "on_track",
                "年度末のオンライン申請率は28.6％で、目標の30％に届かなかった。紙の申請が多い介護の手続で案内を見直す。",
                "The online share ended the year at 28.6%, short of the 30% target. Guidance for the care procedures, still mostly on paper, is being revised.",
            ),
            (
                2026,
                1,
                "on_track",
                "税・住民票関係の手続を追加する準備を進めた。4〜6月のオンライン申請率は33.0％。",
                "Tax and resident-record procedures are being prepared. 33.0% of applications were made online from April to June.",
            ),
            (
                2026,
                2,
                "on_track",
                "7月15日に税・住民票関係の8手続を追加した（予定より2週間遅れ、決済の確認に時間を要した）。オンライン申請率は36.4％。",
                "Eight tax and resident-record procedures were added on 15 July (two weeks late: testing the payments took longer). 36.4% made online.",
            ),
        ],
    },
    {
        "policy": 1,
        "code": "assisted-counter",
        "owner": "jumin",
        "others": ["shimin-seikatsu", "zeimu"],
        "kpis": ["counter-wait"],
        "titles": {
            "ja": "書かない窓口",
            "ja-easy": "書かなくて　いい　窓口",
            "en": "The assisted counter (no forms to fill in)",
        },
        "descriptions": {
            "ja": "窓口で職員が聞き取って入力し、住民は確認して署名するだけにします。転入・転出などの関連手続を1か所で済ませます。",
            "en": "At the counter a clerk asks and types; the resident only checks and signs. Moving in or out is done in one place.",
        },
        "targets": [
            (
                2025,
                "住民課の転入・転出など5手続で開始",
                "Started for five procedures of the resident registration counter",
                None,
                "",
            ),
            (
                2026,
                "平均待ち時間15分以内、関連手続を市民生活課・税務課に拡大",
                "Average wait within 15 minutes; extended to civic life and taxation",
                15,
                "分",
            ),
            (2027, "平均待ち時間10分以内", "Average wait within 10 minutes", 10, "分"),
        ],
        "milestones": [
            (
                "住民課で5手続を開始",
                "Five procedures at the resident registration counter",
                "2025-10-01",
                "2025-10-01",
            ),
            ("市民生活課・税務課の手続へ拡大", "Extended to civic life and taxation", "2026-10-01", None),
            ("繁忙期（3〜4月）の運用検証", "Review of the busy season (March–April)", "2027-05-31", None),
        ],
        "notes": [
            (
                2025,
                3,
                "on_track",
                "10月1日に住民課で開始した。12月の平均待ち時間は21分で、開始前（28分）より短くなった。",
                "Started on 1 October at the resident registration counter. The average wait in December was 21 minutes, down from 28.",
            ),
            (
                2025,
                4,
                "delayed",
                "3〜4月の繁忙期に待ち時間が平均34分に延びた。聞き取りに慣れた職員が足りず、応援体制を組んだ。",
                "In the March–April rush the average wait rose to 34 minutes: too few clerks trained in the interview. Staff from other counters helped.",
            ),
            (
                2026,
                1,
                "delayed",
                "税務課の証明発行との連携は、基幹系システムの標準化移行を優先するため10月から翌年1月に延期する。",
                "Linking tax certificates is postponed from October to January, because the move of the core systems to the national standard comes first.",
            ),
            (
                2026,
                2,
                "delayed",
                "市民生活課の手続は予定どおり準備中。税務課分は1月開始に向け画面の確認を始めた。平均待ち時間は18分。",
                "Civic life procedures are on schedule; taxation screens are being checked for January. Average wait 18 minutes.",
            ),
        ],
    },
    {
        "policy": 1,
        "code": "cashless-payment",
        "owner": "zeimu",
        "others": ["suido", "jumin"],
        "kpis": [],
        "titles": {
            "ja": "キャッシュレス決済の導入",
            "ja-easy": "現金が　なくても　払えるように　します",
            "en": "Cashless payment",
        },
        "descriptions": {
            "ja": "市税・水道料金に加え、窓口の証明手数料もQRコード決済やクレジットカードで払えるようにします。",
            "en": "City taxes, water charges and counter fees can be paid by QR code or credit card.",
        },
        "targets": [
            (
                2025,
                "窓口の証明手数料でキャッシュレス決済を開始",
                "Cashless payment of counter fees",
                None,
                "",
            ),
            (2026, "窓口手数料のキャッシュレス比率20％", "20% of counter fees paid cashless", 20, "%"),
            (2027, "窓口手数料のキャッシュレス比率35％", "35% of counter fees paid cashless", 35, "%"),
        ],
        "milestones": [
            (
                "本庁舎の窓口に決済端末を設置",
                "Payment terminals at the main office counters",
                "2025-07-01",
                "2025-06-24",
            ),
            ("支所の窓口に拡大", "Extended to the branch offices", "2026-04-01", "2026-04-01"),
            (
                "オンライン申請の手数料をクレジットカードで",
                "Online applications' fees by credit card",
                "2026-12-31",
                None,
            ),
        ],
        "notes": [
            (
                2025,
                4,
                "on_track",
                "本庁舎での窓口手数料のキャッシュレス比率は年度平均12.3％。高齢の方は現金が多い。",
                "Counter fees at the main office were paid cashless 12.3% of the time over the year; older residents mostly pay cash.",
            ),
            (
                2026,
                1,
                "on_track",
                "4月1日に支所6か所へ拡大した。4〜6月の比率は16.8％。",
                "Extended to the six branch offices on 1 April; 16.8% cashless from April to June.",
            ),
            (
                2026,
                2,
                "on_track",
                "7〜9月の比率は19.5％。オンライン申請の手数料のカード決済は12月開始に向け試験中。",
                "19.5% cashless from July to September. Card payment of online fees is being tested for December.",
            ),
        ],
    },
    {
        "policy": 1,
        "code": "disaster-information",
        "owner": "kiki-kanri",
        "others": [],
        "kpis": [],
        "titles": {
            "ja": "防災情報の多言語・多経路での配信",
            "ja-easy": "災害の　情報を　いろいろな　言葉と　方法で　送ります",
            "en": "Disaster information in many languages and channels",
        },
        "descriptions": {
            "ja": "避難情報をメール・LINE・アプリで、8言語で届けます。外国人住民にも確実に伝わるようにします。",
            "en": "Evacuation information by e-mail, LINE and the app, in eight languages, so that foreign residents are reached too.",
        },
        "targets": [
            (2025, "避難情報の8言語配信を開始", "Evacuation information in eight languages", None, ""),
            (2026, "配信登録者1万人", "10,000 residents subscribed", 10000, "人"),
            (2027, "配信登録者1万5千人", "15,000 residents subscribed", 15000, "人"),
        ],
        "milestones": [
            ("8言語での配信開始", "Alerts in eight languages", "2025-06-01", "2025-05-28"),
            (
                "総合防災訓練で全経路を試験",
                "All channels tested in the city-wide drill",
                "2026-11-15",
                "2026-11-15",
            ),
        ],
        "notes": [
            (
                2025,
                4,
                "on_track",
                "配信登録者は7,240人（うち外国語での登録612人）。",
                "7,240 residents subscribed, 612 of them in a language other than Japanese.",
            ),
            (
                2026,
                1,
                "on_track",
                "梅雨前に住民自治協議会で登録の説明会を14回開いた。登録者8,310人。",
                "Fourteen sign-up sessions with residents' councils before the rainy season; 8,310 subscribed.",
            ),
            (
                2026,
                2,
                "on_track",
                "台風10号で高齢者等避難を配信し、送信から全員への到達まで4分だった。登録者9,020人。",
                "Level 3 alerts for Typhoon No. 10 reached every subscriber within 4 minutes; 9,020 subscribed.",
            ),
        ],
    },
    {
        "policy": 1,
        "code": "my-number-card",
        "owner": "jumin",
        "others": ["dx-suishin"],
        "kpis": ["card-sign-in"],
        "titles": {
            "ja": "マイナンバーカードの利活用",
            "ja-easy": "マイナンバーカードを　使える　場面を　増やします",
            "en": "More uses for the My Number Card",
        },
        "descriptions": {
            "ja": "カードでのログインと電子署名で、来庁せずに本人確認が必要な手続を済ませられるようにします。",
            "en": "Signing in and signing with the card, so that procedures needing identity checks are done without a visit.",
        },
        "targets": [
            (2025, "カードでのログインを開始", "Sign-in with the card", None, ""),
            (
                2026,
                "オンライン申請のうちカードでログインした割合40％",
                "40% of online applicants signed in with the card",
                40,
                "%",
            ),
            (2027, "同60％", "60%", 60, "%"),
        ],
        "milestones": [
            ("カードでのログイン開始", "Card sign-in available", "2025-09-01", "2025-09-01"),
            ("スマートフォン用電子証明書に対応", "Certificates on smartphones accepted", "2026-09-30", None),
        ],
        "notes": [
            (
                2025,
                4,
                "on_track",
                "カードでログインした割合は31％。読み取りに失敗した問い合わせが月40件ほどある。",
                "31% signed in with the card; about 40 inquiries a month about failed card reads.",
            ),
            (
                2026,
                1,
                "on_track",
                "読み取りの手順を画像付きで案内し、問い合わせは月18件に減った。",
                "Illustrated guidance for reading the card cut inquiries to 18 a month.",
            ),
            (
                2026,
                2,
                "at_risk",
                "スマートフォン用電子証明書への対応は、認証事業者の接続試験の日程が決まらず9月に間に合わなかった。年度内の対応を目指す。",
                "Smartphone certificates missed September: the identity provider has not yet set a date for the connection tests. Aiming for this fiscal year.",
            ),
        ],
    },
    {
        "policy": 2,
        "code": "smartphone-classes",
        "owner": "kaigo-koureifukushi",
        "others": ["shimin-seikatsu"],
        "kpis": [],
        "titles": {
            "ja": "デジタルデバイド対策（スマホ教室）",
            "ja-easy": "スマートフォンの　使い方を　教えます（スマホ教室）",
            "en": "Closing the digital divide (smartphone classes)",
        },
        "descriptions": {
            "ja": "地区市民センターで高齢の方向けのスマホ教室と個別相談会を開き、オンライン手続を使えるよう支援します。",
            "en": "Smartphone classes and one-to-one help for older residents at the community centres, so that they can use online services.",
        },
        "targets": [
            (2025, "スマホ教室を年60回、受講者600人", "60 classes, 600 participants a year", 600, "人"),
            (2026, "年80回、受講者800人", "80 classes, 800 participants", 800, "人"),
            (2027, "全38地区で開催", "Classes in all 38 districts", 38, "地区"),
        ],
        "milestones": [
            ("講師（デジタル活用支援員）20人を確保", "20 volunteer tutors found", "2025-06-30", "2025-08-20"),
            ("全38地区での開催", "Classes in all 38 districts", "2027-03-31", None),
        ],
        "notes": [
            (
                2025,
                3,
                "delayed",
                "講師の確保が遅れ（8月に20人確保）、上半期は予定30回のうち18回の開催にとどまった。",
                "Tutors were found late (20 by August), so only 18 of the 30 classes planned for the first half took place.",
            ),
            (
                2025,
                4,
                "delayed",
                "年度の開催は52回、受講者は571人で目標に届かなかった。山間部の地区は移動手段がなく参加が少ない。",
                "52 classes and 571 participants over the year, short of the target. Few came in the mountain districts, where transport is lacking.",
            ),
            (
                2026,
                1,
                "on_track",
                "山間部では出張型の相談会に切り替え、4〜6月に22回、受講者241人。",
                "Visiting help sessions in the mountain districts: 22 sessions, 241 participants from April to June.",
            ),
            (
                2026,
                2,
                "on_track",
                "7〜9月は19回、受講者198人。受講後アンケートで「一人で申請できた」は62％。",
                "19 sessions, 198 participants from July to September; 62% said afterwards they could apply on their own.",
            ),
        ],
    },
    {
        "policy": 2,
        "code": "open-data",
        "owner": "dx-suishin",
        "others": ["kiki-kanri"],
        "kpis": [],
        "titles": {
            "ja": "オープンデータの推進",
            "ja-easy": "市の　データを　だれでも　使えるように　公開します",
            "en": "Open data",
        },
        "descriptions": {
            "ja": "自治体標準オープンデータセットを中心に、機械判読できる形でデータを公開し、利活用を促します。",
            "en": "Machine-readable data, starting with the standard municipal open datasets, published for anyone to reuse.",
        },
        "targets": [
            (2025, "標準データセット10種を公開", "10 standard datasets published", 10, "種"),
            (2026, "公開データセット30件、CKAN互換APIを提供", "30 datasets; a CKAN-compatible API", 30, "件"),
            (2027, "公開データセット50件、活用事例5件", "50 datasets; 5 reuse cases", 50, "件"),
        ],
        "milestones": [
            ("カタログサイトの公開", "Catalog site online", "2025-10-01", "2025-10-01"),
            ("CKAN互換APIの提供", "CKAN-compatible API", "2026-12-01", "2026-11-20"),
            ("アイデアソンの開催", "An ideathon with residents", "2027-02-28", None),
        ],
        "notes": [
            (
                2025,
                4,
                "on_track",
                "標準データセット10種を公開した。ダウンロードは月平均310件。",
                "Ten standard datasets published; about 310 downloads a month.",
            ),
            (
                2026,
                1,
                "on_track",
                "避難場所データを地図で見られるようにした。公開データセットは18件。",
                "Evacuation sites can be seen on a map; 18 datasets published.",
            ),
            (
                2026,
                2,
                "on_track",
                "手続の申請件数など、市のシステムから自動で作る統計の公開を始めた。公開データセットは26件。",
                "Statistics made automatically from the city's own systems are published; 26 datasets.",
            ),
        ],
    },
    {
        "policy": 3,
        "code": "ebpm",
        "owner": "dx-suishin",
        "others": [],
        "kpis": ["within-standard"],
        "titles": {
            "ja": "EBPM（証拠に基づく政策立案）の推進",
            "ja-easy": "データを　もとに　市の　計画を　考えます",
            "en": "Evidence-based policy making (EBPM)",
        },
        "descriptions": {
            "ja": "申請件数・処理日数・待ち時間などのデータをダッシュボードで共有し、施策の効果を確かめて予算や計画に生かします。",
            "en": "Applications, processing days and waits shared on dashboards, so that the effect of measures is checked before budgets and plans.",
        },
        "targets": [
            (
                2025,
                "主要KPIのダッシュボードを全課に公開",
                "Dashboards of the main KPIs open to every department",
                None,
                "",
            ),
            (
                2026,
                "標準処理期間内に処理した割合95％",
                "95% decided within the standard processing period",
                95,
                "%",
            ),
            (
                2027,
                "予算要求の全施策で効果指標を設定",
                "An effect indicator for every budget request",
                None,
                "",
            ),
        ],
        "milestones": [
            ("職員向けEBPM研修（全課）", "EBPM training for every department", "2025-11-30", "2025-12-10"),
            ("ダッシュボードの全課公開", "Dashboards open to every department", "2026-06-30", "2026-06-30"),
        ],
        "notes": [
            (
                2025,
                3,
                "on_track",
                "全課の係長級を対象に研修を4回開いた（1回は12月10日にずれ込んだ）。",
                "Four training sessions for every department's section chiefs (one slipped to 10 December).",
            ),
            (
                2026,
                1,
                "on_track",
                "ダッシュボードを全課に公開した。標準処理期間内の割合は93.8％。",
                "Dashboards are open to every department; 93.8% decided within the standard period.",
            ),
            (
                2026,
                2,
                "on_track",
                "現況届のLINEリマインダーの効果を分析し、提出率が上がったことを推進本部で報告した。",
                "The effect of LINE reminders for the status report was analysed and reported to the headquarters: more were returned on time.",
            ),
        ],
    },
    {
        "policy": 3,
        "code": "ai-ocr-rpa",
        "owner": "dx-suishin",
        "others": ["kodomo-katei", "kaigo-koureifukushi", "zeimu"],
        "kpis": [],
        "titles": {
            "ja": "AI-OCR・RPAの活用",
            "ja-easy": "AIと　ロボットで　事務を　少なく　します",
            "en": "AI-OCR and RPA",
        },
        "descriptions": {
            "ja": "紙の申請書の読み取りと基幹系システムへの入力を自動化し、職員の入力作業を減らします。",
            "en": "Reading paper forms and typing them into the core systems is automated, to cut clerks' data entry.",
        },
        "targets": [
            (
                2025,
                "3業務で導入、削減時間年1,500時間",
                "Three tasks automated; 1,500 hours saved a year",
                1500,
                "時間",
            ),
            (2026, "8業務、年4,000時間", "Eight tasks; 4,000 hours", 4000, "時間"),
            (2027, "15業務、年7,000時間", "15 tasks; 7,000 hours", 7000, "時間"),
        ],
        "milestones": [
            (
                "児童手当・介護・税の3業務で稼働",
                "Running for child allowance, care and tax",
                "2025-08-31",
                "2025-08-29",
            ),
            ("8業務に拡大", "Eight tasks", "2026-09-30", None),
        ],
        "notes": [
            (
                2025,
                4,
                "on_track",
                "3業務で年間1,620時間の入力作業を削減した。",
                "1,620 hours of data entry saved across the three tasks.",
            ),
            (
                2026,
                1,
                "at_risk",
                "手書きの介護保険の申請書で読み取りの正答率が82％にとどまり、確認の手間が残る。様式の見直しを介護高齢福祉課と協議中。",
                "Handwritten care insurance forms are read correctly only 82% of the time, so checking remains. Revising the form with the care division.",
            ),
            (
                2026,
                2,
                "delayed",
                "8業務への拡大は5業務にとどまる。基幹系システムの標準化で入力画面が変わるため、残る3業務は移行後に作り直す。",
                "Only five of the eight tasks are running: the core systems' move to the standard changes the screens, so the other three are rebuilt afterwards.",
            ),
        ],
    },
    {
        "policy": 3,
        "code": "system-standardization",
        "owner": "dx-suishin",
        "others": ["jumin", "zeimu", "kodomo-katei"],
        "kpis": [],
        "titles": {
            "ja": "基幹系システムの標準化・共通化",
            "ja-easy": "市の　大切な　システムを　国の　基準に　合わせます",
            "en": "Standardizing the core systems",
        },
        "descriptions": {
            "ja": "住民記録・税・福祉など基幹系20業務のシステムを国の標準仕様に準拠したシステムへ移行し、ガバメントクラウドを利用します。",
            "en": "The systems of the 20 core tasks (resident records, tax, welfare…) move to systems built to the national standard, on the Government Cloud.",
        },
        "targets": [
            (2025, "住民記録など12業務を移行", "12 tasks moved, resident records among them", 12, "業務"),
            (
                2026,
                "残る8業務を移行（移行困難システムを除く）",
                "The other 8 moved (except those certified as hard to move)",
                20,
                "業務",
            ),
            (2027, "運用経費を移行前から3割削減", "Running costs 30% below those before the move", 30, "%"),
        ],
        "milestones": [
            ("住民記録システムの移行", "Resident records moved", "2025-11-30", "2026-01-13"),
            ("税・福祉システムの移行", "Tax and welfare moved", "2026-11-30", None),
        ],
        "notes": [
            (
                2025,
                3,
                "delayed",
                "事業者の作業体制が全国的に逼迫し、住民記録システムの移行を11月から1月に延期した。",
                "With vendors stretched across the country, the move of resident records slipped from November to January.",
            ),
            (
                2025,
                4,
                "delayed",
                "1月13日に住民記録システムを移行した。移行は12業務のうち9業務。",
                "Resident records moved on 13 January; 9 of the 12 tasks have moved.",
            ),
            (
                2026,
                1,
                "at_risk",
                "税システムは国の移行困難システムの認定を受け、移行期限を2027年度末に延ばす。",
                "The tax system was certified as hard to move; its deadline is now the end of fiscal 2027.",
            ),
            (
                2026,
                2,
                "delayed",
                "福祉4業務のデータ移行試験で不整合が見つかり、本番移行を2月に延期した。",
                "Test migrations of four welfare tasks found inconsistencies; the move is postponed to February.",
            ),
        ],
    },
    {
        "policy": 3,
        "code": "telework",
        "owner": "dx-suishin",
        "others": [],
        "kpis": [],
        "titles": {
            "ja": "テレワークの推進",
            "ja-easy": "市役所の　人が　家でも　働けるように　します",
            "en": "Telework for city staff",
        },
        "descriptions": {
            "ja": "庁外から安全に業務システムを使える環境を整え、育児や介護をしながらでも働ける職場にします。",
            "en": "Secure access to work systems from outside the office, so that staff can work while caring for children or relatives.",
        },
        "targets": [
            (
                2025,
                "テレワーク端末200台、全課で利用可能に",
                "200 telework laptops; every department can use them",
                200,
                "台",
            ),
            (2026, "テレワーク実施職員の割合30％", "30% of staff working remotely at times", 30, "%"),
            (2027, "制度の定着と検証", "The scheme settled and reviewed", None, ""),
        ],
        "milestones": [
            ("テレワーク規程の施行", "Telework rules in force", "2025-04-01", "2025-04-01"),
            ("端末200台の配備", "200 laptops handed out", "2025-09-30", "2025-09-26"),
        ],
        "notes": [
            (
                2025,
                2,
                "on_track",
                "端末200台の配備を終え、全課で利用できるようになった。",
                "200 laptops handed out; every department can use them.",
            ),
            (
                2025,
                4,
                "on_track",
                "テレワークを実施した職員は延べ412人、割合は22％。",
                "412 staff worked remotely at least once: 22%.",
            ),
            (
                2026,
                2,
                "done",
                "実施職員の割合は34％となり、年度目標を上回った。今後は通常業務として人事課が運用する。",
                "34% of staff now work remotely at times, above the target. The personnel division runs it as usual business from now on.",
            ),
        ],
    },
]


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _published_at(fiscal_year: int, quarter: int) -> dt.datetime:
    """A note is published in the month after its quarter, at the 推進本部 meeting."""
    month = 3 * quarter + 4  # 7, 10, 13, 16
    year = fiscal_year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return timezone.make_aware(dt.datetime(year, month, 20, 10, 0))  # noqa: DTZ001 - made aware here


IGA_CODE = "242161"


def load_dx_plan(
    municipality: Municipality, *, staff_domain: str = "", any_municipality: bool = False
) -> list[tuple[str, str, str]]:
    """伊賀市's plan (other demo towns have none: the vision is 伊賀市's; tests may load it anywhere
    with ``any_municipality``); returns the demo account it adds (住民課's head, a department
    administrator) as (municipality, e-mail, what)."""
    if municipality.code != IGA_CODE and not any_municipality:
        return []
    department, _made = Department.objects.get_or_create(
        municipality=municipality,
        code=DX_DEPARTMENT["code"],
        defaults={key: value for key, value in DX_DEPARTMENT.items() if key != "code"},
    )
    departments = {
        department.code: department for department in Department.objects.filter(municipality=municipality)
    }
    accounts = []
    if staff_domain and "jumin" in departments:
        accounts.append(_department_admin(municipality, staff_domain, departments["jumin"]))
    policies = {
        number: services.policy_put(
            municipality=municipality, number=number, titles=titles, descriptions=descriptions
        )
        for number, titles, descriptions in POLICIES
    }
    kpi_codes = set(Kpi.objects.filter(municipality=municipality).values_list("code", flat=True))
    today = timezone.localdate()
    current = services.fiscal_quarter_of(today)
    for position, spec in enumerate(INITIATIVES):
        owner = departments.get(spec["owner"])
        if owner is None:
            continue
        if Initiative.objects.filter(municipality=municipality, code=spec["code"]).exists():
            continue
        initiative = services.initiative_create(
            municipality=municipality,
            policy=policies[spec["policy"]],
            owner=owner,
            code=spec["code"],
            titles=spec["titles"],
            descriptions=spec["descriptions"],
            actor=None,
            other_departments=[departments[code] for code in spec["others"] if code in departments],
            kpi_codes=[code for code in spec["kpis"] if code in kpi_codes],
            position=position,
        )
        for fiscal_year, ja, en, value, unit in spec["targets"]:
            services.target_put(
                initiative=initiative,
                fiscal_year=fiscal_year,
                texts={"ja": ja, "en": en},
                value=None if value is None else str(value),
                unit=unit,
                actor=None,
            )
        for ja, en, due, done in spec["milestones"]:
            milestone = services.milestone_add(
                initiative=initiative, titles={"ja": ja, "en": en}, due_on=_date(due), actor=None
            )
            done_on = _date(done)
            if done_on is not None and done_on <= today:
                services.milestone_update(
                    milestone=milestone, due_on=milestone.due_on, done_on=done_on, actor=None
                )
        for fiscal_year, quarter, status, ja, en in spec["notes"]:
            if (fiscal_year, quarter) >= current:
                continue
            note = services.note_create(
                initiative=initiative,
                fiscal_year=fiscal_year,
                quarter=quarter,
                status=status,
                texts={"ja": ja, "en": en},
                actor=None,
            )
            published_at = _published_at(fiscal_year, quarter)
            if published_at <= timezone.now():
                services.note_publish(note=note, actor=None, at=published_at, refresh_dataset=False)
    # A note at the 推進本部 is corrected by a new one, never rewritten: the demo shows one such pair.
    _correction(municipality, current)
    services.plan_dataset_refresh(municipality=municipality)
    return accounts


def _correction(municipality: Municipality, current: tuple[int, int]) -> None:
    note = (
        ProgressNote.objects.filter(
            municipality=municipality, initiative__code="cashless-payment", fiscal_year=2025, quarter=4
        )
        .exclude(published_at=None)
        .first()
    )
    if note is None or note.corrections.exists() or current <= (2025, 4):
        return
    correction = services.note_create(
        initiative=note.initiative,
        fiscal_year=2025,
        quarter=4,
        status=note.status,
        texts={
            "ja": "【訂正】年度平均のキャッシュレス比率は12.3％ではなく13.2％でした（集計に支所分の一部が漏れていました）。",
            "en": "Correction: the year's cashless share was 13.2%, not 12.3% (part of the branch offices' figures had been left out).",
        },
        actor=None,
        corrects=note,
    )
    services.note_publish(
        note=correction, actor=None, at=_published_at(2025, 4) + dt.timedelta(days=9), refresh_dataset=False
    )


def _department_admin(
    municipality: Municipality, domain: str, department: Department
) -> tuple[str, str, str]:
    """住民課's head (a department administrator): keeps 住民課's initiatives of the plan."""
    from idx.demo.loader import DEMO_PASSWORD, demo_totp_secret
    from idx.identity.mfa.selectors import has_totp
    from idx.identity.mfa.services import totp_enrol_fixed
    from idx.identity.services import staff_create

    email = f"jumin-admin@{domain}"
    if not User.objects.filter(municipality=municipality, email=email).exists():
        staff_create(
            municipality=municipality,
            email=email,
            password=DEMO_PASSWORD,
            full_name="住民課 課長",
            role=Role.DEPARTMENT_ADMIN,
            department=department,
        )
    staff = User.objects.get(municipality=municipality, email=email)
    if not has_totp(staff):
        totp_enrol_fixed(user=staff, secret=demo_totp_secret(email))
    return (municipality.name, email, "department administrator, 住民課 (keeps its DX plan initiatives)")
