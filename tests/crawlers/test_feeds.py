"""Feed parsing on real feeds: Vietnamese RSS 2.0 with +07:00 dates, Zing's non-RFC dates, RSS 1.0,
Atom, and feedparser's ill-formed cases (parsed as far as possible, never a crash)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawlers.feeds import parse_feed

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def test_vnexpress_rss() -> None:
    body = (FEEDS / "vietnamese" / "vnexpress_tin-moi-nhat_2017-11-14.rss").read_bytes()
    res = parse_feed(body, "https://vnexpress.net/rss/tin-moi-nhat.rss", "vnexpress", tz="Asia/Ho_Chi_Minh")
    assert len(res.candidates) == 24  # 25 items, one of which has no <link> at all
    assert all(urlsplit(c.url).hostname.endswith("vnexpress.net") for c in res.candidates)
    assert all(c.published is not None and c.published.tzinfo is not None for c in res.candidates)
    days = {c.published.astimezone(UTC).date() for c in res.candidates}
    assert min(days) >= datetime(2017, 11, 13).date() and max(days) <= datetime(2017, 11, 15).date()
    assert all(c.title and "<" not in c.title for c in res.candidates)
    assert any(c.summary and "<img" not in c.summary for c in res.candidates)


def test_zing_non_rfc_dates_read_in_outlet_zone() -> None:
    body = (FEEDS / "vietnamese" / "zingnews_tin-moi_2017-02-18.rss").read_bytes()
    res = parse_feed(body, "https://news.zing.vn/rss/tin-moi.rss", "znews", tz="Asia/Ho_Chi_Minh")
    assert len(res.candidates) == 20
    dated = [c for c in res.candidates if c.published]
    assert len(dated) == 20
    # "2/18/2017 11:21:09 PM" local time is 16:21:09 UTC
    assert any(c.published == datetime(2017, 2, 18, 16, 21, 9, tzinfo=UTC) for c in dated) or all(
        c.published.year == 2017 for c in dated)


@pytest.mark.parametrize("name,expected", [("rss-1.rss", 1), ("heise.atom", 1), ("guardian.rss", 1),
                                           ("bbc_2024-08-08.rss", 1)])
def test_other_formats(name: str, expected: int) -> None:
    res = parse_feed((FEEDS / "misc" / name).read_bytes(), f"https://example.org/{name}", "x")
    assert len(res.candidates) >= expected
    assert all(c.url.startswith("http") for c in res.candidates)


@pytest.mark.parametrize("path", sorted((FEEDS / "illformed").glob("*.xml")), ids=lambda p: p.name)
def test_illformed_feeds_do_not_crash(path: Path) -> None:
    res = parse_feed(path.read_bytes(), "https://example.org/feed", "x")
    head = path.read_text(encoding="utf-8", errors="replace")[:400]
    if "Expect:" in head and "bozo" in head.split("Expect:")[1].split("\n")[0] and "not bozo" not in head:
        assert res.bozo and res.bozo_reason
