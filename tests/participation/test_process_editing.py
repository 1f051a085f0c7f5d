"""Staff draft, edit and publish participation themes and their phases: the services' rules, the
back-office pages and the staff API."""

from __future__ import annotations

import pytest
from django.utils import timezone

from idx.audit.models import AuditEntry
from idx.identity.models import Department, Role
from idx.participation import process_editing
from idx.participation.models import Phase, Process, ProcessStatus
from idx.participation.process_editing import PhaseLocked, ProcessEditRefused
from idx.participation.services import NotFound
from tests.conftest import WATARAI_HOST, signed_in
from tests.factories import StaffFactory
from tests.participation.conftest import DAY, make_process

pytestmark = pytest.mark.django_db

TITLES = {
    "ja": "上野地区の空き家活用",
    "ja-easy": "上野地区の 空き家を どう 使うか",
    "en": "Making use of empty houses in Ueno",
    "pt-br": "Uso das casas vazias em Ueno",
    "vi": "Sử dụng nhà bỏ trống ở Ueno",
    "zh-hans": "上野地区空置房屋的利用",
    "es": "Uso de las casas vacías de Ueno",
    "fil": "Paggamit ng mga bakanteng bahay sa Ueno",
}
DESCRIPTIONS = {
    "ja": "上野地区では空き家が増えています。使い方の提案を募集します。",
    "ja-easy": "上野地区では 使われていない 家が 増えています。アイデアを 教えてください。",
    "en": "More houses in Ueno stand empty. Tell us how they could be used.",
}


def _draft(admin, department, slug="ueno-akiya", **kwargs):
    return process_editing.process_draft_create(
        staff=admin, department=department, slug=slug, titles=TITLES, descriptions=DESCRIPTIONS, **kwargs
    )


def _add(admin, process, kind, start, end, **kwargs):
    today = timezone.localdate()
    kwargs.setdefault("rules", {"ja": "市内に住む方が提案できます。"})
    return process_editing.phase_add(
        staff=admin,
        process=process,
        kind=kind,
        starts_on=today + start * DAY,
        ends_on=today + end * DAY,
        **kwargs,
    )


# ---- services ------------------------------------------------------------------------------------


def test_a_draft_keeps_every_language_and_is_audited(admin, department):
    process = _draft(admin, department, supports_per_resident=5)
    assert process.status == ProcessStatus.DRAFT
    assert process.titles == TITLES
    assert process.supports_per_resident == 5
    assert not process.phases.exists()
    assert AuditEntry.objects.filter(
        action="participation.process_create", target_id=str(process.pk)
    ).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Ueno Akiya!"}, "slug"),
        ({"titles": {"en": "Only English"}}, "title-ja"),
        ({"titles": {"ja": "題", "en": "x" * 121}}, "title-en"),
        ({"titles": {"ja": "題", "xx": "?"}}, "title-xx"),
        ({"supports_per_resident": -1}, "supports_per_resident"),
    ],
)
def test_wrong_inputs_name_their_field(admin, department, change, field):
    values = {"slug": "ueno-akiya", "titles": TITLES, "descriptions": {}, **change}
    with pytest.raises(ProcessEditRefused) as caught:
        process_editing.process_draft_create(staff=admin, department=department, **values)
    assert caught.value.field == field
    assert caught.value.http_status == 422
    assert not Process.objects.filter(slug="ueno-akiya").exists()


def test_the_address_is_unique_per_municipality_only(admin, department, watarai):
    _draft(admin, department)
    with pytest.raises(ProcessEditRefused) as caught:
        _draft(admin, department)
    assert caught.value.field == "slug"
    watarai_admin = StaffFactory(
        municipality=watarai,
        department=Department.objects.filter(municipality=watarai).first(),
        role=Role.CITY_ADMIN,
    )
    other = _draft(watarai_admin, watarai_admin.department)
    assert other.municipality_id == watarai.pk


def test_only_staff_managing_the_department_write(admin, department, foreign_admin, clerk, watarai):
    with pytest.raises(NotFound):
        _draft(foreign_admin, department)
    with pytest.raises(NotFound):
        _draft(clerk, department)
    process = _draft(admin, department)
    with pytest.raises(NotFound):
        _add(foreign_admin, process, "information", 1, 5)
    with pytest.raises(NotFound):
        process_editing.process_update(
            staff=foreign_admin, process=process, titles={"ja": "乗っ取り"}, descriptions={}
        )
    watarai_admin = StaffFactory(municipality=watarai, role=Role.CITY_ADMIN)
    with pytest.raises(NotFound):
        _add(watarai_admin, process, "information", 1, 5)
    assert not process.phases.exists()


