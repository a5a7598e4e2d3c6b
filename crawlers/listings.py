"""Section listing pages for outlets without feeds: every link on the page whose absolute URL
matches the source's `link_pattern` becomes a candidate (anchor text as a provisional title)."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

import lxml.html

from crawlers.candidates import Candidate
from crawlers.http import Fetcher
from duluan.errors import FetchError
from duluan.models import ListingPage


def _decode(body: bytes) -> str:
    for enc in ("utf-8", "cp1258", "latin-1"):
        try:
            return body.decode(enc)
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", "replace")


def links_from_listing(body: bytes, base_url: str, link_pattern: str, source_id: str) -> list[Candidate]:
    """Article links of one listing page, in page order, without duplicates."""
    try:
        pattern = re.compile(link_pattern)
    except re.error as exc:
        raise FetchError(f"{base_url}: bad link_pattern {link_pattern!r}: {exc}") from None
    text = "\n".join(line for line in _decode(body).split("\n") if not line.lstrip().startswith("<%"))
    if not text.strip():
        return []
    doc = lxml.html.fromstring(text)
    seen: set[str] = set()
    out: list[Candidate] = []
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = urldefrag(urljoin(base_url, href))[0]
        if not url.startswith(("http://", "https://")) or not pattern.search(url) or url in seen:
            continue
        seen.add(url)
        title = re.sub(r"\s+", " ", a.text_content() or "").strip() or (a.get("title") or "").strip() or None
        out.append(Candidate(url=url, source_id=source_id, via="listing", title=title))
    return out


def poll_listing(fetcher: Fetcher, listing: ListingPage, source_id: str) -> list[Candidate]:
    """Fetch one listing page and return its article links."""
    res = fetcher.get(listing.url)
    return links_from_listing(res.body, res.final_url, listing.link_pattern, source_id)
