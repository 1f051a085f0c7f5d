"""Checking uploads by their content and stripping image metadata before anything is stored."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from idx.common.errors import DomainError

ALLOWED = {
    "image/jpeg": ("image", {".jpg", ".jpeg", ".jpe"}, "JPEG"),
    "image/png": ("image", {".png"}, "PNG"),
    "application/pdf": ("pdf", {".pdf"}, ""),
}


class UploadRejected(DomainError, ValueError):
    http_status = 422

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # too_large, unsupported_type, name_mismatch, not_accepted, damaged, too_many_pixels


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    sha256: str


def check_upload(*, name: str, data: bytes, accept: list[str] | None = None) -> CheckedFile:
    """Identify the file from its bytes; images are decoded and re-encoded without EXIF/GPS."""
    if len(data) > settings.IDX_ATTACHMENT_MAX_BYTES:
        raise UploadRejected("too_large")
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        raise UploadRejected("unsupported_type")
    family, extensions, pil_format = ALLOWED[kind.mime]
    if PurePath(name.lower()).suffix not in extensions:
        raise UploadRejected("name_mismatch")
    if accept and family not in accept:
        raise UploadRejected("not_accepted")
    if family == "pdf":
        if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
            raise UploadRejected("damaged")
        content = data
    else:
        content = _reencode_image(data, pil_format)
    return CheckedFile(content=content, content_type=kind.mime, sha256=hashlib.sha256(content).hexdigest())


def _reencode_image(data: bytes, pil_format: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > settings.IDX_IMAGE_MAX_PIXELS:
                raise UploadRejected("too_many_pixels")
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UploadRejected("damaged") from exc
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if pil_format == "PNG" else "RGB")
    if pil_format == "JPEG" and image.mode != "RGB" and image.mode != "L":
        image = image.convert("RGB")
    # A fresh image from the pixels alone: EXIF (GPS, camera serials), XMP and text chunks stay behind.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    if pil_format == "JPEG":
        clean.save(out, format="JPEG", quality=90)
    else:
        clean.save(out, format="PNG")
    return out.getvalue()
