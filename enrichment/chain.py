"""The configured list of enrichers (`settings.enrichment.enrichers`), run in order over each
article.

Every enricher is a pure, deterministic function over an `Article` whose model is loaded once,
on first use, and kept by the chain. Per-article enrichers run one article at a time; `stories`
needs the whole batch (and the clusterer's state across batches), so a batch runs the
enrichers before it per article, then stories over the batch, then the rest per article.

A failing enricher records the failure on the article (`enrichment[name] = "error: …"`) and the
chain goes on. An enricher whose module is missing (sentiment, stories, risk are built
separately) is skipped and recorded as "unavailable", so that nothing breaks meanwhile.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from duluan.errors import ConfigError
from duluan.models import Article
from duluan.settings import CityConfig, Settings

log = logging.getLogger("duluan.enrichment")

KNOWN = ("normalize", "language", "relevance", "topics", "sentiment", "stories", "risk", "summary")
_REPO_CONFIG = Path(__file__).resolve().parents[1] / "config"


class EnrichmentChain:
    """The enrichers of one settings + city; components are loaded lazily, once."""

    def __init__(self, settings: Settings, city: CityConfig, enrichers: list[str] | None = None):
        self.settings = settings
        self.city = city
        names = list(enrichers if enrichers is not None else settings.enrichment.enrichers)
        unknown = [n for n in names if n not in KNOWN]
        if unknown:
            raise ConfigError(f"settings: enrichment.enrichers: unknown {', '.join(unknown)} (known: {', '.join(KNOWN)})")
        self.names = names
        self.unavailable: dict[str, str] = {}
        self.timings: dict[str, float] = {n: 0.0 for n in names}
        self._components: dict[str, Any] = {}
        self._steps: dict[str, Callable[[Article], Article] | None] = {}

    # -- components ---------------------------------------------------------------------------
    def _component(self, name: str) -> Any:
        if name in self._components:
            return self._components[name]
        comp: Any = None
        try:
            comp = self._load(name)
        except ImportError as exc:
            self.unavailable[name] = str(exc)
            log.warning("enricher %s unavailable (module missing): %s", name, exc)
        self._components[name] = comp
        return comp

    def _load(self, name: str) -> Any:
        if name == "language":
            from enrichment.language import LanguageIdentifier

            return LanguageIdentifier(self.settings.enrichment.languages)
        if name == "relevance":
            from enrichment.relevance import CityMatcher

            return CityMatcher(self.city)
        if name == "topics":
            from enrichment.topics import TopicTagger, load_topics

            cfg = self.settings.config_dir
            return TopicTagger(load_topics(cfg if (Path(cfg) / "topics.yaml").exists() else _REPO_CONFIG))
        if name == "sentiment":
            mod = importlib.import_module("enrichment.sentiment")
            return mod.load_sentiment_model(self.settings)
        if name == "stories":
            mod = importlib.import_module("enrichment.stories")
            return mod.StoryClusterer(self.settings)
        if name == "risk":
            mod = importlib.import_module("enrichment.risk")
            return mod.score_risk
        return True  # normalize, summary: plain functions

    def _step(self, name: str) -> Callable[[Article], Article] | None:
        comp = self._component(name)
        if comp is None:
            return None
        if name == "normalize":
            from enrichment.normalize import normalize

            return normalize
        if name == "language":
            from enrichment.language import identify_article

            return lambda a: identify_article(comp, a, _hint(a))
        if name == "relevance":
            from enrichment.relevance import apply_relevance

            return lambda a: apply_relevance(comp, a)
        if name == "topics":
            from enrichment.relevance import lead_length
            from enrichment.topics import apply_topics

            return lambda a: apply_topics(comp, a, lead_length(a.text))
        if name == "sentiment":
            return comp.apply
        if name == "risk":
            stories = self._components.get("stories")

            def risk(a: Article) -> Article:
                size, countries = (stories.story_size(a.story_id) if stories is not None and a.story_id
                                   and hasattr(stories, "story_size") else (1, 1))
                return comp(a, self.settings, self.city, story_size=size, story_countries=countries)

            return risk
        if name == "summary":
            from enrichment.summary import apply_summary

            return apply_summary
        if name == "stories":  # one article alone: a batch of one
            return lambda a: comp.assign([a])[0]
        return None

    # -- running ------------------------------------------------------------------------------
    def _run(self, name: str, article: Article) -> Article:
        if name not in self._steps:
            self._steps[name] = self._step(name)
        step = self._steps[name]
        if step is None:
            return article.model_copy(update={"enrichment": {**article.enrichment, name: "unavailable"}})
        t0 = time.perf_counter()
        try:
            out = step(article)
        except Exception as exc:  # noqa: BLE001 - one enricher's failure is recorded on the item
            log.warning("enricher %s failed on %s (source %s): %s", name, article.url, article.source_id, exc)
            out = article.model_copy(update={"enrichment": {**article.enrichment, name: f"error: {exc}"[:300]}})
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t0
        return out

    def enrich(self, article: Article, only: list[str] | None = None) -> Article:
        """All configured enrichers (or the `only` ones, in chain order) over one article."""
        for name in self._selected(only):
            article = self._run(name, article)
        return article

    def enrich_batch(self, articles: list[Article], index: Any = None, only: list[str] | None = None) -> list[Article]:
        """A batch: per-article enrichers, stories over the batch, then the rest."""
        names = self._selected(only)
        if "stories" not in names:
            return [self.enrich(a, only=names) for a in articles]
        cut = names.index("stories")
        before, after = names[:cut], names[cut + 1 :]
        out = [self.enrich(a, only=before) for a in articles]
        clusterer = self._component("stories")
        if clusterer is None:
            out = [a.model_copy(update={"enrichment": {**a.enrichment, "stories": "unavailable"}}) for a in out]
        else:
            t0 = time.perf_counter()
            try:
                out = clusterer.assign(out, index=index)
            except Exception as exc:  # noqa: BLE001 - recorded on every item of the batch
                log.warning("story clustering failed for a batch of %d: %s", len(out), exc)
                out = [a.model_copy(update={"enrichment": {**a.enrichment, "stories": f"error: {exc}"[:300]}})
                       for a in out]
            self.timings["stories"] = self.timings.get("stories", 0.0) + time.perf_counter() - t0
        return [self.enrich(a, only=after) for a in out]

    def _selected(self, only: list[str] | None) -> list[str]:
        if only is None:
            return list(self.names)
        bad = [n for n in only if n not in KNOWN]
        if bad:
            raise ConfigError(f"unknown enricher(s): {', '.join(bad)} (known: {', '.join(KNOWN)})")
        return [n for n in KNOWN if n in only]


def _hint(article: Article) -> str | None:
    """The page/feed language from extraction, if any (a prior for the identifier)."""
    hint = article.extra.get("language_hint") if article.extra else None
    if isinstance(hint, str) and hint:
        return hint
    return article.language if article.language and article.language != "und" else None


def build_chain(settings: Settings, city: CityConfig, enrichers: list[str] | None = None) -> EnrichmentChain:
    """The chain the pipeline runs (components load on first use)."""
    return EnrichmentChain(settings, city, enrichers)
