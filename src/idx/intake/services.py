"""Writes of the intake: receiving a file of scans, splitting it into pages, reading each page.

A batch is stored first and split in the background (``tasks.split_batch``), one page at a time;
each page is read by its own task (``tasks.read_page``). Whatever a file or a page holds, the
outcome is recorded on it with a reason; nothing raised by one page stops the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import secrets
import time
from collections.abc import Iterator, Mapping
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from idx.applications.answers import visible_answers
from idx.applications.models import Application
from idx.applications.paper import paper_application_submit
from idx.applications.services import AnswersInvalid
from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.identity.policy import Action, can
from idx.identity.services import offline_applicant
from idx.intake import selectors
from idx.intake.layout import FormLayout
from idx.intake.models import FormVerification, ScanBatch, ScanPage
from idx.intake.paper import FormStamp, form_layout, value_at
from idx.intake.reading import DPI, PageError, gray_array, read_page
from idx.intake.selectors import PaperForm
from idx.intake.titles import best_title_match, read_title
from idx.intake.verification import corrections
from idx.procedures.definition import validate_answers
from idx.procedures.models import Procedure, ProcedureVersion
from idx.procedures.rendering import identity_fact_paths

logger = logging.getLogger(__name__)

SCAN_TYPES = {"application/pdf": "pdf", "image/png": "image", "image/jpeg": "image", "image/tiff": "image"}
# The longest side a stored page keeps: A4 at about 250 dpi. Larger scans are scaled down first.
PAGE_MAX_SIDE = 2900


class ScanRefused(DomainError):
    http_status = 422

    def __init__(self, code: str, message: Any):
        super().__init__(code=code, message=message, field="file")


def scan_batch_receive(*, municipality: Municipality, staff: Any, upload: UploadedFile) -> ScanBatch:
    """Store an uploaded file of scans and have it split into pages after commit."""
    size = int(upload.size or 0)
    if size > settings.IDX_INTAKE_MAX_UPLOAD_BYTES:
        raise ScanRefused("too_large", _("The file is larger than the intake accepts."))
    if size == 0:
        raise ScanRefused("empty", _("The file is empty."))
    upload.seek(0)
    head = upload.read(8192)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in SCAN_TYPES:
        raise ScanRefused("unsupported_type", _("Only PDF, PNG, JPEG and TIFF scans can be read."))
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    with transaction.atomic(durable=True):
        batch = ScanBatch(
            municipality=municipality,
            public_id=f"scn_{secrets.token_hex(12)}",
            uploaded_by=staff,
            original_name=(upload.name or "scan")[:200],
            content_type=kind.mime,
            size=size,
            sha256=digest.hexdigest(),
        )
        upload.seek(0)
        batch.file.save("upload", upload, save=False)
        batch.save()
        audit_record(
            municipality=municipality,
            actor=staff,
            action="intake.batch.received",
            target_type="scan_batch",
            target_id=batch.public_id,
            after={"size": size, "content_type": kind.mime, "sha256": batch.sha256},
        )
        batch_id = batch.pk
        transaction.on_commit(lambda: _enqueue_split(batch_id))
    return batch


def _enqueue_split(batch_id: int) -> None:
    from idx.intake.tasks import split_batch

    split_batch.enqueue(batch_id)


def _enqueue_read(page_id: int) -> None:
    from idx.intake.tasks import read_page as read_page_task

    read_page_task.enqueue(page_id)


def scan_batch_split(batch_id: int) -> str:
    """Cut a batch into page images, one page in memory at a time; each page is then read on its own.

    Safe to run again: pages already cut are kept, and a refused or finished batch is left alone.
    """
    batch = ScanBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status not in (ScanBatch.Status.RECEIVED, ScanBatch.Status.SPLITTING):
        return "skipped"
    ScanBatch.objects.filter(pk=batch.pk).update(status=ScanBatch.Status.SPLITTING)
    done = set(batch.pages.values_list("number", flat=True))
    count = 0
    try:
        for number, image in enumerate(_page_images(batch), start=1):
            count = number
            if number > settings.IDX_INTAKE_MAX_PAGES:
                raise PageError("too_many_pages")
            if number in done:
                continue
            _store_page(batch, number, image)
    except PageError as error:
        ScanBatch.objects.filter(pk=batch.pk).update(status=ScanBatch.Status.REFUSED, refusal=error.code)
        return error.code
    status = ScanBatch.Status.READING if count else ScanBatch.Status.REFUSED
    ScanBatch.objects.filter(pk=batch.pk).update(
        status=status, page_count=count, refusal="" if count else "no_pages"
    )
    for page_id in batch.pages.filter(outcome=ScanPage.Outcome.QUEUED).values_list("pk", flat=True):
        _enqueue_read(page_id)
    _finish_if_read(batch.pk)
    return "split"


def _store_page(batch: ScanBatch, number: int, image: Image.Image) -> None:
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    image = image.convert("L")
    longest = max(image.size)
    if longest > PAGE_MAX_SIDE:
        factor = PAGE_MAX_SIDE / longest
        image = image.resize(
            (round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS
        )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    page = ScanPage(municipality_id=batch.municipality_id, batch=batch, number=number)
    page.image.save(f"page-{number:04d}.png", ContentFile(out.getvalue()), save=False)
    page.save()


def _page_images(batch: ScanBatch) -> Iterator[Image.Image]:
    """The pages of a stored file, one at a time; raises ``PageError`` when the file cannot be opened."""
    max_pixels = settings.IDX_INTAKE_MAX_PAGE_PIXELS
    with batch.file.open("rb") as handle:
        if SCAN_TYPES.get(batch.content_type) == "pdf":
            yield from _pdf_pages(handle.read(), max_pixels)
            return
        try:
            image = Image.open(handle)
        except Image.DecompressionBombError as exc:
            raise PageError("too_many_pixels") from exc
        except (UnidentifiedImageError, OSError) as exc:
            raise PageError("unreadable") from exc
        index = 0
        while True:
            try:
                image.seek(index)
            except EOFError:
                return
            # An image bomb (a few kilobytes that decode to billions of pixels) is refused unopened.
            if image.width * image.height > max_pixels:
                raise PageError("too_many_pixels")
            try:
                image.load()
                yield image.copy()
            except (OSError, Image.DecompressionBombError, SyntaxError) as exc:
                raise PageError("unreadable") from exc
            index += 1


def _pdf_pages(data: bytes, max_pixels: int) -> Iterator[Image.Image]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        # pdfium names a password-protected file by its error: it stays refused with that reason.
        raise PageError("pdf_password" if "password" in str(exc).lower() else "unreadable") from exc
    try:
        for index in range(len(document)):
            page = document[index]
            width_pt, height_pt = page.get_size()
            scale = DPI / 72
            if width_pt * scale * height_pt * scale > max_pixels:
                scale = (max_pixels / (width_pt * height_pt)) ** 0.5
            # Pages are rendered without forms or annotations: a PDF's JavaScript never runs here.
            bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=False)
            image = bitmap.to_pil()
            page.close()
            yield image
    finally:
        document.close()


def _layout_for(municipality: Municipality) -> Any:
    cache: dict[tuple[str, int], tuple[ProcedureVersion, FormLayout] | None] = {}

    def layout_for(stamp: FormStamp) -> FormLayout | None:
        found = version_for(municipality, stamp, cache)
        return found[1] if found else None

    return layout_for


def version_for(
    municipality: Municipality,
    stamp: FormStamp,
    cache: dict[tuple[str, int], tuple[ProcedureVersion, FormLayout] | None] | None = None,
) -> tuple[ProcedureVersion, FormLayout] | None:
    """The procedure version a form's QR code names, in this municipality only, with its layout."""
    cache = {} if cache is None else cache
    key = (stamp.procedure_code, stamp.version)
    if key not in cache:
        version = None
        if stamp.municipality_code == municipality.code:
            version = (
                ProcedureVersion.objects.filter(
                    procedure__municipality=municipality,
                    procedure__code=stamp.procedure_code,
                    number=stamp.version,
                )
                .exclude(status=ProcedureVersion.Status.DRAFT)
                .select_related("procedure__municipality")
                .first()
            )
        cache[key] = (version, form_layout(version)) if version is not None else None
    return cache[key]


