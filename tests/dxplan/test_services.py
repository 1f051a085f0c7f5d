"""The plan's services: the demo plan, validation naming the field, department scope, notes that
are never changed once published (a correction is a new note), audit, and the open dataset."""

from __future__ import annotations

import csv
import io
import json

import pytest

from idx.audit.models import AuditEntry
from idx.demo.dxplan import INITIATIVES, load_dx_plan
from idx.dxplan import services
from idx.dxplan.models import BasicPolicy, Initiative, Milestone, ProgressNote, Status
from idx.opendata.models import Dataset


def test_the_demo_plan_follows_the_vision(iga_plan):
    policies = list(BasicPolicy.objects.filter(municipality=iga_plan))
    assert [policy.number for policy in policies] == [1, 2, 3]
    assert policies[2].titles["ja"] == "スマート行政の実現"
    initiatives = Initiative.objects.filter(municipality=iga_plan)
    assert initiatives.count() == len(INITIATIVES) == 11
    # Past quarters are reported; some initiatives are honestly behind.
    assert ProgressNote.objects.filter(municipality=iga_plan, published_at__isnull=False).count() >= 30
    assert initiatives.filter(status=Status.DELAYED).exists()
    assert initiatives.filter(status=Status.DONE).exists()
    for initiative in initiatives:
        assert {target.fiscal_year for target in initiative.targets.all()} == {2025, 2026, 2027}
        assert initiative.milestones.exists()
    # Loading twice changes nothing.
    load_dx_plan(iga_plan, staff_domain="staff.iga.example.jp")
    assert Initiative.objects.filter(municipality=iga_plan).count() == 11


def test_the_other_demo_town_has_no_plan_of_iga(watarai):
    assert load_dx_plan(watarai, staff_domain="staff.watarai.example.jp") == []
    assert not Initiative.objects.filter(municipality=watarai).exists()


def test_the_plan_is_open_data(iga_plan):
    dataset = Dataset.objects.get(municipality=iga_plan, name=services.DATASET_NAME)
    assert dataset.status == Dataset.Status.PUBLISHED
    assert dataset.license_id == "cc-by-4.0"
    assert dataset.theme == "administration"
    files = {resource.format: resource for resource in dataset.resources.all()}
    assert set(files) == {"CSV", "JSON"}
    rows = list(csv.DictReader(io.StringIO(files["CSV"].file.read().decode("utf-8-sig"))))
    assert len(rows) == 11
    counter = next(row for row in rows if row["施策コード"] == "assisted-counter")
    assert counter["担当課"] == "住民課"
    assert counter["状況"] == "遅れ"
    assert counter["最新の進捗"]
    document = json.loads(files["JSON"].file.read())
    assert [policy["number"] for policy in document["policies"]] == [1, 2, 3]
    text = json.dumps(document, ensure_ascii=False)
    assert (
        "author" not in text and "担当" not in document["policies"][0]["initiatives"][0]["owner"]["name"][-2:]
    )


def test_a_note_goes_from_draft_to_published_and_stays(
    assisted_counter, jumin_admin, django_capture_on_commit_callbacks
):
    note = services.note_create(
        initiative=assisted_counter,
        fiscal_year=2026,
        quarter=3,
        status=Status.ON_TRACK,
        texts={"ja": "税務課の証明発行との連携を1月に始める準備が整った。"},
        actor=jumin_admin,
    )
    assert note.published_at is None
    note = services.note_update(
        note=note,
        fiscal_year=2026,
        quarter=3,
        status=Status.ON_TRACK,
        texts={
            "ja": "税務課との連携の準備が整った。平均待ち時間は16分。",
            "en": "Ready to link with taxation.",
        },
        actor=jumin_admin,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.note_publish(note=note, actor=jumin_admin)
    note.refresh_from_db()
    assert note.published_at is not None
    assisted_counter.refresh_from_db()
    assert assisted_counter.status == Status.ON_TRACK  # the latest quarter's note sets the status
    with pytest.raises(services.DxPlanRefused) as refused:
        services.note_update(
            note=note,
            fiscal_year=2026,
            quarter=3,
            status=Status.DONE,
            texts={"ja": "書き換え"},
            actor=jumin_admin,
        )
    assert refused.value.field == "texts"
    with pytest.raises(services.DxPlanRefused):
        services.note_publish(note=note, actor=jumin_admin)
    # A correction is a new note; both stay in the history.
    correction = services.note_create(
        initiative=assisted_counter,
        fiscal_year=2026,
        quarter=3,
        status=Status.ON_TRACK,
        texts={"ja": "【訂正】平均待ち時間は17分でした。"},
        actor=jumin_admin,
        corrects=note,
    )
    assert correction.corrects == note
    assert ProgressNote.objects.filter(initiative=assisted_counter, fiscal_year=2026, quarter=3).count() == 2
    actions = set(
        AuditEntry.objects.filter(
            municipality=assisted_counter.municipality, action__startswith="dxplan.note"
        ).values_list("action", flat=True)
    )
    assert {"dxplan.note_create", "dxplan.note_update", "dxplan.note_publish"} <= actions
    # After the commit the open dataset carries the new progress.
    dataset = Dataset.objects.get(municipality=assisted_counter.municipality, name=services.DATASET_NAME)
    csv_file = dataset.resources.get(format="CSV")
    assert "平均待ち時間は16分" in csv_file.file.read().decode("utf-8-sig")


def test_an_older_quarters_late_note_does_not_set_the_status(online_procedures, city_admin):
    before = online_procedures.status
    note = services.note_create(
        initiative=online_procedures,
        fiscal_year=2025,
        quarter=1,
        status=Status.AT_RISK,
        texts={"ja": "4〜6月の報告（遅れて提出）"},
        actor=city_admin,
    )
    services.note_publish(note=note, actor=city_admin)
    online_procedures.refresh_from_db()
    assert online_procedures.status == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"texts": {"en": "English only"}}, "texts"),
        ({"texts": {"ja": "あ" * 4001}}, "texts"),
        ({"status": "finished"}, "status"),
        ({"quarter": 5}, "quarter"),
        ({"fiscal_year": 2040}, "quarter"),  # a quarter that has not begun
        ({"fiscal_year": 1999}, "fiscal_year"),
    ],
)
def test_refusals_name_the_field(assisted_counter, jumin_admin, change, field):
    values = {"fiscal_year": 2026, "quarter": 2, "status": Status.ON_TRACK, "texts": {"ja": "報告"}, **change}
    with pytest.raises(services.DxPlanRefused) as refused:
        services.note_create(initiative=assisted_counter, actor=jumin_admin, **values)
    assert refused.value.field == field
    assert refused.value.text()


