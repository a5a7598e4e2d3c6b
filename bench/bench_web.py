"""Benchmark the web UI (issue 7): server time of the search page (results + every facet + day
chart + rendering) and of the dashboard, measured in-process through the ASGI app (no network),
over a large synthetic SQLite index.

    .venv/bin/python bench/bench_web.py                    # 1,000,000 articles
    .venv/bin/python bench/bench_web.py --scale 200000

The articles come from `bench/bench_index.py`'s generator (shuffled real sentences from the demo
articles, 2 years of dates, 60 outlets, 30% foreign, topics, sentiment, risk). An index that
bench_index.py already built at the same scale (bench/.work/index-<scale>) is reused read-only;
otherwise it is built in bench/.work/web-index-<scale>."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _results import write_section  # noqa: E402

SEARCHES: list[dict[str, Any]] = [
    {}, {"q": "ngap lut"}, {"q": "ket xe"}, {"q": "tphcm"}, {"q": "sai gon"}, {"q": "dau tu nuoc ngoai"},
    {"q": "benh vien", "sort": "relevance"}, {"q": "giao duc OR hoc sinh"}, {"q": "police"},
    {"sentiment": ["-1"]}, {"topic": ["traffic"]}, {"kind": ["foreign"], "sort": "risk"},
    {"q": "du lich", "sentiment": ["-1"], "kind": ["domestic"]}, {"language": ["en"], "q": "the government"},
    {"min_risk": "70"}, {"reviewed": "0", "topic": ["flooding"]}, {"q": "kinh te", "page": "3"},
    {"since": "01/11/2026", "until": "21/11/2026"}, {"q": "cong an -giao thong", "sort": "relevance"},
    {"source": ["src7"], "q": "thanh pho"},
]


NOTES = """Targets (issue 7): search page p95 ≤ 200 ms at 1,000,000 articles, dashboard ≤ 300 ms.
`python bench/bench_web.py [--scale N] [--analyze]`. Where the time goes: the web layer itself
(session, parsing, rendering: about 10 ms a page in a profile at 20,000 articles) is small; the page is bound by the index queries below it —
the facet aggregations (topic facet: the SQLite planner scans `article_topics` whole unless the
index has statistics, see the `ANALYZE` run; full-text facets: the date window is applied after the
FTS match instead of as an FTS rowid range, so a common word's every match is counted)."""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def build_index(scale: int, batch: int) -> Path:
    shared = ROOT / "bench" / ".work" / f"index-{scale}"
    if (shared / "complete.json").exists():
        return shared / "index.sqlite"
    work = ROOT / "bench" / ".work" / f"web-index-{scale}"
    marker = work / "complete.json"
    if marker.exists():
        return work / "index.sqlite"
    from bench_index import generate

    from index.sqlite import SqliteIndex

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ix = SqliteIndex(work / "index.sqlite")
    t0 = time.perf_counter()
    pending = []
    done = 0
    for a in generate(scale):
        pending.append(a)
        if len(pending) >= batch:
            ix.upsert(pending)
            done += len(pending)
            pending = []
            if done % 50_000 == 0:
                print(f"  {done:,} articles ({done / (time.perf_counter() - t0):,.0f}/s)", flush=True)
    if pending:
        ix.upsert(pending)
        done += len(pending)
    ix.optimize()
    ix.close()
    marker.write_text(json.dumps({"n": done, "seconds": time.perf_counter() - t0}))
    return work / "index.sqlite"


def make_app(index_path: Path, scratch: Path) -> tuple[Any, Any]:
    """The real app over the bench index (read-only use), with a fresh operational DB."""
    if scratch.exists():
        shutil.rmtree(scratch)
    (scratch / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "config", scratch / "config")
    os.environ.setdefault("DULUAN_SECRET_KEY", "bench-secret-key-0123456789abcdef")
    from duluan.auth import hash_password
    from duluan.context import AppContext
    from duluan.db import User
    from duluan.settings import load_settings
    from web.app import create_app

    settings = load_settings(scratch / "config", scratch / "data")
    ctx = AppContext(settings.model_copy(update={"store": f"sqlite:///{index_path}"}))
    with ctx.session() as s:
        s.add(User(username="bench", password_hash=hash_password("bench-password-1"), role="analyst"))
        s.commit()
    return ctx, create_app(ctx)


def login(client: Any) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": "bench", "password": "bench-password-1", "csrf_token": token})
    assert r.status_code == 303, r.status_code


def timed(client: Any, path: str, params: dict[str, Any] | None = None) -> tuple[float, int]:
    """Server time of one request, from the app's `Server-Timing` header (handler + rendering,
    without the test client's own overhead)."""
    r = client.get(path, params=params)
    assert r.status_code == 200, (path, params, r.status_code, r.text[:300])
    dur = re.search(r"app;dur=([0-9.]+)", r.headers["server-timing"])
    assert dur
    return float(dur.group(1)), len(r.content)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3, help="passes over the search mix")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="keep the figures in bench/.work only")
    ap.add_argument("--analyze", action="store_true",
                    help="run SQLite ANALYZE on the bench index first (only on an index this benchmark built)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    index_path = build_index(args.scale, args.batch)
    build_s = time.perf_counter() - t0
    if args.build_only:
        print(f"index ready at {index_path} ({build_s:.0f}s)")
        return 0
    from fastapi.testclient import TestClient

    if args.analyze and "web-index" not in str(index_path):
        print("--analyze: refusing to modify an index another benchmark built", file=sys.stderr)
        return 2
    if "web-index" in str(index_path):
        import sqlite3

        with sqlite3.connect(index_path) as con:
            if args.analyze:
                con.execute("ANALYZE")
            else:  # as the index builds it: no planner statistics (an earlier --analyze run left some)
                con.execute("DROP TABLE IF EXISTS sqlite_stat1")
                con.execute("DROP TABLE IF EXISTS sqlite_stat4")
    ctx, app = make_app(index_path, ROOT / "bench" / ".work" / "web-scratch")
    n = int(ctx.index.stats()["articles"])
    with TestClient(app, follow_redirects=False) as client:
        login(client)
        for params in SEARCHES[:3]:
            timed(client, "/search", params)  # warm the page cache and templates
        search_ms: list[float] = []
        facets_ms: list[float] = []
        inline_ms: list[float] = []
        per_query: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for params in SEARCHES:
                ms, _ = timed(client, "/search", params)
                search_ms.append(ms)
                fms, _ = timed(client, "/search/facets", params)
                facets_ms.append(fms)
                ims, _ = timed(client, "/search", dict(params, facets="1"))
                inline_ms.append(ims)
                per_query.setdefault(json.dumps(params, ensure_ascii=False), []).append(ims)
        dash_ms = [timed(client, "/")[0] for _ in range(max(5, args.rounds * 3))]
        # the same queries straight on the index, to separate index time from the web layer
        from web.routes.search import facets
        from web.searchparams import parse, with_default_window

        idx_search: list[float] = []
        idx_facets: list[float] = []
        tz = ctx.settings.timezone
        for params in SEARCHES:
            form = parse(with_default_window(dict(params), ctx.index, tz), tz, page=int(params.get("page", 1)))
            s = time.perf_counter()
            ctx.index.search(form.query)
            idx_search.append((time.perf_counter() - s) * 1000)
            s = time.perf_counter()
            facets(ctx, form)
            idx_facets.append((time.perf_counter() - s) * 1000)
        api_ms = [timed(client, "/api/v1/search", {"q": p.get("q", ""), "size": "20"})[0]
                  for p in SEARCHES for _ in range(args.rounds)]
    slow = sorted(((statistics.median(v), k) for k, v in per_query.items()), reverse=True)[:5]
    load = os.getloadavg()[0]
    lines = [
        f"Synthetic index: **{n:,} articles**{' after `ANALYZE`' if args.analyze else ''} (bench_index.py generator: real sentences, 2 years, 60 outlets). "
        f"Server time = the app's `Server-Timing` header (middleware to response, in-process through the "
        f"ASGI app), logged in as an analyst; the search page uses its default window (last 30 days of data) "
        f"except where the query gives dates; "
        f"load average during the run: {load:.1f} on {os.cpu_count()} cores (other benchmarks/tests shared the machine).",
        "",
        "| page | requests | p50 ms | p95 ms | target |",
        "|---|---:|---:|---:|---|",
        f"| search page: results (what the browser shows first) | {len(search_ms)} | {statistics.median(search_ms):.0f} | "
        f"{pct(search_ms, 95):.0f} | p95 ≤ 200 ms |",
        f"| search page: facet panel (`/search/facets`, fetched right after) | {len(facets_ms)} | "
        f"{statistics.median(facets_ms):.0f} | {pct(facets_ms, 95):.0f} | |",
        f"| search page with facets inline (`facets=1`, the no-JavaScript page) | {len(inline_ms)} | "
        f"{statistics.median(inline_ms):.0f} | {pct(inline_ms, 95):.0f} | |",
        f"| dashboard (today + 7 days, topics, stories, alerts, health) | {len(dash_ms)} | {statistics.median(dash_ms):.0f} | "
        f"{pct(dash_ms, 95):.0f} | ≤ 300 ms |",
        f"| JSON API /api/v1/search (no facets, all time) | {len(api_ms)} | {statistics.median(api_ms):.0f} | {pct(api_ms, 95):.0f} | |",
        f"| of which, on the index alone: `search()` of the page's query | {len(idx_search)} | "
        f"{statistics.median(idx_search):.0f} | {pct(idx_search, 95):.0f} | |",
        f"| of which, on the index alone: the page's facet queries (concurrent) | {len(idx_facets)} | "
        f"{statistics.median(idx_facets):.0f} | {pct(idx_facets, 95):.0f} | |",
        "",
        "Slowest queries, page with facets inline (median ms): " + "; ".join(f"`{k}` {v:.0f}" for v, k in slow),
    ]
    md = "\n".join(lines)
    print(md)
    out = ROOT / "bench" / ".work" / f"web-result-{n}{'-analyze' if args.analyze else ''}.md"
    out.write_text(md, encoding="utf-8")
    if not args.no_write:
        # every run kept in bench/.work (scales, with/without ANALYZE) goes into the section
        runs = sorted((ROOT / "bench" / ".work").glob("web-result-*.md"),
                      key=lambda p: (-int(p.stem.split("-")[2]), p.stem))
        body = "\n\n".join(p.read_text(encoding="utf-8") for p in runs)
        write_section("web", "Web UI (issue 7)", NOTES + "\n\n" + body)
    ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
