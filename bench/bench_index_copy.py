"""Benchmark: moving the archive between backends (`duluan index copy`), rebuilding it
(`duluan index reindex`), and the client-side cost of feeding Elasticsearch.

Source: the 383 real demo articles, repeated with distinct ids and publication times spread over
a year (N articles in all, default 20,000). Measured: sqlite→sqlite copy (batches of 500, with
resume checkpoints), SQLite reindex in place, and building + serialising the Elasticsearch bulk
bodies (what the client does per article before the network). When DULUAN_ES_URL names a
cluster, sqlite→Elasticsearch copy and search latencies are measured too; otherwise the table
says so. Usage: .venv/bin/python bench/bench_index_copy.py [--articles N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._results import write_section  # noqa: E402
from duluan.models import Article, article_id  # noqa: E402
from index.base import Query  # noqa: E402
from index.copy import copy_index, reindex  # noqa: E402
from index.elastic import to_document  # noqa: E402
from index.sqlite import SqliteIndex  # noqa: E402


def corpus(n: int) -> list[Article]:
    base = []
    with (ROOT / "tests" / "fixtures" / "articles" / "demo.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            base.append(d)
    start = datetime(2025, 11, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        d = base[i % len(base)]
        url = f"{d['url']}{'&' if '?' in d['url'] else '?'}n={i}"
        out.append(Article(
            id=article_id(url), url=url, canonical_url=url, source_id=d["source"], source_country=d.get("country", ""),
            source_kind=d.get("kind", "domestic"), title=d["title"], text=d["text"], language=d.get("language", "vi"),
            published_at=start + timedelta(seconds=i * (365 * 86400 // n)),
        ))
    return out


class Timer:
    """Wall-clock and CPU time of a block: the machine may be shared, CPU time shows our own cost."""

    def __enter__(self) -> Timer:
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0

    def rate(self, n: int) -> str:
        return f"{n / self.wall:,.0f}/s wall ({n / self.cpu:,.0f}/s per CPU-second)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=20_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-index-copy-"))
    rows: list[tuple[str, str]] = []
    try:
        arts = corpus(args.articles)
        src = SqliteIndex(work / "src.sqlite")
        with Timer() as t:
            for i in range(0, len(arts), 500):
                src.upsert(arts[i:i + 500])
        rows.append(("build the source SQLite index (upsert, batches of 500)", t.rate(len(arts))))

        dst = SqliteIndex(work / "dst.sqlite")
        with Timer() as t:
            res = copy_index(src, dst, batch=500, state_file=work / "state.json", src_url="a", dst_url="b")
        assert res.copied == res.target_total == len(arts)
        rows.append(("`index copy` sqlite → sqlite (batch 500, checkpoint per batch)",
                     f"{t.rate(len(arts))}; {t.wall:.1f} s for {len(arts):,}"))

        with Timer() as t:
            info = reindex(dst, batch=500)
        assert info["articles"] == len(arts)
        rows.append(("`index reindex` on SQLite (rewrite every article + FTS optimize)", t.rate(len(arts))))

        sample = arts[:5000]
        size = 0
        with Timer() as t:
            for a in sample:
                size += len(json.dumps(to_document(a), ensure_ascii=False).encode())
        rows.append(("Elasticsearch bulk body: build + serialise per article (client side, one core)",
                     f"{t.rate(len(sample))}, {size / len(sample) / 1024:.1f} KiB/article"))

        es_url = os.environ.get("DULUAN_ES_URL")
        if es_url:
            from index.elastic import ElasticIndex

            sep = "&" if "?" in es_url else "?"
            es = ElasticIndex.from_url(f"{es_url}{sep}index=duluan-bench-copy")
            try:
                t0 = time.perf_counter()
                res = copy_index(src, es, batch=500)
                es_s = time.perf_counter() - t0
                rows.append(("`index copy` sqlite → Elasticsearch", f"{res.copied / es_s:,.0f} articles/s"))
                lat = []
                for q in ("thanh pho", '"giao thong"', "ha noi OR hcm", "cong an -xe"):
                    for _ in range(10):
                        t1 = time.perf_counter()
                        es.search(Query(text=q))
                        lat.append((time.perf_counter() - t1) * 1000)
                rows.append(("Elasticsearch search, newest first, 20 results (40 queries)",
                             f"p50 {statistics.median(lat):.0f} ms, max {max(lat):.0f} ms"))
            finally:
                es.drop()
                es.close()
        else:
            rows.append(("`index copy` sqlite → Elasticsearch", "not measured: no cluster here (set DULUAN_ES_URL)"))
        src.close()
        dst.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    body = (
        f"{args.articles:,} articles (the 383 real demo articles repeated with distinct ids, spread over a year). "
        "Rates are articles per second; the machine is shared with other work, so the CPU-second rate is "
        "the fairer figure of our own cost.\n\n"
        "| what | result |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows) + "\n\n"
        "For comparison (shared PERFORMANCE.md): a plain contentless FTS5 table takes ~3,900 docs/s in batches "
        "of 5,000. `index copy` reads in id order and writes through the destination's normal `upsert`, so its "
        "speed is bounded by the destination's write path; the per-batch resume checkpoint is one small file "
        "write. Most of the per-article cost on both backends is text normalisation (`normalize_text`: NFC + "
        "tone-mark placement, ~1,700 articles/s per core), done once per write.\n"
    )
    write_section("index_copy", "Index copy and reindex (issue 8)", body)
    print(body)


if __name__ == "__main__":
    main()
