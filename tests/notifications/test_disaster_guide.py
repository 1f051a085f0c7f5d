"""The disaster information page leads with what residents need (shelters, hazard map, how to
receive alerts), kept per municipality by crisis-management staff; the feed link comes last."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from idx.audit.models import AuditEntry
from idx.identity.models import User
from idx.notifications.demo import guide_data
from idx.notifications.models import DisasterGuide, Shelter
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in

pytestmark = pytest.mark.django_db

LINES = (
    "上野西小学校 | 三重県伊賀市上野丸之内1 | 地震・洪水 | https://maps.example.jp/ueno-nishi\n"
    "柘植小学校\t三重県伊賀市柘植町1\t土砂災害\n"
)


@pytest.fixture
def crisis_client(iga) -> Client:
    return signed_in(User.objects.get(municipality=iga, email="kiki-kanri@staff.iga.example.jp"))


def test_crisis_staff_keep_the_guide_and_residents_see_it_first(iga, crisis_client):
    form = crisis_client.get("/staff/alerts/guide/")
    assert form.status_code == 200
    saved = crisis_client.post(
        "/staff/alerts/guide/",
        {
            "shelters": LINES,
            "hazard_map_url": "https://www.city.iga.example.jp/hazardmap/",
            "how_to_receive-ja": "防災行政無線の内容は 0120-000-000 で聞けます。",
        },
    )
    assert saved.status_code == 302
    shelters = list(
        Shelter.objects.filter(municipality=iga).values_list("name", "address", "hazards", "map_url")
    )
    assert shelters == [
        ("上野西小学校", "三重県伊賀市上野丸之内1", "地震・洪水", "https://maps.example.jp/ueno-nishi"),
        ("柘植小学校", "三重県伊賀市柘植町1", "土砂災害", ""),
    ]

    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/alerts/").content.decode()
    order = [
        page.index("Where to evacuate"),
        page.index('<h3 class="card-title"><span lang="ja">'),
        page.index('href="https://maps.example.jp/ueno-nishi"'),
        page.index('href="https://www.city.iga.example.jp/hazardmap/"'),
        page.index("How to receive alerts"),
        page.index("0120-000-000"),
        page.index("Disaster information issued"),
        page.index("/alerts/feed.atom"),
    ]
    assert order == sorted(order)
    # The city's Japanese data, untranslated, on an English page is marked as Japanese (screen
    # readers, fonts) and gets readings.
    assert '<h3 class="card-title"><span lang="ja"><ruby>' in page
    assert "/accounts/signup/?next=%2Falerts%2F" in page  # how a signed-out resident gets alerts


def test_a_bad_shelter_line_is_named_and_nothing_changes(iga, crisis_client):
    before = list(Shelter.objects.filter(municipality=iga).values_list("name", flat=True))
    response = crisis_client.post(
        "/staff/alerts/guide/",
        {
            "shelters": "上野西小学校 | 伊賀市 \n名前だけ\n",
            "hazard_map_url": "javascript:alert(1)",
            "how_to_receive-ja": "",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'href="#guide-shelters"' in body and 'href="#guide-hazard_map_url"' in body
    assert list(Shelter.objects.filter(municipality=iga).values_list("name", flat=True)) == before


def test_only_crisis_staff_edit_the_guide(clerk, city_admin):
    assert signed_in(clerk).get("/staff/alerts/guide/").status_code == 404
    assert signed_in(city_admin).post("/staff/alerts/guide/", {"shelters": LINES}).status_code == 404


def test_each_municipality_shows_its_own_guide(iga, watarai):
    DisasterGuide.objects.update_or_create(
        municipality=watarai, defaults={"hazard_map_url": "https://watarai.example.jp/hm"}
    )
    Shelter.objects.create(municipality=iga, name="伊賀だけの避難所", address="伊賀市")
    page = Client(HTTP_HOST=WATARAI_HOST).get("/alerts/").content.decode()
    assert "伊賀だけの避難所" not in page and "https://watarai.example.jp/hm" in page


# ---- every language ------------------------------------------------------------------------


def _page(language: str, host: str = IGA_HOST) -> str:
    client = Client(HTTP_HOST=host)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/alerts/")
    assert response.status_code == 200
    return response.content.decode()


def _form(client: Client) -> dict[str, str]:
    """What the editor's form sends as it stands (every input and textarea)."""
    import re
    from html import unescape

    body = client.get("/staff/alerts/guide/").content.decode()
    data = {
        name: unescape(value)
        for name, value in re.findall(r'<input type="text"[^>]* name="([^"]+)"[^>]* value="([^"]*)"', body)
    }
    data.update(
        {
            name: unescape(value)
            for name, value in re.findall(
                r'<textarea[^>]* name="([^"]+)"[^>]*>\n?(.*?)</textarea>', body, re.S
            )
        }
    )
    return data


