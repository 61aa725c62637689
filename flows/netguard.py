"""SSRF guard: may the server open a connection to this URL?

Every place where Loupe itself fetches or posts to a URL that a tenant supplied (webhooks today)
asks this module first. Refused: anything but http(s), URLs carrying credentials, hosts that do
not resolve, and hosts that resolve to any loopback, private, link-local (cloud metadata at
169.254.169.254), multicast, reserved or otherwise non-global address — unless the operator
allows the host or a range in ``LOUPE_FETCH_ALLOW`` (comma-separated host names and CIDR
ranges, e.g. ``minio.internal,10.0.5.0/24``).

Resolution is checked for every address the name resolves to, so a name with one public and one
private address is refused.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _allow_list() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    hosts: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for entry in getattr(settings, "LOUPE_FETCH_ALLOW", []) or []:
        entry = str(entry).strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry)
    return hosts, networks


def address_public(address: Address) -> bool:
    """A global unicast address (not loopback, private, link-local, multicast, reserved...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def host_refusal(host: str, port: int) -> str | None:
    """Why a connection to ``host:port`` is refused, or None when it is allowed."""
    hosts, networks = _allow_list()
    host = host.strip().lower().strip("[]")
    if host in hosts:
        return None
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        return f"its host {host!r} does not resolve ({exc})"
    if not infos:
        return f"its host {host!r} does not resolve"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address_public(address) or any(address in network for network in networks):
            continue
        return f"its host {host!r} resolves to the non-public address {address}"
    return None


def url_refusal(url: str) -> str | None:
    """Why the server may not fetch ``url``, or None when it may."""
    if not isinstance(url, str) or not url.strip():
        return "the URL is empty"
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "the URL is malformed"
    if parts.scheme not in ("http", "https"):
        return "the URL is not http(s)"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username or parts.password:
        return "the URL carries a user name or password"
    return host_refusal(parts.hostname, port)


def url_allowed(url: str) -> bool:
    """May the server fetch ``url``? See the module docstring for what is refused."""
    return url_refusal(url) is None
