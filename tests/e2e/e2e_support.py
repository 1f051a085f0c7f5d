"""Helpers shared by the browser tests: mail capture, axe, screenshots and form filling."""

from __future__ import annotations

import email
import email.policy
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers import free_port

__all__ = ["free_port"]  # the browser tests take it from here with the other helpers

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT_DIR = Path(__file__).resolve().parent / "output"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RECEIPT_PATTERN = re.compile(r"IGA-\d{4}-\d{6}")
DEMO_PASSWORD = "idx-demo-2026"


@dataclass
class Server:
    base_url: str
    port: int
    data_dir: Path
    log: Path

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


# ---- e-mail --------------------------------------------------------------------------------


@dataclass
class Mail:
    sender: str
    to: list[str]
    subject: str
    body: str


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message, decoded (base64 / quoted-printable, UTF-8)."""

    port: int = 0
    messages: list[Mail] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(
            raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default
        )
        part = message.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""  # type: ignore[union-attr]
        mail = Mail(
            sender=envelope.mail_from,
            to=[address.lower() for address in envelope.rcpt_tos],
            subject=str(message.get("subject", "")).strip(),
            body=body,
        )
        with self._changed:
            self.messages.append(mail)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        with self._changed:
            return [mail for mail in self.messages if address.lower() in mail.to]

    def wait_for(
        self, predicate: Callable[[Mail], bool], timeout: float = 20, what: str = "an e-mail"
    ) -> Mail:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for mail in self.messages:
                    if predicate(mail):
                        return mail
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(f"  to={m.to} subject={m.subject!r}" for m in self.messages)
                    raise AssertionError(
                        f"no {what} arrived within {timeout}s; received:\n{seen or '  (nothing)'}"
                    )
                self._changed.wait(remaining)


# ---- accessibility and screenshots ---------------------------------------------------------

_axe: Any = None


def _format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}  {violation.get('helpUrl', '')}"
        )
        for node in violation.get("nodes", [])[:10]:
            lines.append(f"    target: {node.get('target')}")
            lines.append(f"      html: {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " | ")
            if summary:
                lines.append(f"      why:  {summary[:400]}")
    return "\n".join(lines)


def screenshot(page: Any, name: str) -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


ACCESSIBILITY_RESULTS: list[dict[str, Any]] = []


def record_accessibility(page: Any, name: str, violations: list[Any]) -> None:
    """Keep one row per page checked; the session writes them for the accessibility policy page."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    ACCESSIBILITY_RESULTS.append(
        {
            "page": name,
            "path": re.sub(r"^https?://[^/]+", "", page.url),
            "language": page.evaluate("() => document.documentElement.lang"),
            "width": width,
            "violations": len(violations),
            "rules": sorted({violation.get("id", "") for violation in violations}),
        }
    )


def write_accessibility_results(path: Path, browser_version: str) -> None:
    """The table of the accessibility policy page (アクセシビリティ方針), from this run."""
    import datetime as dt
    import json
    from importlib.metadata import version

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "standard": "JIS X 8341-3:2016 (WCAG 2.0) level AA; rules of WCAG 2.1 and 2.2 AA included",
                "tool": f"axe-core (axe-playwright-python {version('axe-playwright-python')})",
                "tags": AXE_TAGS,
                "browser": browser_version,
                "pages": ACCESSIBILITY_RESULTS,
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )


def assert_accessible(page: Any, name: str | None = None, *, styled: bool = True) -> None:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the page; fail on any violation.

    ``styled=False`` for Django's bare error pages, which have no style sheet.
    """
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    page.wait_for_load_state("load")
    # Contrast and target sizes depend on the style sheet: make sure it really applied.
    if styled:
        applied = page.evaluate(
            "() => [...document.styleSheets].some(s => { try { return s.cssRules.length > 0 } catch (e) { return false } })"
        )
        assert applied, f"the style sheet did not load on {page.url}"
    results = _axe.run(
        page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    )
    violations = results.response.get("violations", [])
    record_accessibility(page, name or page.url, violations)
    if name:
        screenshot(page, name)
    if violations:
        if not name:
            screenshot(page, "axe-failure")
        raise AssertionError(
            f"axe found {len(violations)} violation(s) on {page.url}:\n{_format_violations(violations)}"
        )


# ---- driving the forms ---------------------------------------------------------------------


def click_and_wait(page: Any, locator: Any) -> None:
    """Click something that submits or follows a link, and wait for the next page to load."""
    with page.expect_navigation() as navigation:
        locator.click()
    response = navigation.value
    if response is not None and response.status >= 500:
        screenshot(page, "server-error")
        raise AssertionError(
            f"the server answered {response.status} for {response.request.method} {response.url}"
            + _server_log_tail()
        )


def _server_log_tail(size: int = 6000) -> str:
    """The end of the served demo's log (its traceback), for the message of a failed test."""
    path = os.environ.get("IDX_E2E_SERVER_LOG")
    if not path or not Path(path).exists():
        return ""
    with Path(path).open("rb") as log:
        log.seek(max(0, Path(path).stat().st_size - size))
        return "\n--- end of the server log ---\n" + log.read().decode("utf-8", "replace")


