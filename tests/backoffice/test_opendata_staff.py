"""Open data in the back office: who may prepare and who may publish, and the second look."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from idx.identity.models import User
from idx.opendata.models import Dataset, DatastoreRecord, Resource
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in

pytestmark = pytest.mark.django_db

FORM = {
    "department": "kiki-kanri",
    "name": "flood-shelters",
    "title_ja": "洪水時の避難所一覧",
    "title_en": "Shelters for floods",
    "description_ja": "洪水のときに開く避難所です。",
    "theme": "disaster",
    "tags": "防災、洪水",
    "license_id": "pdl-1.0",
    "frequency": "IRREG",
    "spatial": "三重県伊賀市",
    "contact_name": "危機管理課",
    "contact_phone": "0595-22-9640",
}


@pytest.fixture
def crisis_supervisor(iga) -> User:
    return User.objects.get(email="kiki-kanri-supervisor@staff.iga.example.jp")


def _csv(body: str, name: str = "shelters.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body.encode(), content_type="text/csv")


def test_a_department_prepares_and_the_city_publishes(crisis_supervisor, city_admin):
    staff = signed_in(crisis_supervisor)
    response = staff.post("/staff/opendata/new/", FORM)
    assert response.status_code == 302 and response["Location"] == "/staff/opendata/flood-shelters/"
    dataset = Dataset.objects.get(name="flood-shelters")
    assert dataset.status == "draft" and dataset.tags == ["防災", "洪水"]

    response = staff.post(
        "/staff/opendata/flood-shelters/",
        {"name_ja": "避難所（CSV）", "format": "CSV", "file": _csv("名称,想定収容人数\n上野公園,3000\n")},
    )
    assert response.status_code == 302
    assert Resource.objects.get(dataset=dataset).row_count == 1
    staff.post("/staff/opendata/flood-shelters/", {"action": "submit"})
    dataset.refresh_from_db()
    assert dataset.status == "in_review"
    # The department cannot publish its own data: the review is someone else's.
    assert staff.get("/staff/opendata/flood-shelters/review/").status_code == 404

    reviewer = signed_in(city_admin)
    page = reviewer.get("/staff/opendata/flood-shelters/review/").content.decode()
    assert "公開すると" in page or "Publishing makes" in page
    assert 'id="review-stars"' in page and "★★★☆☆" in page
    # Publishing only with the confirmation the review page sends.
    reviewer.post("/staff/opendata/flood-shelters/review/", {"action": "publish"})
    dataset.refresh_from_db()
    assert dataset.status == "in_review"
    reviewer.post("/staff/opendata/flood-shelters/review/", {"action": "publish", "confirmed": "yes"})
    dataset.refresh_from_db()
    assert dataset.status == "published"
    public = signed_in(city_admin).get("/opendata/flood-shelters/")
    assert public.status_code == 200

    response = reviewer.post("/staff/opendata/flood-shelters/withdraw/", {"reason": ""})
    assert response.status_code == 422
    reviewer.post("/staff/opendata/flood-shelters/withdraw/", {"reason": "住所に誤りがあった"})
    dataset.refresh_from_db()
    assert dataset.status == "withdrawn"


def test_sending_back_needs_a_reason(crisis_supervisor, city_admin):
    staff = signed_in(crisis_supervisor)
    staff.post("/staff/opendata/new/", FORM)
    staff.post(
        "/staff/opendata/flood-shelters/",
        {"name_ja": "CSV", "format": "CSV", "file": _csv("名称\n上野公園\n")},
    )
    staff.post("/staff/opendata/flood-shelters/", {"action": "submit"})
    reviewer = signed_in(city_admin)
    response = reviewer.post("/staff/opendata/flood-shelters/review/", {"action": "return", "reason": ""})
    assert response.status_code == 422
    assert 'id="error-summary"' in response.content.decode()
    reviewer.post(
        "/staff/opendata/flood-shelters/review/", {"action": "return", "reason": "英語の題名を足してください"}
    )
    assert Dataset.objects.get(name="flood-shelters").status == "draft"


def test_bad_input_names_the_field_and_keeps_what_was_typed(crisis_supervisor):
    staff = signed_in(crisis_supervisor)
    response = staff.post("/staff/opendata/new/", {**FORM, "name": "Flood Shelters!"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#id_name"' in page
    assert "洪水時の避難所一覧" in page  # nothing typed is lost
    staff.post("/staff/opendata/new/", FORM)
    response = staff.post("/staff/opendata/new/", FORM)
    assert response.status_code == 422 and "#id_name" in response.content.decode()


def test_a_refused_file_is_named_and_nothing_is_stored(crisis_supervisor):
    staff = signed_in(crisis_supervisor)
    staff.post("/staff/opendata/new/", FORM)
    response = staff.post(
        "/staff/opendata/flood-shelters/",
        {"name_ja": "避難所", "format": "CSV", "file": _csv('名称,電話\n上野公園,=HYPERLINK("x")\n')},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#id_file"' in page and "2" in page
    assert not Resource.objects.filter(dataset__name="flood-shelters").exists()
    assert not DatastoreRecord.objects.filter(resource__dataset__name="flood-shelters").exists()


def test_who_may_do_what(iga, clerk, supervisor, crisis_supervisor, city_admin, clerk_other_municipality):
    signed_in(crisis_supervisor).post("/staff/opendata/new/", FORM)
    # A clerk prepares no open data at all.
    assert signed_in(clerk).get("/staff/opendata/").status_code == 404
    assert signed_in(clerk).get("/staff/opendata/flood-shelters/").status_code == 404
    # Another department's supervisor neither sees nor changes it, nor creates for that department.
    other = signed_in(supervisor)
    assert "flood-shelters" not in other.get("/staff/opendata/").content.decode()
    assert other.get("/staff/opendata/flood-shelters/").status_code == 404
    response = other.post("/staff/opendata/new/", {**FORM, "name": "other-data"})
    assert response.status_code == 422 and not Dataset.objects.filter(name="other-data").exists()
    # The city administrator sees every department's.
    assert "flood-shelters" in signed_in(city_admin).get("/staff/opendata/").content.decode()
    # Nothing crosses municipalities.
    watarai = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert watarai.get("/staff/opendata/flood-shelters/").status_code == 404


def test_pages_render_with_a_real_catalog(iga_catalog, city_admin):
    staff = signed_in(city_admin, host=IGA_HOST)
    page = staff.get("/staff/opendata/").content.decode()
    assert "指定緊急避難場所一覧" in page and "公開中" in page
    detail = staff.get("/staff/opendata/evacuation-sites/").content.decode()
    assert "8" in detail and "GeoJSON" in detail


@pytest.fixture
def iga_catalog(iga, supervisor, city_admin):
    from idx.demo.opendata import load_open_data

    load_open_data(iga, author=supervisor, reviewer=city_admin)
    return iga


# ---- standard datasets, the 5-star level, replacing files --------------------------------------

AED_HEADER = "全国地方公共団体コード,ID,名称,緯度,経度,設置位置,開始時間,終了時間\n"


def _standard_dataset(staff) -> Dataset:
    response = staff.post(
        "/staff/opendata/new/",
        {**FORM, "name": "shelter-aeds", "title_ja": "避難所のAED", "standard": "08"},
    )
    assert response.status_code == 302
    dataset = Dataset.objects.get(name="shelter-aeds")
    assert dataset.standard == "08"
    return dataset


def test_a_standard_csv_is_listed_cell_by_cell_in_japanese_when_it_does_not_fit(crisis_supervisor):
    staff = signed_in(crisis_supervisor)
    dataset = _standard_dataset(staff)
    page = staff.get("/staff/opendata/shelter-aeds/").content.decode()
    assert "08 AED設置箇所一覧" in page
    assert "/opendata-standards/08/template.csv" in page and "/opendata-standards/08/schema.json" in page
    body = AED_HEADER + "".join(f"24216,A{n},施設{n},95,136.1,1階,08:30,17:15\n" for n in range(60))
    response = staff.post(
        "/staff/opendata/shelter-aeds/",
        {"action": "add", "name_ja": "AED", "format": "CSV", "file": _csv(body, "aed.csv")},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "標準に合わないセルが 120件あります" in page
    assert "全 120件のうち、最初の 50件を表示しています。" in page
    assert "全国地方公共団体コード" in page and "-90〜90" in page
    assert page.count('<tr><td class="nowrap">') == 50
    assert not Resource.objects.filter(dataset=dataset).exists()


def test_what_was_normalised_is_said_after_the_upload(crisis_supervisor):
    staff = signed_in(crisis_supervisor)
    _standard_dataset(staff)
    body = "全国地方公共団体コード,ID,名称,緯度,経度,開始時間\n２４２１６１,A1,市役所,34.77,136.14,８:３０\n"
    response = staff.post(
        "/staff/opendata/shelter-aeds/",
        {"action": "add", "name_ja": "AED", "format": "CSV", "file": _csv(body, "aed.csv")},
        follow=True,
    )
    page = response.content.decode()
    assert "全角の数字・英字・空白を 2件 半角に直しました。" in page
    assert "時刻 1件を hh:mm の形に直しました。" in page


def test_the_five_star_level_is_on_the_staff_pages(crisis_supervisor):
    staff = signed_in(crisis_supervisor)
    staff.post("/staff/opendata/new/", FORM)
    page = staff.get("/staff/opendata/flood-shelters/").content.decode()
    assert "☆☆☆☆☆" in page
    staff.post(
        "/staff/opendata/flood-shelters/",
        {"action": "add", "name_ja": "CSV", "format": "CSV", "file": _csv("名称\n上野公園\n")},
    )
    page = staff.get("/staff/opendata/flood-shelters/").content.decode()
    assert "★★★☆☆" in page and 'id="dataset-stars"' in page
    assert "★★★☆☆" in staff.get("/staff/opendata/").content.decode()


def test_replacing_a_file_keeps_the_old_one_as_a_version(crisis_supervisor, city_admin):
    staff = signed_in(crisis_supervisor)
    staff.post("/staff/opendata/new/", FORM)
    staff.post(
        "/staff/opendata/flood-shelters/",
        {
            "action": "add",
            "name_ja": "CSV",
            "format": "CSV",
            "file": _csv("名称,想定収容人数\n上野公園,3000\n"),
        },
    )
    resource = Resource.objects.get(dataset__name="flood-shelters")
    page = staff.get("/staff/opendata/flood-shelters/").content.decode()
    assert "ファイルを差し替える" in page
    # A refused replacement changes nothing.
    response = staff.post(
        "/staff/opendata/flood-shelters/",
        {"action": "replace", "resource": str(resource.uid), "file": _csv("名称,想定収容人数\n=1+1,3\n")},
    )
    assert response.status_code == 422
    assert f'href="#replace-{resource.uid}"' in response.content.decode()
    assert not resource.versions.exists()
    response = staff.post(
        "/staff/opendata/flood-shelters/",
        {
            "action": "replace",
            "resource": str(resource.uid),
            "file": _csv("名称,想定収容人数\n上野公園,3000\n上野西小学校,450\n", "shelters-2027.csv"),
        },
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.row_count == 2 and resource.filename == "shelters-2027.csv"
    version = resource.versions.get()
    assert version.number == 1 and version.row_count == 1 and version.replaced_by == crisis_supervisor
    page = staff.get("/staff/opendata/flood-shelters/").content.decode()
    assert "以前の版 1件" in page and "shelters.csv" in page
    # Another resource's id is not taken.
    response = staff.post(
        "/staff/opendata/flood-shelters/",
        {"action": "replace", "resource": "00000000-0000-0000-0000-000000000000", "file": _csv("名称\nx\n")},
    )
    assert response.status_code == 404
