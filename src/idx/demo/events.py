"""Events and courses of the demo (伊賀市 only), over the next two months: 伊賀上野シティマラソン with
its entry fee, a スマホ教室 that is full with a waiting list (デジタル活用支援, help asked for in
advance), a マイナンバーカード help desk, 防災講座, an online 子育て講座, 忍者体験 and more, each
with its accessibility in ja / en / やさしい日本語, and registrations of the demo residents.
Fictional but plausible; places and organisers are those of the city."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from idx.common.models import Municipality
from idx.events import services
from idx.events.models import Event, EventStatus
from idx.events.selectors import TOKYO
from idx.identity.models import Department, User

IGA_CODE = "242161"


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    today = timezone.now().astimezone(TOKYO).date()
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=TOKYO)


HYTOPIA = {
    "ja": "ハイトピア伊賀 4階 学習室（上野丸之内500）",
    "en": "Hightopia Iga, 4th floor (Ueno-Marunouchi 500)",
    "ja-easy": "ハイトピア伊賀 4かい",
}
STEP_FREE_NOTE = {
    "ja": "会場はエレベーターがあり、段差はありません。車いすの方は申込時にお知らせください。",
    "en": "The venue has a lift and no steps. If you use a wheelchair, please tell us when you register.",
    "ja-easy": "エレベーターが あります。段差は ありません。車いすの 人は 申し込みの ときに 教えて ください。",
}

EVENTS: list[dict[str, Any]] = [
    {
        "key": "marathon",
        "department": "shimin-seikatsu",
        "titles": {
            "ja": "第20回 伊賀上野シティマラソン（10km・5km・ファミリー2km）",
            "en": "20th Iga-Ueno City Marathon (10 km, 5 km, family 2 km)",
            "ja-easy": "伊賀上野 シティマラソン（はしる たいかい）",
        },
        "descriptions": {
            "ja": "上野公園を発着点に、城下町と田園を走る市民マラソンです。参加料は1人3,000円（高校生以下1,000円は窓口で受付）。当日は午前7時30分から受付します。",
            "en": "A city marathon starting and finishing at Ueno Park, through the castle town and the fields. Entry fee 3,000 yen per person. Check-in opens at 7:30.",
            "ja-easy": "上野公園から はしります。お金は 1人 3,000円 です。朝 7時30分から 受付を します。",
        },
        "places": {
            "ja": "上野公園 芝生広場（上野丸之内）",
            "en": "Ueno Park lawn (Ueno-Marunouchi)",
            "ja-easy": "上野公園",
        },
        "category": "sports",
        "area": "ueno",
        "accessibility": ["accessible_toilet", "wheelchair_seats"],
        "accessibility_notes": {
            "ja": "車いすの方の応援席をゴール横に設けます。多目的トイレは上野公園駐車場にあります。",
            "en": "Spaces for spectators in wheelchairs next to the finish. Accessible toilets at the Ueno Park car park.",
            "ja-easy": "車いすの 人の 席が ゴールの 横に あります。",
        },
        "start": (45, 9),
        "hours": 4,
        "capacity": 800,
        "waitlist_size": 50,
        "fee": 3000,
        "max_companions": 2,
        "registrants": [("resident1", 1), ("resident4", 0)],
    },
    {
        "key": "smartphone",
        "department": "kaigo-koureifukushi",
        "titles": {
            "ja": "スマホ教室（はじめてのスマートフォン）",
            "en": "Smartphone class for beginners",
            "ja-easy": "スマホ きょうしつ（はじめての スマートフォン）",
        },
        "descriptions": {
            "ja": "電話のかけ方、写真、LINE、マイナンバーカードでのログインまで、講師と補助員がお一人ずつお手伝いします。スマートフォンをお持ちください（貸出機もあります）。",
            "en": "From calls and photos to LINE and signing in with the My Number Card: a teacher and helpers help each of you. Bring your smartphone (we can lend one).",
            "ja-easy": "電話、写真、LINE、マイナンバーカードの ログインを ゆっくり 教えます。スマホを 持って きて ください。かす ことも できます。",
        },
        "places": HYTOPIA,
        "category": "digital_support",
        "area": "ueno",
        "accessibility": ["step_free", "wheelchair_seats", "easy_japanese", "hearing_loop"],
        "accessibility_notes": STEP_FREE_NOTE,
        "start": (9, 13, 30),
        "hours": 2,
        "capacity": 3,
        "waitlist_size": 5,
        "registrants": [
            ("resident3", 0, ["mynumber_login"], "暗証番号を忘れてしまったかもしれません。"),
            ("resident4", 0, ["line", "smartphone_basics"], "孫に写真を送りたいです。"),
            ("resident5", 0, ["online_application"], ""),
            ("resident2", 0, ["video_call"], "病院のオンライン診療を試したい。"),
        ],
    },
    {
        "key": "helpdesk",
        "department": "jumin",
        "titles": {
            "ja": "マイナンバーカード・オンライン申請 相談会（伊賀支所）",
            "en": "My Number Card and online applications help desk (Iga branch)",
            "ja-easy": "マイナンバーカードと オンライン申請の 相談会",
        },
        "descriptions": {
            "ja": "マイナポータルへのログイン、電子証明書の更新、市のオンライン申請を職員が隣でお手伝いします。1人30分程度です。",
            "en": "Staff sit beside you to sign in to Mynaportal, renew the card's certificates and try the city's online applications. About 30 minutes each.",
            "ja-easy": "マイナポータルや オンライン申請を 市の 人が となりで 手伝います。1人 30分 くらい です。",
        },
        "places": {
            "ja": "伊賀支所 1階 会議室（伊賀市平田）",
            "en": "Iga branch office, 1st floor (Hirata)",
            "ja-easy": "伊賀支所 1かい",
        },
        "category": "digital_support",
        "area": "iga",
        "accessibility": ["step_free", "accessible_toilet", "easy_japanese"],
        "accessibility_notes": STEP_FREE_NOTE,
        "start": (16, 10),
        "hours": 3,
        "capacity": 12,
        "waitlist_size": 6,
        "registrants": [("resident1", 0, ["mynumber_login", "online_application"], "")],
    },
    {
        "key": "bousai",
        "department": "kiki-kanri",
        "titles": {
            "ja": "防災講座「家庭でできる地震への備え」",
            "en": "Disaster preparedness: getting ready for an earthquake at home",
            "ja-easy": "防災の 講座「家で できる 地震の 準備」",
        },
        "descriptions": {
            "ja": "南海トラフ地震を想定し、家具の固定、備蓄、避難所の使い方を学びます。伊賀市の防災マップをお配りします。",
            "en": "Fixing furniture, stockpiles and how evacuation centres work, with a Nankai Trough earthquake in mind. Iga City's hazard map is handed out.",
            "ja-easy": "大きな 地震に そなえて、家具を とめる ことや、食べ物の 準備を 学びます。",
        },
        "places": {
            "ja": "ゆめぽりすセンター 大会議室（ゆめが丘1丁目）",
            "en": "Yumepolis Center, main hall (Yumegaoka 1)",
            "ja-easy": "ゆめぽりすセンター",
        },
        "category": "disaster",
        "area": "ueno",
        "accessibility": ["step_free", "sign_language", "captions", "wheelchair_seats", "childcare"],
        "accessibility_notes": {
            "ja": "手話通訳と要約筆記があります。託児（1歳以上・先着5人）は申込の際にお知らせください。",
            "en": "Sign language interpreting and captions. Childcare (from age 1, first 5) on request when you register.",
            "ja-easy": "手話と 字幕が あります。子どもを あずける ことも できます（5人まで）。",
        },
        "start": (20, 14),
        "hours": 2,
        "capacity": 60,
        "waitlist_size": 10,
        "max_companions": 1,
        "registrants": [("resident2", 1), ("resident5", 0)],
    },
    {
        "key": "kosodate",
        "department": "kodomo-katei",
        "titles": {
            "ja": "子育て講座（オンライン）「イヤイヤ期との付き合い方」",
            "en": "Parenting class (online): living with the terrible twos",
            "ja-easy": "子育ての 講座（オンライン）「イヤイヤ期」",
        },
        "descriptions": {
            "ja": "臨床心理士がお話しし、質問にお答えします。ご自宅からスマートフォンやパソコンで参加できます。参加用リンクは申込後にお一人ずつお知らせします。",
            "en": "A clinical psychologist talks and answers questions. Join from home on a phone or computer; each registrant gets their own link.",
            "ja-easy": "家から スマホや パソコンで 見られます。申し込むと 自分だけの リンクが わかります。",
        },
        "places": {},
        "category": "childcare",
        "area": "online",
        "online": True,
        "join_base_url": "https://meet.iga.example.jp/r/kosodate-2026",
        "accessibility": ["captions", "easy_japanese"],
        "accessibility_notes": {
            "ja": "字幕が出ます。お子さまと一緒にご覧いただけます。",
            "en": "Captions are shown. You may watch with your child.",
            "ja-easy": "字幕が でます。子どもと いっしょに 見ても いいです。",
        },
        "start": (12, 10),
        "hours": 1,
        "capacity": 50,
        "waitlist_size": 0,
        "registrants": [("resident1", 0), ("resident3", 0)],
    },
    {
        "key": "ninja",
        "department": "shimin-seikatsu",
        "titles": {
            "ja": "親子忍者体験（手裏剣打ち・忍者屋敷見学）",
            "en": "Ninja experience for families (shuriken, ninja house)",
            "ja-easy": "親子で 忍者 体験",
        },
        "descriptions": {
            "ja": "伊賀流忍者博物館で、忍者屋敷の仕掛けを見学し、手裏剣打ちを体験します。参加料は1人500円（入館料を含みます）。",
            "en": "At the Iga-ryu Ninja Museum: the tricks of the ninja house and throwing shuriken. 500 yen per person, museum entry included.",
            "ja-easy": "忍者の 家を 見て、手裏剣を なげます。1人 500円 です。",
        },
        "places": {
            "ja": "伊賀流忍者博物館（上野丸之内117 上野公園内）",
            "en": "Iga-ryu Ninja Museum (in Ueno Park)",
            "ja-easy": "伊賀流 忍者 博物館",
        },
        "category": "culture",
        "area": "ueno",
        "accessibility": ["accessible_toilet"],
        "accessibility_notes": {
            "ja": "忍者屋敷は古い建物のため段差があります。車いすの方は別の見学ルートをご案内します。",
            "en": "The ninja house is an old building with steps; wheelchair users are shown another route.",
            "ja-easy": "忍者の 家には 段差が あります。車いすの 人には 別の 道を 教えます。",
        },
        "start": (27, 10),
        "hours": 2,
        "capacity": 30,
        "waitlist_size": 10,
        "fee": 500,
        "max_companions": 3,
        "registrants": [("resident4", 2)],
    },
    {
        "key": "frail",
        "department": "kenko-suishin",
        "titles": {
            "ja": "健康講座「フレイル予防体操」（阿山）",
            "en": "Health class: exercises against frailty (Ayama)",
            "ja-easy": "けんこうの 講座「フレイル よぼうの 体操」",
        },
        "descriptions": {
            "ja": "いすに座ってできる体操と、食事のポイントを保健師がお伝えします。動きやすい服装でお越しください。",
            "en": "Chair exercises and tips on meals from a public health nurse. Please wear comfortable clothes.",
            "ja-easy": "いすに すわって できる 体操です。動きやすい 服で きて ください。",
        },
        "places": {
            "ja": "阿山保健福祉センター（馬場）",
            "en": "Ayama Health and Welfare Centre (Baba)",
            "ja-easy": "阿山 保健福祉センター",
        },
        "category": "health",
        "area": "ayama",
        "accessibility": ["step_free", "wheelchair_seats", "accessible_toilet"],
        "accessibility_notes": STEP_FREE_NOTE,
        "start": (23, 10),
        "hours": 1,
        "capacity": 25,
        "waitlist_size": 5,
        "registrants": [("resident5", 0)],
    },
    {
        "key": "aoyama-desk",
        "department": "kaigo-koureifukushi",
        "titles": {
            "ja": "スマホなんでも相談会（青山）",
            "en": "Smartphone help desk (Aoyama)",
            "ja-easy": "スマホの 相談会（青山）",
        },
        "descriptions": {
            "ja": "スマートフォンの困りごとを、地域のデジタル推進委員がお一人ずつ伺います。",
            "en": "Local digital volunteers help you one by one with whatever troubles you about your smartphone.",
            "ja-easy": "スマホで こまって いる ことを 1人ずつ 聞きます。",
        },
        "places": {
            "ja": "青山ふるさと会館 研修室（阿保）",
            "en": "Aoyama Furusato Hall (Ao)",
            "ja-easy": "青山 ふるさと会館",
        },
        "category": "digital_support",
        "area": "aoyama",
        "accessibility": ["step_free", "easy_japanese"],
        "accessibility_notes": STEP_FREE_NOTE,
        "start": (34, 13),
        "hours": 3,
        "capacity": 10,
        "waitlist_size": 4,
        "registrants": [("resident2", 0, ["scams"], "知らない番号からのSMSが心配です。")],
    },
    {
        "key": "iyaki",
        "department": "shimin-seikatsu",
        "titles": {
            "ja": "伊賀焼 陶芸体験（丸柱）",
            "en": "Iga ware pottery workshop (Marubashira)",
            "ja-easy": "伊賀焼の 焼き物 体験",
        },
        "descriptions": {
            "ja": "伊賀焼伝統産業会館で、窯元の指導のもと湯のみを作ります。焼き上がりは約1か月後に郵送します。参加料1,500円。",
            "en": "Make a tea cup with a potter at the Iga-yaki Traditional Industry Hall; it is posted to you about a month later. 1,500 yen.",
            "ja-easy": "湯のみを 作ります。1か月 あとに 家に 送ります。1,500円 です。",
        },
        "places": {
            "ja": "伊賀焼伝統産業会館（丸柱169-2）",
            "en": "Iga-yaki Traditional Industry Hall (Marubashira)",
            "ja-easy": "伊賀焼 伝統産業会館",
        },
        "category": "culture",
        "area": "ayama",
        "accessibility": ["step_free", "accessible_toilet"],
        "accessibility_notes": STEP_FREE_NOTE,
        "start": (38, 13),
        "hours": 2,
        "capacity": 16,
        "waitlist_size": 4,
        "fee": 1500,
        "registrants": [],
    },
    {
        "key": "rinyu",
        "department": "kenko-suishin",
        "titles": {
            "ja": "離乳食教室（託児あり）",
            "en": "Baby food class (childcare provided)",
            "ja-easy": "赤ちゃんの ごはんの 教室（子どもを あずけられます）",
        },
        "descriptions": {
            "ja": "5〜7か月のお子さんの保護者向けに、管理栄養士が離乳食の進め方を実演します。",
            "en": "For parents of babies aged 5 to 7 months: a dietitian shows how to start baby food.",
            "ja-easy": "5〜7か月の 赤ちゃんの ごはんの 作りかたを 見せます。",
        },
        "places": HYTOPIA,
        "category": "childcare",
        "area": "ueno",
        "accessibility": ["step_free", "childcare", "accessible_toilet"],
        "accessibility_notes": {
            "ja": "保育士が別室でお子さんをお預かりします。授乳室・おむつ交換台があります。",
            "en": "Childminders look after your baby in the next room. Nursing room and changing table available.",
            "ja-easy": "となりの 部屋で 赤ちゃんを あずかります。授乳室が あります。",
        },
        "start": (30, 10),
        "hours": 2,
        "capacity": 15,
        "waitlist_size": 5,
        "registrants": [("resident3", 0)],
    },
]


def load_events(municipality: Municipality) -> int:
    """The demo's events and registrations (伊賀市); loading twice adds nothing. Returns events made."""
    if municipality.code != IGA_CODE:
        return 0
    made = 0
    residents = {
        user.email.split("@", 1)[0]: user
        for user in User.objects.filter(
            municipality=municipality, email__endswith=".example.jp", role="resident"
        )
    }
    for spec in EVENTS:
        if Event.objects.filter(municipality=municipality, titles__ja=spec["titles"]["ja"]).exists():
            continue
        department = Department.objects.filter(municipality=municipality, code=spec["department"]).first()
        if department is None:
            continue
        start = _at(*spec["start"])
        event = Event.objects.create(
            municipality=municipality,
            department=department,
            titles=spec["titles"],
            descriptions=spec["descriptions"],
            places=spec["places"],
            accessibility_notes=spec.get("accessibility_notes", {}),
            category=spec["category"],
            area=spec["area"],
            accessibility=spec["accessibility"],
            starts_at=start,
            ends_at=start + dt.timedelta(hours=spec["hours"]),
            registration_deadline=start - dt.timedelta(days=3),
            cancel_deadline=start - dt.timedelta(days=1),
            capacity=spec["capacity"],
            waitlist_size=spec["waitlist_size"],
            max_companions=spec.get("max_companions", 0),
            fee=spec.get("fee", 0),
            online=spec.get("online", False),
            join_base_url=spec.get("join_base_url", ""),
            status=EventStatus.PUBLISHED,
        )
        made += 1
        for entry in spec["registrants"]:
            who, companions, *help_asked = entry
            resident = residents.get(who)
            if resident is None:
                continue
            services.registration_create(
                event=event,
                resident=resident,
                companions=companions,
                help_topics=help_asked[0] if help_asked else [],
                help_note=help_asked[1] if len(help_asked) > 1 else "",
                accept_waitlist=True,
            )
    return made
