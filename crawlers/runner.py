"""Running a crawl: discovery (feeds with conditional GET, sitemaps, listing pages, search
connectors) in this process, dedup against the index and the fetch log, then Scrapy in a CHILD
process (Twisted's reactor cannot restart) whose pages stream back and go through
`ctx.pipeline.process_raw` (extract → enrich → index → alerts) in batches.

Every candidate ends as indexed, dropped (no article) or a counted failure with its reason;
nothing is lost silently and no fault on one URL or feed stops the crawl.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawlers.candidates import Candidate, dedup_candidates
from crawlers.feeds import poll_feed
from crawlers.health import FetchOutcome, drop_reason
from crawlers.http import Fetcher
from crawlers.listings import poll_listing
from crawlers.safety import check_url
from crawlers.sitemaps import crawl_sitemap
from duluan.errors import DuluanError
from duluan.models import Kind, RawArticle, Source, article_id, canonicalize_url

if TYPE_CHECKING:
    from duluan.context import AppContext
    from duluan.crawl_state import CrawlState

log = logging.getLogger("crawlers.runner")

PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                    "fc00::/7", "localhost"]
BATCH = 25


@dataclass
class CrawlReport:
    """What one crawl did, for the CLI, the scheduler's job log and tests."""

    sources: int = 0
    polls: int = 0
    not_modified: int = 0
    candidates: int = 0
    skipped_known: int = 0
    fetched: int = 0
    indexed: int = 0
    no_article: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # pages without article, per reason
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    poll_errors: list[tuple[str, str]] = field(default_factory=list)
    indexed_ids: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def lost(self) -> int:
        """Candidates sent to the fetcher that ended in no outcome at all (must be 0)."""
        return self.candidates - self.skipped_known - self.fetched - self.failed

    def summary(self) -> str:
        why = ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items(), key=lambda kv: (-kv[1], kv[0])))
        return (f"{self.sources} source(s), {self.polls} poll(s) ({self.not_modified} unchanged), "
                f"{self.candidates} candidate(s), {self.skipped_known} already known, {self.fetched} fetched, "
                f"{self.indexed} indexed, {self.no_article} without article{f' ({why})' if why else ''}, "
                f"{self.failed} failed, {len(self.poll_errors)} poll error(s) in {self.elapsed_s:.1f}s")


# ---------------------------------------------------------------- discovery


def _source_tz(source: Source) -> str:
    return "Asia/Ho_Chi_Minh" if source.country == "VN" else "UTC"


def state_of(ctx: AppContext) -> CrawlState:
    """The crawler's operational state (validators, fetch log, source health) for this context.
    The one place the runner reaches the operational DB, through `duluan.crawl_state` (the
    persistence lives in `duluan/`, as the import-direction rule asks)."""
    from duluan.crawl_state import CrawlState

    return CrawlState(ctx.session)


def discover_source(ctx: AppContext, fetcher: Fetcher, source: Source, report: CrawlReport) -> list[Candidate]:
    """Poll a source's feeds (conditionally), sitemaps (conditionally) and listing pages; failures
    are recorded on the source's health and the report, and the other documents are still polled."""
    state = state_of(ctx)
    out: list[Candidate] = []
    for url in source.feeds:
        report.polls += 1
        etag, last_modified = state.feed_validators(url)
        try:
            res = poll_feed(fetcher, url, source.id, etag, last_modified, tz=_source_tz(source))
        except DuluanError as exc:
            log.warning("feed %s (source %s) failed: %s", url, source.id, exc)
            report.poll_errors.append((url, str(exc)))
            state.record_poll(source.id, ok=False, error=f"{url}: {exc}")
            continue
        state.save_feed(url, res.status, res.etag, res.last_modified)
        report.not_modified += int(res.not_modified)
        if res.bozo:
            report.poll_errors.append((url, f"ill-formed feed (parsed {len(res.candidates)} entries): {res.bozo_reason}"))
        state.record_poll(source.id, ok=True, latency_ms=res.elapsed_ms)
        out.extend(res.candidates)
    for url in source.sitemaps:
        report.polls += 1
        t0 = time.perf_counter()
        try:
            sm = crawl_sitemap(fetcher, url, source.id, state=state.sitemap_state)
        except DuluanError as exc:
            log.warning("sitemap %s (source %s) failed: %s", url, source.id, exc)
            report.poll_errors.append((url, str(exc)))
            state.record_poll(source.id, ok=False, error=f"{url}: {exc}")
            continue
        state.save_sitemaps(sm.states)
        report.not_modified += int(sm.top_not_modified)
        report.poll_errors.extend(sm.errors)
        state.record_poll(source.id, ok=True, latency_ms=(time.perf_counter() - t0) * 1000 / max(1, sm.fetched))
        out.extend(sm.candidates)
    for listing in source.listings:
        report.polls += 1
        t0 = time.perf_counter()
        try:
            out.extend(poll_listing(fetcher, listing, source.id))
        except DuluanError as exc:
            log.warning("listing %s (source %s) failed: %s", listing.url, source.id, exc)
            report.poll_errors.append((listing.url, str(exc)))
            state.record_poll(source.id, ok=False, error=f"{listing.url}: {exc}")
            continue
        state.record_poll(source.id, ok=True, latency_ms=(time.perf_counter() - t0) * 1000)
    return out


