"""Feed polling with feedparser: RSS 0.9x/1.0/2.0 and Atom, conditional GET (ETag /
Last-Modified) so an unchanged feed costs one 304, entries → candidate URLs with title, summary
and date. Ill-formed ("bozo") feeds are parsed as far as feedparser gets and reported."""

from __future__ import annotations

import calendar
import html
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
from dateutil import parser as dateparser

from crawlers.candidates import Candidate
from crawlers.http import Fetcher
from duluan.errors import FetchError

log = logging.getLogger("crawlers.feeds")

_TAG = re.compile(r"<[^>]+>")


@dataclass
class FeedResult:
    """What one poll of one feed gave."""

    url: str
    status: int = 200
    candidates: list[Candidate] = field(default_factory=list)
    bozo: bool = False
    bozo_reason: str = ""
    title: str = ""
    etag: str | None = None
    last_modified: str | None = None
    elapsed_ms: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _entry_date(entry: Any, tz: str) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        st = entry.get(key)
        if st:
            return datetime.fromtimestamp(calendar.timegm(st), UTC)
    # non-RFC dates (e.g. Zing's "2/18/2017 11:21:09 PM"): parse leniently, in the outlet's zone
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not raw:
            continue
        try:
            dt = dateparser.parse(raw)
        except (ValueError, OverflowError):
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=ZoneInfo(tz))
        return dt.astimezone(UTC)
    return None


def _clean(text: str | None) -> str | None:
    if not text:
        return None
    out = html.unescape(_TAG.sub(" ", text))
    out = re.sub(r"\s+", " ", out).strip()
    return out or None


def parse_feed(body: bytes, url: str, source_id: str, content_type: str | None = None,
               tz: str = "UTC") -> FeedResult:
    """Parse feed bytes into candidates. Never raises on bad input: a bozo feed yields what could
    be read plus the reason."""
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(body, response_headers=headers)
    result = FeedResult(url=url)
    result.bozo = bool(parsed.get("bozo"))
    if result.bozo:
        result.bozo_reason = f"{type(parsed.get('bozo_exception')).__name__}: {parsed.get('bozo_exception')}"
    feed = parsed.get("feed", {})
    result.title = _clean(feed.get("title")) or ""
    language = (feed.get("language") or "").split("-")[0].lower() or None
    for entry in parsed.get("entries", []):
        link = entry.get("link") or ""
        if not link:
            for alt in entry.get("links", []):
                if alt.get("rel") == "alternate" and alt.get("href"):
                    link = alt["href"]
                    break
        if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
            link = entry["id"]
        link = link.strip()
        if not link.startswith(("http://", "https://")):
            continue
        result.candidates.append(Candidate(
            url=link, source_id=source_id, via="feed", title=_clean(entry.get("title")),
            summary=_clean(entry.get("summary")), published=_entry_date(entry, tz), language=language,
        ))
    return result


def poll_feed(fetcher: Fetcher, url: str, source_id: str, etag: str | None = None,
              last_modified: str | None = None, tz: str = "UTC") -> FeedResult:
    """Fetch a feed conditionally and parse it. Raises `FetchError`/`PolicyError` when it cannot be
    fetched; a 304 gives an empty result with status 304."""
    res = fetcher.get(url, etag=etag, last_modified=last_modified)
    if res.not_modified:
        return FeedResult(url=url, status=304, etag=etag, last_modified=last_modified, elapsed_ms=res.elapsed_ms)
    if not res.body.strip():
        raise FetchError(f"{url}: empty feed document")
    out = parse_feed(res.body, res.final_url, source_id, res.headers.get("content-type"), tz=tz)
    out.status = res.status
    out.etag = res.headers.get("etag")
    out.last_modified = res.headers.get("last-modified")
    out.elapsed_ms = res.elapsed_ms
    if out.bozo:
        log.warning("feed %s (source %s) is ill-formed, parsed %d entries: %s", url, source_id,
                    len(out.candidates), out.bozo_reason)
    if out.bozo and not out.candidates:
        raise FetchError(f"{url}: not a readable feed ({out.bozo_reason})")
    return out
