"""The addresses devices and gateways should upload to, as operators type them into a device.

When the server listens on a wildcard address (0.0.0.0 or ::) the useful answer is every address of
this computer on the LAN, which only the network interfaces know; QNetworkInterface is reentrant, so
this may run off the Qt thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from gui.qt import QAbstractSocket, QHostAddress, QNetworkInterface

LOGGER = logging.getLogger(__name__)
WILDCARDS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - compared with, never bound
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def interface_addresses(ipv6: bool) -> list[str]:
    """LAN addresses first (IPv4 before IPv6), no loopback, no link-local (devices cannot use them)."""
    found: list[QHostAddress] = [a for a in QNetworkInterface.allAddresses()
                                 if not a.isLoopback() and not a.isLinkLocal()]
    v4 = [a.toString() for a in found if a.protocol() == QAbstractSocket.NetworkLayerProtocol.IPv4Protocol]
    v6 = [a.toString() for a in found if a.protocol() == QAbstractSocket.NetworkLayerProtocol.IPv6Protocol]
    return v4 + (v6 if ipv6 else [])


def upload_urls(bound: Iterable[tuple[str, int]]) -> list[str]:
    """One URL per reachable address; loopback only when nothing else exists."""
    urls: list[str] = []
    for host, port in bound:
        hosts = interface_addresses(ipv6=host == "::") if host in WILDCARDS else [host]
        if not hosts:
            hosts = ["127.0.0.1"]
        urls.extend(url(h, port) for h in hosts)
    return list(dict.fromkeys(urls))


def local_only(bound: Iterable[tuple[str, int]]) -> bool:
    """True when only this computer can reach the server (devices on the LAN cannot)."""
    hosts = [host for host, _ in bound]
    return bool(hosts) and all(h in LOOPBACK for h in hosts)
