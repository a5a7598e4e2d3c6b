"""Offline validation of the source catalogue: URL syntax (scheme, host, no credentials, no
private literal addresses), duplicates, and the listing patterns' regular expressions. Nothing is
fetched: `duluan sources check` must work with no network."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from duluan.models import Source

_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def url_problem(url: str, allow_hosts: set[str] | None = None) -> str | None:
    """Why `url` is not a valid public http(s) URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "scheme must be http or https"
    host = (parts.hostname or "").lower()
    if not host:
        return "no host"
    if parts.username or parts.password:
        return "credentials in the URL"
    if allow_hosts and host in allow_hosts:
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return None if ip.is_global else f"non-public address {ip}"
    if not _HOST.match(host.encode("idna").decode("ascii") if not host.isascii() else host):
        return f"invalid host name {host!r}"
    if " " in url:
        return "spaces in the URL"
    return None


def check_sources(sources: list[Source], allow_hosts: set[str] | None = None) -> list[str]:
    """Problems of the catalogue, one line each (empty = valid)."""
    problems: list[str] = []
    seen_feeds: dict[str, str] = {}
    for s in sources:
        urls = [("homepage", s.homepage)] + [("feeds", u) for u in s.feeds] + [("sitemaps", u) for u in s.sitemaps]
        urls += [("listings", lp.url) for lp in s.listings]
        for key, u in urls:
            p = url_problem(u, allow_hosts)
            if p:
                problems.append(f"{s.id}: {key}: {u}: {p}")
        for u in s.feeds + s.sitemaps:
            if u in seen_feeds and seen_feeds[u] != s.id:
                problems.append(f"{s.id}: {u}: also listed by source {seen_feeds[u]}")
            seen_feeds.setdefault(u, s.id)
        for lp in s.listings:
            try:
                re.compile(lp.link_pattern)
            except re.error as exc:
                problems.append(f"{s.id}: listings: {lp.link_pattern!r}: bad regular expression: {exc}")
        if s.enabled and not (s.feeds or s.sitemaps or s.listings):
            problems.append(f"{s.id}: enabled but has no feed, sitemap or listing page")
    return problems