def _register_sources(ctx: AppContext, sources: list[Source]) -> None:
    """Make outlets found by discovery (or ad-hoc crawls) known to this context's pipeline."""
    known = {s.id for s in ctx.sources}
    for src in sources:
        if src.id not in known:
            ctx.sources.append(src)
            known.add(src.id)


def adhoc_source(url: str) -> Source:
    """A throwaway source for `duluan crawl --feed/--sitemap/--url` (not saved in the catalogue)."""
    host = (urlsplit(url).hostname or "unknown").lower().removeprefix("www.")
    slug = "".join(ch if ch.isalnum() else "-" for ch in host).strip("-")[:50] or "unknown"
    vn = host.endswith(".vn")
    return Source(id=f"adhoc-{slug}", name=host, homepage=f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/",
                  country="VN" if vn else "ZZ", language="vi" if vn else "en",
                  kind=Kind.domestic if vn else Kind.foreign, enabled=False)


def _filter_known(ctx: AppContext, cands: list[Candidate], report: CrawlReport) -> list[Candidate]:
    """Drop candidates already in the index or fetched within `recent_fetch_hours`."""
    if not cands:
        return []
    in_index = ctx.index.exists([article_id(c.url) for c in cands])
    hours = ctx.settings.crawl.recent_fetch_hours
    recent = state_of(ctx).recently_fetched([c.canonical for c in cands], hours) if hours else set()
    out = []
    for c in cands:
        if article_id(c.url) in in_index or c.canonical in recent:
            report.skipped_known += 1
        else:
            out.append(c)
    return out


# ---------------------------------------------------------------- fetching (child process)


def _raw_from(record: dict[str, Any], cand: Candidate) -> RawArticle:
    return RawArticle(url=cand.url, final_url=record.get("final_url"), source_id=cand.source_id,
                      status=int(record.get("status") or 200), html=base64.b64decode(record.get("body") or ""),
                      encoding=record.get("encoding"), redirects=record.get("redirects") or [],
                      feed_title=cand.title, feed_summary=cand.summary, feed_published=cand.published,
                      feed_language=cand.language)


def fetch_candidates(ctx: AppContext, cands: list[Candidate], allow: list[str], report: CrawlReport,
                     backoff: float = 0.5) -> None:
    """Fetch candidates with Scrapy in a child process and hand pages to the pipeline in batches."""
    if not cands:
        return
    data_dir = ctx.settings.data_dir
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    job = {"crawl": ctx.settings.crawl.model_dump(), "allow_private": allow, "backoff": backoff,
           "cache_dir": str((data_dir / "httpcache").resolve()) if ctx.settings.crawl.http_cache else None,
           "candidates": [{"url": c.url} for c in cands]}
    by_source: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="duluan-crawl-") as tmp:
        job_path = Path(tmp) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        with open(data_dir / "logs" / "scrapy.log", "ab") as errlog:
            proc = subprocess.Popen([sys.executable, "-m", "crawlers.spiders.child", str(job_path)],
                                    stdout=subprocess.PIPE, stderr=errlog, env=dict(os.environ))
            done: set[int] = set()
            batch: list[tuple[Candidate, RawArticle]] = []
            assert proc.stdout is not None
            for line in proc.stdout:
                try:
                    rec = json.loads(line)
                    i = int(rec["i"])
                    cand = cands[i]
                except (ValueError, KeyError, IndexError):
                    log.warning("unreadable line from the crawl child: %r", line[:200])
                    continue
                if i in done:
                    continue
                done.add(i)
                if rec.get("kind") == "page":
                    report.fetched += 1
                    ctype = str(rec.get("content_type") or "")
                    if not is_web_page(ctype):
                        _drop(ctx, cand, "not_html", f"{cand.url}: {ctype.split(';')[0]} is not a web page", report,
                              by_source)
                        continue
                    batch.append((cand, _raw_from(rec, cand)))
                    if len(batch) >= BATCH:
                        _process_batch(ctx, batch, report, by_source)
                        batch = []
                else:
                    _fail(ctx, cand, rec.get("reason", "unknown error"), report)
            if batch:
                _process_batch(ctx, batch, report, by_source)
            rc = proc.wait()
    for i, cand in enumerate(cands):
        if i not in done:
            _fail(ctx, cand, f"crawl child exited with code {rc} before fetching it", report)
    state_of(ctx).record_articles(by_source)  # 0 still creates the health row of a source with only drops