def set_answer(page: Any, name: str, value: Any) -> None:
    """Put one answer into the input called ``name`` (text, radio, yes/no, select or checkbox)."""
    element = page.locator(f'[name="{name}"]').first
    kind = element.evaluate(
        "e => e.tagName.toLowerCase() === 'input' ? 'input:' + e.type : e.tagName.toLowerCase()"
    )
    if kind == "input:radio":
        text = "true" if value is True else "false" if value is False else str(value)
        page.locator(f'input[type="radio"][name="{name}"][value="{text}"]').check()
    elif kind == "input:checkbox":
        element.set_checked(bool(value))
    elif kind == "select":
        element.select_option(str(value))
    elif kind == "input:file":
        return
    else:
        element.fill(str(value))


def _has_input(page: Any, name: str) -> bool:
    return page.locator(f'[name="{name}"], [name^="{name}."]').count() > 0


def fill_answers(page: Any, answers: Mapping[str, Any], prefix: str = "f") -> list[str]:
    """Fill every answer whose input is on the current page; returns the top-level fields filled.

    Repeat entries beyond those shown are added with the step's "add" button first.
    """
    filled = []
    for key, value in answers.items():
        name = f"{prefix}.{key}"
        if not _has_input(page, name):
            continue
        filled.append(key)
        _fill(page, name, key, value, prefix)
    return filled


def _fill(page: Any, name: str, path: str, value: Any, prefix: str) -> None:
    if isinstance(value, Mapping):
        for child, child_value in value.items():
            if _has_input(page, f"{name}.{child}"):
                _fill(page, f"{name}.{child}", f"{path}.{child}", child_value, prefix)
    elif isinstance(value, list):
        for index, entry in enumerate(value):
            entry_name = f"{name}.{index}"
            if not _has_input(page, entry_name):
                click_and_wait(page, page.locator(f'button[name="action"][value="add:{path}"]'))
            assert _has_input(page, entry_name), f"the add button did not add entry {index} of {path}"
            _fill(page, entry_name, f"{path}[{index}]", entry, prefix)
    else:
        set_answer(page, name, value)


def assert_no_form_errors(page: Any) -> None:
    summary = page.locator("#error-summary")
    if summary.count():
        raise AssertionError(f"the form reported problems on {page.url}:\n{summary.inner_text()}")


# ---- staff sign-in with the second factor ----------------------------------------------------

_LAST_TOTP_STEP: dict[str, int] = {}


def totp_code(email_address: str) -> str:
    """The current code of a demo staff account (its secret is printed by ``demo_load``).

    A code is accepted once: a later step is used when this account already used the current one.
    """
    import pyotp

    from idx.demo.loader import demo_totp_secret

    current = int(time.time() // 30)
    # The server accepts one step ahead (clock drift), so a second code within 30 seconds need not wait.
    step = max(current, _LAST_TOTP_STEP.get(email_address, -1) + 1)
    if step > current + 1:
        time.sleep((step - 1) * 30 - time.time() + 0.5)
    _LAST_TOTP_STEP[email_address] = step
    return pyotp.TOTP(demo_totp_secret(email_address)).at(step * 30)


def staff_sign_in(page: Any, email_address: str, check: Callable[[Any, str], None] | None = None) -> None:
    """Password, then the TOTP code; ends on the page the sign-in leads to (the queue by default)."""
    if "/staff/login/" not in page.url:
        page.goto("/staff/login/")
    page.fill("#email", email_address)
    page.fill("#password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/staff/login/second-factor/" in page.url, page.url
    if check is not None:
        check(page, "staff-second-factor")
    page.fill("#code", totp_code(email_address))
    click_and_wait(page, page.locator("main form button[type=submit]"))


def staff_reauthenticate(
    page: Any, email_address: str, check: Callable[[Any, str], None] | None = None
) -> None:
    """On the re-authentication page: password and a fresh code, then on to where it was going."""
    assert "/staff/reauth/" in page.url, page.url
    if check is not None:
        check(page, "staff-reauth")
    page.fill("#password", DEMO_PASSWORD)
    page.fill("#code", totp_code(email_address))
    click_and_wait(page, page.locator("main form button[type=submit]"))
