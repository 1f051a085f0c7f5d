"""Files in an S3-compatible object storage (docs/decisions/0033-object-storage.md), against a real S3
server on loopback: moto in server mode, started once for the module.

moto answers presigned requests without checking their signature or their time, so the server here
sits behind a check that does what S3 does: a query-signed request whose signature does not match or
whose time has run out is refused (403). Its clock can be moved forward to see an address lapse
without waiting.
"""

from __future__ import annotations

import hmac
import io
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from PIL import Image
from pyrage import x25519
from werkzeug.serving import make_server

from idx.applications import services
from idx.applications.models import Application
from idx.common.files import S3_BACKEND, s3_storage_options
from idx.operations.backup import backup_create, backup_restore, storage_files
from tests.applications.test_attachments import PDF, png
from tests.conftest import IGA_HOST, WATARAI_HOST, make_draft, signed_in, submit
from tests.servers import free_port

ACCESS_KEY = "IDXTESTACCESSKEY"
SECRET_KEY = "idx-test-secret-key-for-the-local-s3-server"
REGION = "ap-northeast-1"
URL_SECONDS = 30


def _presigned_refusal(environ: dict[str, Any], now: datetime) -> str | None:
    """Why S3 would refuse this query-signed request, or None: the SigV4 signature is computed again
    with the secret key, and the signing time plus X-Amz-Expires must not have passed."""
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    path, _, query = raw.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    fields = dict(pairs)
    try:
        signed_at = datetime.strptime(fields["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(fields["X-Amz-Expires"])
        access_key, _date, region, *_ = fields["X-Amz-Credential"].split("/")
    except (KeyError, ValueError):
        return "AuthorizationQueryParametersError"
    if access_key != ACCESS_KEY:
        return "InvalidAccessKeyId"
    host = environ["HTTP_HOST"]
    unsigned = [(key, value) for key, value in pairs if key != "X-Amz-Signature"]
    request = AWSRequest(
        method=environ["REQUEST_METHOD"],
        url=f"http://{host}{path}?{urlencode(unsigned, quote_via=quote)}",
        headers={"host": host},
    )
    request.context["timestamp"] = fields["X-Amz-Date"]
    auth = S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", region, expires=expires)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if not hmac.compare_digest(expected, fields.get("X-Amz-Signature", "")):
        return "SignatureDoesNotMatch"
    if now > signed_at + timedelta(seconds=expires):
        return "Request has expired"
    return None


class S3Server(ThreadedMotoServer):
    """moto's server with the presigned-address check of real S3 in front of it."""

    def __init__(self, port: int):
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self.endpoint = f"http://127.0.0.1:{port}"
        self.clock_offset = timedelta(0)

    def _server_entry(self) -> None:
        backend = DomainDispatcherApplication(create_backend_app)

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            if "X-Amz-Signature=" in environ.get("QUERY_STRING", ""):
                refusal = _presigned_refusal(environ, datetime.now(UTC) + self.clock_offset)
                if refusal:
                    start_response("403 Forbidden", [("Content-Type", "application/xml")])
                    return [f"<Error><Code>AccessDenied</Code><Message>{refusal}</Message></Error>".encode()]
            return backend(environ, start_response)

        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    server = S3Server(free_port())
    server.start()
    yield server
    server.stop()


def _bucket_client(server: S3Server) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def _configure(monkeypatch, server: S3Server, bucket: str) -> dict[str, Any]:
    """The storage options exactly as a deployment's environment gives them."""
    for name, value in {
        "IDX_S3_BUCKET": bucket,
        "IDX_S3_ENDPOINT_URL": server.endpoint,
        "IDX_S3_REGION": REGION,
        "IDX_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "IDX_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "IDX_S3_SSE": "AES256",
    }.items():
        monkeypatch.setenv(name, value)
    return s3_storage_options()


def _new_bucket(server: S3Server) -> str:
    bucket = f"idx-test-{uuid.uuid4().hex[:12]}"
    _bucket_client(server).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return bucket


class Bucket:
    def __init__(self, server: S3Server, name: str):
        self.server = server
        self.name = name
        self.client = _bucket_client(server)

    def names(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(entry["Key"] for entry in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def head(self, key: str) -> dict[str, Any]:
        return self.client.head_object(Bucket=self.name, Key=key)


@pytest.fixture
def bucket(s3_server, settings, monkeypatch, tmp_path) -> Bucket:
    """IDX configured with IDX_STORAGE=s3 on a new, empty bucket (and MEDIA_ROOT an empty folder)."""
    name = _new_bucket(s3_server)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": S3_BACKEND, "OPTIONS": _configure(monkeypatch, s3_server, name)},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.IDX_S3_URL_SECONDS = URL_SECONDS
    settings.IDX_S3_DOWNLOADS = "redirect"
    return Bucket(s3_server, name)


def _follow(location: str, server: S3Server) -> requests.Response:
    assert location.startswith(f"{server.endpoint}/"), location
    return requests.get(location, timeout=10)


def _no_address_given(response: Any) -> None:
    assert "Location" not in response
    assert b"X-Amz-" not in response.content and b"127.0.0.1:" not in response.content


def test_an_attachment_uploaded_by_a_resident_is_private_in_the_bucket_and_downloads_by_a_short_signed_redirect(
    bucket, resident, resident_client, other_resident_client, tmp_path
):
    from tests.conftest import procedure

    application = services.application_start(
        resident=resident, procedure=procedure(resident.municipality, "disaster-damage-certificate")
    )
    photo = png()
    response = resident_client.post(
        f"/my/applications/{application.public_id}/steps/photos/",
        {
            "action": "upload",
            "f.photos.count": "1",
            "f.photos.0.caption": "玄関",
            "f.photos.0.photo": SimpleUploadedFile("玄関の写真.png", photo, content_type="image/png"),
        },
    )
    assert response.status_code == 200, response.content[:300]
    attachment = application.attachments.get()
    key = attachment.file.name

    # In the bucket, encrypted by the server, and not on the local disk.
    assert bucket.names() == [key]
    stored = bucket.read(key)
    assert stored.startswith(b"\x89PNG") and len(stored) == attachment.size
    assert bucket.head(key)["ServerSideEncryption"] == "AES256"
    assert not any((tmp_path / "media").rglob("*"))
    # Private: the object's plain address answers nobody.
    anonymous = requests.get(f"{bucket.server.endpoint}/{bucket.name}/{key}", timeout=10)
    assert anonymous.status_code == 403 and b"\x89PNG" not in anonymous.content

    url = f"/my/applications/{application.public_id}/files/{attachment.public_id}/"
    download = resident_client.get(url)
    assert download.status_code == 302
    assert download["Cache-Control"] == "private, no-store"
    location = download["Location"]
    assert urlsplit(location).path == f"/{bucket.name}/{key}"
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == [str(URL_SECONDS)]
    assert query["X-Amz-Credential"][0].startswith(f"{ACCESS_KEY}/")
    fetched = _follow(location, bucket.server)
    assert fetched.status_code == 200
    assert fetched.content == stored
    assert fetched.headers["Content-Type"] == "image/png"
    assert fetched.headers["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E7%8E%84%E9%96%A2%E3%81%AE%E5%86%99%E7%9C%9F.png"
    )
    assert fetched.headers["Cache-Control"] == "private, no-store"

    # The headers are part of the signature: asking for the file as a web page is refused.
    assert _follow(location.replace("image%2Fpng", "text%2Fhtml"), bucket.server).status_code == 403
    # After IDX_S3_URL_SECONDS the address answers nothing any more.
    bucket.server.clock_offset = timedelta(seconds=URL_SECONDS + 1)
    try:
        expired = _follow(location, bucket.server)
    finally:
        bucket.server.clock_offset = timedelta(0)
    assert expired.status_code == 403 and b"expired" in expired.content

    # Another resident finds nothing, and is handed no address.
    refused = other_resident_client.get(url)
    assert refused.status_code == 404
    _no_address_given(refused)


def test_a_receipt_pdf_round_trips_for_the_resident_and_the_clerk_and_nobody_else(
    bucket, resident, resident_client, clerk, clerk_other_municipality
):
    receipt = make_draft(resident, "welfare-equipment-purchase-benefit", answers={})
    attached = services.attachment_add(
        application=receipt, actor=resident, field_path="receipts[0].file", name="領収書.pdf", data=PDF
    )
    assert bucket.read(attached.file.name) == PDF
    own = resident_client.get(f"/my/applications/{receipt.public_id}/files/{attached.public_id}/")
    assert own.status_code == 302
    fetched = _follow(own["Location"], bucket.server)
    assert fetched.content == PDF
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert (
        fetched.headers["Content-Disposition"]
        == "attachment; filename*=utf-8''%E9%A0%98%E5%8F%8E%E6%9B%B8.pdf"
    )

    # A case: the clerk downloads through a signed redirect and previews the PDF in the page,
    # streamed from the bucket (the page's own origin, its Content-Security-Policy kept).
    draft = make_draft(resident)
    document = services.attachment_add(
        application=draft, actor=resident, field_path="bank_document", name="通帳.pdf", data=PDF
    )
    case = submit(application=Application.objects.get(pk=draft.pk), actor=resident)
    url = f"/staff/cases/{case.public_id}/files/{document.public_id}/"
    clerk_client = signed_in(clerk)
    download = clerk_client.get(url)
    assert download.status_code == 302
    staff_copy = _follow(download["Location"], bucket.server)
    assert staff_copy.content == PDF
    assert staff_copy.headers["Content-Type"] == "application/octet-stream"
    assert staff_copy.headers["Content-Disposition"].startswith("attachment;")
    preview = clerk_client.get(f"{url}?inline=1")
    assert preview.status_code == 200
    assert preview["Content-Type"] == "application/pdf"
    assert "frame-ancestors 'self'" in preview["Content-Security-Policy"]
    assert b"".join(preview.streaming_content) == PDF

    # A clerk of another municipality gets nothing, on its own site or on this one.
    for host in (WATARAI_HOST, IGA_HOST):
        stranger = signed_in(clerk_other_municipality, host=host)
        for address in (url, f"{url}?inline=1"):
            answer = stranger.get(address)
            assert answer.status_code in (302, 404), (host, answer.status_code)
            if answer.status_code == 302:  # sent to sign in, never to the bucket
                assert not answer["Location"].startswith(bucket.server.endpoint)
            assert b"%PDF" not in answer.content and b"X-Amz-" not in answer.content


def _page_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (850, 1100), 255).save(out, format="PNG")
    return out.getvalue()


def test_a_scanned_page_is_stored_in_the_bucket_and_shown_from_it(
    bucket, clerk, clerk_other_municipality, django_capture_on_commit_callbacks
):
    client = signed_in(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/intake/", {"file": SimpleUploadedFile("窓口.png", _page_png())})
    assert response.status_code == 302
    from idx.intake.models import ScanBatch

    batch = ScanBatch.objects.get(municipality=clerk.municipality, original_name="窓口.png")
    page = batch.pages.get(number=1)
    assert {batch.file.name, page.image.name} <= set(bucket.names())
    image_url = f"/staff/intake/{batch.public_id}/pages/1.png"
    shown = client.get(image_url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    with (
        Image.open(io.BytesIO(shown.content)) as image,
        Image.open(io.BytesIO(bucket.read(page.image.name))) as kept,
    ):
        assert image.size == kept.size
    stranger = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert stranger.get(image_url).status_code == 404


def test_a_published_open_data_file_is_redirected_through_its_view_and_gone_when_withdrawn(
    bucket, iga, supervisor, city_admin
):
    from idx.demo.opendata import load_open_data
    from idx.opendata import services as opendata
    from idx.opendata.models import Resource

    load_open_data(iga, author=supervisor, reviewer=city_admin)
    resource = Resource.objects.get(dataset__name="events", format="CSV")
    assert resource.file.name in bucket.names()
    url = f"/dataset/events/resource/{resource.uid}/download/{resource.filename}"
    anyone = Client(HTTP_HOST=IGA_HOST)
    download = anyone.get(url)
    assert download.status_code == 302
    assert download["Access-Control-Allow-Origin"] == "*"
    fetched = _follow(download["Location"], bucket.server)
    assert fetched.content == bucket.read(resource.file.name)
    assert fetched.headers["Content-Type"] == resource.media_type
    opendata.dataset_withdraw(dataset=resource.dataset, actor=city_admin, reason="日付の誤り")
    withdrawn = anyone.get(url)
    assert withdrawn.status_code == 404
    _no_address_given(withdrawn)


def test_readyz_asks_the_bucket(bucket, s3_server, iga):
    client = Client(HTTP_HOST="unknown.localhost")
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json()["checks"]["storage"] == "ok"

    s3_server.stop()
    try:
        down = client.get("/readyz")
    finally:
        s3_server.start()  # the same port; moto keeps its buckets in this process
    assert down.status_code == 503
    assert down.json()["failed"] == ["storage"]
    assert s3_server.endpoint.encode() not in down.content
    assert client.get("/readyz").status_code == 200

    # A bucket that is not there is no storage to be ready with.
    from django.core.files.storage import default_storage

    bucket.client.delete_bucket(Bucket=bucket.name)
    default_storage._wrapped.bucket_name = bucket.name  # the same storage, its bucket gone
    assert client.get("/readyz").json()["failed"] == ["storage"]


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the database part is tests/operations/test_backup.py"
)
@pytest.mark.django_db(transaction=True)  # SQLite's backup API waits while a transaction is open
def test_a_backup_of_the_bucket_restores_into_another_bucket(
    bucket, s3_server, resident, monkeypatch, tmp_path, settings
):
    from django.core.files.storage import default_storage, storages

    services.attachment_add(
        application=make_draft(resident, "disaster-damage-certificate", answers={}),
        actor=resident,
        field_path="photos[0].photo",
        name="玄関.png",
        data=png(),
    )
    services.attachment_add(
        application=make_draft(resident, "welfare-equipment-purchase-benefit", answers={}),
        actor=resident,
        field_path="receipts[0].file",
        name="領収書.pdf",
        data=PDF,
    )
    original = {key: bucket.read(key) for key in bucket.names()}
    assert len(original) == 2
    identity = x25519.Identity.generate()
    archive = tmp_path / "backup.age"

    summary = backup_create(output=archive, recipients=[identity.to_public()], storage=default_storage)
    assert summary.files == 2

    # A new, empty bucket, configured as a deployment's environment would configure it.
    target = Bucket(s3_server, _new_bucket(s3_server))
    target_storage = storages.create_storage(
        {"BACKEND": S3_BACKEND, "OPTIONS": _configure(monkeypatch, s3_server, target.name)}
    )
    restored = backup_restore(
        archive=archive,
        identities=[identity],
        database={"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "restored.sqlite3")},
        storage=target_storage,
    )
    assert restored.files == 2
    assert {key: target.read(key) for key in target.names()} == original
    assert all(target.head(key)["ServerSideEncryption"] == "AES256" for key in original)
    assert sorted(storage_files(target_storage)) == sorted(original)


def test_the_settings_refuse_an_incomplete_object_storage(monkeypatch):
    monkeypatch.delenv("IDX_S3_BUCKET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="IDX_S3_BUCKET"):
        s3_storage_options()
    monkeypatch.setenv("IDX_S3_BUCKET", "idx-files")
    for name, value, message in (
        ("IDX_S3_SSE", "aes", "IDX_S3_SSE"),
        ("IDX_S3_ADDRESSING_STYLE", "dns", "IDX_S3_ADDRESSING_STYLE"),
        ("IDX_S3_ACCESS_KEY_ID", "only-half", "go together"),
    ):
        with monkeypatch.context() as changed:
            changed.setenv(name, value)
            with pytest.raises(ImproperlyConfigured, match=message):
                s3_storage_options()
    # Amazon S3 itself: virtual-hosted addresses, credentials from boto3's usual places.
    monkeypatch.setenv("IDX_S3_SECRET_ACCESS_KEY_FILE", str(Path("/nonexistent/secret")))
    with pytest.raises(ImproperlyConfigured, match="IDX_S3_SECRET_ACCESS_KEY_FILE"):
        s3_storage_options()
    monkeypatch.delenv("IDX_S3_SECRET_ACCESS_KEY_FILE")
    options = s3_storage_options()
    assert options["client_config"].s3 == {"addressing_style": "virtual"}
    assert "access_key" not in options and options["default_acl"] is None
    assert options["querystring_auth"] is True and options["file_overwrite"] is False
