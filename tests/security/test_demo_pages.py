"""The demo shows the project's own pages: no debug pages unless asked for, a favicon, CSP on
error pages, and no traceback for a request naming a foreign host."""

from __future__ import annotations

import os
import subprocess
import sys

from django.test import Client, override_settings

from tests.conftest import IGA_HOST


def _dev_debug(tmp_path, **extra: str) -> str:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "PYTHONPATH")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "idx.settings.dev", "IDX_DATA_DIR": str(tmp_path), **extra},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_demo_settings_debug_only_when_asked(tmp_path):
    assert _dev_debug(tmp_path) == "False"
    assert _dev_debug(tmp_path, IDX_DEBUG="true") == "True"


@override_settings(DEBUG=False)
def test_unknown_page_is_the_projects_own_with_csp(municipalities):
    response = Client(HTTP_HOST=IGA_HOST).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "URLconf" not in html and "Using the URLconf" not in html
    assert 'class="site-header"' in html
    assert "Content-Security-Policy" in response
    assert "script-src 'self'" in response["Content-Security-Policy"]
    # A portal page like any other: the language switch, the way back and the assistant.
    assert 'id="language-select"' in html
    assert 'href="/ask/"' in html and "tokens.css" in html


@override_settings(DEBUG=False)
def test_unknown_page_in_the_residents_language(municipalities):
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies["idx_language"] = "pt-br"
    html = client.get("/applications/999999/").content.decode()
    assert "<h1>Página não encontrada</h1>" in html


@override_settings(DEBUG=False, IDX_ROLE="backoffice")
def test_unknown_page_without_the_portal_is_plain(municipalities):
    response = Client(HTTP_HOST=IGA_HOST).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="site-header"' in html and "language-select" not in html


@override_settings(DEBUG=False)
def test_foreign_host_gets_a_plain_400(municipalities):
    response = Client(HTTP_HOST="evil.example", raise_request_exception=False).get("/")
    assert response.status_code == 400
    html = response.content.decode()
    for leak in ("Traceback", "DisallowedHost", "ALLOWED_HOSTS", "SECRET_KEY", "settings"):
        assert leak not in html


def test_favicon_is_served_at_the_root(municipalities):
    for path, kind in (("/favicon.ico", "image/"), ("/apple-touch-icon.png", "image/png")):
        response = Client(HTTP_HOST=IGA_HOST).get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith(kind)
        assert b"".join(response.streaming_content)[:4] in (b"\x00\x00\x01\x00", b"\x89PNG")