def is_web_page(content_type: str) -> bool:
    """Whether a response's Content-Type can hold an article page (HTML, XHTML, XML or text; a
    missing header counts as yes and is left to the extractor). PDFs, images, video… do not."""
    mime = content_type.split(";")[0].strip().lower()
    return not mime or mime.startswith("text/") or "html" in mime or mime.endswith(("/xml", "+xml"))


def _drop(ctx: AppContext, cand: Candidate, reason: str, message: str, report: CrawlReport,
          by_source: dict[str, int]) -> None:
    """A fetched page without article, dropped before extraction (logged, counted per reason)."""
    log.info("no article at %s (source %s): %s", cand.url, cand.source_id, message)
    report.no_article += 1
    report.dropped[reason] = report.dropped.get(reason, 0) + 1
    by_source.setdefault(cand.source_id, 0)
    state_of(ctx).log_fetches([FetchOutcome(cand.canonical, cand.source_id, cand.url, "dropped", f"{reason}: {message}")])


def _fail(ctx: AppContext, cand: Candidate, reason: str, report: CrawlReport) -> None:
    log.warning("fetch failed for %s (source %s): %s", cand.url, cand.source_id, reason)
    report.failed += 1
    report.failures.append((cand.url, reason))
    state_of(ctx).log_fetches([FetchOutcome(cand.canonical, cand.source_id, cand.url, "error", reason)])


def _process_batch(ctx: AppContext, batch: list[tuple[Candidate, RawArticle]], report: CrawlReport,
                   by_source: dict[str, int]) -> None:
    """Hand a batch of pages to `ctx.pipeline.process_raw` (extract → enrich → index → alerts) and
    log each page's outcome: `ok`, `error`, or `dropped` with the reason the pipeline gave (detail
    `"<reason>: <message>"`, counted per source and reason) when it held no article."""
    result = ctx.pipeline.process_raw([raw for _, raw in batch])
    report.indexed += result.indexed
    report.indexed_ids.extend(result.ids)
    report.no_article += result.dropped
    failed_urls = {u: r for u, r in result.failures}
    report.failures.extend(result.failures)
    drops = dict(result.drops)
    outcome: list[tuple[str, str]] = []
    for _cand, raw in batch:
        if raw.url in failed_urls:
            outcome.append(("error", failed_urls[raw.url]))
        elif raw.url in drops:
            reason = drop_reason(drops[raw.url])
            report.dropped[reason] = report.dropped.get(reason, 0) + 1
            outcome.append(("dropped", f"{reason}: {drops[raw.url]}"))
        else:
            outcome.append(("ok", ""))
    unnamed = result.dropped - len(drops)
    if unnamed > 0:  # a pipeline that counts drops without naming the pages: never lose a count
        report.dropped["no_article"] = report.dropped.get("no_article", 0) + unnamed
    rows = []
    for (cand, _raw), (status, detail) in zip(batch, outcome, strict=True):
        by_source.setdefault(cand.source_id, 0)
        by_source[cand.source_id] += status == "ok"
        rows.append(FetchOutcome(cand.canonical, cand.source_id, cand.url, status, detail))
    state_of(ctx).log_fetches(rows)


# ---------------------------------------------------------------- entry points