def test_phases_do_not_overlap_end_before_they_start_or_come_out_of_order(admin, department):
    process = _draft(admin, department)
    _add(admin, process, "proposals", 1, 30)
    with pytest.raises(ProcessEditRefused) as caught:
        _add(admin, process, "results", 40, 39)
    assert caught.value.field == "ends_on"
    with pytest.raises(ProcessEditRefused) as caught:
        _add(admin, process, "results", 30, 60)
    assert caught.value.field == "starts_on"
    assert "提案" in caught.value.text() or "Proposals" in caught.value.text()
    with pytest.raises(ProcessEditRefused) as caught:
        _add(admin, process, "information", 31, 40)  # information after proposals
    assert caught.value.field == "kind"
    with pytest.raises(ProcessEditRefused) as caught:
        _add(admin, process, "follow_up", -10, 0)  # follow-up before proposals
    assert caught.value.field == "kind"
    _add(admin, process, "information", -10, 0)
    _add(admin, process, "results", 31, 60)
    assert [phase.kind for phase in process.phases.all()] == ["information", "proposals", "results"]


def test_a_budgeting_phase_needs_its_budget_and_others_carry_none(admin, department):
    process = _draft(admin, department)
    with pytest.raises(ProcessEditRefused) as caught:
        _add(admin, process, "budgeting", 1, 20)
    assert caught.value.field == "budget_total"
    phase = _add(admin, process, "budgeting", 1, 20, budget_total=3_000_000)
    assert phase.budget_total == 3_000_000
    results = _add(admin, process, "results", 21, 40, budget_total=5)
    assert results.budget_total is None


def test_a_draft_phase_changes_freely_and_each_change_is_audited(admin, department):
    process = _draft(admin, department)
    phase = _add(admin, process, "information", -30, -20)
    today = timezone.localdate()
    changed = process_editing.phase_update(
        staff=admin,
        phase=phase,
        kind="proposals",
        starts_on=today - 40 * DAY,
        ends_on=today + 5 * DAY,
        rules={"ja": "提案できます。", "en": "You may propose."},
    )
    assert (changed.kind, changed.ends_on, changed.rules["en"]) == (
        "proposals",
        today + 5 * DAY,
        "You may propose.",
    )
    entry = AuditEntry.objects.filter(action="participation.phase_update").latest("id")
    assert entry.before["kind"] == "information" and entry.after["kind"] == "proposals"
    process_editing.phase_remove(staff=admin, phase=changed)
    assert not process.phases.exists()
    assert AuditEntry.objects.filter(action="participation.phase_remove").count() == 1


def test_a_published_themes_past_stays_as_it_was(admin, department):
    process = make_process(admin, department)  # information ended, proposals open, results ahead
    information, proposals, results = list(process.phases.all())
    today = timezone.localdate()
    with pytest.raises(PhaseLocked) as caught:
        process_editing.phase_update(
            staff=admin,
            phase=information,
            kind="information",
            starts_on=information.starts_on,
            ends_on=information.ends_on,
            rules={"ja": "変更"},
        )
    assert caught.value.http_status == 409
    with pytest.raises(PhaseLocked):
        process_editing.phase_remove(staff=admin, phase=information)
    with pytest.raises(PhaseLocked) as caught:
        process_editing.phase_update(
            staff=admin,
            phase=proposals,
            kind="proposals",
            starts_on=today,
            ends_on=proposals.ends_on,
            rules={},
        )
    assert caught.value.field == "starts_on"
    with pytest.raises(PhaseLocked) as caught:
        process_editing.phase_update(
            staff=admin,
            phase=proposals,
            kind="debate",
            starts_on=proposals.starts_on,
            ends_on=proposals.ends_on,
            rules={},
        )
    assert caught.value.field == "kind"
    with pytest.raises(PhaseLocked) as caught:
        process_editing.phase_update(
            staff=admin,
            phase=proposals,
            kind="proposals",
            starts_on=proposals.starts_on,
            ends_on=today - DAY,
            rules={},
        )
    assert caught.value.field == "ends_on"
    with pytest.raises(PhaseLocked) as caught:
        _add(admin, process, "follow_up", -5, 100)
    assert caught.value.field == "starts_on"
    with pytest.raises(PhaseLocked) as caught:
        process_editing.process_update(
            staff=admin, process=process, slug="new-address", titles=TITLES, descriptions={}
        )
    assert caught.value.field == "slug"
    # What lies ahead may change: the open phase ends later, a future phase is moved or removed.
    process_editing.phase_update(
        staff=admin,
        phase=results,
        kind="results",
        starts_on=results.starts_on + 5 * DAY,
        ends_on=results.ends_on + 5 * DAY,
        rules={},
    )
    extended = process_editing.phase_update(
        staff=admin,
        phase=proposals,
        kind="proposals",
        starts_on=proposals.starts_on,
        ends_on=proposals.ends_on + 5 * DAY,
        rules={"ja": "延長しました。"},
    )
    assert extended.ends_on == proposals.ends_on + 5 * DAY
    process_editing.phase_remove(staff=admin, phase=results)
    assert [phase.kind for phase in process.phases.all()] == ["information", "proposals"]