def test_the_demo_guide_is_in_all_eight_languages(iga, watarai):
    data = guide_data()
    codes = [code for code, _name in settings.LANGUAGES]
    for slug in ("iga", "watarai"):
        assert sorted(data["how_to_receive"][slug]) == sorted(codes)
        assert data["shelters"][slug]
        for shelter in data["shelters"][slug]:
            for field in ("name", "address", "hazards"):
                assert sorted(shelter[field]) == sorted(codes), (slug, field)
                assert all(shelter[field].values())
    for municipality in (iga, watarai):
        for shelter in Shelter.objects.filter(municipality=municipality):
            assert set(shelter.i18n) == {"name", "address", "hazards"}
            assert sorted(shelter.i18n["name"]) == sorted(code for code in codes if code != "ja")


def test_easy_japanese_of_the_demo_guide_passes_the_checks():
    from idx.common.easyja import check
    from idx.common.management.commands.easyja import shipped_texts

    easy = [text for where, text in shipped_texts() if where.startswith("disaster_guide.yaml")]
    assert len(easy) == 17  # 2 ways to receive alerts, 5 shelters × 3 texts
    assert [breach for text in easy for breach in check(text)] == []


@pytest.mark.parametrize(
    ("language", "name", "hazards", "how"),
    [
        ("ja", "ハイトピア伊賀", "地震・大規模な火事", "防災行政無線"),
        ("en", "Hightopia Iga", "Earthquakes, large fires", "Area Mail"),
        ("pt-br", "Prefeitura de Iga (prédio principal)", "Terremotos, enchentes", "alto-falantes"),
        ("vi", "Tòa thị chính Iga (tòa nhà chính)", "Động đất, lũ lụt", "loa phát thanh"),
        ("zh-hans", "伊贺市政府 主楼", "地震、大规模火灾", "紧急速报邮件"),
        ("es", "Ayuntamiento de Iga (edificio principal)", "Terremotos, inundaciones", "altavoces"),
        ("fil", "Iga City Hall (pangunahing gusali)", "Lindol, baha", "loudspeaker"),
    ],
)
def test_residents_read_the_guide_in_their_language(iga, language, name, hazards, how):
    page = _page(language)
    assert name in page and hazards in page and how in page
    if language != "ja":
        assert 'lang="ja"' not in page.split('id="shelters"')[1].split('id="issued"')[0]


def test_easy_japanese_readers_get_the_easy_texts(iga):
    page = _page("ja-easy")
    main = page.split('id="shelters"')[1].split('id="issued"')[0]
    assert "地震・大規模な火事" not in main  # the ordinary Japanese is not shown
    assert "スピーカー" in main


def test_an_untranslated_text_falls_back_to_japanese_marked_as_such(iga):
    shelter = Shelter.objects.filter(municipality=iga).order_by("order").first()
    shelter.i18n = {"name": {"en": "Hightopia Iga"}}  # only the name in English
    shelter.save()
    english = _page("en")
    assert "Hightopia Iga" in english
    assert '<span lang="ja"><ruby>三重' in english  # its address, in Japanese
    portuguese = _page("pt-br")  # pt-br → pt → ja
    assert '<h3 class="card-title"><span lang="ja">' in portuguese
    from idx.common.i18n import localized

    assert localized(shelter, "name", "pt-br") == "ハイトピア伊賀"
    assert localized(shelter, "name", "ja-easy") == "ハイトピア伊賀"
    assert localized(shelter, "name", "en") == "Hightopia Iga"


# ---- the editor ----------------------------------------------------------------------------


def test_the_editor_shows_eight_languages_side_by_side_and_what_falls_back(iga, crisis_client):
    Shelter.objects.filter(municipality=iga, order=0).update(i18n={})
    body = crisis_client.get("/staff/alerts/guide/").content.decode()
    codes = [code for code, _name in settings.LANGUAGES]
    for code in codes:
        assert f'name="how_to_receive-{code}"' in body
    shelter = Shelter.objects.get(municipality=iga, order=0)
    for code in codes[1:]:
        assert f'name="shelter-{shelter.pk}-name-{code}"' in body
    assert f'name="shelter-{shelter.pk}-name-ja"' not in body  # its Japanese comes from the list
    status = body.split(f'id="guide-shelter-{shelter.pk}-name-pt-br-status">')[1].split("</td>")[0]
    assert "日本語" in status  # pt-br falls back to Japanese
    status = body.split('id="guide-how_to_receive-vi-status">')[1].split("</td>")[0]
    assert "入力済み" in status


