"""Uploads are identified by content, images lose their metadata, and the portal keeps typed answers."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from PIL import Image

from idx.applications import services
from idx.applications.attachments import UploadRejected, check_upload
from idx.applications.models import Application, Attachment, Status
from idx.audit.models import AuditEntry
from tests.conftest import make_draft, make_submitted

GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "IDX Test Camera"  # Make
    exif[0x0131] = "firmware 1.0"  # Software
    exif[GPS_IFD] = {1: "N", 2: (34.0, 46.0, 12.5), 3: "E", 4: (136.0, 8.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 128, 0)).save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_the_test_jpeg_really_carries_gps():
    with Image.open(io.BytesIO(jpeg_with_gps())) as image:
        exif = image.getexif()
        assert exif[0x010F] == "IDX Test Camera"
        assert exif.get_ifd(GPS_IFD)[1] == "N"


def test_jpeg_is_stored_without_exif(draft_application, resident):
    application = make_draft(resident, "disaster-damage-certificate", answers={})
    data = jpeg_with_gps()
    attachment = services.attachment_add(
        application=application, actor=resident, field_path="photos[0].photo", name="IMG_0001.JPG", data=data
    )
    stored = attachment.file.open("rb").read()
    assert stored != data
    assert b"Exif" not in stored
    assert b"IDX Test Camera" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert image.size == (40, 30)
        assert dict(image.getexif()) == {}
        assert image.getexif().get_ifd(GPS_IFD) == {}
    assert attachment.content_type == "image/jpeg"
    assert attachment.size == len(stored)
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert attachment.original_name == "IMG_0001.JPG"
    assert attachment.public_id.startswith("att_") and len(attachment.public_id) == 36
    application.refresh_from_db()
    assert application.answers == {"photos": [{"photo": attachment.public_id}]}
    entry = AuditEntry.objects.get(action="attachment.add", target_id=str(application.public_id))
    assert entry.after == {
        "field": "photos[0].photo",
        "attachment": attachment.public_id,
        "type": "image/jpeg",
    }


def test_png_is_reencoded():
    checked = check_upload(name="photo.png", data=png(), accept=["image"])
    assert checked.content_type == "image/png"
    assert checked.content.startswith(b"\x89PNG")


def test_pdf_is_kept_as_is():
    checked = check_upload(name="scan.PDF", data=PDF, accept=["image", "pdf"])
    assert checked.content == PDF
    assert checked.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "data", "accept", "code"),
    [
        ("scan.png", PDF, None, "name_mismatch"),
        ("photo.pdf", png(), None, "name_mismatch"),
        ("photo", png(), None, "name_mismatch"),
        ("notes.txt", "住所の変更について\n".encode(), None, "unsupported_type"),
        ("notes.png", b"just some text", None, "unsupported_type"),
        ("empty.pdf", b"", None, "unsupported_type"),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 40, None, "unsupported_type"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << >> endobj\n", None, "damaged"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, None, "damaged"),
        ("scan.pdf", PDF, ["image"], "not_accepted"),
    ],
)
def test_rejected_uploads(name, data, accept, code):
    with pytest.raises(UploadRejected) as caught:
        check_upload(name=name, data=data, accept=accept)
    assert caught.value.code == code


def test_too_large(settings):
    data = jpeg_with_gps()
    settings.IDX_ATTACHMENT_MAX_BYTES = len(data) - 1
    with pytest.raises(UploadRejected) as caught:
        check_upload(name="big.jpg", data=data)
    assert caught.value.code == "too_large"
    settings.IDX_ATTACHMENT_MAX_BYTES = len(PDF)
    assert check_upload(name="exact.pdf", data=PDF).content == PDF


def test_too_many_pixels(settings):
    settings.IDX_IMAGE_MAX_PIXELS = 100
    with pytest.raises(UploadRejected) as caught:
        check_upload(name="huge.jpg", data=jpeg_with_gps())
    assert caught.value.code == "too_many_pixels"


def test_rejected_upload_stores_nothing(resident):
    application = make_draft(resident, "disaster-damage-certificate", answers={})
    with pytest.raises(UploadRejected):
        services.attachment_add(
            application=application, actor=resident, field_path="photos[0].photo", name="a.txt", data=b"text"
        )
    assert not Attachment.objects.exists()
    assert Application.objects.get(pk=application.pk).answers == {}


def test_upload_refused_for_non_file_items_and_strangers(resident, other_resident):
    application = make_draft(resident, "disaster-damage-certificate", answers={})
    with pytest.raises(services.NotPermitted):
        services.attachment_add(
            application=application, actor=resident, field_path="damage_description", name="a.png", data=png()
        )
    with pytest.raises(services.NotPermitted):
        services.attachment_add(
            application=application,
            actor=other_resident,
            field_path="photos[0].photo",
            name="a.png",
            data=png(),
        )
    assert not Attachment.objects.exists()


def test_upload_refused_after_submission(submitted_application, resident):
    with pytest.raises(services.NotEditable):
        services.attachment_add(
            application=submitted_application,
            actor=resident,
            field_path="bank_document",
            name="a.png",
            data=png(),
        )


def test_upload_during_correction_only_for_flagged_items(resident, clerk):
    application = make_submitted(resident)
    application = services.case_request_correction(
        application=application,
        staff=clerk,
        notes={"bank_document": "通帳の写しを添付してください"},
        message="",
        expected_version=application.row_version,
    )
    with pytest.raises(services.NotEditable):
        services.attachment_add(
            application=application, actor=resident, field_path="pension_document", name="a.png", data=png()
        )
    attachment = services.attachment_add(
        application=application, actor=resident, field_path="bank_document", name="a.png", data=png()
    )
    application.refresh_from_db()
    assert application.answers["bank_document"] == attachment.public_id
    assert application.status == Status.CORRECTION_REQUESTED


# ---- through the portal ---------------------------------------------------------------------


def _message(msgid: str) -> str:
    with translation.override("ja"):
        return escape(gettext(msgid))


@pytest.fixture
def disaster_draft(resident):
    from tests.conftest import procedure

    application = services.application_start(
        resident=resident, procedure=procedure(resident.municipality, "disaster-damage-certificate")
    )
    definition = application.procedure_version.parsed
    step = definition.step("photos")
    assert step is not None and definition.item("photos[].photo").widget == "file"
    return application


def test_portal_rejected_photo_shows_error_and_keeps_caption(disaster_draft, resident_client):
    url = f"/my/applications/{disaster_draft.public_id}/steps/photos/"
    response = resident_client.post(
        url,
        {
            "action": "upload",
            "f.photos.count": "1",
            "f.photos.0.caption": "北側外壁のひび割れ",
            "f.photos.0.photo": SimpleUploadedFile(
                "photo.jpg", b"this is not a photo", content_type="image/jpeg"
            ),
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert _message("Upload a JPEG or PNG image or a PDF file.") in page
    assert 'href="#f-photos-0-photo"' in page
    assert 'value="北側外壁のひび割れ"' in page
    disaster_draft.refresh_from_db()
    assert disaster_draft.answers == {"photos": [{"caption": "北側外壁のひび割れ"}]}
    assert not Attachment.objects.exists()


def test_portal_name_mismatch_keeps_other_typed_answers(disaster_draft, resident_client):
    url = f"/my/applications/{disaster_draft.public_id}/steps/applicant/"
    response = resident_client.post(
        url,
        {
            "action": "upload",
            "f.applicant.name": "伊賀 花子",
            "f.applicant.name_kana": "イガ ハナコ",
            "f.applicant.phone": "0595-22-1234",
            "f.is_proxy": "true",
            "f.victim.name": "伊賀 一郎",
            "f.proxy_authorisation": SimpleUploadedFile("委任状.png", PDF, content_type="image/png"),
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert _message("The file's content does not match its name.") in page
    assert 'value="伊賀 花子"' in page
    assert 'value="伊賀 一郎"' in page
    disaster_draft.refresh_from_db()
    assert disaster_draft.answers["applicant"]["name"] == "伊賀 花子"
    assert disaster_draft.answers["is_proxy"] is True
    assert disaster_draft.answers["victim"] == {"name": "伊賀 一郎"}
    assert "proxy_authorisation" not in disaster_draft.answers


def test_portal_too_large_photo(disaster_draft, resident_client, settings):
    settings.IDX_ATTACHMENT_MAX_BYTES = 50
    response = resident_client.post(
        f"/my/applications/{disaster_draft.public_id}/steps/photos/",
        {"action": "upload", "f.photos.count": "1", "f.photos.0.photo": SimpleUploadedFile("a.png", png())},
    )
    assert response.status_code == 422
    assert _message("The file is too large.") in response.content.decode()


def test_portal_photo_upload_strips_gps(disaster_draft, resident_client):
    url = f"/my/applications/{disaster_draft.public_id}/steps/photos/"
    response = resident_client.post(
        url,
        {
            "action": "upload",
            "f.photos.count": "1",
            "f.photos.0.caption": "玄関",
            "f.photos.0.photo": SimpleUploadedFile(
                "IMG_0002.jpg", jpeg_with_gps(), content_type="image/jpeg"
            ),
        },
    )
    assert response.status_code == 200
    attachment = Attachment.objects.get(application=disaster_draft)
    assert "IMG_0002.jpg" in response.content.decode()
    disaster_draft.refresh_from_db()
    assert disaster_draft.answers == {"photos": [{"caption": "玄関", "photo": attachment.public_id}]}
    with Image.open(attachment.file.open("rb")) as image:
        assert dict(image.getexif()) == {}
    # The next save keeps the attachment through the hidden "kept" input.
    response = resident_client.post(
        url,
        {
            "action": "next",
            "f.photos.count": "1",
            "f.photos.0.caption": "玄関（東側）",
            "f.photos.0.photo.kept": attachment.public_id,
        },
    )
    assert response.status_code == 302
    disaster_draft.refresh_from_db()
    assert disaster_draft.answers == {"photos": [{"caption": "玄関（東側）", "photo": attachment.public_id}]}


def test_owner_downloads_attachment_others_cannot(resident_client, other_resident_client, resident):
    application = make_draft(resident, "disaster-damage-certificate", answers={})
    attachment = services.attachment_add(
        application=application, actor=resident, field_path="photos[0].photo", name="a.png", data=png()
    )
    url = f"/my/applications/{application.public_id}/files/{attachment.public_id}/"
    response = resident_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert other_resident_client.get(url).status_code == 404


@pytest.mark.parametrize("path", ["photos[10].photo", "photos[100000].photo"])
def test_upload_index_beyond_the_repeat_limit_is_refused(resident, path):
    # photos has maxItems 10: a huge index must not make the server build a huge list.
    application = make_draft(resident, "disaster-damage-certificate", answers={})
    with pytest.raises(services.NotPermitted):
        services.attachment_add(
            application=application, actor=resident, field_path=path, name="a.png", data=png()
        )
    assert Application.objects.get(pk=application.pk).answers == {}
    assert not Attachment.objects.exists()


def test_upload_at_the_last_allowed_index(resident):
    application = make_draft(resident, "disaster-damage-certificate", answers={})
    attachment = services.attachment_add(
        application=application, actor=resident, field_path="photos[9].photo", name="a.png", data=png()
    )
    application.refresh_from_db()
    assert len(application.answers["photos"]) == 10
    assert application.answers["photos"][9] == {"photo": attachment.public_id}
