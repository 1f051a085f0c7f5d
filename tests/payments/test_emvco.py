"""EMVCo MPM payloads: the CRC, strict decoding, encoding, and the JPQR slip builder."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idx.payments import emvco
from idx.payments.emvco import DataObject, EmvcoError, JpqrMerchant, crc16, decode, encode, jpqr_slip

# The example payload of the EMVCo MPM specification (Merchant-Presented Mode, v1.0, appendix):
# "BEST TRANSPORT", Beijing, 23.72 CNY, with Chinese names in the language template and an
# unreserved template 91. Its CRC A13A is checked here against our own computation below.
SPEC_EXAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN"
    "5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412"
    "340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A"
)
# A published JPQR (static) sample with a katakana name in template 64 (go-emv-code's tests).
JPQR_SAMPLE = (
    "0002016003xxx01021129300012D156000000000510A93FO3230Q31280012D1560000000103081234567826680019"
    "jp.or.paymentsjapan01130000000000001020400010306000001040600000153033925903xxx64180002JA0108"
    "メルペイ カフェ520441115802JP610710661436304DEE9"
)


def reference_crc(data: bytes) -> int:
    """CRC-16/CCITT-FALSE bit by bit, as the catalogue defines it (independent of binascii)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


# ---- CRC ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"123456789", "29B1"),  # the catalogue's check value of CRC-16/CCITT-FALSE
        (b"A", "B915"),  # the widely published value for a single "A" with init 0xFFFF
        (b"", "FFFF"),  # nothing shifted in: the initial value
    ],
)
def test_crc_known_values(data, expected):
    assert crc16(data) == expected
    assert f"{reference_crc(data):04X}" == expected


def test_crc_of_the_spec_example_is_the_one_it_carries():
    body, carried = SPEC_EXAMPLE[:-4], SPEC_EXAMPLE[-4:]
    assert carried == "A13A"
    assert body.endswith("6304")
    assert crc16(body) == "A13A"
    assert f"{reference_crc(body.encode()):04X}" == "A13A"
    # Over the UTF-8 bytes: another encoding of the Chinese names would give another CRC.
    assert crc16(body.encode("gb18030")) != "A13A"


@given(st.binary(max_size=300))
def test_crc_matches_the_bitwise_definition(data):
    assert crc16(data) == f"{reference_crc(data):04X}"


def test_crc_is_uppercase_hex():
    value = crc16("6304")
    assert len(value) == 4
    assert value == value.upper()
    assert int(value, 16) == reference_crc(b"6304")


# ---- decoding known payloads ------------------------------------------------------------------------


def test_decode_spec_example():
    objects = decode(SPEC_EXAMPLE)
    assert [item.tag for item in objects] == [
        "00", "01", "29", "31", "52", "58", "59", "60", "64", "54", "53", "55", "62", "91"
    ]  # fmt: skip
    assert emvco.value_of(objects, "01") == "12"
    assert emvco.value_of(objects, "54") == "23.72"
    assert emvco.value_of(objects, "59") == "BEST TRANSPORT"
    merchant_account = emvco.template_of(objects, "29")
    assert merchant_account is not None
    assert merchant_account.get("00") == "D15600000000"
    assert merchant_account.get("05") == "A93FO3230Q"
    language = emvco.template_of(objects, "64")
    assert language is not None
    assert (language.get("00"), language.get("01"), language.get("02")) == ("ZH", "最佳运输", "北京")
    additional = emvco.template_of(objects, "62")
    assert additional is not None
    assert [(item.tag, item.value) for item in additional.value] == [
        ("03", "1234"), ("06", "***"), ("07", "A6008667"), ("09", "ME")
    ]  # fmt: skip
    unreserved = emvco.template_of(objects, "91")
    assert unreserved is not None
    assert unreserved.get("00") == "A011223344998877"
    # The CRC is checked and left out, so encoding gives back the very same payload.
    assert "63" not in [item.tag for item in objects]
    assert encode(objects) == SPEC_EXAMPLE


