"""The crawler's operational state in the operational DB (`duluan.db`), behind one small class so
the `crawlers` package does not touch SQLAlchemy models (import direction: crawlers import only
models/text/errors/settings; `duluan/` wires the rest).

What is kept: feed and sitemap validators (`FeedState`) and a sitemap index's children
(`SitemapChildren`) for conditional GETs; the fetch log (`FetchLog`: `ok` / `dropped` with reason /
`error`, so a URL is not fetched twice within `crawl.recent_fetch_hours`); source health
(`SourceHealth`: polls, failures, latency, articles) and pages dropped per reason (`SourceDrop`).
Each method opens its own session and commits, except `log_fetches`, which writes a whole batch
in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func

from crawlers.health import FetchOutcome
from crawlers.sitemaps import DocState
from duluan.db import FeedState, FetchLog, SitemapChildren, SourceDrop, SourceHealth

# fetch-log statuses that mean "fetched recently, do not fetch again" ("no-article" is the
# pre-2026-11 name of "dropped", still present in older databases)
RECENT_STATUSES = ["ok", "dropped", "no-article"]


def _health(session: Any, source_id: str) -> SourceHealth:
    h = session.get(SourceHealth, source_id)
    if h is None:
        h = SourceHealth(source_id=source_id, consecutive_failures=0, fetches=0, articles_total=0,
                         articles_last_day=0, mean_latency_ms=0.0, last_error="")
        session.add(h)
    return h


def _record_poll(session: Any, source_id: str, ok: bool, error: str = "", latency_ms: float | None = None) -> None:
    now = datetime.now(UTC)
    h = _health(session, source_id)
    h.last_run = now
    if latency_ms is not None:
        n = h.fetches or 0
        h.mean_latency_ms = ((h.mean_latency_ms or 0.0) * n + latency_ms) / (n + 1)
        h.fetches = n + 1
    if ok:
        h.last_success = now
        h.consecutive_failures = 0
    else:
        h.last_error = error[:2000]
        h.last_error_at = now
        h.consecutive_failures = (h.consecutive_failures or 0) + 1


def _record_drop(session: Any, source_id: str, reason: str, url: str) -> None:
    d = session.get(SourceDrop, (source_id, reason))
    if d is None:
        d = SourceDrop(source_id=source_id, reason=reason, total=0)
        session.add(d)
    d.total = (d.total or 0) + 1
    d.last_at = datetime.now(UTC)
    d.last_url = url[:2000]


class CrawlState:
    """The crawler's view of the operational DB; `session_factory` is `AppContext.session`."""

    def __init__(self, session_factory: Callable[[], Any]):
        self.session = session_factory

    # ------------------------------------------------------------ discovery (conditional GET)

    def feed_validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) remembered for a feed."""
        with self.session() as s:
            st = s.get(FeedState, url)
            return (st.etag, st.last_modified) if st else (None, None)

    def save_feed(self, url: str, status: int, etag: str | None, last_modified: str | None) -> None:
        """After a poll: a 304 keeps the validators, any other answer replaces them."""
        with self.session() as s:
            st = s.get(FeedState, url)
            if st is None:
                st = FeedState(url=url)
                s.add(st)
            st.last_checked = datetime.now(UTC)
            st.last_status = status
            if status != 304:
                st.etag, st.last_modified = etag, last_modified
            s.commit()

    def sitemap_state(self, url: str) -> DocState | None:
        """What is remembered of a sitemap document (validators, an index's children)."""
        with self.session() as s:
            st = s.get(FeedState, url)
            kids = s.get(SitemapChildren, url)
            if st is None and kids is None:
                return None
            return DocState(etag=st.etag if st else None, last_modified=st.last_modified if st else None,
                            children=list(kids.children) if kids is not None else None,
                            status=(st.last_status or 200) if st else 200)

    def save_sitemaps(self, states: dict[str, DocState]) -> None:
        """Remember each fetched sitemap document's validators and an index's children."""
        now = datetime.now(UTC)
        with self.session() as s:
            for url, doc in states.items():
                st = s.get(FeedState, url)
                if st is None:
                    st = FeedState(url=url)
                    s.add(st)
                st.etag, st.last_modified = doc.etag, doc.last_modified
                st.last_checked, st.last_status = now, doc.status
                kids = s.get(SitemapChildren, url)
                if doc.children is not None:
                    if kids is None:
                        s.add(SitemapChildren(url=url, children=list(doc.children)))
                    else:
                        kids.children = list(doc.children)
                elif kids is not None:
                    s.delete(kids)
            s.commit()

    # ------------------------------------------------------------ source health

    def record_poll(self, source_id: str, ok: bool, error: str = "", latency_ms: float | None = None) -> None:
        """One discovery poll (feed, sitemap, listing) of a source."""
        with self.session() as s:
            _record_poll(s, source_id, ok, error, latency_ms)
            s.commit()

    def record_articles(self, counts: dict[str, int]) -> None:
        """Articles indexed per source in one crawl (0 still creates the source's health row)."""
        with self.session() as s:
            for sid, n in counts.items():
                h = _health(s, sid)
                h.articles_total = (h.articles_total or 0) + n
            s.commit()

    def schedule_info(self) -> dict[str, tuple[datetime | None, bool | None]]:
        """Per source: (last poll, enabled override set in the UI) for the scheduler."""
        with self.session() as s:
            return {h.source_id: (h.last_run, h.enabled_override) for h in s.query(SourceHealth).all()}

    def refresh_daily_counts(self) -> int:
        """Articles fetched per source in the last 24 h (fetch-log rows `ok`); returns sources updated."""
        since = datetime.now(UTC) - timedelta(days=1)
        with self.session() as s:
            counts = dict(s.query(FetchLog.source_id, func.count()).filter(
                FetchLog.fetched_at >= since, FetchLog.status == "ok").group_by(FetchLog.source_id).all())
            n = 0
            for h in s.query(SourceHealth).all():
                h.articles_last_day = int(counts.get(h.source_id, 0))
                n += 1
            s.commit()
        return n

    def health_rows(self) -> list[dict[str, Any]]:
        """Every source's health as plain dicts (for the CLI and the web UI)."""
        with self.session() as s:
            return health_rows(s)

    # ------------------------------------------------------------ fetch log

    def recently_fetched(self, canonical_urls: list[str], hours: float) -> set[str]:
        """Which of these canonical URLs were fetched (with or without article) in the last `hours`."""
        since = datetime.now(UTC) - timedelta(hours=hours)
        out: set[str] = set()
        with self.session() as s:
            for i in range(0, len(canonical_urls), 500):
                rows = s.query(FetchLog.canonical_url).filter(
                    FetchLog.canonical_url.in_(canonical_urls[i:i + 500]), FetchLog.fetched_at >= since,
                    FetchLog.status.in_(RECENT_STATUSES)).all()
                out.update(r[0] for r in rows)
        return out

    def log_fetches(self, outcomes: Iterable[FetchOutcome]) -> None:
        """Write fetch-log rows (one transaction); a `dropped` one also counts on its source."""
        now = datetime.now(UTC)
        with self.session() as s:
            for o in outcomes:
                if o.status == "dropped":
                    _record_drop(s, o.source_id, o.detail.split(":", 1)[0], o.url)
                s.merge(FetchLog(canonical_url=o.canonical_url, source_id=o.source_id, fetched_at=now,
                                 status=o.status, detail=o.detail[:2000]))
            s.commit()


def health_rows(session: Any) -> list[dict[str, Any]]:
    """Every source's health as plain dicts, with pages dropped per reason."""
    drops: dict[str, dict[str, int]] = {}
    for d in session.query(SourceDrop).order_by(SourceDrop.source_id, SourceDrop.reason).all():
        drops.setdefault(d.source_id, {})[d.reason] = int(d.total or 0)
    out = []
    for h in session.query(SourceHealth).order_by(SourceHealth.source_id).all():
        out.append({
            "source_id": h.source_id, "last_run": h.last_run, "last_success": h.last_success,
            "last_error": h.last_error or "", "last_error_at": h.last_error_at,
            "consecutive_failures": h.consecutive_failures or 0, "articles_total": h.articles_total or 0,
            "articles_last_day": h.articles_last_day or 0, "mean_latency_ms": round(h.mean_latency_ms or 0.0, 1),
            "fetches": h.fetches or 0,
            "dropped": drops.get(h.source_id, {}), "dropped_total": sum(drops.get(h.source_id, {}).values()),
        })
    return out
