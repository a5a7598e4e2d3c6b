"""The chain over real demo articles: every configured enricher, failures recorded on the
item, missing modules skipped and recorded, deterministic output."""

from __future__ import annotations

import json
import sys

import pytest

from duluan.errors import ConfigError
from enrichment.chain import build_chain

from .conftest import ROOT, make_article

DEMO = ROOT / "tests" / "fixtures" / "articles" / "demo.jsonl"


def demo_articles(n: int = 40) -> list:
    out = []
    for line in DEMO.read_text(encoding="utf-8").splitlines()[:n]:
        r = json.loads(line)
        out.append(make_article(r["title"], r["text"], url=r["url"], source_id=r["source"],
                                published_at=r["published_at"]))
    return out


@pytest.fixture(scope="module")
def light_settings(repo_settings):
    """Settings without the embedding model (its own tests cover it) to keep this fast."""
    return repo_settings.model_copy(update={"enrichment": repo_settings.enrichment.model_copy(update={"embeddings": False})})


def test_batch_runs_every_enricher_and_records_methods(light_settings, city) -> None:
    chain = build_chain(light_settings, city)
    out = chain.enrich_batch(demo_articles())
    assert len(out) == 40
    first = out[0]  # "TP HCM có thể mua xe buýt Vidamco"
    assert first.language == "vi" and first.relevance >= 0.5
    assert any(m.alias == "TP HCM" and m.field == "title" for m in first.mentions)
    assert "traffic" in [t.code for t in first.topics]
    assert first.summary
    for a in out:
        for name in ("normalize", "language", "relevance", "topics", "summary"):
            assert name in a.enrichment and not a.enrichment[name].startswith("error"), (name, a.enrichment)
        for name in ("sentiment", "stories", "risk"):
            assert name in a.enrichment  # run, or recorded as unavailable/error
    langs = {a.language for a in out}
    assert "vi" in langs


def test_same_input_same_output(light_settings, city) -> None:
    arts = demo_articles(10)
    a = build_chain(light_settings, city, ["normalize", "language", "relevance", "topics", "summary"]).enrich_batch(arts)
    b = build_chain(light_settings, city, ["normalize", "language", "relevance", "topics", "summary"]).enrich_batch(arts)
    assert [x.model_dump() for x in a] == [x.model_dump() for x in b]


def test_missing_enricher_module_is_skipped_and_recorded(light_settings, city, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "enrichment.sentiment", None)  # import now raises ImportError
    chain = build_chain(light_settings, city, ["normalize", "language", "relevance", "sentiment", "summary"])
    a = chain.enrich(make_article("Kẹt xe ở TP.HCM", "Kẹt xe nghiêm trọng ở TP.HCM sáng nay."))
    assert a.enrichment["sentiment"] == "unavailable"
    assert "sentiment" in chain.unavailable
    assert a.relevance > 0.5 and a.summary


def test_failing_enricher_is_recorded_on_the_item(light_settings, city, monkeypatch) -> None:
    chain = build_chain(light_settings, city, ["normalize", "topics", "summary"])
    tagger = chain._component("topics")

    def boom(*a, **k):
        raise ValueError("model file damaged")

    monkeypatch.setattr(tagger, "tag", boom)
    a = chain.enrich(make_article("Ngập ở TP.HCM", "Triều cường gây ngập."))
    assert a.enrichment["topics"].startswith("error: model file damaged")
    assert a.enrichment["summary"].startswith("lead+central")


def test_only_runs_the_named_enrichers_in_chain_order(light_settings, city) -> None:
    chain = build_chain(light_settings, city)
    a = chain.enrich(make_article("Ngập ở TP.HCM", "Triều cường gây ngập."), only=["topics", "normalize"])
    assert set(a.enrichment) == {"normalize", "topics"}
    with pytest.raises(ConfigError):
        chain.enrich(make_article("x", "y"), only=["nonsense"])


def test_unknown_enricher_in_settings_is_a_config_error(repo_settings, city) -> None:
    with pytest.raises(ConfigError, match="enrichment.enrichers"):
        build_chain(repo_settings, city, ["normalize", "magic"])