def scan_page_read(page_id: int) -> str:
    """Read one page; the outcome (read, manual queue, blank, failed) and its reason are recorded."""
    page = ScanPage.objects.select_related("batch", "municipality").filter(pk=page_id).first()
    if page is None or page.outcome != ScanPage.Outcome.QUEUED:
        return "skipped"
    started = time.perf_counter()
    update: dict[str, Any] = {}
    try:
        with page.image.open("rb") as handle, Image.open(handle) as image:
            image.load()
            reading = read_page(image, _layout_for(page.municipality))
        found = version_for(page.municipality, reading.stamp)
        update = {
            "outcome": ScanPage.Outcome.READ,
            "procedure_version": found[0] if found else None,
            "form_serial": reading.stamp.serial,
            "form_page": reading.stamp.page,
            "form_pages": reading.stamp.pages,
            "rotated": reading.rotated,
            "marks_found": reading.marks_found,
            "readings": [
                {
                    "path": item.path,
                    "value": item.value,
                    "text": item.text,
                    "confidence": item.confidence,
                    "zone": {"x": item.zone.x, "y": item.zone.y, "w": item.zone.w, "h": item.zone.h},
                }
                for item in reading.items
            ],
        }
        if reading.image is not None:
            # The rectified page replaces the scan: zones cut for the clerk line up with the layout.
            out = io.BytesIO()
            reading.image.save(out, format="PNG")
            scanned = page.image.name
            page.image.save(f"page-{page.number:04d}.png", ContentFile(out.getvalue()), save=False)
            update["image"] = page.image.name
            if scanned and scanned != page.image.name:
                page.image.storage.delete(scanned)
    except PageError as error:
        outcome = {"blank": ScanPage.Outcome.BLANK, "no_form": ScanPage.Outcome.MANUAL}.get(
            error.code, ScanPage.Outcome.MANUAL if error.code == "unknown_form" else ScanPage.Outcome.FAILED
        )
        update = {"outcome": outcome, "reason": error.code}
        if error.code == "no_form":
            update.update(_title_guess(page))
    except Exception:  # one bad page never stops the batch: it is marked and the clerk told why
        logger.exception("intake: page %s could not be read", page_id)
        update = {"outcome": ScanPage.Outcome.FAILED, "reason": "error"}
    update.update(seconds=round(time.perf_counter() - started, 3), read_at=timezone.now())
    ScanPage.objects.filter(pk=page.pk, outcome=ScanPage.Outcome.QUEUED).update(**update)
    _finish_if_read(page.batch_id)
    return str(update["outcome"])


