"""No stack traces or personal data in responses or logs."""

from __future__ import annotations

import logging

from django.test import Client, override_settings

from idx.common.security import DropRequestDataFilter
from tests.conftest import IGA_HOST


@override_settings(ROOT_URLCONF="tests.security.urls", DEBUG=False)
def test_a_failing_view_shows_the_500_page_without_a_traceback(municipalities, caplog):
    client = Client(HTTP_HOST=IGA_HOST, raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(
            "/test-only/fail/", {"password": "hunter2-secret", "my_number": "123456789018"}
        )
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "ただいま処理できませんでした" in html
    for leak in ("Traceback", "RuntimeError", "boom", "taro@example.jp", "hunter2", "File &quot;", 'File "'):
        assert leak not in html
    assert "Content-Security-Policy" in response
    # The log has the failure, but not the request's body.
    record = next(r for r in caplog.records if r.name == "django.request")
    assert record.request == "POST /test-only/fail/"  # type: ignore[attr-defined]
    assert "hunter2" not in caplog.text and "123456789018" not in caplog.text


def test_the_filter_replaces_the_request_by_method_and_path(rf):
    request = rf.post("/accounts/login/", {"email": "taro@example.jp", "password": "hunter2-secret"})
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Bad request", (), None)
    record.request = request
    assert DropRequestDataFilter().filter(record) is True
    assert record.request == "POST /accounts/login/"


def test_the_logging_configuration_uses_the_filter():
    from django.conf import settings

    assert "drop_request_data" in settings.LOGGING["handlers"]["console"]["filters"]
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    assert any(isinstance(f, DropRequestDataFilter) for handler in handlers for f in handler.filters), (
        "the console handler lost its filter"
    )
    assert any(isinstance(f, DropRequestDataFilter) for f in logging.getLogger("django.request").filters)


@override_settings(DEBUG=True)
def test_credentials_of_any_scheme_never_reach_the_log_in_debug(municipalities, caplog):
    """django-ninja logs an Authorization header of another scheme than Bearer verbatim in DEBUG."""
    secrets = {
        "Basic aWdhLWhhbmFrbzpodW50ZXIyLXNlY3JldA==": "aWdhLWhhbmFrbzpodW50ZXIyLXNlY3JldA==",
        "Token idx_9f8e7d6c5b4a39281706abcdef": "9f8e7d6c5b4a39281706abcdef",
        'Digest username="hanako", response="6629fae49393a05397450978507c4ef1"': "6629fae49393a05397450978507c4ef1",
        "idx_live_5a4b3c2d1e0f99887766": "5a4b3c2d1e0f99887766",
    }
    client = Client(HTTP_HOST=IGA_HOST)
    with caplog.at_level(logging.DEBUG):
        for header in secrets:
            response = client.get("/api/v1/applications", headers={"Authorization": header})
            assert response.status_code == 401
    assert caplog.text.count("Unexpected auth - '[redacted]'") == len(secrets)  # it was logged...
    for secret in secrets.values():
        assert secret not in caplog.text  # ...without the credential
    assert "hanako" not in caplog.text
