"""Importing CAP 1.2 alerts from other senders: a POST to the API or a poller on a feed.

Documents are parsed with defusedxml (no entities, no external references), checked for the CAP
1.2 namespace and the required elements, and stored once per (sender, identifier): a duplicate
is reported as such and changes nothing. Staff see them on the alerts page and may re-broadcast
one to residents as an alert of their own (the usual rules apply).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.db import IntegrityError, transaction

from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.notifications.cap import CAP_NS
from idx.notifications.models import ImportedAlert

logger = logging.getLogger("idx.notifications.cap_import")
MAX_BYTES = 512 * 1024
ATOM = "{http://www.w3.org/2005/Atom}"
STATUSES = {"Actual", "Exercise", "System", "Test", "Draft"}
MSG_TYPES = {"Alert", "Update", "Cancel", "Ack", "Error"}


class CapRejected(DomainError):
    code = "cap_rejected"
    http_status = 422

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ImportResult:
    alert: ImportedAlert
    created: bool


def _text(element: object, name: str) -> str:
    found = element.find(f"{{{CAP_NS}}}{name}")  # type: ignore[attr-defined]
    return (found.text or "").strip() if found is not None else ""


def cap_import(*, municipality: Municipality, document: bytes, source: str) -> ImportResult:
    """Store one CAP 1.2 document (or find it stored already); ``CapRejected`` with the reason."""
    if len(document) > MAX_BYTES:
        raise CapRejected("the document is too large")
    try:
        root = SafeET.fromstring(document)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise CapRejected(f"not well-formed or unsafe XML: {type(exc).__name__}") from exc
    if root.tag != f"{{{CAP_NS}}}alert":
        raise CapRejected("not a CAP 1.2 alert (root element or namespace)")
    fields = {
        name: _text(root, name) for name in ("identifier", "sender", "sent", "status", "msgType", "scope")
    }
    missing = [name for name, value in fields.items() if not value]
    if missing:
        raise CapRejected(f"missing required elements: {', '.join(missing)}")
    if fields["status"] not in STATUSES or fields["msgType"] not in MSG_TYPES:
        raise CapRejected("unknown status or msgType")
    info = root.find(f"{{{CAP_NS}}}info")
    areas = []
    if info is not None:
        areas = [_text(area, "areaDesc") for area in info.findall(f"{{{CAP_NS}}}area")]
    values = {
        "sent": fields["sent"][:40],
        "status": fields["status"],
        "msg_type": fields["msgType"],
        "event": _text(info, "event")[:255] if info is not None else "",
        "headline": _text(info, "headline")[:500] if info is not None else "",
        "description": _text(info, "description")[:5000] if info is not None else "",
        "instruction": _text(info, "instruction")[:5000] if info is not None else "",
        "areas": "、".join(area for area in areas if area)[:500],
        "source": source[:300],
    }
    existing = ImportedAlert.objects.filter(
        municipality=municipality, sender=fields["sender"][:255], identifier=fields["identifier"][:255]
    ).first()
    if existing is not None:
        return ImportResult(existing, False)
    try:
        with transaction.atomic():
            imported = ImportedAlert.objects.create(
                municipality=municipality,
                sender=fields["sender"][:255],
                identifier=fields["identifier"][:255],
                **values,
            )
    except IntegrityError:
        return ImportResult(
            ImportedAlert.objects.get(
                municipality=municipality,
                sender=fields["sender"][:255],
                identifier=fields["identifier"][:255],
            ),
            False,
        )
    logger.info("cap alert imported municipality=%s sender=%s", municipality.code, imported.sender)
    return ImportResult(imported, True)


def _get(url: str) -> bytes:
    response = requests.get(url, timeout=settings.IDX_OIDC_HTTP_TIMEOUT, stream=True)
    response.raise_for_status()
    body = response.raw.read(MAX_BYTES + 1, decode_content=True)
    if len(body) > MAX_BYTES:
        raise CapRejected("the document is too large")
    return body


def cap_poll(*, municipality: Municipality, url: str) -> tuple[int, int, list[str]]:
    """Fetch a CAP document or an Atom feed of them; (new, duplicates, problems)."""
    created = duplicates = 0
    problems: list[str] = []
    body = _get(url)
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException):
        return 0, 0, [f"{url}: not well-formed or unsafe XML"]
    documents: list[tuple[str, bytes]] = []
    if root.tag == f"{ATOM}feed":
        for entry in root.findall(f"{ATOM}entry"):
            for link in entry.findall(f"{ATOM}link"):
                href = link.get("href", "")
                if href and (link.get("type", "") in ("application/cap+xml", "") or href.endswith(".xml")):
                    try:
                        documents.append((href, _get(href)))
                    except (requests.RequestException, CapRejected) as exc:
                        problems.append(f"{href}: {exc}")
                    break
    else:
        documents.append((url, body))
    for source, document in documents:
        try:
            result = cap_import(municipality=municipality, document=document, source=source)
        except CapRejected as exc:
            problems.append(f"{source}: {exc.reason}")
            continue
        created += int(result.created)
        duplicates += int(not result.created)
    return created, duplicates, problems
