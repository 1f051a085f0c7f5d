"""Printed forms generated from procedure definitions: layout, PDF, QR code, marks, download."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from idx.intake.layout import (
    CONTENT_BOTTOM,
    CONTENT_TOP,
    KANA_CELLS,
    MARK_CENTRES,
    RIGHT,
    build_layout,
    zone_format,
)
from idx.intake.paper import FormStamp, blank_serial
from idx.intake.reading import PX_PER_MM, find_marks, find_stamp
from idx.intake.simulate import render_pdf
from tests.conftest import procedure
from tests.intake.conftest import cached_form_pdf

pytestmark = pytest.mark.django_db


def test_every_paper_item_of_the_child_allowance_claim_has_a_zone_inside_the_page(child_allowance_version):
    definition = child_allowance_version.parsed
    layout = build_layout(definition)
    zones = {zone.path: zone for _page, zone in layout.zones()}
    # Scalars written on paper; attachments (file) and the 個人番号 are not.
    assert "claimant.name" in zones and "claimant.my_number" not in zones and "bank_document" not in zones
    assert {f"children[{i}].birth_date" for i in range(3)} <= set(zones)
    assert (
        zones["claimant.postal_code"].format == "postal_code"
        and len(zones["claimant.postal_code"].cells) == 7
    )
    assert zones["claimant.birth_date"].format == "date" and len(zones["claimant.birth_date"].cells) == 8
    assert (
        zones["bank_account.bank_code"].format == "digits" and len(zones["bank_account.bank_code"].cells) == 4
    )
    assert len(zones["bank_account.account_number"].cells) == 7
    assert zones["claimant.name_kana"].kind == "kana" and len(zones["claimant.name_kana"].cells) == KANA_CELLS
    assert [o.value for o in zones["claimant.gender"].options] == ["male", "female"]
    assert [o.value for o in zones["has_spouse"].options] == [True, False]
    assert zones["claimant.address"].kind == "text"
    written = {item.path for item in definition.items() if item.widget not in ("fieldset", "repeat")}
    written = {path for path in written if zone_format(definition.item(path)) is not None}
    assert {path.replace("[0]", "[]") for path in zones if "[1]" not in path and "[2]" not in path} == written
    for page in layout.pages:
        boxes = []
        for zone in page.zones:
            assert zone.frame.y >= CONTENT_TOP and zone.frame.y + zone.frame.h <= CONTENT_BOTTOM, zone.path
            for box in [*zone.cells, *(option.box for option in zone.options)] or [zone.frame]:
                assert box.x + box.w <= RIGHT + 0.01, zone.path
                boxes.append((zone.path, box))
        for (path_a, a), (path_b, b) in itertools.combinations(boxes, 2):
            overlap = a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h
            assert not overlap, (path_a, path_b)


def test_the_pdf_carries_the_qr_code_and_marks_on_every_page(child_allowance_version, iga):
    pdf = cached_form_pdf(child_allowance_version, serial="T1")
    assert pdf.startswith(b"%PDF-")
    layout = build_layout(child_allowance_version.parsed)
    pages = list(render_pdf(pdf, 200))
    assert len(pages) == len(layout.pages) >= 2
    for number, image in enumerate(pages, start=1):
        gray = np.asarray(image)
        stamp, _barcode = find_stamp(gray)
        assert stamp == FormStamp(
            iga.code,
            "child-allowance-certification",
            child_allowance_version.number,
            number,
            len(pages),
            "T1",
        )
        marks = find_marks(gray, PX_PER_MM)
        for found, (x, y) in zip(marks, MARK_CENTRES, strict=True):
            assert found is not None
            assert abs(found[0] - x * PX_PER_MM) < 3 and abs(found[1] - y * PX_PER_MM) < 3


def test_a_stamp_is_read_back_and_foreign_codes_are_not_stamps():
    stamp = FormStamp("242161", "child-allowance-certification", 3, 2, 4, "AB12")
    assert FormStamp.decode(stamp.encode()) == stamp
    for text in (
        "https://example.com/",
        "IDXF1;24216;x;1;1;1;A",
        "IDXF1;242161;x;1;5;4;A",
        "IDXF1;242161;x;a;1;1;A",
    ):
        assert FormStamp.decode(text) is None


def test_a_resident_downloads_the_blank_form_from_the_procedure_page(iga_client, iga):
    page = iga_client.get("/procedures/child-allowance-certification/")
    assert page.status_code == 200
    link = "/procedures/child-allowance-certification/paper-form.pdf"
    assert link.encode() in page.content
    response = iga_client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    first = next(render_pdf(response.content, 150))
    stamp, _barcode = find_stamp(np.asarray(first))
    version = procedure(iga).published_version
    assert stamp.municipality_code == iga.code and stamp.serial == blank_serial(version)


def test_each_municipality_prints_its_own_form_and_unknown_procedures_have_none(watarai_client, watarai):
    response = watarai_client.get("/procedures/child-allowance-certification/paper-form.pdf")
    assert response.status_code == 200
    stamp, _barcode = find_stamp(np.asarray(next(render_pdf(response.content, 150))))
    assert stamp.municipality_code == watarai.code
    assert watarai_client.get("/procedures/no-such-thing/paper-form.pdf").status_code == 404
