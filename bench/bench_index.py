"""Benchmark the embedded index (issue 2): upsert throughput, search latency p50/p95 for 20
typical queries (with and without diacritics, with filters), a month's aggregation, and the
idle RSS of `duluan run` over the same index.

    .venv/bin/python bench/bench_index.py              # 100,000 articles
    .venv/bin/python bench/bench_index.py --scale 1000000

Articles are generated from the real fixture articles (tests/fixtures/articles/demo.jsonl):
shuffled real sentences, ~3 KB each, varied dates (2 years), sources, languages, topics.
The index lives in bench/.work/ (reused when it already holds the requested scale)."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _results import write_section  # noqa: E402

from duluan.models import Article, Kind, Sentiment, TopicScore, article_id  # noqa: E402
from index.base import Query  # noqa: E402
from index.sqlite import SqliteIndex  # noqa: E402

TOPICS = ["flooding", "traffic", "investment", "tourism", "economy", "society", "public_health", "education",
          "environment", "land", "culture", "sea_islands", "human_rights", "digital_transformation"]
START = datetime(2024, 12, 1, tzinfo=UTC)
SPAN_S = int(timedelta(days=720).total_seconds())

QUERIES: list[tuple[str, dict]] = [
    ("ngap lut", {}), ("ngập lụt", {}), ("ket xe", {}), ("kẹt xe", {}), ("tphcm", {}), ("TP.HCM", {}),
    ("sai gon", {}), ('"thanh pho"', {}), ("dau tu nuoc ngoai", {}), ("benh vien", {}),
    ("giao duc OR hoc sinh", {}), ("cong an -giao thong", {}), ("the government", {}), ("police", {}),
    ("ngap lut", {"languages": ("vi",), "kinds": ("domestic",)}),
    ("ket xe", {"since": "month"}), ("tphcm", {"topics": ("traffic",)}),
    ("du lich", {"sentiments": (-1,)}), ("kinh te", {"sort": "relevance", "since": "month"}),
    ("nha dau tu", {"sort": "relevance"}),
]


def sentence_pool() -> list[tuple[str, str, str]]:
    """(sentence, language, kind) from the real demo articles."""
    pool = []
    for line in (ROOT / "tests" / "fixtures" / "articles" / "demo.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        for s in rec["text"].replace("\n", " ").split(". "):
            s = s.strip()
            if 30 <= len(s) <= 400:
                pool.append((s, rec.get("language", "vi"), rec.get("kind", "domestic")))
    return pool


def generate(n: int, seed: int = 1):
    rng = random.Random(seed)
    pool = sentence_pool()
    vi = [p for p in pool if p[1] == "vi"]
    other = [p for p in pool if p[1] != "vi"]
    for i in range(n):
        foreign = rng.random() < 0.3
        src = other if foreign and other else vi
        lang = rng.choice(src)[1]
        same = [p for p in src if p[1] == lang] if foreign else src
        body = ". ".join(rng.choice(same)[0] for _ in range(rng.randint(10, 22)))
        title = rng.choice(same)[0][:110]
        url = f"https://bao{i % 60}.example/{i}.html"
        published = START + timedelta(seconds=rng.randrange(SPAN_S))
        yield Article(
            id=article_id(url), url=url, canonical_url=url, source_id=f"src{i % 60}", source_name=f"Báo {i % 60}",
            source_country="VN" if not foreign else rng.choice(["US", "GB", "FR", "CN", "JP", "SG"]),
            source_kind=Kind.foreign if foreign else Kind.domestic, title=title, text=body,
            published_at=published, language=lang, language_confidence=0.99,
            relevance=rng.random(), topics=[TopicScore(code=t, score=0.8) for t in rng.sample(TOPICS, rng.randint(1, 2))],
            sentiment=Sentiment(label=rng.choice([-1, 0, 0, 1]), score=0.5, method="bench"),
            risk=rng.random() * 100, story_id=f"st{rng.randrange(n // 5 + 1)}",
        )


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def measure_run_rss(data_dir: Path) -> float | None:
    """Start `duluan run` on the bench index (no catalogue sources, so no crawl leaves the
    machine), wait for /healthz, let it idle, and read its RSS."""
    import psutil

    cfg = data_dir / "config"
    if cfg.exists():
        shutil.rmtree(cfg)
    shutil.copytree(ROOT / "config", cfg)
    for f in (cfg / "sources").glob("*.yaml"):
        f.unlink()
    env = {**os.environ, "DULUAN_DATA_DIR": str(data_dir), "DULUAN_CONFIG_DIR": str(cfg),
           "DULUAN_ADMIN_PASSWORD": "bench-password", "DULUAN_SECRET_KEY": "bench-secret-key-0123456789abcdef"}
    subprocess.run([sys.executable, "-m", "duluan", "init"], env=env, capture_output=True, cwd=ROOT, check=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "duluan", "run", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(15)
        return psutil.Process(proc.pid).memory_info().rss / 1024 / 1024
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--fresh", action="store_true", help="rebuild the index even if it exists")
    ap.add_argument("--no-rss", action="store_true")
    args = ap.parse_args()

    work = ROOT / "bench" / ".work" / f"index-{args.scale}"
    db = work / "index.sqlite"
    marker = work / "complete.json"
    ingest_rate = None
    if args.fresh or not marker.exists():
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        ix = SqliteIndex(db)
        t0 = time.perf_counter()
        batch = []
        done = 0
        gen_time = 0.0
        g0 = time.perf_counter()
        for a in generate(args.scale):
            batch.append(a)
            if len(batch) >= args.batch:
                g1 = time.perf_counter()
                gen_time += g1 - g0
                ix.upsert(batch)
                done += len(batch)
                batch = []
                g0 = time.perf_counter()
                if done % 50_000 == 0:
                    print(f"  {done:,} upserted ({done / (time.perf_counter() - t0 - gen_time):,.0f}/s)", flush=True)
        if batch:
            gen_time += time.perf_counter() - g0
            ix.upsert(batch)
            done += len(batch)
        total = time.perf_counter() - t0
        ingest_rate = done / (total - gen_time)
        ix.optimize()
        ix.close()
        build_note = f"this run, load average {os.getloadavg()[1]:.1f} (5 min) at the end of the build"
        marker.write_text(json.dumps({"n": done, "rate": ingest_rate, "seconds": total - gen_time,
                                      "note": build_note}))
    else:
        info = json.loads(marker.read_text())
        ingest_rate = info["rate"]
        build_note = "measured when this index was built: " + info.get("note", "an earlier run")

    ix = SqliteIndex(db)
    newest = datetime.fromisoformat(str(ix.stats()["newest"]))
    month_start = (newest - timedelta(days=30))
    lat: list[float] = []
    per_query = []
    for text, opts in QUERIES:
        kw = dict(opts)
        if kw.get("since") == "month":
            kw["since"] = month_start
        q = Query(text=text, **kw)
        ix.search(q)  # warm
        times = []
        for _ in range(5):
            t = time.perf_counter()
            page = ix.search(q)
            times.append((time.perf_counter() - t) * 1000)
        lat.extend(times)
        per_query.append((text, opts, statistics.median(times), page.total, page.total_exact))
    agg_times = []
    for dims in (["day"], ["topic"], ["language"], ["source"], ["sentiment"], ["day", "kind"]):
        t = time.perf_counter()
        ix.aggregate(Query(since=month_start, until=newest), dims)
        agg_times.append(((time.perf_counter() - t) * 1000, dims))
    size_gb = sum(p.stat().st_size for p in work.glob("index.sqlite*")) / 1e9
    ix.close()
    rss = None if args.no_rss else measure_run_rss(work)

    rows = "\n".join(
        f"| `{t}` | {', '.join(f'{k}={v}' for k, v in o.items()) or '—'} | {ms:.1f} | {tot:,}{'' if ex else '+'} |"
        for t, o, ms, tot, ex in per_query
    )
    aggs = "\n".join(f"| {'+'.join(d)} | {ms:.0f} |" for ms, d in agg_times)
    body = f"""Scale: **{args.scale:,} articles** (~3 KB each, generated from real fixture sentences), index size {size_gb:.2f} GB.

| figure | value | target |
| --- | --- | --- |
| upsert throughput (batches of {args.batch}; {build_note}) | **{ingest_rate:,.0f} articles/s** | ≥ 2,000/s |
| search p50 over 20 queries × 5 runs | **{pct(lat, 50):.1f} ms** | |
| search p95 | **{pct(lat, 95):.1f} ms** | ≤ 50 ms at 1M |
| month aggregation (max over dims) | **{max(a[0] for a in agg_times):.0f} ms** | ≤ 1 s at 1M |
| `duluan run` idle RSS | **{f'{rss:.0f} MB' if rss else 'not measured'}** | ≤ 300 MB at 1M |

Per query (median ms; total capped at 10,000):

| query | filters | ms | matches |
| --- | --- | --- | --- |
{rows}

Month aggregation (30 days):

| dimensions | ms |
| --- | --- |
{aggs}
"""
    print(body)
    write_section(f"index-{args.scale}", f"Embedded index (SQLite FTS5) at {args.scale:,} articles", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
