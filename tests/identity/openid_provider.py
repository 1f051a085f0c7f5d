"""An independent OpenID Provider for the relying party's tests: panva's ``oidc-provider`` for
Node.js (OpenID Certified), run from ``tests/identity/oidc_provider`` on a free loopback port.

The relying party talks to it over real sockets (discovery, JWKS, token, userinfo), and
``ProviderBrowser`` plays the resident's browser at the provider: it follows the provider's
redirects, fills in its sign-in and consent forms, and stops at the relying party's callback.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from joserfc.jwk import ECKey

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"


def node_or_skip() -> str:
    """The node binary; without it (or without ``npm ci``) skip, except where it is required (CI)."""
    node = shutil.which("node")
    if node is None:
        problem = "Node.js is not installed (scripts/install-system-packages.sh installs it)"
    elif not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        problem = "the test OpenID Provider is not installed (npm ci in tests/identity/oidc_provider)"
    else:
        return node
    if os.environ.get("IDX_TEST_REQUIRE_NODE") or os.environ.get("CI"):
        pytest.fail(problem)
    pytest.skip(problem)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signing_key(kid: str | None) -> dict[str, Any]:
    """A fresh provider signing key (EC P-256, private JWK) named ``kid`` (or unnamed)."""
    key = ECKey.generate_key("P-256", {"use": "sig", "alg": "ES256"}, private=True, auto_kid=False)
    jwk = key.as_dict(private=True)
    jwk.pop("kid", None)
    if kid is not None:
        jwk["kid"] = kid
    return jwk


class OpenIdProvider:
    """One provider process; ``restart`` serves the same issuer with other settings (e.g. new keys)."""

    def __init__(self, node: str, workdir: Path, **config: Any):
        self.node = node
        self.config_file = workdir / "openid-provider.json"
        self.process: subprocess.Popen[str] | None = None
        self.config = config

    @property
    def issuer(self) -> str:
        return str(self.config["issuer"])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.config['port']}"

    def start(self) -> None:
        self.config_file.write_text(json.dumps(self.config), encoding="utf-8")
        # Fixed arguments only: the node binary, the script and the config file the test wrote.
        self.process = subprocess.Popen(  # noqa: S603
            [self.node, str(PROVIDER_DIR / "provider.mjs"), str(self.config_file)],
            cwd=PROVIDER_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError(f"the OpenID Provider did not start: {line}")
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(f"{self.origin}/.well-known/openid-configuration", timeout=2)
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
            self.process = None

    def restart(self, **changes: Any) -> None:
        self.stop()
        self.config = {**self.config, **changes}
        self.start()

    def discovery(self) -> dict[str, Any]:
        response = requests.get(f"{self.origin}/.well-known/openid-configuration", timeout=5)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def jwks(self) -> dict[str, Any]:
        response = requests.get(self.discovery()["jwks_uri"], timeout=5)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data


_FORM = re.compile(r"<form[^>]*\baction=\"([^\"]*)\"[^>]*>(.*?)</form>", re.S)
_INPUT = re.compile(r"<input[^>]*>", re.S)
_ATTRIBUTE = re.compile(r"(\w+)=\"([^\"]*)\"")


class ProviderBrowser:
    """The resident's browser at the provider: signs in as ``account`` and consents."""

    def __init__(self, provider: OpenIdProvider, *, account: str, password: str = "correct horse"):
        self.provider = provider
        self.account = account
        self.password = password
        self.session = requests.Session()
        self.pages: list[str] = []  # what the resident saw: the sign-in and consent pages

    def _at_provider(self, url: str) -> bool:
        return urlsplit(url).port == self.provider.config["port"]

    def authorize(self, url: str) -> str:
        """Follow the flow from the authorization URL to the relying party's callback URL."""
        for _step in range(20):
            if not self._at_provider(url):
                return url
            response = self.session.get(url, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            assert response.status_code == 200, response.text[:500]
            match = _FORM.search(response.text)
            assert match is not None, response.text[:500]
            self.pages.append(response.text)
            data = {}
            for tag in _INPUT.findall(match.group(2)):
                attributes = dict(_ATTRIBUTE.findall(tag))
                if "name" in attributes:
                    data[attributes["name"]] = html.unescape(attributes.get("value", ""))
            if "login" in data:
                data["login"] = self.account
                data["password"] = self.password
            response = self.session.post(
                urljoin(url, html.unescape(match.group(1))), data=data, allow_redirects=False, timeout=10
            )
            assert response.is_redirect, response.text[:500]
            url = urljoin(url, response.headers["Location"])
        raise AssertionError("the provider never sent the browser back")
