"""Discovered outlets: discovery runs (GDELT + Google News answers of the recorded shapes, on
loopback) persist the outlets outside the catalogue in the operational DB; `duluan sources
discovered` lists them and `duluan sources promote` adds one to the catalogue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.runner import run_discovery
from duluan.db import DiscoveredOutlet
from duluan.discovered import discovered_rows, record_outlets
from duluan.models import Source
from tests.crawlers.test_discovery import _GoogleNewsStandIn

ROOT = Path(__file__).resolve().parents[2]


class _Services(_GoogleNewsStandIn):
    """The Google News stand-in (whose outlets are all in the catalogue) plus a GDELT ArtList answer
    naming two outlets outside it."""

    def answer(self, path: str) -> tuple[int, str, bytes, str | None]:
        if path.startswith("/gdelt"):
            arts = [
                {"url": self.base + "/outlet/vb-1.html", "title": "Ho Chi Minh City's new FDI rules", "seendate": "20261121T020000Z",
                 "domain": "vietnam-briefing.com", "language": "English", "sourcecountry": "Hong Kong"},
                {"url": self.base + "/outlet/vb-2.html", "title": "Ho Chi Minh City port upgrade", "seendate": "20261121T030000Z",
                 "domain": "vietnam-briefing.com", "language": "English", "sourcecountry": "Hong Kong"},
                {"url": self.base + "/outlet/er-1.html", "title": "Saigon river flood defences", "seendate": "20261121T040000Z",
                 "domain": "eurasiareview.com", "language": "English", "sourcecountry": "United States"},
            ]
            return 200, "application/json", json.dumps({"articles": arts}).encode(), None
        return super().answer(path)


@pytest.fixture
def services():
    s = _Services()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "duluan.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=ROOT, timeout=300)


def test_record_outlets_counts_each_article_once(ctx) -> None:
    from crawlers.candidates import Candidate

    src = Source(id="disc-scmp-com", name="South China Morning Post", homepage="https://www.scmp.com/",
                 country="HK", language="en", kind="foreign", enabled=False)
    cat = next(s for s in ctx.sources if s.kind == "foreign")
    cands = [Candidate(url="https://www.scmp.com/a1", source_id=src.id, via="discovery", title="A1", extra={"connector": "gdelt"}),
             Candidate(url="https://www.scmp.com/a2", source_id=src.id, via="discovery", title="A2",
                       extra={"connector": "google-news"}),
             Candidate(url=cat.homepage + "x", source_id=cat.id, via="discovery", title="in catalogue")]
    t1, t2 = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    assert record_outlets(ctx, cands, {src.id: src, cat.id: cat}, now=t1) == 1
    assert record_outlets(ctx, cands[:1] + [Candidate(url="https://www.scmp.com/a3", source_id=src.id, title="A3",
                                                      extra={"connector": "gdelt"})], {src.id: src}, now=t2) == 1
    with ctx.session() as s:
        rows = discovered_rows(s)
        assert s.query(DiscoveredOutlet).count() == 1
    (r,) = rows
    assert r["domain"] == "scmp.com" and r["name"] == "South China Morning Post" and r["country"] == "HK"
    assert r["article_count"] == 3  # a1 seen twice counts once
    assert r["first_seen"] == t1 and r["last_seen"] == t2 and r["connectors"] == ["gdelt", "google-news"]
    assert r["last_title"] == "A3"


@pytest.mark.slow
def test_discovery_run_persists_outlets_and_cli_lists_and_promotes(ctx, app_env, services) -> None:
    crawl = ctx.settings.crawl
    crawl.discovery = True
    crawl.gdelt_url = services.base + "/gdelt"
    crawl.google_news_url = services.base + "/rss/search"
    crawl.discovery_languages = ["en"]
    crawl.allow_private = ["127.0.0.1"]
    crawl.http_cache = False
    run_discovery(ctx)
    run_discovery(ctx)  # a second run sees the same articles: counts stay, last_seen moves
    with ctx.session() as s:
        rows = {r["domain"]: r for r in discovered_rows(s)}
    # the Google News items' outlets (Straits Times, Nikkei Asia, Bangkok Post) and GDELT's Reuters-free
    # list: only the two outlets outside the catalogue are recorded
    assert set(rows) == {"vietnam-briefing.com", "eurasiareview.com"}
    vb = rows["vietnam-briefing.com"]
    assert vb["article_count"] == 2 and vb["country"] == "HK" and vb["language"] == "en" and vb["connectors"] == ["gdelt"]
    assert vb["first_seen"] < vb["last_seen"]
    assert rows["eurasiareview.com"]["country"] == "US" and rows["eurasiareview.com"]["article_count"] == 1

    res = _cli(["sources", "discovered", "--json"], app_env)
    assert res.returncode == 0, res.stderr
    listed = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert [r["domain"] for r in listed][:1] == ["vietnam-briefing.com"]  # most articles first
    res = _cli(["sources", "discovered"], {**app_env, "COLUMNS": "200"})
    assert "vietnam-briefing.com" in res.stdout and "discovered outlets" in res.stdout

    res = _cli(["sources", "promote", "vietnam-briefing.com", "--feed", "https://www.vietnam-briefing.com/news/feed/"], app_env)
    assert res.returncode == 0, res.stderr
    assert "source vietnam-briefing" in res.stdout
    res = _cli(["sources", "list", "--json"], app_env)
    promoted = [json.loads(line) for line in res.stdout.splitlines() if '"vietnam-briefing"' in line]
    assert promoted and promoted[0]["country"] == "HK" and promoted[0]["kind"] == "foreign"
    assert promoted[0]["feeds"] == ["https://www.vietnam-briefing.com/news/feed/"]
    res = _cli(["sources", "discovered", "--json"], app_env)
    assert "vietnam-briefing.com" not in res.stdout  # promoted outlets leave the list
    res = _cli(["sources", "promote", "vietnam-briefing.com"], app_env)
    assert res.returncode == 1 and "already exists" in res.stderr
    res = _cli(["sources", "promote", "nowhere.example"], app_env)
    assert res.returncode == 1 and "not a discovered outlet" in res.stderr