def test_publishing_needs_a_complete_draft_and_happens_once(admin, department):
    process = process_editing.process_draft_create(
        staff=admin, department=department, slug="bench", titles={"ja": "ベンチ"}, descriptions={}
    )
    with pytest.raises(ProcessEditRefused) as caught:
        process_editing.process_publish(staff=admin, process=process)
    assert caught.value.code == "incomplete"
    assert len(process_editing.publish_problems(process)) == 2
    process_editing.process_update(
        staff=admin,
        process=process,
        titles={"ja": "ベンチ"},
        descriptions={"ja": "ベンチを置く場所の提案です。"},
    )
    _add(admin, process, "proposals", 0, 20)
    process_editing.process_publish(staff=admin, process=process)
    process.refresh_from_db()
    assert process.status == ProcessStatus.PUBLISHED
    with pytest.raises(PhaseLocked):
        process_editing.process_publish(staff=admin, process=process)


def test_missing_translations_list_the_texts_each_language_lacks(admin, department):
    process = _draft(admin, department)
    phase = _add(admin, process, "proposals", 1, 20, rules={"ja": "提案できます。", "en": "You may propose."})
    missing = {row.code: row.texts for row in process_editing.missing_translations(process, [phase])}
    assert "en" not in missing
    assert "ja-easy" in missing and len(missing["ja-easy"]) == 1  # the rules only
    assert len(missing["vi"]) == 2  # the description and the rules; the title is there


# ---- pages ---------------------------------------------------------------------------------------


def _form(**values):
    data = {"department": "shimin-seikatsu", "slug": "ueno-akiya", "supports_per_resident": "10"}
    data.update({f"title-{code}": text for code, text in TITLES.items() if code in ("ja", "ja-easy", "en")})
    data.update({f"description-{code}": text for code, text in DESCRIPTIONS.items()})
    data.update(values)
    return data


def test_a_clerk_drafts_adds_phases_and_publishes_after_a_second_look(admin, iga_client):
    client = signed_in(admin)
    assert client.get("/staff/participation/themes/").status_code == 200
    response = client.post("/staff/participation/themes/new/", _form())
    process = Process.objects.get(slug="ueno-akiya")
    assert response.status_code == 302 and response["Location"].endswith(f"/themes/{process.pk}/edit/")
    today = timezone.localdate()
    for kind, start, end in (("information", 0, 9), ("proposals", 10, 40)):
        response = client.post(
            f"/staff/participation/themes/{process.pk}/edit/",
            {
                "form": "phase",
                "new-kind": kind,
                "new-starts_on": (today + start * DAY).isoformat(),
                "new-ends_on": (today + end * DAY).isoformat(),
                "new-rules-ja": "市内に住む方が参加できます。",
                "new-rules-ja-easy": "伊賀市に 住んでいる 人が 参加 できます。",
            },
        )
        assert response.status_code == 302
    page = client.get(f"/staff/participation/themes/{process.pk}/edit/").content.decode()
    assert f"{today.year}年{today.month}月{today.day}日" in page
    assert (today + 40 * DAY).isoformat() not in page.replace('value="', "")  # no ISO date shown as text
    confirm = client.get(f"/staff/participation/themes/{process.pk}/publish/").content.decode()
    assert "Português" in confirm and "上野地区の 空き家を どう 使うか" in confirm
    assert Process.objects.get(pk=process.pk).status == ProcessStatus.DRAFT
    assert client.post(f"/staff/participation/themes/{process.pk}/publish/").status_code == 302
    assert Process.objects.get(pk=process.pk).status == ProcessStatus.PUBLISHED
    assert "上野地区の空き家活用" in iga_client.get("/participation/").content.decode()