def test_decode_published_jpqr_sample():
    objects = decode(JPQR_SAMPLE)
    account = emvco.template_of(objects, "26")
    assert account is not None
    assert account.get("00") == emvco.JPQR_GUID
    assert account.get("01") == "0000000000001"
    language = emvco.template_of(objects, "64")
    assert language is not None
    assert language.get("01") == "メルペイ カフェ"
    assert encode(objects) == JPQR_SAMPLE


def test_lowercase_crc_is_read():
    lower = SPEC_EXAMPLE[:-4] + "a13a"
    assert decode(lower) == decode(SPEC_EXAMPLE)


# ---- malformed payloads ---------------------------------------------------------------------------


def with_crc(body: str) -> str:
    """``body`` (ending before the CRC) with a correct CRC, to test one fault at a time."""
    return body + "6304" + crc16(body + "6304")


GOOD_BODY = "000201010212" + "5204939953033925802JP"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "empty payload"),
        (with_crc("0002010A0212"), "ID '0A' in the payload is not two digits"),
        (with_crc("00020101X212"), "length 'X2' of ID 01 in the payload is not two digits"),
        (with_crc("000201010212" + "5200"), "has length 00"),
        ("000201010212520", "truncated in the payload: an ID and a length need four characters"),
        ("0002010102125204939", "truncated in the payload: ID 52 says 4 characters, 3 follow"),
        (with_crc("010212000201"), "must start with the Payload Format Indicator"),
        (with_crc("000202010212"), "unknown payload format '02'"),
        (GOOD_BODY, "must end with the CRC"),
        (GOOD_BODY + "6304", "truncated in the payload: ID 63 says 4 characters, 0 follow"),
        (GOOD_BODY + "6305ABCDE", "the CRC (ID 63) must be four characters"),
        (GOOD_BODY + "63040000", "CRC mismatch"),
        (GOOD_BODY + "6304XYZW", "CRC mismatch"),
        (with_crc(GOOD_BODY + "5802JP"), "ID 58 appears twice in the payload"),
        (
            with_crc(GOOD_BODY + "26080012ABCD"),
            "truncated in template 26: ID 00 says 12 characters, 4 follow",
        ),
        (with_crc(GOOD_BODY + "6204X501"), "ID 'X5' in template 62 is not two digits"),
        (with_crc(GOOD_BODY + "5904\u0661\u0662AB"), ""),  # any text is a value: decodes
        (with_crc("\u0660\u06600201010212"), "is not two digits"),  # Arabic-Indic digits are no ID
        (with_crc(GOOD_BODY + "6304ABCD"), "appears twice"),  # a CRC before the end
        ("0002" + "01" * 300, "at most 512"),
    ],
)
def test_malformed_payloads(payload, message):
    if not message:
        decode(payload)
        return
    with pytest.raises(EmvcoError) as raised:
        decode(payload)
    assert message in str(raised.value)


def test_error_positions_point_into_the_payload():
    body = GOOD_BODY + "26080012ABCD"
    with pytest.raises(EmvcoError) as raised:
        decode(with_crc(body))
    # The nested data object 00 starts right after "2608".
    assert raised.value.position == len(GOOD_BODY) + 4


def test_one_changed_character_fails_the_crc():
    changed = SPEC_EXAMPLE.replace("23.72", "93.72")
    with pytest.raises(EmvcoError, match="CRC mismatch"):
        decode(changed)


# ---- encoding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ([], "must come first"),
        ([DataObject("01", "12"), DataObject("00", "01")], "must come first"),
        ([DataObject("00", "01"), DataObject("63", "ABCD")], "added by encode"),
        ([DataObject("00", "01"), DataObject("5", "x")], "not two digits"),
        ([DataObject("00", "01"), DataObject("59", "")], "is empty"),
        ([DataObject("00", "01"), DataObject("59", "x" * 100)], "100 characters; at most 99"),
        ([DataObject("00", "01"), DataObject("59", "a"), DataObject("59", "b")], "appears twice"),
        ([DataObject("00", "01"), DataObject("26", "0019jp.or.paymentsjapan")], "holds a template"),
        ([DataObject("00", "01"), DataObject("59", (DataObject("00", "x"),))], "holds text"),
        ([DataObject("00", "01"), DataObject("26", ())], "is empty"),
        (
            [DataObject("00", "01"), *[DataObject(f"{n:02d}", "x" * 99) for n in (52, 53, 54, 55, 56, 57)]],
            "at most 512",
        ),
    ],
)
def test_encode_refuses(objects, message):
    with pytest.raises(EmvcoError, match=message):
        encode(objects)


