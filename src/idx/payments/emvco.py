"""EMVCo QR codes, Merchant-Presented Mode (MPM): the payload format, and the JPQR payment slip.

A payload is a run of data objects, each a two-digit ID, a two-digit length and the value. Some
IDs hold templates: their value is itself a run of data objects (merchant account information
26–51, additional data 62, the language template 64, the unreserved templates 80–99, and the
payment-system templates 50–99 inside 62). The payload starts with the Payload Format Indicator
(ID 00, "01") and ends with the CRC (ID 63): CRC-16/CCITT-FALSE over the whole payload up to and
including "6304", as four uppercase hex digits.

Lengths count characters, not bytes, and the CRC is taken over the UTF-8 bytes: the language
template carries names in the merchant's own script (the specification's example has "最佳运输"
with length 04, and its CRC A13A is that of the UTF-8 encoding).

The JPQR slip (統一QR「JPQR」, 店舗提示型 動的) is a dynamic MPM code for one amount: the
resident scans it with any JPQR wallet app and the acquirer reports the payment to us.
"""

from __future__ import annotations

import binascii
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_PAYLOAD = 512  # characters, the specification's limit for the whole payload
MAX_VALUE = 99  # what a two-digit length can say

PAYLOAD_FORMAT = "00"
POINT_OF_INITIATION = "01"
MERCHANT_CATEGORY = "52"
CURRENCY = "53"
AMOUNT = "54"
COUNTRY = "58"
MERCHANT_NAME = "59"
MERCHANT_CITY = "60"
ADDITIONAL_DATA = "62"
CRC = "63"
LANGUAGE_TEMPLATE = "64"

STATIC = "11"  # the same code for many payments (a sticker at the counter)
DYNAMIC = "12"  # one code for one payment, with its amount

JPQR_GUID = "jp.or.paymentsjapan"
MCC_GOVERNMENT_SERVICES = "9399"  # Government Services (Not Elsewhere Classified)
CURRENCY_JPY = "392"  # ISO 4217 numeric


