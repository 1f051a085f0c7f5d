"""The 推進本部 view and the forms for staff, the public progress page for residents."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from idx.dxplan import services
from idx.dxplan.models import Initiative, ProgressNote, Status
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in


def _text(response) -> str:
    return re.sub(r"<rp>.*?</rp>|<rt>.*?</rt>|</?ruby>|<wbr>", "", response.content.decode())


def test_every_staff_member_with_dashboards_reads_the_whole_plan(iga_plan, clerk):
    client = signed_in(clerk)
    page = client.get("/staff/dx-plan/")
    assert page.status_code == 200
    text = _text(page)
    # こども家庭課's clerk sees other departments' initiatives too, read-only.
    for title in ("書かない窓口", "行政手続のオンライン化", "テレワークの推進"):
        assert title in text
    assert "基本方針 1" in text or "基本方針1" in text
    assert "遅れ" in text  # a status in words
    assert "/notes/new/" not in text  # nothing to write for a clerk
    assert client.get("/staff/dx-plan/assisted-counter/").status_code == 200
    assert client.get("/staff/dx-plan/assisted-counter/notes/new/").status_code == 404
    assert client.get("/staff/dx-plan/assisted-counter/edit/").status_code == 404


def test_the_overview_filters_and_keeps_its_queries(iga_plan, city_admin):
    client = signed_in(city_admin)
    by_department = _text(client.get("/staff/dx-plan/?department=jumin"))
    assert "書かない窓口" in by_department and "テレワークの推進" not in by_department
    by_status = _text(client.get("/staff/dx-plan/?status=done"))
    assert "テレワークの推進" in by_status and "書かない窓口" not in by_status
    by_policy = _text(client.get("/staff/dx-plan/?policy=2"))
    assert "オープンデータの推進" in by_policy and "書かない窓口" not in by_policy
    client.get("/staff/dx-plan/")
    with CaptureQueriesContext(connection) as eleven:
        client.get("/staff/dx-plan/")
    initiative = Initiative.objects.get(municipality=iga_plan, code="assisted-counter")
    for number in range(5):
        services.initiative_create(
            municipality=iga_plan,
            policy=initiative.policy,
            owner=initiative.owner,
            code=f"extra-{number}",
            titles={"ja": f"追加の施策{number}"},
            descriptions={},
            actor=None,
        )
    with CaptureQueriesContext(connection) as sixteen:
        client.get("/staff/dx-plan/")
    assert len(sixteen.captured_queries) == len(eleven.captured_queries)


def test_the_owner_writes_a_draft_and_publishes_it_after_a_second_look(iga_plan, jumin_admin):
    client = signed_in(jumin_admin)
    overview = _text(client.get("/staff/dx-plan/"))
    assert overview.count("/notes/new/") == 2  # 書かない窓口 and マイナンバーカードの利活用
    form = client.get("/staff/dx-plan/assisted-counter/notes/new/")
    assert form.status_code == 200
    period = re.search(r'<option value="(\d{4}-\d)" selected', form.content.decode()).group(1)
    empty = client.post(
        "/staff/dx-plan/assisted-counter/notes/new/", {"period": period, "status": "on_track"}
    )
    assert empty.status_code == 422
    assert "error-summary" in empty.content.decode()
    made = client.post(
        "/staff/dx-plan/assisted-counter/notes/new/",
        {"period": period, "status": "on_track", "text_ja": "税務課との連携の準備が整った。", "text_en": ""},
    )
    assert made.status_code == 302
    note = ProgressNote.objects.get(
        initiative__code="assisted-counter", texts__ja="税務課との連携の準備が整った。"
    )
    assert note.published_at is None
    # Residents do not see a draft.
    assert "税務課との連携の準備が整った" not in _text(
        Client(HTTP_HOST=IGA_HOST).get("/dx-plan/assisted-counter/")
    )
    confirm = client.get(f"/staff/dx-plan/assisted-counter/notes/{note.pk}/publish/")
    assert confirm.status_code == 200
    assert "publish-summary" in confirm.content.decode()
    # Without the confirmation nothing is published.
    client.post(f"/staff/dx-plan/assisted-counter/notes/{note.pk}/publish/", {})
    note.refresh_from_db()
    assert note.published_at is None
    done = client.post(f"/staff/dx-plan/assisted-counter/notes/{note.pk}/publish/", {"confirmed": "yes"})
    assert done.status_code == 302
    note.refresh_from_db()
    assert note.published_at is not None
    # Published: read-only, a correction offered instead.
    page = client.get(f"/staff/dx-plan/assisted-counter/notes/{note.pk}/")
    assert "<textarea" not in page.content.decode()
    assert f"?corrects={note.pk}" in page.content.decode()
    assert "税務課との連携の準備が整った" in _text(
        Client(HTTP_HOST=IGA_HOST).get("/dx-plan/assisted-counter/")
    )


def test_other_departments_and_municipalities_get_not_found(
    iga_plan, jumin_admin, supervisor, clerk_other_municipality
):
    online = Initiative.objects.get(municipality=iga_plan, code="online-procedures")
    note = online.notes.first()
    client = signed_in(jumin_admin)
    for path in (
        "/staff/dx-plan/online-procedures/edit/",
        "/staff/dx-plan/online-procedures/notes/new/",
        f"/staff/dx-plan/online-procedures/notes/{note.pk}/",
        f"/staff/dx-plan/online-procedures/notes/{note.pk}/publish/",
        "/staff/dx-plan/online-procedures/milestones/new/",
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"confirmed": "yes"}).status_code == 404, path
    # Another municipality's staff: the plan of 伊賀市 does not exist for them.
    other = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert other.get("/staff/dx-plan/assisted-counter/").status_code == 404
    assert "書かない窓口" not in _text(other.get("/staff/dx-plan/"))


def test_milestones_and_the_initiative_are_edited_by_the_owner(iga_plan, jumin_admin):
    client = signed_in(jumin_admin)
    initiative = Initiative.objects.get(municipality=iga_plan, code="assisted-counter")
    milestone = initiative.milestones.filter(done_on__isnull=True).first()
    page = client.get(f"/staff/dx-plan/assisted-counter/milestones/{milestone.pk}/")
    assert page.status_code == 200
    saved = client.post(
        f"/staff/dx-plan/assisted-counter/milestones/{milestone.pk}/",
        {"due_on": "2027-01-31", "done_on": ""},
    )
    assert saved.status_code == 302
    milestone.refresh_from_db()
    assert str(milestone.due_on) == "2027-01-31"
    added = client.post(
        "/staff/dx-plan/assisted-counter/milestones/new/",
        {"title_ja": "窓口アンケートの実施", "due_on": "2027-02-28"},
    )
    assert added.status_code == 302
    assert initiative.milestones.filter(titles__ja="窓口アンケートの実施").exists()
    edit = client.post(
        "/staff/dx-plan/assisted-counter/edit/",
        {
            "title_ja": "書かない窓口",
            "title_en": "Assisted counter",
            "status": "at_risk",
            "description_ja": "説明",
        },
    )
    assert edit.status_code == 302
    initiative.refresh_from_db()
    assert initiative.status == Status.AT_RISK


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", "書かない窓口"),
        ("ja-easy", "書かなくて　いい　窓口"),
        ("en", "The assisted counter"),
        ("vi", "書かない窓口"),
    ],
)
def test_residents_read_the_plan_in_their_language(iga_plan, language, expected):
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies["idx_language"] = language
    page = client.get("/dx-plan/")
    assert page.status_code == 200
    text = _text(page)
    assert expected in text
    assert "/opendata/dx-action-plan-progress/" in text
    detail = _text(client.get("/dx-plan/assisted-counter/"))
    assert "reports" in detail


def test_the_public_page_shows_published_notes_only_and_no_staff_names(iga_plan, jumin_admin):
    initiative = Initiative.objects.get(municipality=iga_plan, code="assisted-counter")
    services.note_create(
        initiative=initiative,
        fiscal_year=2026,
        quarter=3,
        status=Status.AT_RISK,
        texts={"ja": "まだ公開しない下書き"},
        actor=jumin_admin,
    )
    client = Client(HTTP_HOST=IGA_HOST)
    for path in ("/dx-plan/", "/dx-plan/assisted-counter/"):
        text = _text(client.get(path))
        assert "まだ公開しない下書き" not in text
        assert jumin_admin.full_name not in text
    assert client.get("/dx-plan/no-such-initiative/").status_code == 404
    # 度会町 has no plan: its page says so.
    watarai = Client(HTTP_HOST=WATARAI_HOST)
    assert "書かない窓口" not in _text(watarai.get("/dx-plan/"))
    assert watarai.get("/dx-plan/assisted-counter/").status_code == 404


def test_the_owner_sets_the_yearly_targets(iga_plan, jumin_admin, clerk):
    assert signed_in(clerk).get("/staff/dx-plan/assisted-counter/targets/").status_code == 404
    client = signed_in(jumin_admin)
    page = client.get("/staff/dx-plan/assisted-counter/targets/")
    assert page.status_code == 200
    assert 'name="fy2026-text_ja"' in page.content.decode()
    refused = client.post(
        "/staff/dx-plan/assisted-counter/targets/",
        {
            "fy2025-text_ja": "",
            "fy2025-text_en": "Started",
            "fy2026-text_ja": "平均待ち時間12分以内",
            "fy2026-value": "12",
        },
    )
    assert refused.status_code == 422  # 2025 has a target: its Japanese text cannot go
    saved = client.post(
        "/staff/dx-plan/assisted-counter/targets/",
        {
            "fy2025-text_ja": "住民課の5手続で開始",
            "fy2026-text_ja": "平均待ち時間12分以内",
            "fy2026-value": "12",
            "fy2026-unit": "分",
            "fy2027-text_ja": "平均待ち時間10分以内",
        },
    )
    assert saved.status_code == 302
    target = Initiative.objects.get(municipality=iga_plan, code="assisted-counter").targets.get(
        fiscal_year=2026
    )
    assert target.texts == {"ja": "平均待ち時間12分以内"} and str(target.value) == "12.00"
    assert "平均待ち時間12分以内" in _text(Client(HTTP_HOST=IGA_HOST).get("/dx-plan/assisted-counter/"))


def test_the_public_page_keeps_its_queries(iga_plan):
    client = Client(HTTP_HOST=IGA_HOST)
    client.get("/dx-plan/")
    with CaptureQueriesContext(connection) as before:
        client.get("/dx-plan/")
    initiative = Initiative.objects.get(municipality=iga_plan, code="assisted-counter")
    for number in range(4):
        made = services.initiative_create(
            municipality=iga_plan,
            policy=initiative.policy,
            owner=initiative.owner,
            code=f"more-{number}",
            titles={"ja": f"施策{number}"},
            descriptions={},
            actor=None,
        )
        note = services.note_create(
            initiative=made, fiscal_year=2026, quarter=1, status="on_track", texts={"ja": "報告"}, actor=None
        )
        services.note_publish(note=note, actor=None, refresh_dataset=False)
    with CaptureQueriesContext(connection) as after:
        client.get("/dx-plan/")
    assert len(after.captured_queries) == len(before.captured_queries)


def test_an_auditor_reads_the_plan_and_changes_nothing(iga_plan):
    from idx.identity.models import Role
    from tests.factories import StaffFactory

    auditor = StaffFactory(municipality=iga_plan, role=Role.AUDITOR, department=None)
    client = signed_in(auditor)
    assert client.get("/staff/dx-plan/").status_code == 200
    assert client.get("/staff/dx-plan/assisted-counter/").status_code == 200
    assert client.get("/staff/dx-plan/assisted-counter/notes/new/").status_code == 404
