"""Stored files: where they live, and how a permitted download is answered.

Uploads, scans and open data files live in Django's default storage: a folder on the local disk
(MEDIA_ROOT, outside the web root) unless ``IDX_STORAGE=s3`` puts them in an S3-compatible object
storage through django-storages (docs/operations.md, docs/decisions/0033-object-storage.md).

Every download view checks permission first and then hands the file to :func:`serve_private_file`,
the one place that decides how the bytes reach the browser.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from idx.common.env import env_int, env_secret, env_str

S3_BACKEND = "storages.backends.s3.S3Storage"
# Objects read for a backup or a preview are held in memory up to this size, then in a temporary file.
_S3_MEMORY_BYTES = 2 * 1024 * 1024


def s3_storage_options() -> dict[str, Any]:
    """django-storages' S3Storage options from IDX_S3_* (settings/base.py, with IDX_STORAGE=s3).

    Objects are private: no ACL is ever sent (the bucket's own, private, setting applies), every
    address handed out is signed and short-lived, and names are never overwritten.
    """
    from botocore.config import Config

    bucket = env_str("IDX_S3_BUCKET")
    if not bucket:
        raise ImproperlyConfigured("IDX_STORAGE=s3 needs IDX_S3_BUCKET (the bucket's name)")
    endpoint = env_str("IDX_S3_ENDPOINT_URL") or None
    # S3-compatible servers (MinIO, Ceph, a municipality's appliance) mostly want /bucket/key
    # addresses; Amazon S3 wants bucket.host addresses.
    style = env_str("IDX_S3_ADDRESSING_STYLE") or ("path" if endpoint else "virtual")
    if style not in ("path", "virtual", "auto"):
        raise ImproperlyConfigured(f"IDX_S3_ADDRESSING_STYLE must be path, virtual or auto, not {style!r}")
    # Server-side encryption of every object written: the storage's own keys (AES256) or a KMS key.
    encryption = env_str("IDX_S3_SSE")
    kms_key = env_str("IDX_S3_SSE_KMS_KEY_ID")
    if encryption not in ("", "AES256", "aws:kms"):
        raise ImproperlyConfigured(f"IDX_S3_SSE must be empty, AES256 or aws:kms, not {encryption!r}")
    if kms_key and encryption != "aws:kms":
        raise ImproperlyConfigured("IDX_S3_SSE_KMS_KEY_ID needs IDX_S3_SSE=aws:kms")
    object_parameters: dict[str, str] = {}
    if encryption:
        object_parameters["ServerSideEncryption"] = encryption
    if kms_key:
        object_parameters["SSEKMSKeyId"] = kms_key
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": env_str("IDX_S3_REGION") or None,
        "location": env_str("IDX_S3_PREFIX").strip("/"),
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": env_int("IDX_S3_URL_SECONDS", 60),
        "custom_domain": None,
        "file_overwrite": False,
        "object_parameters": object_parameters,
        "max_memory_size": _S3_MEMORY_BYTES,
        "verify": env_str("IDX_S3_CA_BUNDLE") or None,
        "client_config": Config(
            s3={"addressing_style": style},
            signature_version="s3v4",
            connect_timeout=5,
            read_timeout=60,
            retries={"mode": "standard", "max_attempts": 3},
        ),
    }
    access_key = env_secret("IDX_S3_ACCESS_KEY_ID")
    secret_key = env_secret("IDX_S3_SECRET_ACCESS_KEY")
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured("IDX_S3_ACCESS_KEY_ID and IDX_S3_SECRET_ACCESS_KEY go together")
    if access_key:
        options.update(access_key=access_key, secret_key=secret_key)
    # Without them boto3 looks where it always does (an instance role, AWS_* variables, ~/.aws).
    return options


def object_storage(storage: Any) -> Any | None:
    """The S3 storage ``storage`` is (``default_storage`` included), or None for any other storage."""
    storage_class = storage.__class__  # evaluates a lazy default_storage
    module = sys.modules.get("storages.backends.s3")  # loaded whenever an S3 storage exists
    if module is not None and issubclass(storage_class, module.S3Storage):
        return storage
    return None


def serve_private_file(
    field_file: FieldFile,
    *,
    filename: str,
    content_type: str,
    as_attachment: bool = True,
    stream: bool = False,
) -> HttpResponseBase:
    """The answer to a download the caller has already permitted.

    On the local disk the file streams through this process, as Django's FileResponse does. In an
    object storage the answer is a redirect to a presigned GET that is valid for IDX_S3_URL_SECONDS
    and whose signature fixes the Content-Type and Content-Disposition the storage answers with:
    the address is never a public one, and it lapses before it could be passed around.
    ``stream=True`` (a file shown inside an IDX page, where a redirect to another origin would
    break the page's Content-Security-Policy) and IDX_S3_DOWNLOADS=stream (browsers that cannot
    reach the object storage) stream from the object storage too.
    """
    storage = object_storage(field_file.storage)
    if storage is not None and not stream and settings.IDX_S3_DOWNLOADS == "redirect":
        url = storage.url(
            field_file.name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": content_disposition_header(as_attachment, filename),
                "ResponseCacheControl": "private, no-store",
            },
            expire=settings.IDX_S3_URL_SECONDS,
        )
        response: HttpResponseBase = HttpResponseRedirect(url)
        # The address is a credential for a minute: no cache keeps it.
        response["Cache-Control"] = "private, no-store"
        return response
    return FileResponse(
        field_file.open("rb"), content_type=content_type, as_attachment=as_attachment, filename=filename
    )


def storage_check(storage: Any) -> None:
    """Raise unless the object storage answers for its bucket (readiness, idx.operations).

    A HEAD on the bucket with the storage's credentials, tried once with short timeouts: a probe
    must not wait through retries, and it writes nothing (a versioned bucket would keep every probe).
    """
    s3 = object_storage(storage)
    if s3 is None:
        storage.exists("idx-readyz")
        return
    client = getattr(s3, "_idx_readiness_client", None)
    if client is None:
        from botocore.config import Config

        client = s3._create_session().client(
            "s3",
            region_name=s3.region_name,
            endpoint_url=s3.endpoint_url,
            use_ssl=s3.use_ssl,
            verify=s3.verify,
            config=s3.client_config.merge(
                Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 1})
            ),
        )
        s3._idx_readiness_client = client
    client.head_bucket(Bucket=s3.bucket_name)