def test_a_wrong_phase_is_refused_on_the_page_naming_its_field_and_keeping_the_text(admin, department):
    process = _draft(admin, department)
    _add(admin, process, "proposals", 1, 30)
    today = timezone.localdate()
    response = signed_in(admin).post(
        f"/staff/participation/themes/{process.pk}/edit/",
        {
            "form": "phase",
            "new-kind": "results",
            "new-starts_on": (today + 20 * DAY).isoformat(),
            "new-ends_on": (today + 50 * DAY).isoformat(),
            "new-rules-en": "The city answers every proposal.",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#id_new-starts_on"' in page
    assert "The city answers every proposal." in page
    assert process.phases.count() == 1


def test_the_pages_are_out_of_reach_of_other_departments_residents_and_municipalities(
    admin, department, foreign_admin, resident
):
    process = _draft(admin, department)
    phase = _add(admin, process, "information", 1, 5)
    urls = [
        f"/staff/participation/themes/{process.pk}/edit/",
        f"/staff/participation/themes/{process.pk}/publish/",
        f"/staff/participation/themes/{process.pk}/phases/{phase.pk}/",
        f"/staff/participation/themes/{process.pk}/phases/{phase.pk}/remove/",
    ]
    for url in urls:
        assert signed_in(foreign_admin).get(url).status_code == 404, url
        assert signed_in(resident).get(url).status_code in (302, 403, 404), url
    assert signed_in(foreign_admin).post(urls[1]).status_code == 404
    assert "上野地区" not in signed_in(foreign_admin).get("/staff/participation/themes/").content.decode()
    city_admin = StaffFactory(municipality=department.municipality, role=Role.CITY_ADMIN)
    assert signed_in(city_admin).get(urls[0]).status_code == 200  # the city admin of 伊賀市 sees it
    assert signed_in(city_admin, host=WATARAI_HOST).get(urls[0]).status_code in (302, 403, 404)
    assert Process.objects.get(pk=process.pk).status == ProcessStatus.DRAFT


def test_a_phase_is_removed_after_its_confirmation(admin, department):
    process = _draft(admin, department)
    phase = _add(admin, process, "information", 1, 5)
    client = signed_in(admin)
    url = f"/staff/participation/themes/{process.pk}/phases/{phase.pk}/remove/"
    assert client.get(url).status_code == 200
    assert Phase.objects.filter(pk=phase.pk).exists()
    assert client.post(url).status_code == 302
    assert not Phase.objects.filter(pk=phase.pk).exists()


# ---- API -----------------------------------------------------------------------------------------


def _api(user):
    return signed_in(user, HTTP_ACCEPT="application/json")


def test_the_api_drafts_adds_phases_and_publishes_with_confirm(admin, foreign_admin, iga_client):
    client = _api(admin)
    created = client.post(
        "/api/v1/staff/participation/themes",
        {
            "department": "shimin-seikatsu",
            "slug": "ueno-akiya",
            "titles": TITLES,
            "descriptions": DESCRIPTIONS,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    theme = created.json()
    assert theme["status"] == "draft" and theme["titles"]["fil"] == TITLES["fil"]
    assert theme["publish_problems"]
    today = timezone.localdate()
    base = f"/api/v1/staff/participation/themes/{theme['id']}"
    phase = client.post(
        f"{base}/phases",
        {"kind": "proposals", "starts_on": today.isoformat(), "ends_on": (today + 20 * DAY).isoformat()},
        content_type="application/json",
    )
    assert phase.status_code == 201
    overlapping = client.post(
        f"{base}/phases",
        {
            "kind": "results",
            "starts_on": (today + 10 * DAY).isoformat(),
            "ends_on": (today + 40 * DAY).isoformat(),
        },
        content_type="application/json",
    )
    assert overlapping.status_code == 422
    assert overlapping.json()["errors"][0]["path"] == "starts_on"
    assert _api(foreign_admin).get(base).status_code == 404
    assert (
        _api(foreign_admin)
        .post(f"{base}/publish", {"confirm": True}, content_type="application/json")
        .status_code
        == 404
    )
    refused = client.post(f"{base}/publish", {"confirm": False}, content_type="application/json")
    assert refused.status_code == 422
    published = client.post(f"{base}/publish", {"confirm": True}, content_type="application/json")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert iga_client.get("/api/v1/participation/processes/ueno-akiya").status_code == 200
    listed = client.get("/api/v1/staff/participation/themes").json()
    assert [item["slug"] for item in listed] == ["ueno-akiya"]
    assert _api(foreign_admin).get("/api/v1/staff/participation/themes").json() == []


def test_the_api_refuses_to_rewrite_an_ended_phase_with_409(admin, department, resident):
    process = make_process(admin, department)
    information = process.phases.first()
    response = _api(admin).put(
        f"/api/v1/staff/participation/themes/{process.pk}/phases/{information.pk}",
        {
            "kind": "information",
            "starts_on": information.starts_on.isoformat(),
            "ends_on": information.ends_on.isoformat(),
            "rules": {"ja": "書き換え"},
        },
        content_type="application/json",
    )
    assert response.status_code == 409
    deleted = _api(admin).delete(f"/api/v1/staff/participation/themes/{process.pk}/phases/{information.pk}")
    assert deleted.status_code == 409
    assert _api(resident).get("/api/v1/staff/participation/themes").status_code == 403
