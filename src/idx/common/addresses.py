"""Where this deployment is reached: the address it serves (``IDX_BIND``) and its public URL.

The demo derives every address it hands out (each municipality's ``public_url``, the demo identity
provider's issuer, the signing API, the demo payment service, the LINE stand-in) from these, so a
second instance on another port talks only to itself. Read from the environment, without Django,
so the settings and the ``idx`` command share them.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

DEFAULT_BIND = "127.0.0.1:8000"
# Hosts that mean "this machine": the second demo municipality then lives on <slug>.localhost.
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bind_address(value: str | None = None) -> tuple[str, int]:
    """(host, port) of ``IDX_BIND`` (``host:port``); a wildcard host is reached on 127.0.0.1."""
    raw = (value if value is not None else os.environ.get("IDX_BIND", "")) or DEFAULT_BIND
    host, sep, port = raw.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or raw.startswith("unix:"):
        raise ImproperlyConfigured(
            f"IDX_BIND must be host:port, such as 127.0.0.1:8100, not {raw!r} "
            "(behind a proxy on a socket, set IDX_PUBLIC_URL too)"
        )
    if _unspecified(host):  # listening on every interface: this machine reaches it on loopback
        host = "127.0.0.1"
    return host, int(port)


def _unspecified(host: str) -> bool:
    if not host:
        return True
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:  # a host name
        return False


def local_base_url(value: str | None = None) -> str:
    """``http://host:port`` of the served address, for calls this deployment makes to itself."""
    host, port = bind_address(value)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def public_base_url() -> str:
    """``IDX_PUBLIC_URL`` (the address residents use), else the served address."""
    configured = os.environ.get("IDX_PUBLIC_URL", "").strip().rstrip("/")
    if not configured:
        return local_base_url()
    parts = urlsplit(configured)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ImproperlyConfigured(
            f"IDX_PUBLIC_URL must be http(s)://host[:port] without a path, such as "
            f"https://idx.example.jp, not {configured!r}"
        )
    return configured


def public_host() -> str:
    """The host name of the public URL (no port)."""
    return urlsplit(public_base_url()).hostname or "127.0.0.1"


def sibling_url(base: str, label: str) -> str:
    """The address of another municipality next to ``base``: ``<label>.localhost`` with the same
    port when ``base`` is this machine, else ``<label>.<host>`` (a wildcard DNS name)."""
    parts = urlsplit(base)
    host = parts.hostname or "127.0.0.1"
    sibling = f"{label}.localhost" if host in _LOOPBACK else f"{label}.{host}"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{sibling}{port}"


def public_origins() -> list[str]:
    """Origins to trust for form posts when ``IDX_PUBLIC_URL`` is set: behind a proxy that ends
    TLS the request looks like http to the server, while browsers send the https origin."""
    if not os.environ.get("IDX_PUBLIC_URL", "").strip():
        return []
    base = public_base_url()
    parts = urlsplit(base)
    port = f":{parts.port}" if parts.port else ""
    return [base, f"{parts.scheme}://*.{parts.hostname}{port}"]
