"""The SSRF guard: no request leaves for a private, loopback, link-local, multicast or reserved
address (or a non-http(s) URL) unless that host or network is explicitly allowed in config.

Used for every catalogue/feed/sitemap/page URL before it is fetched (including each redirect hop
in the Scrapy child) and by the web UI when an admin adds a source, so user-added sources cannot
be aimed at the office's internal network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from duluan.errors import PolicyError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified or getattr(ip, "is_site_local", False))


def _allowed(host: str, ip: IPAddress | None, allow_private: Iterable[str]) -> bool:
    for entry in allow_private:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host:
            return True
        if ip is None:
            continue
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


@lru_cache(maxsize=4096)
def _resolve(host: str) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise PolicyError(f"cannot resolve host {host!r}: {exc}") from None
    return tuple(sorted({info[4][0] for info in infos}))


def check_url(url: str, allow_private: list[str]) -> None:
    """Raise `PolicyError` unless `url` is http(s) and every address its host resolves to is public
    (or the host / one of its addresses is in `allow_private`: host names, IPs or CIDRs)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise PolicyError(f"refused {url!r}: only http and https URLs are fetched")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise PolicyError(f"refused {url!r}: no host")
    if parts.username or parts.password:
        raise PolicyError(f"refused {url!r}: credentials in URLs are not allowed")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if _allowed(host, literal, allow_private):
        return
    addresses = [str(literal)] if literal is not None else list(_resolve(host))
    for addr in addresses:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
        if _is_public(ip) or _allowed(host, ip, allow_private):
            continue
        raise PolicyError(
            f"refused {url!r}: {host} resolves to non-public address {ip} "
            f"(add it to crawl.allow_private to allow it)"
        )