def test_encode_counts_characters_not_bytes():
    payload = encode(
        [DataObject("00", "01"), DataObject("64", (DataObject("00", "JA"), DataObject("01", "伊賀市")))]
    )
    assert payload.startswith("00020164130002JA0103伊賀市6304")


# ---- round trip (hypothesis) ------------------------------------------------------------------------

values = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


def data_objects(parent: str | None, depth: int) -> st.SearchStrategy[tuple[DataObject, ...]]:
    def one(tag: str) -> st.SearchStrategy[DataObject]:
        if emvco.is_template(tag, parent) and depth < 2:
            return data_objects(tag, depth + 1).map(lambda children: DataObject(tag, children))
        if emvco.is_template(tag, parent):
            return st.nothing()
        return values.map(lambda text: DataObject(tag, text))

    usable = [f"{n:02d}" for n in range(100) if parent is not None or n not in (0, 63)]
    tags = st.lists(st.sampled_from(usable), min_size=1, max_size=4, unique=True)
    return tags.flatmap(lambda chosen: st.tuples(*[one(tag) for tag in chosen]))


payloads = data_objects(None, 0).map(lambda objects: (DataObject("00", "01"), *objects))


def fits(objects: tuple[DataObject, ...]) -> bool:
    try:
        encode(objects)
    except EmvcoError:
        return False
    return True


@settings(suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow], max_examples=200)
@given(payloads.filter(fits))
def test_encode_then_decode_gives_the_objects_back(objects):
    payload = encode(objects)
    assert decode(payload) == objects
    assert encode(decode(payload)) == payload
    assert payload.endswith("6304" + crc16(payload[:-4]))


@given(st.text(max_size=120))
def test_decode_fails_only_with_emvco_error(text):
    with contextlib.suppress(EmvcoError):
        decode(text)


@given(
    st.integers(min_value=0, max_value=len(SPEC_EXAMPLE) - 5),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
)
def test_any_single_change_to_the_example_is_caught(index, char):
    changed = SPEC_EXAMPLE[:index] + char + SPEC_EXAMPLE[index + 1 :]
    if changed == SPEC_EXAMPLE:
        return
    # A CRC-16 detects every error burst of up to 16 bits, so any one changed ASCII character
    # before the CRC is caught (when the data objects do not break first).
    with pytest.raises(EmvcoError):
        decode(changed)


# ---- JPQR slip ------------------------------------------------------------------------------------

IGA = JpqrMerchant(
    merchant_id="0000000000001",
    name="IGA CITY",
    city="IGA",
    name_ja="伊賀市役所",
    city_ja="伊賀市",
)


def test_jpqr_slip_fields():
    payload = jpqr_slip(IGA, amount=600, reference="PAY-0123456789ABCDEF")
    objects = decode(payload)
    fields = {item.tag: item.value for item in objects}
    assert [item.tag for item in objects] == [
        "00",
        "01",
        "26",
        "52",
        "53",
        "54",
        "58",
        "59",
        "60",
        "62",
        "64",
    ]
    assert fields["00"] == "01"
    assert fields["01"] == "12"  # dynamic: one code, one amount
    assert fields["52"] == "9399"
    assert fields["53"] == "392"
    assert fields["54"] == "600"
    assert fields["58"] == "JP"
    assert fields["59"] == "IGA CITY"
    assert fields["60"] == "IGA"
    account = emvco.template_of(objects, "26")
    assert account is not None
    assert [(item.tag, item.value) for item in account.value] == [
        ("00", "jp.or.paymentsjapan"),
        ("01", "0000000000001"),
    ]
    additional = emvco.template_of(objects, "62")
    assert additional is not None
    assert [(item.tag, item.value) for item in additional.value] == [("05", "PAY-0123456789ABCDEF")]
    language = emvco.template_of(objects, "64")
    assert language is not None
    assert [(item.tag, item.value) for item in language.value] == [
        ("00", "JA"),
        ("01", "伊賀市役所"),
        ("02", "伊賀市"),
    ]
    assert payload[-8:-4] == "6304"
    assert payload[-4:] == crc16(payload[:-4])