def test_only_the_owner_department_or_the_city_admin_writes(
    assisted_counter, online_procedures, jumin_admin, supervisor, clerk, city_admin, clerk_other_municipality
):
    values = {"fiscal_year": 2026, "quarter": 2, "status": Status.ON_TRACK, "texts": {"ja": "報告"}}
    # 住民課's head keeps 住民課's initiative, not デジタル自治推進局's.
    services.note_create(initiative=assisted_counter, actor=jumin_admin, **values)
    with pytest.raises(services.DxPlanForbidden):
        services.note_create(initiative=online_procedures, actor=jumin_admin, **values)
    # こども家庭課's supervisor (EDIT_DX_PLAN over its own department only) and a clerk (none).
    for actor in (supervisor, clerk, clerk_other_municipality):
        with pytest.raises(services.DxPlanForbidden):
            services.note_create(initiative=assisted_counter, actor=actor, **values)
        with pytest.raises(services.DxPlanForbidden):
            services.initiative_update(
                initiative=assisted_counter, actor=actor, titles={"ja": "x"}, descriptions={}, status="done"
            )
    services.note_create(initiative=online_procedures, actor=city_admin, **values)


def test_milestones_and_initiatives_are_updated_with_audit(assisted_counter, jumin_admin):
    milestone = Milestone.objects.filter(initiative=assisted_counter, done_on__isnull=True).first()
    assert milestone is not None
    import datetime as dt

    from django.utils import timezone

    with pytest.raises(services.DxPlanRefused) as refused:
        services.milestone_update(
            milestone=milestone,
            due_on=milestone.due_on,
            done_on=timezone.localdate() + dt.timedelta(days=3),
            actor=jumin_admin,
        )
    assert refused.value.field == "done_on"
    services.milestone_update(
        milestone=milestone, due_on=milestone.due_on, done_on=timezone.localdate(), actor=jumin_admin
    )
    with pytest.raises(services.DxPlanRefused) as refused:
        services.milestone_add(
            initiative=assisted_counter, titles={"ja": "検証"}, due_on=None, actor=jumin_admin
        )
    assert refused.value.field == "due_on"
    services.initiative_update(
        initiative=assisted_counter,
        actor=jumin_admin,
        titles={"ja": "書かない窓口", "en": "Assisted counter"},
        descriptions={"ja": "説明"},
        status=Status.AT_RISK,
        kpi_codes=[],
    )
    with pytest.raises(services.DxPlanRefused) as refused:
        services.initiative_update(
            initiative=assisted_counter,
            actor=jumin_admin,
            titles={"ja": "x"},
            descriptions={},
            status=Status.ON_TRACK,
            kpi_codes=["no-such-kpi"],
        )
    assert refused.value.field == "kpis"
    actions = list(
        AuditEntry.objects.filter(
            municipality=assisted_counter.municipality, action__startswith="dxplan."
        ).values_list("action", flat=True)
    )
    assert "dxplan.milestone_update" in actions and "dxplan.initiative_update" in actions


def test_quarters_follow_the_fiscal_year():
    import datetime as dt

    assert services.fiscal_quarter_of(dt.date(2026, 4, 1)) == (2026, 1)
    assert services.fiscal_quarter_of(dt.date(2026, 12, 4)) == (2026, 3)
    assert services.fiscal_quarter_of(dt.date(2027, 3, 31)) == (2026, 4)


def test_a_formula_in_a_note_stays_text_in_the_csv(assisted_counter, city_admin):
    note = services.note_create(
        initiative=assisted_counter,
        fiscal_year=2026,
        quarter=2,
        status=Status.ON_TRACK,
        texts={"ja": '=HYPERLINK("http://example.com")'},
        actor=city_admin,
    )
    services.note_publish(note=note, actor=city_admin)
    document = services.plan_document(municipality=assisted_counter.municipality)
    rows = list(csv.reader(io.StringIO(services.plan_csv(document).decode("utf-8-sig"))))
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
