"""The one place that calls the stages in order: extract → enrich → index → alerts.

Crawled pages (`RawArticle`) and imported records (`Article`) go through the same path. A
failure on one item is recorded on that item and the batch goes on. An analyst's review is
carried over when an article is re-ingested, so corrections are never overwritten.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from duluan.errors import DuluanError
from duluan.models import Article, RawArticle

if TYPE_CHECKING:
    from duluan.context import AppContext

log = logging.getLogger("duluan.pipeline")

Hook = Callable[[list[Article]], Any]


@dataclass
class PipelineResult:
    indexed: int = 0
    dropped: int = 0
    drops: list[tuple[str, str]] = field(default_factory=list)  # (url, why it holds no article)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    ids: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def merge(self, other: PipelineResult) -> None:
        self.indexed += other.indexed
        self.dropped += other.dropped
        self.drops.extend(other.drops)
        self.failures.extend(other.failures)
        self.ids.extend(other.ids)
        for k, v in other.timings.items():
            self.timings[k] = self.timings.get(k, 0.0) + v


class Pipeline:
    def __init__(self, ctx: AppContext, hooks: list[Hook] | None = None, alerts: bool = True):
        self.ctx = ctx
        self.hooks: list[Hook] = list(hooks or [])
        self.alerts = alerts

    @cached_property
    def chain(self) -> Any:
        from enrichment.chain import build_chain

        return build_chain(self.ctx.settings, self.ctx.city)

    def _alert_hook(self, articles: list[Article]) -> None:
        if not self.alerts:
            return
        try:
            from alerts.engine import evaluate_batch
        except ImportError:  # alerts not installed in this build
            return
        evaluate_batch(self.ctx, articles)

    def process_raw(self, raws: Iterable[RawArticle]) -> PipelineResult:
        """Extract each crawled page into an Article (pages with no article are dropped and
        counted), then enrich, index and evaluate alerts."""
        from crawlers.extract import extract_article
        from duluan.errors import ExtractError

        result = PipelineResult()
        articles: list[Article] = []
        t0 = time.perf_counter()
        for raw in raws:
            source = self.ctx.source(raw.source_id)
            try:
                articles.append(extract_article(raw, source))
            except ExtractError as exc:
                result.dropped += 1
                result.drops.append((raw.url, str(exc)))
                log.info("no article at %s (source %s): %s", raw.url, raw.source_id, exc)
            except DuluanError as exc:
                result.failures.append((raw.url, str(exc)))
                log.warning("extract failed for %s (source %s): %s", raw.url, raw.source_id, exc)
        result.timings["extract"] = time.perf_counter() - t0
        result.merge(self.process(articles))
        return result

    def process(self, articles: Iterable[Article]) -> PipelineResult:
        """Enrich, index and evaluate alerts for one batch."""
        result = PipelineResult()
        batch = list(articles)
        if not batch:
            return result
        index = self.ctx.index
        t0 = time.perf_counter()
        existing = {a.id: a for a in index.get_many([a.id for a in batch])}
        enriched: list[Article] = []
        for a in batch:
            old = existing.get(a.id)
            if old is not None:
                a = a.model_copy(update={"review": old.review, "title_vi": a.title_vi or old.title_vi})
            enriched.append(a)
        try:
            enriched = self.chain.enrich_batch(enriched, index=index)
        except DuluanError as exc:
            log.error("enrichment failed for a batch of %d: %s", len(enriched), exc)
            raise
        t1 = time.perf_counter()
        # one id once per batch (the last version wins)
        unique = list({a.id: a for a in enriched}.values())
        index.upsert(unique)
        t2 = time.perf_counter()
        result.indexed = len(unique)
        result.ids = [a.id for a in unique]
        result.timings.update({"enrich": t1 - t0, "index": t2 - t1})
        self._alert_hook(unique)
        for hook in self.hooks:
            hook(unique)
        result.timings["alerts"] = time.perf_counter() - t2
        return result
