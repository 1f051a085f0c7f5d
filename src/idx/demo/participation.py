"""The demo's participation: two themes of 伊賀市 made through the same services residents and staff use.

「上野地区の空き家活用」 takes proposals now (supports need a My Number Card sign-in);
「中心市街地のベンチと日かげ」 is in its results phase, with an official answer of each kind, a
follow-up and its results as open data. One comment is hidden with its reason.
Participatory budgeting: 「地域づくり予算 みんなで選ぶ事業」 takes budget votes now (a few
residents have voted); 「子どもの遊び場づくり予算」 has its count published. Texts, names and
places are fictional but plausible for 伊賀市.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from idx.common.models import Municipality
from idx.identity.models import Department, Role, User
from idx.participation import services
from idx.participation.models import Process

PARTICIPANTS = [
    ("服部 健一", "ハットリ ケンイチ"),
    ("中森 由美", "ナカモリ ユミ"),
    ("福田 直樹", "フクダ ナオキ"),
    ("岡本 さくら", "オカモト サクラ"),
    ("森川 優", "モリカワ ユウ"),
    ("西田 和子", "ニシダ カズコ"),
    ("田中 悠斗", "タナカ ユウト"),
    ("山本 綾", "ヤマモト アヤ"),
    ("北村 誠", "キタムラ マコト"),
    ("松田 千尋", "マツダ チヒロ"),
    ("Ana Souza", "アナ ソウザ"),
    ("Nguyen Van Minh", "グエン ヴァン ミン"),
    ("井上 翔太", "イノウエ ショウタ"),
    ("辻 恵美", "ツジ エミ"),
    ("川口 大輔", "カワグチ ダイスケ"),
    ("吉田 春香", "ヨシダ ハルカ"),
]

AKIYA_PROPOSALS = [
    (
        "空き家を子育て世帯向けのお試し住宅に",
        "上野地区の空き家を市が借り上げ、移住を考えている子育て世帯が1か月から住んでみられるお試し住宅にしてはどうでしょうか。"
        "保育所や小学校までの距離も分かるようにすると安心です。",
    ),
    (
        "城下町の町家を学生のシェアハウスに",
        "上野丸之内や鍛冶町には使われていない町家が多くあります。近くの大学や専門学校に通う学生向けのシェアハウスにすれば、"
        "町に若い人が増え、祭りの担い手にもなります。",
    ),
    (
        "空き家バンクの情報を地図で見られるように",
        "今の空き家バンクは一覧だけで場所が分かりにくいです。地図の上で、駅やスーパーまでの距離と一緒に見られるようにしてください。",
    ),
    (
        "空き店舗を高齢者のサロンに",
        "銀座通りの空き店舗を、地域の高齢者が気軽に集まれるサロンにしたいです。買い物のついでに寄れる場所があると、"
        "一人暮らしの方の見守りにもなります。",
    ),
    (
        "忍者体験の宿泊施設として活用",
        "観光客は日帰りが多く、夜の町が寂しいです。古い町家を改装して忍者体験ができる宿にすれば、泊まって町を歩く人が増えると思います。",
    ),
    (
        "空き家の片付け費用の補助を",
        "親が亡くなった後の実家を片付けられず、そのままになっている家が多いです。片付けや家財処分の費用を一部補助してもらえれば、"
        "貸したり売ったりしやすくなります。",
    ),
    (
        "空き家を使った子どもの学習スペース",
        "放課後に子どもが宿題をしたり、地域の大学生に勉強を教えてもらえる場所を空き家に作ってほしいです。",
    ),
    (
        "危ない空き家の見回りと所有者への連絡",
        "瓦が落ちそうな空き家が通学路沿いにあります。市が定期的に見回り、所有者に早めに連絡する仕組みを作ってください。",
    ),
    (
        "Share houses for foreign workers in old houses",
        "Many workers from abroad look for housing near the factories but find few options. Empty houses in Ueno could be "
        "renovated as shared housing, with a Japanese language corner for the neighbourhood.",
    ),
    (
        "空き家を使った伊賀焼・伊賀組紐の工房",
        "伝統工芸の若い作り手が工房を探しています。空き家を安く借りられる制度があれば、町の中で作業する姿を観光客にも見てもらえます。",
    ),
    (
        "空き地を地域の小さな菜園に",
        "空き家を取り壊した後の空き地を、近所の人が使える小さな菜園にしてはどうでしょうか。草が伸び放題になるのも防げます。",
    ),
    (
        "空き家の相談窓口を土日にも",
        "所有者の多くは市外に住んでいて、平日に相談に来られません。月に一度でよいので、土日にオンラインでも相談できる日を作ってください。",
    ),
]

AKIYA_COMMENTS = [  # (the proposal's index, the comment)
    (0, "賛成です。うちの近所にも長く空いている町家があります。"),
    (0, "お試し住宅は他の市でも人気だと聞きました。期間を3か月にしてはどうでしょう。"),
    (1, "改装の費用を誰が出すのかが気になります。"),
    (2, "地図で見られるとありがたいです。駐車場の有無も載せてほしいです。"),
    (1, "学生として、ぜひ住んでみたいです。"),
    (3, "見守りの仕組みと組み合わせるとよいと思います。"),
    (0, "Me parece una gran idea para las familias extranjeras también."),
]

SHADE_PROPOSALS = [
    (
        "上野市駅前にベンチと日よけを",
        "バスを待つ間に座れる場所がなく、夏は日差しがとても強いです。駅前広場に日よけのあるベンチを置いてください。",
        "adopted",
        "令和8年度に上野市駅前広場へ日よけ付きのベンチを4基設置します。設置場所はバス乗り場の近くとし、車いすの方も横に並べるよう配置します。",
    ),
    (
        "本町通りに街路樹を増やしてほしい",
        "本町通りは歩道に木陰がなく、夏に歩くのがつらいです。街路樹を植えて日かげを作ってほしいです。",
        "under_review",
        "歩道の幅と地下の配管の位置を調べています。植えられる場所が分かり次第、地元の皆さんと樹種を相談します。結果はこのページでお知らせします。",
    ),
    (
        "銀座通りにミストシャワーを",
        "暑い日に銀座通りでミストシャワーがあると、子どもやお年寄りが休めると思います。",
        "rejected",
        "水道代と機器の管理に多くの費用がかかり、冬は使えないため、今回は見送ります。代わりに、ベンチの近くに日よけを設けることを検討します。",
    ),
    (
        "公園のベンチを背もたれ付きに",
        "上野公園のベンチは背もたれがなく、高齢の方が長く座れません。背もたれと手すりのあるベンチに替えてください。",
        "adopted",
        "上野公園の古いベンチ6基を、背もたれと手すりのあるものに順に取り替えます。",
    ),
    (
        "ベンチに地域の木材を使って",
        "新しく置くベンチには伊賀の森の木を使ってほしいです。地元の林業の応援にもなります。",
        "",
        "",
    ),
]


def _participants(municipality: Municipality) -> list[User]:
    """Demo residents who take part; they signed in with My Number Card once (verified)."""
    people = []
    for index, (name, kana) in enumerate(PARTICIPANTS, start=1):
        email = f"sanka{index:02d}@{municipality.slug}.example.jp"
        user = User.objects.filter(municipality=municipality, email=email).first()
        if user is None:
            user = User.objects.create_user(
                municipality=municipality,
                email=email,
                password=None,
                full_name=name,
                full_name_kana=kana,
                role=Role.RESIDENT,
                email_verified_at=timezone.now(),
                identity_verified_at=timezone.now(),
                verified_name=name,
                verified_address=f"三重県{municipality.name}上野丸之内{100 + index}番地",
            )
        people.append(user)
    return people


def _department_admin(
    municipality: Municipality, department: Department, domain: str
) -> tuple[User, tuple[str, str, str]]:
    from idx.demo.loader import DEMO_PASSWORD, demo_totp_secret
    from idx.identity.mfa.selectors import has_totp
    from idx.identity.mfa.services import totp_enrol_fixed
    from idx.identity.services import staff_create

    email = f"{department.code}-admin@{domain}"
    if not User.objects.filter(municipality=municipality, email=email).exists():
        staff_create(
            municipality=municipality,
            email=email,
            password=DEMO_PASSWORD,
            full_name=f"{department.name} 課長",
            role=Role.DEPARTMENT_ADMIN,
            department=department,
        )
    staff = User.objects.get(municipality=municipality, email=email)
    if not has_totp(staff):
        totp_enrol_fixed(user=staff, secret=demo_totp_secret(email))
    return staff, (municipality.name, email, f"department administrator, {department.name} (participation)")


def load_participation(municipality: Municipality, *, staff_domain: str) -> list[tuple[str, str, str]]:
    """Two themes with proposals, supports and comments; returns the demo account it adds."""
    department = Department.objects.get(municipality=municipality, code="shimin-seikatsu")
    admin, account = _department_admin(municipality, department, staff_domain)
    if Process.objects.filter(municipality=municipality).exists():
        return [account]
    people = _participants(municipality)
    rng = random.Random(17)  # noqa: S311 - demo data
    today = timezone.localdate()
    day = dt.timedelta(days=1)

    akiya = services.process_create(
        staff=admin,
        department=department,
        slug="ueno-akiya",
        titles={
            "ja": "上野地区の空き家活用",
            "ja-easy": "上野地区の 空き家を どう 使うか",
            "en": "Making use of empty houses in Ueno",
        },
        descriptions={
            "ja": "上野地区では空き家が増えています。住まい、店、地域の居場所など、空き家や空き地をどう生かすか、皆さんの提案を募集します。"
            "集まった提案は市が検討し、すべての提案に回答します。",
            "ja-easy": "上野地区では 使われていない 家が 増えています。どう 使えば よいか、アイデアを 教えてください。市は すべての 提案に 答えます。",
            "en": "More and more houses in Ueno stand empty. Tell us how empty houses and plots could serve as homes, shops or "
            "places for the community. The city considers every proposal and answers each one.",
        },
        phases=[
            (
                "information",
                today - 40 * day,
                today - 21 * day,
                {"ja": "説明会の資料と空き家の現状を公開しています。"},
            ),
            (
                "proposals",
                today - 20 * day,
                today + 30 * day,
                {
                    "ja": "市内に住む方が提案できます。賛同はマイナンバーカードでログインした方が、1人10件までできます。",
                    "ja-easy": "伊賀市に 住んでいる 人が 提案 できます。賛成は マイナンバーカードで ログインした 人が 10件まで できます。",
                    "en": "Residents may propose. Supporting needs a My Number Card sign-in, up to 10 proposals per person.",
                },
            ),
            ("results", today + 31 * day, today + 90 * day, {"ja": "市の回答を公表します。"}),
            (
                "follow_up",
                today + 91 * day,
                today + 400 * day,
                {"ja": "採用した提案の実施状況をお知らせします。"},
            ),
        ],
        supports_need_card=True,
        supports_per_resident=10,
    )
    services.process_publish(staff=admin, process=akiya)
    akiya.refresh_from_db()
    proposals = []
    for index, (title, body) in enumerate(AKIYA_PROPOSALS):
        author = people[index % len(people)]
        proposals.append(
            services.proposal_create(
                process=akiya, author=author, title=title, body=body, today=today - (18 - index) * day
            )
        )
    for index, proposal in enumerate(proposals):
        for person in rng.sample(people, k=max(1, len(people) - index * 1 - rng.randint(0, 4))):
            services.support_add(proposal=proposal, resident=person, today=today)
    comments = []
    for index, (number, text) in enumerate(AKIYA_COMMENTS):
        comments.append(
            services.comment_create(
                proposal=proposals[number], author=people[(index + 5) % len(people)], body=text, today=today
            )
        )
    services.comment_create(
        proposal=proposals[0],
        author=people[2],
        body="期間は3か月なら、仕事を探す時間も取れて良さそうですね。",
        parent=comments[1],
        today=today,
    )
    rude = services.comment_create(
        proposal=proposals[4],
        author=people[9],
        body="こんな提案をする人は町のことを何も分かっていない。○○町の△△さんの家なんて早く壊せばいい。",
        today=today,
    )
    services.report_create(reporter=people[3], target=rude, reason="特定の人の家を名指しで書いています。")
    services.moderation_hide(
        staff=admin,
        target=rude,
        reason="特定の個人や住まいを名指しする内容が含まれているため、非表示にしました。表現を改めて、もう一度投稿してください。",
    )

    shade = services.process_create(
        staff=admin,
        department=department,
        slug="machinaka-bench",
        titles={
            "ja": "中心市街地のベンチと日かげ",
            "ja-easy": "町の 中心の ベンチと 日かげ",
            "en": "Benches and shade in the town centre",
        },
        descriptions={
            "ja": "中心市街地を歩いて楽しめるよう、ベンチや日かげをどこに、どのように作るか提案を募りました。市の回答を公表しています。",
            "ja-easy": "町の 中心を 歩きやすく するため、ベンチや 日かげの アイデアを 集めました。市の 答えを 見られます。",
            "en": "We asked where and how to add benches and shade so that the town centre is pleasant to walk. The city's answers are published.",
        },
        phases=[
            ("proposals", today - 150 * day, today - 91 * day, {"ja": "市内に住む方が提案できます。"}),
            ("supports", today - 90 * day, today - 61 * day, {"ja": "1人5件まで賛同できます。"}),
            ("results", today - 60 * day, today + 60 * day, {"ja": "すべての提案に市が回答しました。"}),
        ],
        supports_need_card=False,
        supports_per_resident=5,
    )
    services.process_publish(staff=admin, process=shade)
    shade.refresh_from_db()
    for index, (title, body, status, reason) in enumerate(SHADE_PROPOSALS):
        proposal = services.proposal_create(
            process=shade,
            author=people[(index + 3) % len(people)],
            title=title,
            body=body,
            today=today - (140 - index) * day,
        )
        for person in people[: 12 - index * 2]:
            services.support_add(proposal=proposal, resident=person, today=today - 80 * day)
        services.comment_create(
            proposal=proposal,
            author=people[(index + 7) % len(people)],
            body="夏の暑さ対策として大事だと思います。",
            today=today - 100 * day,
        )
        if status:
            services.answer_draft(staff=admin, proposal=proposal, status=status, reason=reason)
            services.answer_publish(staff=admin, proposal=proposal)
        if index == 0:
            services.follow_up_add(
                staff=admin,
                proposal=proposal,
                text="上野市駅前広場に日よけ付きベンチ4基の設置工事を発注しました（完成は7月の予定）。",
                url="https://www.city.iga.lg.jp/",
                done_on=today - 10 * day,
            )
    services.results_publish(staff=admin, process=shade)
    _load_budgeting(admin, department, people, today)
    return [account]


# (title, body, estimated cost in yen)
BUDGET_PROPOSALS = [
    (
        "通学路の見通しの悪い交差点にカーブミラーと路面表示",
        "上野東小学校の通学路には見通しの悪い交差点が3か所あります。カーブミラーと「止まれ」の路面表示を整えてください。",
        1_800_000,
    ),
    (
        "上野公園のトイレを洋式・多目的に",
        "公園のトイレが和式のみで、高齢の方や小さな子ども連れが使いにくいです。洋式で車いすも入れるトイレにしてください。",
        4_500_000,
    ),
    (
        "地区の集会所にWi-Fiとプロジェクター",
        "集会所で説明会やオンラインの講座を開けるよう、Wi-Fiとプロジェクターを備えてほしいです。",
        800_000,
    ),
    (
        "伊賀鉄道の駅に屋根付きの駐輪場",
        "茅町駅の駐輪場には屋根がなく、雨の日は自転車がぬれてしまいます。屋根を付けてください。",
        2_600_000,
    ),
    (
        "防災倉庫に簡易ベッドと多言語の案内板",
        "避難所の防災倉庫に段ボールベッドを増やし、外国人の方にも分かる多言語の案内板を備えてください。",
        1_500_000,
    ),
    (
        "空き地に花壇をつくる住民活動の苗代",
        "駅前の空き地で花壇をつくる活動をしています。苗や土の費用を支援してもらえれば、町の入口が明るくなります。",
        300_000,
    ),
]

PLAY_PROPOSALS = [
    (
        "ふれあい公園に幼児用の遊具",
        "小さな子どもが安心して遊べる低い滑り台と砂場を置いてください。",
        3_200_000,
    ),
    (
        "河川敷にボール遊びができる広場",
        "ボール遊びが禁止の公園が多いので、河川敷にボール遊びのできる広場を作ってください。",
        4_000_000,
    ),
    (
        "公園に日よけのテント",
        "夏の公園は日差しが強く、休む場所がありません。日よけのテントを設けてください。",
        1_200_000,
    ),
    (
        "図書館に親子で使える読み聞かせ室",
        "図書館に、子どもが声を出しても気兼ねなく過ごせる読み聞かせ室を作ってください。",
        2_500_000,
    ),
    (
        "公園の水飲み場を直してほしい",
        "南公園の水飲み場が壊れたままです。夏の熱中症対策にも直してください。",
        400_000,
    ),
]


def _budget_theme(
    admin: User,
    department: Department,
    people: list[User],
    *,
    slug: str,
    titles: dict[str, str],
    descriptions: dict[str, str],
    phases: list[tuple[str, dt.date, dt.date, dict[str, str]]],
    budget: int,
    proposals: list[tuple[str, str, int]],
) -> Process:
    process = services.process_create(
        staff=admin,
        department=department,
        slug=slug,
        titles=titles,
        descriptions=descriptions,
        phases=phases,
        supports_need_card=True,
        supports_per_resident=5,
        budget_total=budget,
    )
    services.process_publish(staff=admin, process=process)
    process.refresh_from_db()
    proposing = phases[0][1] + dt.timedelta(days=1)
    for index, (title, body, cost) in enumerate(proposals):
        proposal = services.proposal_create(
            process=process, author=people[(index + 4) % len(people)], title=title, body=body, today=proposing
        )
        services.proposal_cost_set(staff=admin, proposal=proposal, cost=cost, today=proposing)
    process.refresh_from_db()
    return process


def _load_budgeting(admin: User, department: Department, people: list[User], today: dt.date) -> None:
    """Two participatory budgeting themes: one voting now, one counted and published."""
    day = dt.timedelta(days=1)
    vote = _budget_theme(
        admin,
        department,
        people,
        slug="chiiki-yosan",
        titles={
            "ja": "地域づくり予算 みんなで選ぶ事業",
            "ja-easy": "地域の お金の 使い方を みんなで 選ぶ",
            "en": "Community budget: choose the projects together",
        },
        descriptions={
            "ja": "上野地区の地域づくりに使う1,000万円の使い道を、市民の投票で決めます。市が費用を見積もった提案から、"
            "予算の範囲内で実施してほしい事業を選んでください。",
            "ja-easy": "上野地区で 使う 1,000万円の 使い方を 投票で 決めます。予算の 中で やってほしい ことを 選んでください。",
            "en": "Residents decide by vote how 10 million yen for the Ueno area is spent. Choose, within the budget, "
            "the proposals the city has costed that you want carried out.",
        },
        phases=[
            ("proposals", today - 70 * day, today - 41 * day, {"ja": "市内に住む方が提案できます。"}),
            (
                "information",
                today - 40 * day,
                today - 8 * day,
                {"ja": "市が提案ごとに費用を見積もりました。"},
            ),
            (
                "budgeting",
                today - 7 * day,
                today + 21 * day,
                {
                    "ja": "マイナンバーカードでログインした方が、1人1票、予算の範囲内で事業を選べます。期間中は選び直せます。",
                    "ja-easy": "マイナンバーカードで ログインした 人が 1人 1回 投票 できます。期間の 中なら 選び直せます。",
                    "en": "One ballot per resident signed in with My Number Card, within the budget; you may change it until the end.",
                },
            ),
            ("results", today + 22 * day, today + 120 * day, {"ja": "集計結果を公表します。"}),
        ],
        budget=10_000_000,
        proposals=BUDGET_PROPOSALS,
    )
    for person, numbers in zip(
        people[:6], [[1, 3, 5], [2, 3, 6], [1, 4, 5, 6], [1, 2], [3, 5, 6], [1, 4, 6]], strict=True
    ):
        services.ballot_cast(process=vote, resident=person, numbers=numbers, today=today - 2 * day)

    play = _budget_theme(
        admin,
        department,
        people,
        slug="asobiba-yosan",
        titles={
            "ja": "子どもの遊び場づくり予算",
            "ja-easy": "子どもの 遊び場を つくる お金",
            "en": "Budget for children's play areas",
        },
        descriptions={
            "ja": "子どもの遊び場づくりに使う800万円の使い道を、市民の投票で決めました。集計結果を公表しています。",
            "ja-easy": "子どもの 遊び場に 使う 800万円の 使い方を 投票で 決めました。結果を 見られます。",
            "en": "Residents decided by vote how 8 million yen for children's play areas is spent. The count is published.",
        },
        phases=[
            ("proposals", today - 200 * day, today - 161 * day, {"ja": "市内に住む方が提案できます。"}),
            ("budgeting", today - 150 * day, today - 121 * day, {"ja": "1人1票、予算の範囲内で選びます。"}),
            (
                "results",
                today - 120 * day,
                today + 200 * day,
                {"ja": "集計結果と実施する事業を公表しています。"},
            ),
        ],
        budget=8_000_000,
        proposals=PLAY_PROPOSALS,
    )
    ballots = [[1, 3, 5], [1, 3], [2, 3, 5], [1, 4], [3, 4, 5], [1, 3, 5], [2, 5], [1, 5], [4, 5], [3, 5]]
    for person, numbers in zip(people, ballots, strict=False):
        services.ballot_cast(process=play, resident=person, numbers=numbers, today=today - 140 * day)
    phase = play.phases.get(kind="budgeting")
    services.budget_count(staff=admin, phase=phase, today=today)
    services.budget_publish(staff=admin, phase=phase)
