"""Staff pages of the paper intake: upload, a batch read back, isolation, the counter's prefilled form."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from idx.intake.reading import find_stamp
from idx.intake.simulate import render_pdf, scan
from tests.conftest import example_answers, procedure, signed_in
from tests.intake.conftest import cached_form_pdf

pytestmark = pytest.mark.django_db


def first_page_png(version, answers) -> bytes:
    page = next(render_pdf(cached_form_pdf(version, serial="P1", answers=answers), 200))
    out = io.BytesIO()
    scan(page, angle=-2.0, noise=8).save(out, format="PNG")
    return out.getvalue()


def test_a_clerk_uploads_a_scan_and_sees_what_was_read(
    clerk, clerk_other_municipality, django_capture_on_commit_callbacks
):
    proc = procedure(clerk.municipality)
    client = signed_in(clerk)
    home = client.get("/staff/intake/")
    assert home.status_code == 200 and b'enctype="multipart/form-data"' in home.content
    upload = SimpleUploadedFile(
        "counter-scan.png", first_page_png(proc.published_version, example_answers(proc))
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/intake/", {"file": upload})
    assert response.status_code == 302
    batch_url = response["Location"]
    page = client.get(batch_url)
    text = page.content.decode()
    assert page.status_code == 200
    # The postal code and birth date, read from boxes, shown as people write them.
    assert ("5180873" in text or "518-0873" in text) and "1988年6月15日" in text and "19880615" not in text
    assert "claimant." not in text  # items by their labels, not their paths
    assert "counter-scan.png" in client.get("/staff/intake/").content.decode()
    # Nothing crosses municipalities: Watarai's clerk does not find Iga's batch.
    other = signed_in(clerk_other_municipality, host="watarai.localhost")
    assert other.get(batch_url).status_code == 404


def test_a_file_that_is_not_a_scan_is_refused_on_the_page(clerk):
    client = signed_in(clerk)
    response = client.post(
        "/staff/intake/", {"file": SimpleUploadedFile("notes.txt", b"plain words, not a scan")}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="error-summary"' in text and "#id_file" in text


def test_the_counter_prints_a_prefilled_form_by_post(clerk):
    client = signed_in(clerk)
    assert client.get("/staff/intake/print/").status_code == 200
    response = client.post(
        "/staff/intake/print/form.pdf",
        {"procedure": "child-allowance-certification", "name": "伊賀 太郎", "name_kana": "イガ タロウ"},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    stamp, _barcode = find_stamp(np.asarray(next(render_pdf(response.content, 150))))
    assert stamp.procedure_code == "child-allowance-certification" and stamp.serial.startswith("P")
    assert client.get("/staff/intake/print/form.pdf").status_code == 405
    refused = client.post("/staff/intake/print/form.pdf", {"procedure": "no-such-procedure"})
    assert refused.status_code == 400
