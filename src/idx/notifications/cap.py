"""Alerts as CAP 1.2 documents (OASIS Common Alerting Protocol) and as an Atom feed.

One ``<info>`` per language the alert has text in. 訓練 is CAP ``Exercise`` and テスト ``Test``,
so receivers never treat them as real; in the Atom feed their entries' title and summary begin
with 【訓練】 or 【テスト】. Updates and cancellations carry ``<references>`` with
``sender,identifier,sent`` of the alert they replace.
"""

from __future__ import annotations

import datetime as dt

# Only builds documents; nothing is parsed here (imports use defusedxml).
from xml.etree import ElementTree as ET  # noqa: S405  # nosec B405

from django.utils import timezone

from idx.notifications.models import Alert, AlertKind, AlertMode

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"

STATUS = {AlertMode.ACTUAL: "Actual", AlertMode.EXERCISE: "Exercise", AlertMode.TEST: "Test"}
# The feed's entries say it in words too, for readers that show only the title and summary.
MARK = {AlertMode.EXERCISE: "【訓練】", AlertMode.TEST: "【テスト】"}
# kind -> (category, event, responseType, urgency, severity, certainty)
PROFILE = {
    AlertKind.LEVEL3: ("Safety", "高齢者等避難（警戒レベル3）", "Evacuate", "Expected", "Moderate", "Likely"),
    AlertKind.LEVEL4: ("Safety", "避難指示（警戒レベル4）", "Evacuate", "Immediate", "Severe", "Likely"),
    AlertKind.LEVEL5: (
        "Safety",
        "緊急安全確保（警戒レベル5）",
        "Shelter",
        "Immediate",
        "Extreme",
        "Observed",
    ),
    AlertKind.SHELTER_OPEN: ("Safety", "避難所開設", "Prepare", "Expected", "Moderate", "Observed"),
    AlertKind.WEATHER_WARNING: ("Met", "気象警報", "Monitor", "Expected", "Moderate", "Likely"),
    AlertKind.OTHER: ("Other", "その他", "Monitor", "Unknown", "Unknown", "Unknown"),
}
CAP_LANGUAGE = {
    "ja": "ja-JP",
    "ja-easy": "ja-JP-x-easy",
    "en": "en-US",
    "pt-br": "pt-BR",
    "zh-hans": "zh-Hans",
}


def cap_time(moment: dt.datetime) -> str:
    """CAP's dateTime: local time with a numeric offset, no fractional seconds, never ``Z``."""
    local = timezone.localtime(moment).replace(microsecond=0)
    text = local.isoformat()
    return text if not text.endswith("+00:00") else text[:-6] + "-00:00"


def sender_of(alert: Alert) -> str:
    host = alert.municipality.public_url.split("//")[-1].split("/")[0].split(":")[0] or "idx.invalid"
    return f"alerts@{host}"


def _sub(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{name}")
    element.text = text
    return element


def cap_document(alert: Alert, *, web_url: str = "") -> bytes:
    """The alert as a CAP 1.2 XML document (UTF-8)."""
    ET.register_namespace("", CAP_NS)
    root = ET.Element(f"{{{CAP_NS}}}alert")
    sent = alert.sent_at or alert.created_at
    _sub(root, "identifier", alert.identifier)
    _sub(root, "sender", sender_of(alert))
    _sub(root, "sent", cap_time(sent))
    _sub(root, "status", STATUS[AlertMode(alert.mode)])
    _sub(root, "msgType", alert.msg_type)
    _sub(root, "source", alert.municipality.name)
    _sub(root, "scope", "Public")
    if alert.references is not None:
        original = alert.references
        _sub(
            root,
            "references",
            f"{sender_of(original)},{original.identifier},{cap_time(original.sent_at or original.created_at)}",
        )
    category, event, response, urgency, severity, certainty = PROFILE[AlertKind(alert.kind)]
    if alert.msg_type == "Cancel":
        response, urgency = "AllClear", "Past"
    areas = list(alert.areas.all())
    for language, fields in alert.texts.items():
        info = ET.SubElement(root, f"{{{CAP_NS}}}info")
        _sub(info, "language", CAP_LANGUAGE.get(language, language))
        _sub(info, "category", category)
        _sub(info, "event", event)
        _sub(info, "responseType", response)
        _sub(info, "urgency", urgency)
        _sub(info, "severity", severity)
        _sub(info, "certainty", certainty)
        _sub(info, "senderName", alert.municipality.name)
        if fields.get("headline"):
            _sub(info, "headline", fields["headline"])
        if fields.get("description"):
            _sub(info, "description", fields["description"])
        if fields.get("instruction"):
            _sub(info, "instruction", fields["instruction"])
        if web_url:
            _sub(info, "web", web_url)
        for area in areas:
            element = ET.SubElement(info, f"{{{CAP_NS}}}area")
            _sub(element, "areaDesc", area.name)
            geocode = ET.SubElement(element, f"{{{CAP_NS}}}geocode")
            _sub(geocode, "valueName", "JIS X 0402")
            _sub(geocode, "value", alert.municipality.code)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom_feed(alerts: list[Alert], *, feed_url: str, cap_url: str, title: str) -> bytes:
    """An Atom feed whose entries link to each alert's CAP document (``cap_url`` % identifier)."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, name: str, text: str = "", **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attributes)
        if text:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", feed_url)
    sub(feed, "title", title)
    updated = max((alert.updated_at for alert in alerts), default=timezone.now())
    sub(feed, "updated", cap_time(updated))
    sub(feed, "link", href=feed_url, rel="self")
    for alert in alerts:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:cap:{alert.identifier}")
        texts: dict[str, str] = alert.texts.get("ja") or next(iter(alert.texts.values()), {})
        mark = MARK.get(AlertMode(alert.mode), "")
        sub(entry, "title", mark + texts.get("headline", alert.identifier))
        sub(entry, "updated", cap_time(alert.updated_at))
        author = sub(entry, "author")
        sub(author, "name", alert.municipality.name)
        sub(entry, "link", href=cap_url % alert.identifier, type="application/cap+xml", rel="alternate")
        sub(entry, "summary", mark + (texts.get("description", "") or texts.get("headline", "")))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