def test_jpqr_slip_with_store_and_terminal_and_own_mcc():
    merchant = JpqrMerchant(
        merchant_id="0000000000001", name="IGA", city="IGA", store_id="0001", terminal_id="000001", mcc="9311"
    )
    objects = decode(jpqr_slip(merchant, amount=1, reference="R1"))
    account = emvco.template_of(objects, "26")
    assert account is not None
    assert (account.get("02"), account.get("03")) == ("0001", "000001")
    assert emvco.value_of(objects, "52") == "9311"
    # Without a Japanese name there is no language template.
    assert emvco.template_of(objects, "64") is None


def test_jpqr_slip_at_the_length_limits():
    merchant = JpqrMerchant(
        merchant_id="9" * 13, name="N" * 25, city="C" * 15, name_ja="名" * 25, city_ja="市" * 15
    )
    payload = jpqr_slip(merchant, amount=9_999_999_999_999, reference="R" * 25)
    objects = decode(payload)
    assert emvco.value_of(objects, "54") == "9999999999999"
    assert emvco.value_of(objects, "59") == "N" * 25


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "N" * 26}, "merchant_name is 26 characters long; at most 25"),
        ({"city": "C" * 16}, "city is 16 characters long; at most 15"),
        ({"name_ja": "名" * 26}, "merchant_name_ja is 26 characters long"),
        ({"city_ja": "市" * 16}, "city_ja is 16 characters long"),
        ({"name": "伊賀市"}, "merchant_name must be Latin"),
        ({"city": "Iga\n"}, "city must be Latin"),
        ({"name_ja": "伊賀\x00市"}, "merchant_name_ja contains control characters"),
        ({"name": ""}, "merchant_name is missing"),
        ({"merchant_id": ""}, "merchant_id is missing"),
        ({"mcc": "93"}, "mcc must be four digits"),
        ({"mcc": "９３９９"}, "mcc must be four digits"),
        ({"name_ja": "", "city_ja": "伊賀市"}, "city_ja needs merchant_name_ja"),
        ({"merchant_id": "1" * 60, "store_id": "2" * 20}, "at most 76 fit"),
    ],
)
def test_jpqr_merchant_problems(changes, message):
    fields = {
        "merchant_id": IGA.merchant_id,
        "name": IGA.name,
        "city": IGA.city,
        "name_ja": IGA.name_ja,
        "city_ja": IGA.city_ja,
        "mcc": IGA.mcc,
    }
    merchant = JpqrMerchant(**{**fields, **changes})
    assert any(message in problem for problem in merchant.problems()), merchant.problems()
    with pytest.raises(EmvcoError, match=message.split(";")[0]):
        jpqr_slip(merchant, amount=300, reference="PAY-1")


@pytest.mark.parametrize("amount", [0, -300, True, 300.0, 10**13])
def test_jpqr_slip_refuses_amounts(amount):
    with pytest.raises(EmvcoError, match="amount"):
        jpqr_slip(IGA, amount=amount, reference="PAY-1")


@pytest.mark.parametrize("reference", ["", "R" * 26, "支払-1"])
def test_jpqr_slip_refuses_references(reference):
    with pytest.raises(EmvcoError, match="reference"):
        jpqr_slip(IGA, amount=300, reference=reference)


def test_no_problems_for_a_good_merchant():
    assert IGA.problems() == []
    # The ideographic space is text, not a control character.
    assert (
        JpqrMerchant(merchant_id="1", name="IGA", city="IGA", name_ja="伊賀市\u3000市民課").problems() == []
    )
    assert JpqrMerchant(merchant_id="1", name="IGA", city="IGA", name_ja="伊賀市\u2028").problems() != []