def crawl(ctx: AppContext, source_ids: list[str] | None = None, once: bool = True, feed: str | None = None,
          sitemap: str | None = None, url: str | None = None, allow_private: bool = False,
          discovery: bool | None = None) -> CrawlReport:
    """Discover, fetch, extract and index. With `feed`/`sitemap`/`url` crawls that one ad-hoc
    document; `allow_private` lets it reach loopback/private addresses. `once=False` keeps polling
    due sources until interrupted (the service uses the scheduler job instead)."""
    if not once:
        while True:
            log.info(crawl_due_sources(ctx))
            time.sleep(60)
    t0 = time.perf_counter()
    report = CrawlReport()
    allow = list(ctx.settings.crawl.allow_private) + (PRIVATE_NETWORKS if allow_private else [])
    cands: list[Candidate] = []
    adhoc = feed or sitemap or url
    with Fetcher(ctx.settings.crawl, allow_private=allow) as fetcher:
        if adhoc:
            src = adhoc_source(adhoc)
            src = src.model_copy(update={"feeds": [feed] if feed else [], "sitemaps": [sitemap] if sitemap else []})
            _register_sources(ctx, [src])
            report.sources = 1
            if url:
                check_url(url, allow)
                cands.append(Candidate(url=url, source_id=src.id, via="url"))
            cands.extend(discover_source(ctx, fetcher, src, report))
        else:
            wanted = set(source_ids or [])
            sources = [s for s in ctx.sources if (s.id in wanted if wanted else s.enabled)]
            missing = wanted - {s.id for s in sources}
            if missing:
                raise DuluanError(f"unknown source id(s): {', '.join(sorted(missing))} (see `duluan sources list`)")
            report.sources = len(sources)
            for src in sources:
                cands.extend(discover_source(ctx, fetcher, src, report))
            run_connectors = ctx.settings.crawl.discovery if discovery is None else discovery
            if run_connectors and not wanted:
                cands.extend(_discover_connectors(ctx, fetcher, report))
    cands = dedup_candidates(cands)
    report.candidates = len(cands)
    explicit = {canonicalize_url(url)} if url else set()
    todo = [c for c in cands if c.canonical in explicit] + _filter_known(
        ctx, [c for c in cands if c.canonical not in explicit], report)
    fetch_candidates(ctx, todo, allow, report)
    report.elapsed_s = time.perf_counter() - t0
    log.info("crawl done: %s", report.summary())
    return report


def _discover_connectors(ctx: AppContext, fetcher: Fetcher, report: CrawlReport) -> list[Candidate]:
    from crawlers.discovery import discover_all

    found = discover_all(fetcher, ctx.city, ctx.settings.crawl, list(ctx.sources))
    from duluan.discovered import record_outlets  # outlets outside the catalogue → operational DB
    record_outlets(ctx, found.candidates, found.sources)
    _register_sources(ctx, list(found.sources.values()))
    report.poll_errors.extend(found.errors)
    report.polls += 1
    return found.candidates


def crawl_source(ctx: AppContext, source_id: str) -> CrawlReport:
    """Crawl one catalogue source now."""
    return crawl(ctx, [source_id])


def due_sources(ctx: AppContext, now: datetime | None = None) -> list[str]:
    """Enabled sources whose interval has passed since their last poll."""
    now = now or datetime.now(UTC)
    out = []
    info = state_of(ctx).schedule_info()
    for src in ctx.sources:
        last_run, override = info.get(src.id, (None, None))
        enabled = src.enabled if override is None else override
        if not enabled:
            continue
        if last_run is None or last_run <= now - timedelta(minutes=src.interval_minutes):
            out.append(src.id)
    return out


def crawl_due_sources(ctx: AppContext) -> str:
    """Scheduler job: poll every source whose interval has passed."""
    due = due_sources(ctx)
    if not due:
        return "no source due"
    return crawl(ctx, due, discovery=False).summary()


def run_discovery(ctx: AppContext) -> str:
    """Scheduler job: the foreign-press search connectors, then fetch what they found."""
    if not ctx.settings.crawl.discovery:
        return "discovery is off (crawl.discovery: false)"
    t0 = time.perf_counter()
    report = CrawlReport()
    allow = list(ctx.settings.crawl.allow_private)
    with Fetcher(ctx.settings.crawl, allow_private=allow) as fetcher:
        cands = dedup_candidates(_discover_connectors(ctx, fetcher, report))
    report.candidates = len(cands)
    fetch_candidates(ctx, _filter_known(ctx, cands, report), allow, report)
    report.elapsed_s = time.perf_counter() - t0
    return report.summary()


def update_health(ctx: AppContext) -> str:
    """Scheduler job: refresh articles-per-day counts of every source."""
    n = state_of(ctx).refresh_daily_counts()
    return f"health refreshed for {n} source(s)"