def _title_guess(page: ScanPage) -> dict[str, Any]:
    """For a page without a form QR code: the title read at its top and, when it names one of the
    municipality's published procedures, that procedure's form as the clerk's starting point."""
    try:
        with page.image.open("rb") as handle, Image.open(handle) as image:
            text = read_title(gray_array(image))
    except Exception:  # a guess is a help, never a reason for the page to fail
        logger.exception("intake: the title of page %s could not be read", page.pk)
        return {}
    published = Procedure.objects.filter(
        municipality_id=page.municipality_id, published_version__isnull=False
    ).values_list("published_version_id", "names")
    guess = best_title_match(text, ((version_id, names.get("ja", "")) for version_id, names in published))
    if guess is None:
        return {"title_read": text[:200]}
    return {"title_read": text[:200], "reason": "title_match", "procedure_version_id": guess.key}


def _finish_if_read(batch_id: int) -> None:
    if not ScanPage.objects.filter(batch_id=batch_id, outcome=ScanPage.Outcome.QUEUED).exists():
        ScanBatch.objects.filter(pk=batch_id, status=ScanBatch.Status.READING).update(
            status=ScanBatch.Status.DONE
        )


# ---- verifying a read form: it becomes a case -------------------------------------------------


class FormNotFound(DomainError):
    """No such form here, or not one the staff member may verify (never says which)."""

    code = "not_found"
    http_status = 404
    message = _("Not found.")


class FormAlreadyVerified(DomainError):
    code = "already_verified"
    http_status = 409
    message = _("This paper form has already been verified and its case made.")


class FormOutdated(DomainError):
    code = "form_outdated"
    http_status = 409
    message = _(
        "This paper form was printed for an earlier version of the procedure: key it in at the counter instead."
    )


def _verifiable(staff: Any, batch: ScanBatch, first_page: int) -> PaperForm:
    """The form, when ``staff`` may verify it: intake work, and cases of the procedure's department."""
    if staff.municipality_id != batch.municipality_id or not can(staff, Action.WORK_CASE):
        raise FormNotFound()
    form = selectors.paper_form_get(batch=batch, first_page=first_page)
    if form is None or not can(staff, Action.WORK_CASE, form.version.procedure.department):
        raise FormNotFound()
    return form


