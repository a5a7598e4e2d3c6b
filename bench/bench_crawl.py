"""Crawler benchmarks (figures go to bench/RESULTS.md, section "crawl"):

1. extraction + normalisation throughput on the saved real pages (Fundus + Dân Trí), one core,
   against plain `trafilatura.extract()` on the same pages in the same run (ratio reported);
2. a crawl of N synthetic pages (default 2,000) from the local press server through the real path
   (sitemap discovery → Scrapy child → extraction), counting lost candidates; pages/s and peak RSS.
   The pipeline's enrichment is replaced by extraction + indexing-free counting so the figure is the
   crawler's own (enrichment has its own benchmark).

Run: `.venv/bin/python bench/bench_crawl.py [--pages 2000]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._results import write_section  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "pages"


def _pages() -> list[tuple[str, bytes]]:
    out = []
    for e in json.loads((PAGES / "fundus" / "index.json").read_text(encoding="utf-8")):
        out.append((e["url"], gzip.decompress((PAGES / "fundus" / e["html"]).read_bytes())))
    for r in json.loads((PAGES / "dantri" / "reference_text_derived_from_markup.json").read_text(encoding="utf-8")):
        out.append((r["url"], (PAGES / "dantri" / r["file"]).read_bytes()))
    return out


def bench_extraction(rounds: int = 2) -> dict[str, float]:
    import trafilatura

    from crawlers.extract import extract_article
    from duluan.errors import ExtractError
    from duluan.models import RawArticle

    pages = _pages()
    t0 = time.perf_counter()
    for _ in range(rounds):
        for url, html in pages:
            trafilatura.extract(html, url=url)
    plain = len(pages) * rounds / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    ok = 0
    for _ in range(rounds):
        for url, html in pages:
            try:
                extract_article(RawArticle(url=url, source_id="bench", html=html), None)
                ok += 1
            except ExtractError:
                pass
    ours = len(pages) * rounds / (time.perf_counter() - t0)
    return {"pages": len(pages), "plain": plain, "ours": ours, "ratio": ours / plain, "ok": ok / rounds}


def bench_crawl(n: int) -> dict[str, float]:
    import psutil

    from crawlers import runner
    from crawlers.candidates import Candidate
    from crawlers.extract import extract_article
    from crawlers.http import Fetcher
    from crawlers.sitemaps import crawl_sitemap
    from duluan.errors import ExtractError
    from duluan.settings import CrawlSettings
    from tests.press_server import PressServer

    class _Pipeline:
        """Extraction only (counts), standing in for enrich+index so the figure is the crawler's."""

        def __init__(self) -> None:
            self.extracted = 0
            self.dropped = 0

        def process_raw(self, raws):  # noqa: ANN001, ANN201
            from duluan.pipeline import PipelineResult

            res = PipelineResult()
            for raw in raws:
                try:
                    extract_article(raw, None)
                    res.indexed += 1
                except ExtractError as exc:
                    res.dropped += 1
                    res.drops.append((raw.url, str(exc)))
            return res

    class _Ctx:
        def __init__(self, data: Path, crawl: CrawlSettings) -> None:
            from duluan.db import init_db, make_engine, session_factory
            from duluan.settings import Settings

            self.settings = Settings(crawl=crawl).model_copy(update={"data_dir": data})
            engine = make_engine(f"sqlite:///{data / 'ops.db'}")
            init_db(engine)
            self.session = session_factory(engine)
            self.pipeline = _Pipeline()

    with tempfile.TemporaryDirectory() as tmp, PressServer() as press:
        crawl = CrawlSettings(allow_private=["127.0.0.1"], http_cache=False, retries=1)
        ctx = _Ctx(Path(tmp), crawl)
        peak = [0]
        t0 = time.perf_counter()
        with Fetcher(crawl) as f:
            cands = crawl_sitemap(f, f"{press.base_url}/bulk/sitemap.xml?n={n}", "bench").candidates
        report = runner.CrawlReport(candidates=len(cands))
        me = psutil.Process(os.getpid())

        import threading

        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                rss = me.memory_info().rss + sum(c.memory_info().rss for c in me.children(recursive=True)
                                                 if c.is_running())
                peak[0] = max(peak[0], rss)
                time.sleep(0.2)

        th = threading.Thread(target=watch, daemon=True)
        th.start()
        runner.fetch_candidates(ctx, [Candidate(url=c.url, source_id="bench") for c in cands], ["127.0.0.1"], report)
        stop.set()
        th.join()
        elapsed = time.perf_counter() - t0
    return {"n": n, "candidates": report.candidates, "fetched": report.fetched, "extracted": report.indexed,
            "failed": report.failed, "lost": report.lost, "elapsed": elapsed, "rate": report.fetched / elapsed,
            "peak_rss_mb": peak[0] / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=2000)
    args = ap.parse_args()
    ex = bench_extraction()
    cr = bench_crawl(args.pages)
    body = f"""### Extraction + normalisation (one core, saved real pages)

| pages | plain `trafilatura.extract` | `crawlers.extract.extract_article` | ratio | target |
| --- | --- | --- | --- | --- |
| {ex['pages']} (92 Fundus + 25 Dân Trí) | {ex['plain']:.1f} pages/s | {ex['ours']:.1f} pages/s | {ex['ratio']:.2f} | ≥ 30 pages/s |

`extract_article` also reads JSON-LD/meta, decides "article or not", decodes legacy charsets and
NFC-normalises; {ex['ok']:.0f} of {ex['pages']} pages give an article.

### Crawl of the local press server (real Scrapy child over loopback)

| pages | fetched | extracted | failed | lost candidates | time | pages/s | peak RSS (parent + child) |
| --- | --- | --- | --- | --- | --- | --- | --- |
| {cr['n']} | {cr['fetched']} | {cr['extracted']} | {cr['failed']} | **{cr['lost']}** | {cr['elapsed']:.1f} s | {cr['rate']:.1f} | {cr['peak_rss_mb']:.0f} MB |

Politeness stays on (one host, per-domain concurrency 2, AutoThrottle, robots.txt), so this is
the rate for a single outlet; enrichment and indexing are excluded (their own benchmarks).
"""
    print(body)
    write_section("crawl", "Crawlers: extraction throughput and a 2,000-page crawl", body)


if __name__ == "__main__":
    main()
