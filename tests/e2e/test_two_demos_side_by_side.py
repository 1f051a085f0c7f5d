"""Two demos on one machine, each started as the README says (``IDX_BIND=127.0.0.1:PORT idx demo``
in its own folder), each complete on its own: a resident signs in with My Number Card, signs a
claim with the card and pays a fee, and every step stays on that demo's own port. Each demo shows
the project's own error pages (no debug pages), has its own gunicorn control socket, and ``idx``
commands run in its folder with no environment variable use its settings."""

from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import assert_accessible, assert_no_form_errors, click_and_wait, fill_answers, free_port
from test_mynumber_card_sign_in import CARD_BUTTON, DEFINITION
from tests.servers import wait_healthy

pytestmark = pytest.mark.e2e

RESIDENCE_CERTIFICATE = (
    Path(__file__).resolve().parents[2] / "src/idx/procedures/definitions/residence-certificate-request.yaml"
)
# A step page, possibly scrolled to a field (``#f-children-1`` after adding an entry).
STEP_URL = re.compile(r"/my/applications/(?P<id>[^/]+)/steps/[^/]+/(#.*)?$")
# What a person's shell has: none of the settings the other browser tests pass.
_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR")


@dataclass
class Demo:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def idx(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``idx ARGS`` in the demo's folder, with no IDX_ or Django variable set."""
        return subprocess.run(  # noqa: S603
            [sys.executable, "-m", "idx.cli", *args],
            cwd=self.folder,
            env=_plain_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _plain_env(**extra: str) -> dict[str, str]:
    return {**{key: value for key, value in os.environ.items() if key in _KEEP}, **extra}


def _start(port: int) -> Demo:
    folder = Path(tempfile.mkdtemp(prefix=f"idx-demo-{port}-"))
    log = folder / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "idx.cli", "demo", "--applications", "3"],
            cwd=folder,
            env=_plain_env(IDX_BIND=f"127.0.0.1:{port}", IDX_WEB_WORKERS="2", PYTHONUNBUFFERED="1"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn, its workers and the task worker
        )
    return Demo(port=port, folder=folder, process=process, log=log)


def _wait_healthy(demo: Demo, deadline: float) -> None:
    wait_healthy(
        demo.base_url, demo.process, demo.log, timeout=max(deadline - time.monotonic(), 1), interval=0.5
    )


def _stop(demo: Demo) -> None:
    if demo.process.poll() is None:
        os.killpg(demo.process.pid, signal.SIGTERM)
        try:
            demo.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(demo.process.pid, signal.SIGKILL)
            demo.process.wait(timeout=10)


@pytest.fixture(scope="module")
def demos() -> Iterator[list[Demo]]:
    started = [_start(free_port()), _start(free_port())]
    try:
        deadline = time.monotonic() + 600
        for demo in started:
            _wait_healthy(demo, deadline)
        yield started
    finally:
        for demo in started:
            _stop(demo)
        output = Path(__file__).resolve().parent / "output"
        output.mkdir(parents=True, exist_ok=True)
        for demo in started:
            if demo.log.exists():
                (output / f"demo-{demo.port}.log").write_bytes(demo.log.read_bytes())
            subprocess.run(["rm", "-rf", str(demo.folder)], check=False)  # noqa: S607


def _fetch(url: str, host: str | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


def test_each_demo_serves_and_hands_out_its_own_address(demos: list[Demo]) -> None:
    first, second = demos
    assert first.port != second.port
    for demo in demos:
        printed = demo.log.read_text()
        assert f"portal {demo.base_url}/" in printed, printed[-2000:]
        assert f"http://watarai.localhost:{demo.port}/" in printed
        assert ":8000" not in printed

        # The project's own pages, not Django's debug pages; a foreign host gets no traceback.
        status, headers, html = _fetch(f"{demo.base_url}/no-such-page/")
        assert status == 404
        assert "URLconf" not in html and "Traceback" not in html
        assert "script-src 'self'" in headers.get("Content-Security-Policy", "")
        status, _headers, html = _fetch(f"{demo.base_url}/", host="attacker.example")
        assert status == 400
        for leak in ("Traceback", "DisallowedHost", "ALLOWED_HOSTS", "SECRET_KEY", str(demo.folder)):
            assert leak not in html
        status, headers, _html = _fetch(f"{demo.base_url}/favicon.ico")
        assert status == 200 and headers["Content-Type"].startswith("image/")

        # One control socket per instance, in its own data folder.
        sockets = list((demo.folder / "var" / "run").glob("gunicorn-*.ctl"))
        assert [path.name for path in sockets] == [f"gunicorn-127.0.0.1-{demo.port}.ctl"]

        # Commands in the demo's folder use the demo's settings with no environment variable.
        verified = demo.idx("audit", "verify")
        assert verified.returncode == 0, verified.stderr
        assert "intact" in verified.stdout
        checked = demo.idx("notifications", "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "webpush: ok" in checked.stdout


def _on_port(page: Any, demo: Demo, path_part: str) -> None:
    assert path_part in page.url, page.url
    assert page.url.startswith(f"{demo.base_url}/"), f"left the demo on {demo.port}: {page.url}"


def _answer_every_step(page: Any, example: dict[str, Any]) -> None:
    """Answer each step with the definition's example (the card's facts stay locked), to the review."""
    while STEP_URL.search(page.url):
        fill_answers(page, example)
        click_and_wait(page, page.locator('button[name="action"][value="next"]'))
        assert_no_form_errors(page)


def _walk(browser: Any, demo: Demo, tag: str) -> str:
    """Card sign-in, a card-signed claim and a paid fee on one demo; returns the claim's receipt number."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=demo.base_url, locale="ja-JP"
    )
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        # ---- sign in with My Number Card at this demo's own identity provider ------------------
        page.goto("/accounts/login/")
        assert_accessible(page, f"{tag}-01-sign-in")
        click_and_wait(page, page.get_by_role("button", name=CARD_BUTTON))
        _on_port(page, demo, "/demo-idp/authorize/")
        assert_accessible(page, f"{tag}-02-demo-idp")
        page.check("#holder-iga-hanako")
        page.fill("#pin", "4321")
        click_and_wait(page, page.locator("button[value=sign_in]"))
        _on_port(page, demo, "/my/applications/")
        assert page.locator("form[action$='/accounts/logout/']").count() == 1

        # ---- a claim signed with the card's signing certificate -------------------------------
        page.goto("/procedures/child-allowance-certification/")
        click_and_wait(page, page.locator("main form button[type=submit]").last)
        _answer_every_step(page, yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))["example"])
        _on_port(page, demo, "/review/")
        page.check("#declaration")
        click_and_wait(page, page.locator("main form button[data-once]"))
        _on_port(page, demo, "/demo-idp/authorize/")
        assert "sign_transaction_id" in page.url
        page.check("#holder-iga-hanako")
        page.fill("#pin", "hanako2026")
        click_and_wait(page, page.locator("button[value=sign]"))
        _on_port(page, demo, "/receipt/")
        assert page.locator(".signature-status").count() == 1
        receipt_number = page.locator(".receipt-number strong").inner_text().strip()
        assert_accessible(page, f"{tag}-03-signed-receipt")

        # ---- a fee paid at this demo's own payment service ------------------------------------
        example = copy.deepcopy(yaml.safe_load(RESIDENCE_CERTIFICATE.read_text(encoding="utf-8"))["example"])
        page.goto("/procedures/residence-certificate-request/")
        click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))
        match = STEP_URL.search(page.url)
        assert match, page.url
        public_id = match.group("id")
        _answer_every_step(page, example)
        _on_port(page, demo, f"/my/applications/{public_id}/review/")
        page.check("input[name=declaration][value=yes]")
        click_and_wait(page, page.locator("main form button[type=submit]").last)
        _on_port(page, demo, f"/my/applications/{public_id}/pay/")
        page.check("#provider-hosted")
        click_and_wait(page, page.locator("main form button[type=submit]"))
        _on_port(page, demo, "/demo-pay/checkout/")
        assert_accessible(page, f"{tag}-04-checkout")
        page.check("#method-card")
        page.fill("#card_number", "4242 4242 4242 4242")
        click_and_wait(page, page.locator("button[name=action][value=pay]"))
        _on_port(page, demo, "/my/payments/")
        for _attempt in range(40):  # the signed return is applied at once; the webhook may race it
            if page.locator("#receipt-download").count():
                break
            page.wait_for_timeout(500)
            page.reload()
        status_class = page.locator("#payment-status").get_attribute("class") or ""
        assert status_class.endswith("status-paid"), status_class
        assert_accessible(page, f"{tag}-05-paid")
        return receipt_number
    finally:
        context.close()


def test_both_demos_are_complete_on_their_own_ports(demos: list[Demo], browser: Any) -> None:
    receipts = [_walk(browser, demo, f"side-by-side-{index}") for index, demo in enumerate(demos, start=1)]
    # Each demo recorded its own resident's work: the claims live in two separate databases.
    for demo, receipt in zip(demos, receipts, strict=True):
        shown = demo.idx(
            "shell",
            "-c",
            "from idx.applications.models import Application; "
            f"print(Application.objects.filter(receipt_number='{receipt}').exists())",
        )
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.strip().splitlines()[-1] == "True"
