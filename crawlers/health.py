"""Source health in the operational DB (`duluan.db.SourceHealth`): last success, last error,
consecutive failures, articles per day, mean latency — updated after every poll and fetch — and
pages dropped for holding no article, counted per reason (`duluan.db.SourceDrop`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func

from duluan.db import FetchLog, SourceDrop, SourceHealth


def record_poll(session: Any, source_id: str, ok: bool, error: str = "", latency_ms: float | None = None) -> None:
    """One discovery poll (feed, sitemap, listing) of a source. The caller commits."""
    now = datetime.now(UTC)
    h = session.get(SourceHealth, source_id)
    if h is None:
        h = SourceHealth(source_id=source_id, consecutive_failures=0, fetches=0, articles_total=0,
                         articles_last_day=0, mean_latency_ms=0.0, last_error="")
        session.add(h)
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


# Why extraction dropped a page, from the `ExtractError` message of `crawlers.extract` (first match
# wins; anything unrecognised is plain `no_article`).
DROP_REASONS: list[tuple[str, re.Pattern[str]]] = [
    ("empty", re.compile(r": empty page")),
    ("not_html", re.compile(r"not an HTML page")),
    ("http_status", re.compile(r": HTTP \d{3}")),
    ("extract_failed", re.compile(r"extraction failed")),
    ("too_short", re.compile(r"no article text")),
    ("not_found", re.compile(r"not found' page")),
    ("index_page", re.compile(r"index/listing page")),
    ("no_title", re.compile(r": no title")),
    ("no_date", re.compile(r"no publication date")),
]


def drop_reason(message: str) -> str:
    """The short reason code of a dropped page (`too_short`, `not_html`, `index_page`…)."""
    for code, pattern in DROP_REASONS:
        if pattern.search(message):
            return code
    return "no_article"


def record_drop(session: Any, source_id: str, reason: str, url: str) -> None:
    """Count one page of `source_id` dropped for `reason`. The caller commits."""
    d = session.get(SourceDrop, (source_id, reason))
    if d is None:
        d = SourceDrop(source_id=source_id, reason=reason, total=0)
        session.add(d)
    d.total = (d.total or 0) + 1
    d.last_at = datetime.now(UTC)
    d.last_url = url[:2000]


def record_articles(session: Any, source_id: str, indexed: int) -> None:
    h = session.get(SourceHealth, source_id)
    if h is None:
        h = SourceHealth(source_id=source_id, consecutive_failures=0, fetches=0, articles_total=0,
                         articles_last_day=0, mean_latency_ms=0.0, last_error="")
        session.add(h)
    h.articles_total = (h.articles_total or 0) + indexed


def refresh_daily_counts(session: Any) -> int:
    """Articles fetched per source in the last 24 h (from the fetch log); returns sources updated."""
    since = datetime.now(UTC) - timedelta(days=1)
    counts = dict(session.query(FetchLog.source_id, func.count()).filter(
        FetchLog.fetched_at >= since, FetchLog.status == "ok").group_by(FetchLog.source_id).all())
    n = 0
    for h in session.query(SourceHealth).all():
        h.articles_last_day = int(counts.get(h.source_id, 0))
        n += 1
    return n


def health_rows(session: Any) -> list[dict[str, Any]]:
    """Every source's health as plain dicts (for the CLI and the web UI)."""
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
