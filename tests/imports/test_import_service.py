"""Bulk import, all or nothing: UTF-8, UTF-8 with BOM, Shift_JIS and Excel files become submitted
applications; a bad row, a half file or a file imported before imports nothing."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from idx.applications.models import Application, Channel, Status
from idx.audit.models import AuditEntry
from idx.imports.models import ImportRun
from idx.imports.rows import RowProblem, problem_text
from idx.imports.services import (
    ImportNotPermitted,
    import_check,
    import_execute,
    import_file,
    import_source_save,
)

from .conftest import HEADERS, MAPPING, csv_bytes, row, xlsx_bytes


def _imported(run):
    return Application.objects.filter(
        channel=Channel.IMPORTED, answers__pregnant_person__address="伊賀市上野丸之内116"
    ).order_by("id")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_each_encoding_becomes_submitted_applications(health_clerk, source, encoding):
    data = csv_bytes([row(1), row(2, 胎児数="twins", 初産="いいえ")], encoding)
    # 2 rows: the second needs 前回の出産回数 (previous_births) once 初産 is いいえ: not mapped.
    run = import_check(staff=health_clerk, source=source, upload=io.BytesIO(data), name="a.csv")
    assert run.encoding == encoding and run.file_type == "csv"
    assert run.status == ImportRun.Status.REFUSED and run.row_count == 2 and run.error_row_count == 1
    good = csv_bytes([row(1), row(2, 胎児数="twins")], encoding)
    run = import_file(staff=health_clerk, source=source, upload=io.BytesIO(good), name="a.csv")
    assert run.status == ImportRun.Status.IMPORTED, list(run.errors.values("row", "code", "column"))
    assert run.imported_count == 2 and run.encoding == encoding
    applications = list(_imported(run))
    assert len(applications) == 2
    first = applications[0]
    assert first.status == Status.SUBMITTED and first.receipt_number
    assert first.applicant_name == "伊賀 花子1" and not first.applicant.has_usable_password()
    assert first.answers["expected_delivery_date"] == "2026-10-01"
    assert first.answers["weeks_at_diagnosis"] == 8
    assert first.answers["number_of_babies"] == "twins"
    assert first.answers["pregnant_person"]["postal_code"] == "518-8501"
    assert first.answers["first_pregnancy"] is True and first.answers["smoking"] is False
    entry = AuditEntry.objects.filter(action="import.run", target_id=run.public_id).get()
    assert entry.after["file_sha256"] == run.sha256 and entry.after["imported"] == 2


def test_xlsx_becomes_submitted_applications(health_clerk, source):
    import datetime as dt

    cells = row(1)
    cells[HEADERS.index("出産予定日")] = dt.datetime(2026, 10, 1)  # a date cell
    cells[HEADERS.index("妊娠週数")] = 8  # a number cell
    run = import_file(
        staff=health_clerk, source=source, upload=io.BytesIO(xlsx_bytes([cells])), name="a.xlsx"
    )
    assert run.file_type == "xlsx" and run.status == ImportRun.Status.IMPORTED, list(run.errors.values())
    application = _imported(run).get()
    assert application.answers["expected_delivery_date"] == "2026-10-01"
    assert application.answers["weeks_at_diagnosis"] == 8


def test_a_bad_row_imports_nothing_and_names_row_and_column_in_japanese(health_clerk, source):
    data = csv_bytes([row(1), row(2, 出産予定日="来年", 胎児数="五つ子"), row(3)])
    run = import_file(staff=health_clerk, source=source, upload=io.BytesIO(data), name="bad.csv")
    assert run.status == ImportRun.Status.REFUSED and run.imported_count == 0
    assert not _imported(run).exists()
    errors = list(run.errors.all())
    assert [(error.row, error.column) for error in errors] == [(3, "出産予定日"), (3, "胎児数")]
    definition = source.procedure.published_version.parsed
    with translation.override("ja"):
        texts = [
            problem_text(definition, RowProblem(e.row, e.column, e.path, e.code, e.params)) for e in errors
        ]
    assert "「来年」" in texts[0] or "“来年”" in texts[0]
    assert "日付" in texts[0] and "五つ子" in texts[1] and "2人（双子）" in texts[1]


def test_a_half_file_imports_nothing(health_clerk, source):
    data = csv_bytes([row(1), row(2)])
    cut = data[: data.rindex(b",")]  # the last row ends before its last cell
    run = import_file(staff=health_clerk, source=source, upload=io.BytesIO(cut), name="half.csv")
    assert run.status == ImportRun.Status.REFUSED and not _imported(run).exists()
    assert (run.errors.get().code, run.errors.get().row) == ("short_row", 3)
    mid_character = data[: data.rindex("上野総合".encode()) + 2]  # cut inside a character
    run = import_file(staff=health_clerk, source=source, upload=io.BytesIO(mid_character), name="half1.csv")
    assert run.status == ImportRun.Status.REFUSED and run.encoding == "utf-8"
    assert (run.errors.get().code, run.errors.get().row) == ("cut", 3)
    quoted = data + '"伊賀 半分,イガ'.encode()  # a quoted cell never closed
    run = import_file(staff=health_clerk, source=source, upload=io.BytesIO(quoted), name="half2.csv")
    assert run.status == ImportRun.Status.REFUSED and run.errors.get().code == "cut"
    assert not _imported(run).exists()
    broken = xlsx_bytes([row(1)])[:-200]
    run = import_file(staff=health_clerk, source=source, upload=io.BytesIO(broken), name="half.xlsx")
    assert run.status == ImportRun.Status.REFUSED and run.refusal == "broken_xlsx"


def test_a_row_failing_at_import_rolls_back_the_rows_before_it(health_clerk, source, monkeypatch):
    from idx.imports import services

    data = csv_bytes([row(1), row(2), row(3)])
    run = import_check(staff=health_clerk, source=source, upload=io.BytesIO(data), name="late.csv")
    assert run.status == ImportRun.Status.CHECKED
    real = services._submit_row
    calls = []

    def third_fails(**kwargs):
        calls.append(kwargs["result"].number)
        if kwargs["result"].number == 4:
            return [RowProblem(4, "", "", "refused", {"text": "止まりました"})]
        return real(**kwargs)

    monkeypatch.setattr(services, "_submit_row", third_fails)
    run = import_execute(staff=health_clerk, run=run)
    assert calls == [2, 3, 4]
    assert run.status == ImportRun.Status.FAILED and run.imported_count == 0
    assert not _imported(run).exists()
    assert AuditEntry.objects.filter(action="import.failed", target_id=run.public_id).exists()


def test_the_same_file_again_is_refused_as_a_duplicate(health_clerk, source):
    data = csv_bytes([row(1)])
    assert import_file(staff=health_clerk, source=source, upload=io.BytesIO(data)).status == "imported"
    again = import_file(staff=health_clerk, source=source, upload=io.BytesIO(data))
    assert again.status == ImportRun.Status.REFUSED and again.refusal == "duplicate_file"
    assert _imported(again).count() == 1


def test_mapping_is_saved_per_source(health_clerk, pregnancy, source):
    other = import_source_save(
        staff=health_clerk,
        procedure=pregnancy,
        name="旧システム",
        mapping={"名前": "pregnant_person.name"},
        applicant_name_column="名前",
    )
    source.refresh_from_db()
    other.refresh_from_db()
    assert source.mapping == MAPPING and other.mapping == {"名前": "pregnant_person.name"}
    assert other.birthdate_column == ""


def test_staff_of_another_municipality_or_department_are_refused(
    source, clerk_other_municipality, clerk, pregnancy
):
    data = csv_bytes([row(1)])
    for staff in (clerk_other_municipality, clerk):
        with pytest.raises(ImportNotPermitted):
            import_check(staff=staff, source=source, upload=io.BytesIO(data))
        with pytest.raises(ImportNotPermitted):
            import_source_save(
                staff=staff, procedure=pregnancy, name="x", mapping={}, applicant_name_column="氏名"
            )


def test_an_existing_resident_is_the_applicant_when_name_and_birth_date_match(health_clerk, source, resident):
    import datetime as dt

    from idx.identity.models import User

    User.objects.filter(pk=resident.pk).update(full_name="伊賀 花子1", verified_birthdate=dt.date(1995, 4, 1))
    run = import_file(staff=health_clerk, source=source, upload=io.BytesIO(csv_bytes([row(1)])))
    assert _imported(run).get().applicant_id == resident.pk


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old_excel"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "encoding"),
        ("氏名,住所\n".encode("euc-jp") + b"\xff\xfe\xfd\n", "encoding"),
    ],
)
def test_files_that_are_not_tables_are_refused(health_clerk, source, data, reason):
    run = import_check(staff=health_clerk, source=source, upload=io.BytesIO(data), name="x.csv")
    assert run.status == ImportRun.Status.REFUSED and run.refusal == reason


def test_a_workbook_with_macros_is_refused(health_clerk, source):
    import zipfile

    data = io.BytesIO(xlsx_bytes([row(1)]))
    with zipfile.ZipFile(data, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"macro")
    run = import_check(staff=health_clerk, source=source, upload=io.BytesIO(data.getvalue()), name="a.xlsx")
    assert run.refusal == "macro"
