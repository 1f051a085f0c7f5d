"""The JPQR slip provider: its QR code as SVG, its config, its signed webhooks, end to end."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import segno
from defusedxml import ElementTree

from idx.payments import emvco, signing
from idx.payments.contrib.jpqr import JpqrSlipProvider
from idx.payments.models import Payment, PaymentFlag, PaymentMethod, PaymentStatus, ProviderConfig
from idx.payments.providers import ProviderError, WebhookRejected, provider_for, providers
from idx.payments.qr import QUIET_ZONE, render_svg
from idx.payments.webhook_format import events_from_body, header_value, signed_events
from tests.conftest import IGA_HOST, make_draft

SVG = "{http://www.w3.org/2000/svg}"
SECRET = "whsec-jpqr-test"
NOW = dt.datetime(2025, 4, 1, 0, 30, tzinfo=dt.UTC)
CONFIG = {
    "merchant_id": "0000000000001",
    "merchant_name": "IGA CITY",
    "merchant_name_ja": "伊賀市役所",
    "city": "IGA",
    "city_ja": "伊賀市",
    "webhook_secret": SECRET,
}
RESIDENCE_CERTIFICATE = "residence-certificate-request"


def provider(**changes) -> JpqrSlipProvider:
    config = {**CONFIG, **changes}
    return JpqrSlipProvider(
        ProviderConfig(provider="jpqr", config={k: v for k, v in config.items() if v is not None})
    )


def event_body(**changes) -> dict:
    body = {
        "id": "evt-0001",
        "type": "payment.paid",
        "payment_reference": "PAY-0123456789ABCDEF",
        "amount": 300,
        "occurred_at": "2025-04-01T09:29:00+09:00",
        "provider_reference": "acq-tx-77",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def encoded(body: dict | list) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def signed_headers(body: bytes, secret: str = SECRET, at: dt.datetime = NOW) -> dict[str, str]:
    return {signing.HEADER: signing.sign(body, secret, timestamp=int(at.timestamp()))}


# ---- the QR code as SVG ---------------------------------------------------------------------------

PAYLOAD = emvco.jpqr_slip(provider().merchant(), amount=600, reference="PAY-0123456789ABCDEF")


def modules(svg: str) -> list[list[int]]:
    """The grid the SVG paints, module by module (quiet zone included)."""
    root = ElementTree.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    grid = [[0] * size for _ in range(size)]
    path = root.find(f"{SVG}path").get("d")
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path)
    assert "".join(f"M{x} {y}h{w}v1h-{w2}z" for x, y, w, w2 in runs) == path
    for x, y, width, back in runs:
        assert width == back
        for column in range(int(x), int(x) + int(width)):
            assert grid[int(y)][column] == 0, "runs overlap"
            grid[int(y)][column] = 1
    return grid


def test_svg_is_well_formed_and_accessible():
    svg = render_svg(PAYLOAD, title="QR code to pay 600 yen", description="Scan it with a JPQR wallet app.")
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text == "QR code to pay 600 yen"
    assert desc is not None and desc.text == "Scan it with a JPQR wallet app."
    # The accessible name and description point at elements that exist.
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert root[0] is title  # the title comes first, as SVG's accessibility mapping expects


def test_svg_is_self_contained():
    svg = render_svg(PAYLOAD, title="QR")
    root = ElementTree.fromstring(svg)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags == {"svg", "title", "rect", "path"}
    for element in root.iter():
        for name in element.attrib:
            # No links, no inline style (the CSP allows none), no event handlers.
            assert "href" not in name
            assert name != "style"
            assert not name.startswith("on")
    assert "url(" not in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_svg_dark_modules_on_white_with_a_quiet_zone():
    svg = render_svg(PAYLOAD, title="QR", module_size=3)
    root = ElementTree.fromstring(svg)
    background = root.find(f"{SVG}rect")
    size = int(root.get("viewBox").split()[2])
    assert background.get("fill") == "#fff"
    assert (background.get("width"), background.get("height")) == (str(size), str(size))
    assert root.find(f"{SVG}path").get("fill") == "#000"
    assert root.get("width") == str(size * 3)
    grid = modules(svg)
    for index in range(QUIET_ZONE):
        for line in (
            grid[index],
            grid[size - 1 - index],
            [row[index] for row in grid],
            [row[-1 - index] for row in grid],
        ):
            assert not any(line)
    # Inside the quiet zone, exactly the symbol segno encodes for the UTF-8 bytes of the payload.
    symbol = segno.make(PAYLOAD, error="m", mode="byte", encoding="utf-8", micro=False)
    inner = [row[QUIET_ZONE : size - QUIET_ZONE] for row in grid[QUIET_ZONE : size - QUIET_ZONE]]
    assert inner == [list(row) for row in symbol.matrix]
    assert symbol.mode == "byte"


def test_svg_escapes_its_texts_and_ids_differ_per_code():
    svg = render_svg("A", title='<script>alert("x")</script> & co', description="a<b")
    root = ElementTree.fromstring(svg)
    assert root.find(f"{SVG}title").text == '<script>alert("x")</script> & co'
    assert "<script>" not in svg
    other = render_svg("B", title="t")
    assert ElementTree.fromstring(other).get("id") != root.get("id")
    assert ElementTree.fromstring(render_svg("A", title="t", element_id="slip")).get("id") == "slip"
    # Without a description, only the title names the image.
    assert ElementTree.fromstring(other).get("aria-labelledby") == ElementTree.fromstring(other)[0].get("id")


# ---- the provider -----------------------------------------------------------------------------------


def test_registered_as_jpqr():
    assert providers["jpqr"] is JpqrSlipProvider
    assert isinstance(provider_for(ProviderConfig(provider="jpqr", config=CONFIG)), JpqrSlipProvider)
    assert JpqrSlipProvider.online


def test_check_config_fine():
    assert provider().check_config() == []


def test_check_config_lists_missing_keys():
    problems = JpqrSlipProvider(ProviderConfig(provider="jpqr", config={})).check_config()
    for key in ("merchant_id", "merchant_name", "city", "webhook_secret"):
        assert f"{key} is missing." in problems
    assert not any("merchant_name_ja" in problem for problem in problems)  # optional


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"merchant_name": "伊賀市"}, "merchant_name must be Latin"),
        ({"city": "IGA-SHI MIE PREF"}, "city is 16 characters long"),
        ({"mcc": "gov"}, "mcc must be four digits"),
        ({"expires_minutes": 0}, "expires_minutes"),
        ({"expires_minutes": "7 days"}, "expires_minutes"),
        ({"merchant_id": 1234}, "merchant_id is missing"),  # not text
    ],
)
def test_check_config_reports_bad_values(changes, expected):
    assert any(expected in problem for problem in provider(**changes).check_config())


def test_mcc_may_be_given_as_a_number():
    assert provider(mcc=9311).check_config() == []
    assert provider(mcc=9311).merchant().mcc == "9311"


def test_start_builds_the_slip():
    payment = Payment(reference="PAY-0123456789ABCDEF", amount=600)
    started = provider().start(payment, return_url="https://x/return/", webhook_url="https://x/hook/")
    assert started.provider_reference == payment.reference
    assert started.redirect_url == ""
    objects = emvco.decode(started.qr_payload)
    assert emvco.value_of(objects, "54") == "600"
    assert emvco.value_of(objects, "01") == emvco.DYNAMIC
    additional = emvco.template_of(objects, "62")
    assert additional is not None and additional.get("05") == payment.reference
    language = emvco.template_of(objects, "64")
    assert language is not None and language.get("01") == "伊賀市役所"


def test_start_with_a_broken_config_changes_nothing_and_says_why():
    payment = Payment(reference="PAY-1", amount=600)
    with pytest.raises(ProviderError, match="merchant_name must be Latin"):
        provider(merchant_name="伊賀市").start(payment, return_url="", webhook_url="")


def test_expiry_default_is_a_week():
    assert provider().expires_minutes() == 7 * 24 * 60
    assert provider(expires_minutes=30).expires_minutes() == 30


def test_refund_goes_through_the_acquirer_console():
    # The acquirer reports refunds made in its console with a payment.refunded webhook.
    with pytest.raises(ProviderError):
        provider().refund(Payment(reference="PAY-1", amount=600), amount=600, reason="test")


# ---- webhooks: signatures -----------------------------------------------------------------------------


def test_good_signature():
    body = encoded(event_body())
    [event] = provider().parse_webhook(body=body, headers=signed_headers(body), now=NOW)
    assert event.event_id == "evt-0001"
    assert event.kind == "paid"
    assert event.payment_reference == "PAY-0123456789ABCDEF"
    assert event.amount == 300
    assert event.occurred_at == dt.datetime(2025, 4, 1, 0, 29, tzinfo=dt.UTC)
    assert event.provider_reference == "acq-tx-77"
    assert event.method == PaymentMethod.QR


def test_header_name_in_any_case():
    body = encoded(event_body())
    headers = {"idx-signature": signed_headers(body)[signing.HEADER]}
    assert len(provider().parse_webhook(body=body, headers=headers, now=NOW)) == 1
    assert header_value({"Content-Type": "x"}, "content-type") == "x"
    assert header_value({}, signing.HEADER) == ""


def test_previous_secret_while_rotating():
    body = encoded(event_body())
    rotating = provider(webhook_secret="new-secret", webhook_secret_previous=SECRET)
    assert len(rotating.parse_webhook(body=body, headers=signed_headers(body), now=NOW)) == 1


@pytest.mark.parametrize(
    ("make_headers", "reason"),
    [
        (lambda body: signed_headers(body, secret="someone-else"), "mismatch"),
        (lambda body: signed_headers(body + b" "), "mismatch"),  # signed another body
        (lambda body: signed_headers(body, at=NOW - dt.timedelta(minutes=6)), "stale"),
        (lambda body: signed_headers(body, at=NOW + dt.timedelta(minutes=6)), "stale"),
        (lambda body: {}, "no timestamp"),
        (lambda body: {signing.HEADER: f"t={int(NOW.timestamp())}"}, "no signature"),
        (lambda body: {signing.HEADER: "t=soon,v1=00"}, "no timestamp"),
    ],
)
def test_forged_or_stale_signatures_are_rejected(make_headers, reason):
    body = encoded(event_body())
    with pytest.raises(WebhookRejected) as rejected:
        provider().parse_webhook(body=body, headers=make_headers(body), now=NOW)
    assert rejected.value.reason == reason


def test_signature_within_tolerance_is_accepted():
    body = encoded(event_body())
    headers = signed_headers(body, at=NOW - dt.timedelta(minutes=4))
    assert len(provider().parse_webhook(body=body, headers=headers, now=NOW)) == 1


def test_without_a_configured_secret_nothing_is_accepted():
    body = encoded(event_body())
    # Signed with the empty secret: must not pass as "no secret, no check".
    headers = {signing.HEADER: signing.sign(body, "", timestamp=int(NOW.timestamp()))}
    with pytest.raises(WebhookRejected) as rejected:
        provider(webhook_secret=None).parse_webhook(body=body, headers=headers, now=NOW)
    assert rejected.value.reason == "bad signature"


def test_signature_is_checked_before_the_body_is_read():
    body = b"not json"
    with pytest.raises(WebhookRejected) as rejected:
        provider().parse_webhook(body=body, headers=signed_headers(body, secret="x"), now=NOW)
    assert rejected.value.reason == "mismatch"


def test_failed_events_are_not_taken_from_a_jpqr_acquirer():
    body = encoded(event_body(type="payment.failed", amount=0))
    with pytest.raises(WebhookRejected, match="unsupported type payment.failed"):
        provider().parse_webhook(body=body, headers=signed_headers(body), now=NOW)
    # The shared format itself knows the kind (the hosted checkout reports failures).
    assert events_from_body(body)[0].kind == "failed"


def test_signed_events_for_other_providers():
    body = encoded([event_body(), event_body(id="evt-0002", type="payment.refunded", amount=100)])
    events = signed_events(body=body, headers=signed_headers(body), secrets=[SECRET], now=NOW)
    assert [(event.event_id, event.kind, event.amount) for event in events] == [
        ("evt-0001", "paid", 300),
        ("evt-0002", "refunded", 100),
    ]
    assert events[0].method == ""  # told by the provider, or left to the payment


# ---- webhooks: malformed bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "malformed: not JSON"),
        (b"{", "malformed: not JSON"),
        (b"\xff\xfe", "malformed: not UTF-8"),
        (b"[]", "malformed: 1 to 100 events"),
        (encoded([event_body()] * 101), "malformed: 1 to 100 events"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed: not JSON"),
        (b'"payment.paid"', "malformed: an event must be a JSON object"),
        (encoded(event_body(type="payment.captured")), "malformed: type"),
        (encoded(event_body(type=None)), "malformed: type"),
        (encoded(event_body(type=["payment.paid"])), "malformed: type"),
        (encoded(event_body(id=None)), "malformed: id"),
        (encoded(event_body(id="")), "malformed: id"),
        (encoded(event_body(id="e" * 121)), "malformed: id"),
        (encoded(event_body(id="evt\n1")), "malformed: id"),
        (encoded(event_body(payment_reference=None)), "malformed: payment_reference"),
        (encoded(event_body(payment_reference=12)), "malformed: payment_reference"),
        (encoded(event_body(payment_reference="P" * 41)), "malformed: payment_reference"),
        (encoded(event_body(provider_reference=7)), "malformed: provider_reference"),
        (encoded(event_body(amount=None)), "malformed: amount"),
        (encoded(event_body(amount="300")), "malformed: amount"),
        (encoded(event_body(amount=300.0)), "malformed: amount"),
        (encoded(event_body(amount=True)), "malformed: amount"),
        (encoded(event_body(amount=-300)), "malformed: amount"),
        (encoded(event_body(amount=0)), "malformed: amount"),
        (encoded(event_body(amount=2**31)), "malformed: amount"),
        (b'{"id": "e", "type": "payment.paid", "payment_reference": "P", "amount": NaN}', "malformed: NaN"),
        (encoded(event_body(occurred_at=None)), "malformed: occurred_at"),
        (encoded(event_body(occurred_at="2025-04-01T09:29:00")), "malformed: occurred_at"),  # no zone
        (encoded(event_body(occurred_at="2025-04-01")), "malformed: occurred_at"),
        (encoded(event_body(occurred_at="yesterday")), "malformed: occurred_at"),
        (encoded(event_body(occurred_at=1743467340)), "malformed: occurred_at"),
    ],
)
def test_malformed_bodies_are_rejected(body, reason):
    with pytest.raises(WebhookRejected) as rejected:
        events_from_body(body)
    assert rejected.value.reason.startswith(reason)


def test_duplicate_keys_are_rejected():
    # A parser that keeps the first "amount" and one that keeps the last would disagree.
    body = b'{"id": "e", "type": "payment.paid", "payment_reference": "P", "amount": 1, "amount": 300}'
    with pytest.raises(WebhookRejected, match="duplicate key 'amount'"):
        events_from_body(body)


def test_rejections_do_not_echo_values():
    with pytest.raises(WebhookRejected) as rejected:
        events_from_body(encoded(event_body(payment_reference="山田太郎 090-1234-5678" * 5)))
    assert "山田" not in rejected.value.reason


def test_unknown_keys_are_ignored_and_zulu_time_is_read():
    [event] = events_from_body(encoded(event_body(occurred_at="2025-04-01T00:29:00Z", extra={"a": 1})))
    assert event.occurred_at == dt.datetime(2025, 4, 1, 0, 29, tzinfo=dt.UTC)


# ---- end to end: start a slip, the acquirer's webhook pays it --------------------------------------------


def configure(municipality, config: dict) -> ProviderConfig:
    config_row, _ = ProviderConfig.objects.update_or_create(
        municipality=municipality, provider="jpqr", defaults={"config": config, "enabled": True}
    )
    return config_row


@pytest.fixture
def jpqr_config(iga):
    return configure(iga, CONFIG)


@pytest.mark.django_db
def test_the_demo_configuration_is_valid(iga, watarai):
    for municipality in (iga, watarai):
        config = ProviderConfig.objects.get(municipality=municipality, provider="jpqr")
        assert provider_for(config).check_config() == [], municipality


@pytest.fixture
def slip(jpqr_config, resident):
    from idx.payments.services import payment_start

    draft = make_draft(resident, RESIDENCE_CERTIFICATE)
    return payment_start(application=draft, actor=resident, provider="jpqr", base_url=f"http://{IGA_HOST}")


def post_webhook(client, body: bytes, headers: dict[str, str] | None = None):
    headers = signed_headers(body, at=dt.datetime.now(tz=dt.UTC)) if headers is None else headers
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.post("/payments/webhooks/jpqr/", data=body, content_type="application/json", **extra)


def now_iso() -> str:
    return dt.datetime.now(tz=dt.UTC).isoformat()


@pytest.mark.django_db
def test_the_slip_carries_the_payment(slip):
    assert slip.provider == "jpqr"
    assert slip.status == PaymentStatus.PENDING
    assert slip.provider_reference == slip.reference
    assert slip.checkout_url == ""
    objects = emvco.decode(slip.qr_payload)
    assert emvco.value_of(objects, "54") == str(slip.amount)
    additional = emvco.template_of(objects, "62")
    assert additional is not None and additional.get("05") == slip.reference
    # The portal can show it as is.
    ElementTree.fromstring(render_svg(slip.qr_payload, title="QR"))


@pytest.mark.django_db
def test_paid_by_a_signed_webhook_once(slip, iga_client):
    body = encoded(event_body(payment_reference=slip.reference, amount=slip.amount, occurred_at=now_iso()))
    response = post_webhook(iga_client, body)
    assert response.status_code == 200, response.content
    assert response.json()["outcomes"][0].startswith("paid")
    slip.refresh_from_db()
    assert slip.status == PaymentStatus.PAID
    assert slip.method == PaymentMethod.QR
    assert slip.provider_reference == "acq-tx-77"
    version = slip.row_version
    # The acquirer sends it again: nothing changes.
    again = post_webhook(iga_client, body)
    assert again.status_code == 200
    assert again.json()["outcomes"] == ["duplicate: ignored"]
    slip.refresh_from_db()
    assert (slip.status, slip.row_version) == (PaymentStatus.PAID, version)


@pytest.mark.django_db
def test_forged_webhook_changes_nothing(slip, iga_client):
    body = encoded(event_body(payment_reference=slip.reference, amount=slip.amount, occurred_at=now_iso()))
    response = post_webhook(
        iga_client, body, signed_headers(body, secret="guess", at=dt.datetime.now(tz=dt.UTC))
    )
    assert response.status_code == 401
    stale = post_webhook(
        iga_client, body, signed_headers(body, at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=1))
    )
    assert stale.status_code == 401
    slip.refresh_from_db()
    assert slip.status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_malformed_webhook_is_a_bad_request(slip, iga_client):
    response = post_webhook(iga_client, encoded(event_body(payment_reference=slip.reference, amount="600")))
    assert response.status_code == 400
    slip.refresh_from_db()
    assert slip.status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_wrong_amount_is_flagged_not_paid(slip, iga_client):
    body = encoded(
        event_body(payment_reference=slip.reference, amount=slip.amount - 1, occurred_at=now_iso())
    )
    assert post_webhook(iga_client, body).status_code == 200
    slip.refresh_from_db()
    assert slip.status == PaymentStatus.PENDING
    assert slip.flag == PaymentFlag.AMOUNT_MISMATCH


@pytest.mark.django_db
def test_another_city_cannot_pay_it(slip, watarai, watarai_client):
    # Watarai has its own JPQR contract and secret; its webhook cannot reach Iga's payment.
    configure(watarai, {**CONFIG, "webhook_secret": "w"})
    body = encoded(event_body(payment_reference=slip.reference, amount=slip.amount, occurred_at=now_iso()))
    response = post_webhook(
        watarai_client, body, signed_headers(body, secret="w", at=dt.datetime.now(tz=dt.UTC))
    )
    assert response.status_code == 200
    assert response.json()["outcomes"] == ["unknown payment"]
    # Iga's secret does not work at Watarai's address either.
    assert post_webhook(watarai_client, body).status_code == 401
    slip.refresh_from_db()
    assert slip.status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_refund_reported_by_the_acquirer(slip, iga_client):
    paid = encoded(event_body(payment_reference=slip.reference, amount=slip.amount, occurred_at=now_iso()))
    refund = encoded(
        event_body(
            id="evt-0002",
            type="payment.refunded",
            payment_reference=slip.reference,
            amount=300,
            occurred_at=now_iso(),
        )
    )
    # Out of order: the refund first is kept and applied when the payment arrives.
    assert post_webhook(iga_client, refund).status_code == 200
    assert post_webhook(iga_client, paid).status_code == 200
    slip.refresh_from_db()
    assert slip.refunded_amount == 300
    assert slip.status == (PaymentStatus.REFUNDED if slip.amount == 300 else PaymentStatus.PARTIALLY_REFUNDED)
