"""Security headers, the Content-Security-Policy, cookies, the API docs page and inline code in templates."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "src" / "idx"
# Rendered to PDF by WeasyPrint, never served to a browser as HTML.
NOT_SERVED_AS_HTML = {
    PACKAGE_DIR / "applications" / "templates" / "applications" / "receipt_pdf.html",
    PACKAGE_DIR / "payments" / "templates" / "payments" / "receipt_pdf.html",
}

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def _policy(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/staff/login/", "/api/v1/procedures", "/api/v1/docs"]
)
def test_every_response_carries_the_hardening_headers(iga_client, iga, path):
    response = iga_client.get(path)
    assert response.status_code == 200
    expected = dict(EXPECTED_CSP)
    if path == "/accounts/login/":
        # The My Number Card form is redirected to the provider: its origin joins 'self' there only.
        expected["form-action"] = f"'self' {iga.public_url.rstrip('/')}"
    assert _policy(response["Content-Security-Policy"]) == expected
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"


def test_error_pages_carry_the_policy_too(iga_client):
    response = iga_client.get("/no/such/page/")
    assert response.status_code == 404
    assert _policy(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"


def test_signed_in_pages_carry_the_policy(resident_client, clerk_client):
    assert "Content-Security-Policy" in resident_client.get("/my/applications/")
    assert "Content-Security-Policy" in clerk_client.get("/staff/")


def test_session_and_csrf_cookies_are_httponly_and_samesite(iga_client, resident):
    page = iga_client.get("/accounts/login/")
    csrf = page.cookies["csrftoken"]
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"
    from idx.demo.loader import DEMO_PASSWORD

    signed = iga_client.post("/accounts/login/", {"email": resident.email, "password": DEMO_PASSWORD})
    assert signed.status_code == 302
    session = signed.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    language = iga_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert language.cookies["idx_language"]["httponly"] is True
    assert language.cookies["idx_language"]["samesite"] == "Lax"


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.styles = 0
        self.links: list[str] = []
        self.inline_code: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found)
        if tag == "style":
            self.styles += 1
        if tag == "link" and found.get("href"):
            self.links.append(found["href"] or "")
        for name, _value in attrs:
            if name.startswith("on") or name == "style":
                self.inline_code.append(f"<{tag} {name}>")


def test_api_docs_use_local_static_files_and_no_inline_code(iga_client):
    response = iga_client.get("/api/v1/docs")
    html = response.content.decode()
    parser = _Scripts()
    parser.feed(html)
    executable = [s for s in parser.scripts if s.get("type") not in ("application/json",)]
    assert executable, html
    assert all((s.get("src") or "").startswith("/static/ninja/") for s in executable), parser.scripts
    assert not parser.styles and not parser.inline_code
    assert all(link.startswith("/static/") for link in parser.links), parser.links
    assert "cdn" not in html.lower()


def _templates() -> list[Path]:
    return sorted(p for p in PACKAGE_DIR.rglob("templates/**/*.html") if p not in NOT_SERVED_AS_HTML)


INLINE = [
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I),
        "inline <script>",
    ),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_templates_have_no_inline_scripts_styles_or_handlers(template):
    text = template.read_text(encoding="utf-8")
    problems = [what for pattern, what in INLINE if pattern.search(text)]
    assert not problems, f"{template}: {problems} would be blocked by the Content-Security-Policy"
