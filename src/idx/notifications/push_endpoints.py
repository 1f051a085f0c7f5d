"""Which Web Push endpoints IDX will POST to: public push services only (no SSRF).

A push subscription's endpoint is a URL chosen by the browser, so whoever holds a resident's
session can post any URL. The worker would then POST to it from inside the city's network, so
an endpoint is accepted only when it is ``https`` on the default port and every address its
host resolves to is a public (global unicast) address; this is checked when the browser
subscribes and again when a message is sent (DNS may answer differently later), and the sending
connection checks the address it actually reached.

The one exception is the in-project stand-in push service of the demo and the tests:
``http://127.0.0.1:<port>/…``, recognised by parsing the URL (scheme, host, no user info), and
allowed only when the demo identity provider is enabled (which production refuses).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from idx.common.errors import DomainError

# NAT64 (RFC 6052) embeds an IPv4 address; judge the embedded one.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class EndpointRefused(DomainError, ValueError):
    """The endpoint is not a public push service."""

    code = "endpoint_refused"
    http_status = 422


class EndpointUnresolvable(EndpointRefused):
    """The endpoint's host does not resolve (now): refused at subscribe time, retried at send time."""

    code = "endpoint_unresolvable"


def address_is_public(address: str) -> bool:
    """True for a global unicast address (not private, loopback, link-local, reserved, shared…)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


def local_stand_in_allowed() -> bool:
    """The demo's and tests' local push service (plain HTTP on 127.0.0.1) is allowed."""
    return bool(settings.IDX_DEMO_IDP)


def is_local_stand_in(endpoint: str) -> bool:
    """``http://127.0.0.1[:port]/…`` exactly: no user info, no other host spelled to look alike."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.netloc in ("127.0.0.1", f"127.0.0.1:{port}")
        and parts.hostname == "127.0.0.1"
        and parts.username is None
        and parts.password is None
    )


def _resolve(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise EndpointUnresolvable("the push service's host does not resolve") from exc
    return sorted({str(info[4][0]) for info in infos})


def endpoint_check(endpoint: str) -> None:
    """Raise :class:`EndpointRefused` unless IDX may send to ``endpoint`` (resolves the host)."""
    if len(endpoint) > 1000:
        raise EndpointRefused("the endpoint is too long")
    if is_local_stand_in(endpoint):
        if local_stand_in_allowed():
            return
        raise EndpointRefused("a local push service is allowed only in the demo and tests")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as exc:
        raise EndpointRefused("the endpoint is not a URL") from exc
    if parts.scheme != "https" or not parts.hostname:
        raise EndpointRefused("the endpoint must be an https URL")
    if parts.username is not None or parts.password is not None:
        raise EndpointRefused("the endpoint must not carry user info")
    if port not in (None, 443):
        raise EndpointRefused("push services listen on the https port")
    addresses = _resolve(parts.hostname)
    if not addresses or not all(address_is_public(address) for address in addresses):
        raise EndpointRefused("the push service's host is not a public address")


def _check_peer(sock: socket.socket) -> None:
    peer = sock.getpeername()[0]
    if not address_is_public(str(peer)):
        sock.close()
        raise EndpointRefused("the push service's connection reached a non-public address")


class _PublicHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _PublicHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    """Checks the address a direct connection reached (closes the DNS-rebinding gap)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}


def push_session(endpoint: str) -> requests.Session:
    """A requests session for sending to ``endpoint`` (already passed :func:`endpoint_check`)."""
    session = requests.Session()
    if not is_local_stand_in(endpoint):
        session.mount("https://", _PublicOnlyAdapter())
        session.mount("http://", _PublicOnlyAdapter())
    return session