class EmvcoError(ValueError):
    """A payload (or the data to build one) that breaks the format; ``position`` is where, when known."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message if position is None else f"{message} (at character {position})")
        self.position = position


@dataclass(frozen=True)
class DataObject:
    """One data object: ``value`` is text, or the nested data objects of a template."""

    tag: str
    value: str | tuple[DataObject, ...]

    def get(self, tag: str) -> str | None:
        """The text of a data object inside this template (None when absent or itself a template)."""
        return value_of(self.value, tag) if isinstance(self.value, tuple) else None


def crc16(data: str | bytes) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) as 4 uppercase hex digits."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    # binascii.crc_hqx is exactly this CRC (the XMODEM/CCITT shift register) given the 0xFFFF start.
    return f"{binascii.crc_hqx(raw, 0xFFFF):04X}"


def is_template(tag: str, parent: str | None = None) -> bool:
    """Whether ``tag`` holds nested data objects, at the top level or inside template ``parent``."""
    number = int(tag)
    if parent is None:
        return 26 <= number <= 51 or number in (62, 64) or 80 <= number <= 99
    if parent == ADDITIONAL_DATA:
        return 50 <= number <= 99
    return False


def _two_digits(text: str) -> bool:
    # str.isdigit alone would also accept "²" or Arabic-Indic digits.
    return len(text) == 2 and text.isascii() and text.isdigit()


def _parse(text: str, parent: str | None, offset: int) -> tuple[DataObject, ...]:
    objects: list[DataObject] = []
    seen: set[str] = set()
    where = f"in template {parent}" if parent else "in the payload"
    pos = 0
    while pos < len(text):
        if len(text) - pos < 4:
            raise EmvcoError(f"truncated {where}: an ID and a length need four characters", offset + pos)
        tag, length = text[pos : pos + 2], text[pos + 2 : pos + 4]
        if not _two_digits(tag):
            raise EmvcoError(f"ID {tag!r} {where} is not two digits", offset + pos)
        if not _two_digits(length):
            raise EmvcoError(f"length {length!r} of ID {tag} {where} is not two digits", offset + pos + 2)
        size = int(length)
        if size == 0:
            # Absent data objects are left out; an empty one is a broken encoder.
            raise EmvcoError(f"ID {tag} {where} has length 00", offset + pos + 2)
        start, end = pos + 4, pos + 4 + size
        if end > len(text):
            raise EmvcoError(
                f"truncated {where}: ID {tag} says {size} characters, {len(text) - start} follow",
                offset + pos,
            )
        if tag in seen:
            raise EmvcoError(f"ID {tag} appears twice {where}", offset + pos)
        seen.add(tag)
        raw = text[start:end]
        value: str | tuple[DataObject, ...] = (
            _parse(raw, tag, offset + start) if is_template(tag, parent) else raw
        )
        objects.append(DataObject(tag, value))
        pos = end
    return tuple(objects)


def decode(payload: str) -> tuple[DataObject, ...]:
    """The data objects of ``payload``, its CRC checked and left out; EmvcoError when malformed."""
    if not payload:
        raise EmvcoError("empty payload")
    if len(payload) > MAX_PAYLOAD:
        raise EmvcoError(f"payload of {len(payload)} characters; at most {MAX_PAYLOAD}")
    objects = _parse(payload, None, 0)
    if objects[0].tag != PAYLOAD_FORMAT:
        raise EmvcoError("the payload must start with the Payload Format Indicator (ID 00)", 0)
    if objects[0].value != "01":
        raise EmvcoError(f"unknown payload format {objects[0].value!r}; expected '01'", 4)
    last = objects[-1]
    if last.tag != CRC:
        raise EmvcoError("the payload must end with the CRC (ID 63)")
    crc_at = len(payload) - 4
    if payload[crc_at - 4 : crc_at] != "6304":
        raise EmvcoError("the CRC (ID 63) must be four characters", crc_at - 2)
    found = payload[crc_at:]
    expected = crc16(payload[:crc_at])
    # Readers disagree on the case of the hex digits; the checksum is what matters.
    if found.upper() != expected:
        raise EmvcoError(f"CRC mismatch: the payload says {found}, its content gives {expected}", crc_at)
    return objects[:-1]


def _encode_level(objects: Sequence[DataObject], parent: str | None) -> str:
    where = f"in template {parent}" if parent else "in the payload"
    parts: list[str] = []
    seen: set[str] = set()
    for item in objects:
        if not _two_digits(item.tag):
            raise EmvcoError(f"ID {item.tag!r} {where} is not two digits")
        if item.tag in seen:
            raise EmvcoError(f"ID {item.tag} appears twice {where}")
        seen.add(item.tag)
        template = is_template(item.tag, parent)
        if template != isinstance(item.value, tuple):
            kind = "a template" if template else "text"
            raise EmvcoError(f"ID {item.tag} {where} holds {kind}")
        value = _encode_level(item.value, item.tag) if isinstance(item.value, tuple) else item.value
        if not value:
            raise EmvcoError(f"ID {item.tag} {where} is empty; leave it out instead")
        if len(value) > MAX_VALUE:
            raise EmvcoError(f"ID {item.tag} {where} is {len(value)} characters; at most {MAX_VALUE}")
        parts.append(f"{item.tag}{len(value):02d}{value}")
    return "".join(parts)


def encode(objects: Iterable[DataObject]) -> str:
    """The payload of ``objects`` (00 first, in the order given) with the CRC (63) appended."""
    items = tuple(objects)
    if not items or items[0].tag != PAYLOAD_FORMAT:
        raise EmvcoError("the Payload Format Indicator (ID 00) must come first")
    if any(item.tag == CRC for item in items):
        raise EmvcoError("the CRC (ID 63) is added by encode")
    body = _encode_level(items, None) + CRC + "04"
    payload = body + crc16(body)
    if len(payload) > MAX_PAYLOAD:
        raise EmvcoError(f"payload of {len(payload)} characters; at most {MAX_PAYLOAD}")
    return payload


def value_of(objects: Iterable[DataObject], tag: str) -> str | None:
    """The text of data object ``tag`` among ``objects`` (None when absent or a template)."""
    for item in objects:
        if item.tag == tag:
            return item.value if isinstance(item.value, str) else None
    return None


def template_of(objects: Iterable[DataObject], tag: str) -> DataObject | None:
    for item in objects:
        if item.tag == tag and isinstance(item.value, tuple):
            return item
    return None


# ---- JPQR payment slip ------------------------------------------------------------------------

# EMVCo's maximum lengths of the data objects the slip carries.
MAX_MERCHANT_NAME = 25
MAX_MERCHANT_CITY = 15
MAX_REFERENCE_LABEL = 25
MAX_AMOUNT = 13


def _printable_ascii(text: str) -> bool:
    # EMVCo's "ans" format: the Latin alphanumeric and special characters (0x20–0x7E).
    return all(" " <= char <= "~" for char in text)


def _plain_text(text: str) -> bool:
    # The "S" format of the language template: any Unicode text (the ideographic space too), but no
    # control, format or unassigned characters and no line breaks.
    return all(
        unicodedata.category(char)[0] not in "CZ" or unicodedata.category(char) == "Zs" for char in text
    )


@dataclass(frozen=True)
class JpqrMerchant:
    """The municipality as a JPQR merchant, as the acquirer registered it.

    ``name`` and ``city`` must be Latin (EMVCo shows them on every wallet); ``name_ja`` and
    ``city_ja`` go into the language template (64) for Japanese wallets.
    """

    merchant_id: str  # 26/01: the merchant's identifier in the JPQR scheme
    name: str
    city: str
    name_ja: str = ""
    city_ja: str = ""
    mcc: str = MCC_GOVERNMENT_SERVICES
    store_id: str = ""  # 26/02, when the acquirer assigned one
    terminal_id: str = ""  # 26/03, when the acquirer assigned one

    def problems(self) -> list[str]:
        """What is wrong with these settings, by config key, for an administrator (empty when fine)."""
        problems: list[str] = []

        def check(key: str, value: str, limit: int, *, latin: bool, required: bool) -> None:
            if not value:
                if required:
                    problems.append(_("%(key)s is missing.") % {"key": key})
            elif latin and not _printable_ascii(value):
                problems.append(
                    _("%(key)s must be Latin letters, digits and ASCII punctuation.") % {"key": key}
                )
            elif not latin and not _plain_text(value):
                problems.append(_("%(key)s contains control characters.") % {"key": key})
            elif len(value) > limit:
                problems.append(
                    _("%(key)s is %(length)d characters long; at most %(limit)d are allowed.")
                    % {"key": key, "length": len(value), "limit": limit}
                )

        check("merchant_id", self.merchant_id, MAX_VALUE, latin=True, required=True)
        check("store_id", self.store_id, MAX_VALUE, latin=True, required=False)
        check("terminal_id", self.terminal_id, MAX_VALUE, latin=True, required=False)
        check("merchant_name", self.name, MAX_MERCHANT_NAME, latin=True, required=True)
        check("city", self.city, MAX_MERCHANT_CITY, latin=True, required=True)
        check("merchant_name_ja", self.name_ja, MAX_MERCHANT_NAME, latin=False, required=False)
        check("city_ja", self.city_ja, MAX_MERCHANT_CITY, latin=False, required=False)
        if self.city_ja and not self.name_ja:
            problems.append(_("city_ja needs merchant_name_ja: the language template requires the name."))
        if not (len(self.mcc) == 4 and self.mcc.isascii() and self.mcc.isdigit()):
            problems.append(_("mcc must be four digits."))
        if not problems:
            # The template (26) holds the JPQR identifier too, and at most 99 characters in all.
            account = self._account()
            assert isinstance(account.value, tuple)
            guid = len(_encode_level(account.value[:1], account.tag))
            ids = len(_encode_level(account.value, account.tag)) - guid
            if guid + ids > MAX_VALUE:
                problems.append(
                    _(
                        "merchant_id, store_id and terminal_id take %(length)d characters; at most %(limit)d fit."
                    )
                    % {"length": ids, "limit": MAX_VALUE - guid}
                )
        return problems

    def _account(self) -> DataObject:
        fields = [DataObject("00", JPQR_GUID), DataObject("01", self.merchant_id)]
        if self.store_id:
            fields.append(DataObject("02", self.store_id))
        if self.terminal_id:
            fields.append(DataObject("03", self.terminal_id))
        return DataObject("26", tuple(fields))


def jpqr_slip(merchant: JpqrMerchant, *, amount: int, reference: str) -> str:
    """The payload of a dynamic JPQR code for ``amount`` yen, labelled with our payment ``reference``."""
    problems = merchant.problems()
    if problems:
        raise EmvcoError("; ".join(problems))
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise EmvcoError("the amount must be a whole number of yen above 0")
    if len(str(amount)) > MAX_AMOUNT:
        raise EmvcoError(f"the amount has more than {MAX_AMOUNT} digits")
    if not reference or not _printable_ascii(reference) or len(reference) > MAX_REFERENCE_LABEL:
        raise EmvcoError(f"the reference must be 1 to {MAX_REFERENCE_LABEL} Latin characters")
    objects = [
        DataObject(PAYLOAD_FORMAT, "01"),
        DataObject(POINT_OF_INITIATION, DYNAMIC),
        merchant._account(),
        DataObject(MERCHANT_CATEGORY, merchant.mcc),
        DataObject(CURRENCY, CURRENCY_JPY),
        DataObject(AMOUNT, str(amount)),  # yen has no minor unit: no decimal point
        DataObject(COUNTRY, "JP"),
        DataObject(MERCHANT_NAME, merchant.name),
        DataObject(MERCHANT_CITY, merchant.city),
        DataObject(ADDITIONAL_DATA, (DataObject("05", reference),)),  # 05: reference label
    ]
    if merchant.name_ja:
        language = [DataObject("00", "JA"), DataObject("01", merchant.name_ja)]
        if merchant.city_ja:
            language.append(DataObject("02", merchant.city_ja))
        objects.append(DataObject(LANGUAGE_TEMPLATE, tuple(language)))
    return encode(objects)