def _record_for(batch: ScanBatch, form: PaperForm) -> FormVerification:
    defaults = {
        "municipality_id": batch.municipality_id,
        "form_serial": form.serial,
        "procedure_version": form.version,
        "page_numbers": [page.number for page in form.pages],
    }
    try:
        with transaction.atomic():
            record, _made = FormVerification.objects.get_or_create(
                batch=batch, first_page=form.first_page, defaults=defaults
            )
    except IntegrityError:  # opened twice at the same moment: the first one made it
        record = FormVerification.objects.get(batch=batch, first_page=form.first_page)
    return record


def paper_form_open(*, staff: Any, batch: ScanBatch, first_page: int) -> tuple[PaperForm, FormVerification]:
    """The form for the verification screen; the first opening starts the verifying time."""
    form = _verifiable(staff, batch, first_page)
    record = _record_for(batch, form)
    if record.started_at is None and record.verified_at is None:
        now = timezone.now()
        FormVerification.objects.filter(pk=record.pk, started_at__isnull=True).update(
            started_at=now, started_by=staff
        )
        record.refresh_from_db()
    return form, record


def paper_form_accept(
    *, staff: Any, batch: ScanBatch, first_page: int, answers: Mapping[str, Any]
) -> Application:
    """Turn a read form into a submitted case (channel paper) with the answers as the clerk accepted them.

    The answers are checked by the procedure version's schema first (``AnswersInvalid`` names each
    item). The form's record is locked, so a form is verified once however often it is sent; the
    applicant is the one resident with the form's name and birth date, or a record that cannot sign
    in (``idx.identity.services.offline_applicant``). The scanned pages are attached, and the
    reading and every correction (item, value read, value accepted, confidence) audited.
    """

    form = _verifiable(staff, batch, first_page)
    version = form.version
    procedure = version.procedure
    definition = version.parsed
    record = verification_record = _record_for(batch, form)
    if record.verified_at is not None:
        raise FormAlreadyVerified()
    if procedure.published_version_id != version.pk:
        raise FormOutdated()
    accepted = visible_answers(definition, dict(answers))
    errors = validate_answers(definition, accepted)
    if errors:
        raise AnswersInvalid(errors)
    facts = {fact: path for path, fact in identity_fact_paths(definition).items()}
    name = value_at(accepted, facts["name"]) if "name" in facts else None
    birth = value_at(accepted, facts["birth_date"]) if "birth_date" in facts else None
    try:
        birthdate = dt.date.fromisoformat(birth) if isinstance(birth, str) else None
    except ValueError:
        birthdate = None
    changed = corrections(form, accepted)
    scans = []
    for page in form.pages:
        with page.image.open("rb") as handle:
            scans.append(
                (f"paper-form-{form.serial}-page-{page.form_page or page.number}.png", handle.read())
            )
    with transaction.atomic(durable=True):
        record = FormVerification.objects.select_for_update().get(pk=verification_record.pk)
        if record.verified_at is not None:
            raise FormAlreadyVerified()
        applicant = offline_applicant(
            municipality=batch.municipality,
            full_name=name if isinstance(name, str) else "",
            birthdate=birthdate,
            actor=staff,
            source="paper",
        )
        application = paper_application_submit(
            staff=staff,
            procedure=procedure,
            applicant=applicant,
            answers=accepted,
            scans=scans,
            audit_after={"batch": batch.public_id, "serial": form.serial},
        )
        now = timezone.now()
        record.verified_at = now
        record.verified_by = staff
        record.application = application
        record.corrections = changed
        record.page_numbers = [page.number for page in form.pages]
        record.reading_seconds = round(sum(page.seconds or 0.0 for page in form.pages), 3)
        record.save(
            update_fields=[
                "verified_at",
                "verified_by",
                "application",
                "corrections",
                "page_numbers",
                "reading_seconds",
                "updated_at",
            ]
        )
        audit_record(
            municipality=batch.municipality,
            actor=staff,
            action="intake.form.verified",
            target_type="application",
            target_id=application.public_id,
            after={
                "batch": batch.public_id,
                "serial": form.serial,
                "pages": record.page_numbers,
                "reading": [
                    {"path": item["path"], "value": item.get("value"), "confidence": item.get("confidence")}
                    for page in form.pages
                    for item in page.readings
                ],
                "corrections": changed,
                "reading_seconds": record.reading_seconds,
                "verifying_seconds": record.verifying_seconds,
            },
        )
    return application