def test_staff_save_translations_audited_and_residents_read_them(iga, crisis_client):
    shelter = Shelter.objects.get(municipality=iga, order=0)
    data = _form(crisis_client)
    data[f"shelter-{shelter.pk}-name-en"] = "Hightopia Iga (Ueno)"
    data[f"shelter-{shelter.pk}-hazards-vi"] = ""
    data["how_to_receive-es"] = "Escuche los altavoces.\nLlame a la ciudad."
    response = crisis_client.post("/staff/alerts/guide/", data)
    assert response.status_code == 302
    shelter.refresh_from_db()
    assert shelter.i18n["name"]["en"] == "Hightopia Iga (Ueno)"
    assert (
        "vi" not in shelter.i18n["hazards"] and shelter.i18n["hazards"]["fil"] == "Lindol, malalaking sunog"
    )
    guide = DisasterGuide.objects.get(municipality=iga)
    assert guide.i18n["how_to_receive"]["es"] == "Escuche los altavoces.\nLlame a la ciudad."
    entry = AuditEntry.objects.filter(municipality=iga, action="disaster_guide.save").last()
    assert entry is not None and entry.actor.email == "kiki-kanri@staff.iga.example.jp"
    assert entry.after["shelter_texts"]["ハイトピア伊賀"]["name"]["en"] == "Hightopia Iga (Ueno)"
    assert entry.before["shelter_texts"]["ハイトピア伊賀"]["name"]["en"] == "Hightopia Iga"
    assert entry.after["how_to_receive"]["es"].startswith("Escuche")
    assert "Hightopia Iga (Ueno)" in _page("en")
    assert "Escuche los altavoces.<br>Llame a la ciudad." in _page("es")
    assert "地震、大きな火事" not in _page("vi")  # vi falls back to Japanese, not to Easy Japanese


def test_a_renamed_shelter_drops_translations_of_the_old_name(iga, crisis_client):
    data = _form(crisis_client)
    data["shelters"] = data["shelters"].replace("ハイトピア伊賀 |", "ハイトピア伊賀 別館 |", 1)
    data["shelters"] = data["shelters"].replace("三重県伊賀市四十九町3184", "三重県伊賀市四十九町1", 1)
    assert crisis_client.post("/staff/alerts/guide/", data).status_code == 302
    renamed = Shelter.objects.get(municipality=iga, name="ハイトピア伊賀 別館")
    assert renamed.i18n == {}  # a new shelter: nothing translated yet
    moved = Shelter.objects.get(municipality=iga, name="伊賀市役所 本庁舎")
    assert "address" not in moved.i18n and moved.i18n["name"]["en"] == "Iga City Hall (main building)"
    assert list(Shelter.objects.filter(municipality=iga).values_list("order", flat=True)) == [0, 1, 2]


def test_bad_translations_are_named_and_nothing_typed_is_lost(iga, crisis_client):
    shelter = Shelter.objects.get(municipality=iga, order=0)
    before = (DisasterGuide.objects.get(municipality=iga).i18n, shelter.i18n)
    data = _form(crisis_client)
    data["how_to_receive-en"] = "x" * 6001
    data[f"shelter-{shelter.pk}-address-vi"] = "Địa chỉ mới của tôi"
    data[f"shelter-{shelter.pk}-name-fil"] = "y" * 201
    response = crisis_client.post("/staff/alerts/guide/", data)
    assert response.status_code == 422
    body = response.content.decode()
    assert (
        'href="#guide-how_to_receive-en"' in body and f'href="#guide-shelter-{shelter.pk}-name-fil"' in body
    )
    assert "受け取り方" in body or "How residents receive alerts" in body  # the field is named
    assert "Filipino" in body and "ハイトピア伊賀" in body
    assert "Địa chỉ mới của tôi" in body and "y" * 201 in body  # what was typed is shown again
    shelter.refresh_from_db()
    assert (DisasterGuide.objects.get(municipality=iga).i18n, shelter.i18n) == before


def test_another_municipalitys_shelter_cannot_be_written(iga, watarai):
    iga_shelter = Shelter.objects.get(municipality=iga, order=0)
    before = iga_shelter.i18n
    watarai_staff = signed_in(
        User.objects.get(municipality=watarai, email="kiki-kanri@staff.watarai.example.jp"), host=WATARAI_HOST
    )
    data = _form(watarai_staff)
    assert f"shelter-{iga_shelter.pk}-" not in " ".join(data)
    data[f"shelter-{iga_shelter.pk}-name-en"] = "Taken over"
    assert watarai_staff.post("/staff/alerts/guide/", data).status_code == 302
    iga_shelter.refresh_from_db()
    assert iga_shelter.i18n == before
    assert "Taken over" not in _page("en", WATARAI_HOST) and "Taken over" not in _page("en")


def test_translations_need_the_same_permission(iga, clerk, city_admin):
    shelter = Shelter.objects.get(municipality=iga, order=0)
    for user in (clerk, city_admin):
        response = signed_in(user).post("/staff/alerts/guide/", {f"shelter-{shelter.pk}-name-en": "x"})
        assert response.status_code == 404
    shelter.refresh_from_db()
    assert shelter.i18n["name"]["en"] == "Hightopia Iga"
