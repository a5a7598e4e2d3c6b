"""Alert benchmarks (issue 5), written to the "alerts" section of bench/RESULTS.md.

1. Rule evaluation: 50 rules (the 8 shipped ones + 42 more: topic, text-query, prefix, phrase,
   negation, language/country/source filters) over 10,000 articles built from the 383 real demo
   articles (tests/fixtures/articles/demo.jsonl) with deterministic pseudo-random enrichment
   labels, so every filter is exercised. Measured: pure matching (`match_batch`), and the whole
   `evaluate_batch` (matching + dedup + storing alerts in the operational DB) on a fresh data dir.
2. Latency, real processes on loopback: the local press server (tests/press_server.py) publishes
   a new foreign article in a feed; `crawl()` polls the feed, fetches the page in its Scrapy child
   process, extracts, enriches with the real chain, indexes and evaluates alerts; the e-mail
   arrives at aiosmtpd and the signed webhook at a local HTTP receiver. Latency is measured from
   the start of the poll that sees the item to the arrival of both, with the breakdown.

Run: `.venv/bin/python bench/bench_alerts.py [--articles 10000] [--runs 10]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._results import write_section  # noqa: E402

TOPICS = ["sea_islands", "border_territory", "human_rights", "religion", "democracy", "ethnic_groups",
          "security_defence", "hostile_distortion", "investment", "trade", "tourism", "culture", "economy",
          "flooding", "traffic", "land", "public_health", "education", "environment", "smart_city"]
FOREIGN = [("reuters", "GB", "en"), ("nikkei", "JP", "ja"), ("lemonde", "FR", "fr"), ("scmp", "HK", "zh"),
           ("straitstimes", "SG", "en"), ("yonhap", "KR", "ko")]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def demo_articles(n: int, seed: int = 5) -> list[Any]:
    """`n` enriched articles from the real demo texts, with deterministic labels."""
    from duluan.models import Article, Kind, Sentiment, TopicScore, article_id

    rows = [json.loads(line) for line in (ROOT / "tests/fixtures/articles/demo.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    rng = random.Random(seed)
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        r = rows[i % len(rows)]
        foreign = rng.random() < 0.3
        src, country, lang = rng.choice(FOREIGN) if foreign else (r.get("source", "vn"), "VN", "vi")
        url = f"{r['url']}?copy={i}"
        out.append(Article(
            id=article_id(url), url=url, canonical_url=url, source_id=src, source_name=src, source_country=country,
            source_kind=Kind.foreign if foreign else Kind.domestic, title=r["title"], text=r["text"],
            published_at=now - timedelta(minutes=i), language=lang, relevance=rng.random(),
            topics=[TopicScore(code=t, score=0.7) for t in rng.sample(TOPICS, rng.choice([0, 1, 1, 2, 3]))],
            sentiment=Sentiment(label=rng.choice([-1, 0, 0, 1]), score=0.0, method="bench"),
            risk=rng.random() * 100, story_id=f"s{rng.randrange(n // 3 + 1)}" if rng.random() < 0.5 else None,
        ))
    return out


def fifty_rules(config_dir: Path) -> list[Any]:
    from alerts.rules import Rule, load_alerts_file

    rules = list(load_alerts_file(config_dir).rules)
    queries = ['"ngập lụt" OR "triều cường"', "ket xe OR un tac", "đầu tư -\"bất động sản\"", "du lịch", "metro*",
               '"Thủ Thiêm"', "(xuyên tạc OR bịa đặt) thành phố", "giáo dục học sinh", "bệnh viện OR dịch bệnh",
               '="Sài Gòn"', "cảng OR logistics", "tôn giáo -lễ", "chợ Bến Thành", "FDI OR \"vốn ngoại\"",
               "người dân phản đối", "cháy OR hỏa hoạn"]
    i = 0
    while len(rules) < 50:
        k = i % 4
        if k == 0:
            rules.append(Rule(id=f"q{i}", name=f"query {i}", query=queries[i % len(queries)], severity="low"))
        elif k == 1:
            rules.append(Rule(id=f"t{i}", name=f"topic {i}", topics=[TOPICS[i % len(TOPICS)], TOPICS[(i + 7) % len(TOPICS)]],
                              max_sentiment=0, kinds=["foreign"] if i % 3 else [], severity="medium"))
        elif k == 2:
            rules.append(Rule(id=f"c{i}", name=f"country {i}", countries=[FOREIGN[i % len(FOREIGN)][1]],
                              languages=[FOREIGN[i % len(FOREIGN)][2]], min_risk=50, severity="medium"))
        else:
            rules.append(Rule(id=f"m{i}", name=f"mixed {i}", query=queries[(i * 3) % len(queries)],
                              topics=[TOPICS[i % len(TOPICS)]], sources=["vnexpress", "tuoitre", "reuters"],
                              min_relevance=0.3, severity="high"))
        i += 1
    return rules


def bench_rules(n: int, engine_n: int = 2000) -> dict[str, Any]:
    from alerts.engine import RuleSet, evaluate_batch, match_batch, wait_for_deliveries
    from alerts.matching import fast_tokens
    from alerts.rules import compile_rules
    from duluan.context import AppContext

    arts = demo_articles(n)
    rules = fifty_rules(ROOT / "config")
    compiled = compile_rules(rules)
    rs = RuleSet(compiled)
    best = best_cpu = None
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        hits = match_batch(rs, arts, 0.5)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        best = dt if best is None or dt < best else best
        best_cpu = dc if best_cpu is None or dc < best_cpu else best_cpu
    # where the time goes: tokenising the text once per article vs testing the rules
    t0 = time.process_time()
    for a in arts:
        fast_tokens(a.title + "\n" + a.text)
    tok_cpu = time.process_time() - t0
    out: dict[str, Any] = {"articles": n, "rules": len(compiled), "matches": len(hits), "match_s": best,
                           "match_rate": n / best, "match_cpu_rate": n / best_cpu,
                           "tokenise_us": tok_cpu / n * 1e6, "per_article_us": best_cpu / n * 1e6,
                           "matched_articles": len({a.id for _, a, _ in hits}), "load": os.getloadavg()[0]}
    # the whole engine on a fresh instance: matching, dedup, alerts + history + deliveries in SQLite
    tmp = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    try:
        shutil.copytree(ROOT / "config", tmp / "config")
        import yaml

        (tmp / "config" / "alerts.yaml").write_text(yaml.safe_dump(
            {"rules": [r.model_dump(exclude_defaults=True) for r in rules]}, allow_unicode=True), "utf-8")
        ctx = AppContext.load(tmp / "config", tmp / "data")
        evaluate_batch(ctx, arts[:50], deliver=False)  # warm-up: models, rule cache
        rest = arts[50:engine_n]
        t0 = time.perf_counter()
        created = 0
        for i in range(0, len(rest), 500):
            created += len(evaluate_batch(ctx, rest[i:i + 500], deliver=False))
        dt = time.perf_counter() - t0
        wait_for_deliveries()
        out.update({"engine_articles": len(rest), "engine_s": dt, "engine_rate": len(rest) / dt,
                    "engine_alerts": created})
        ctx.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


HEADLINES = [
    "Ho Chi Minh City accused of distorting facts over Spratly islands dispute",
    "Report says Saigon officials silence critics of East Sea sovereignty claims",
    "Rights group says Ho Chi Minh City detains activists over island protest",
    "Foreign observers question Ho Chi Minh City account of Paracel islands history",
]
BODY = [
    "HO CHI MINH CITY - A report published on {day} accused officials in Ho Chi Minh City of distorting "
    "the history of the Spratly islands and of silencing critics of Vietnam's sovereignty claims in the East Sea. ({n})",
    "The report said the city's statements about the islands were misleading and that the dispute over the "
    "Spratly and Paracel islands was being used to suppress dissent in Saigon.",
    "City officials did not respond to requests for comment. Analysts said the accusations were likely to "
    "damage the image of Vietnam's largest city among foreign investors and tourists.",
]


def bench_latency(runs: int) -> dict[str, Any]:
    import yaml

    from alerts import workflow as wf
    from alerts.engine import wait_for_deliveries
    from crawlers.runner import crawl
    from duluan.context import AppContext
    from duluan.db import AlertRecord
    from duluan.pipeline import Pipeline
    from tests.alerts.servers import SmtpServer, WebhookReceiver
    from tests.press_server import PressServer, article_html

    tmp = Path(tempfile.mkdtemp(prefix="bench-alerts-lat-"))
    os.environ["DULUAN_WEBHOOK_SECRET"] = "bench-webhook-secret"
    smtp = SmtpServer().start()
    hook = WebhookReceiver().start()
    press = PressServer().start()
    timings: list[dict[str, float]] = []

    class TimedPipeline(Pipeline):
        def process_raw(self, raws):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            result = super().process_raw(raws)
            timings.append({**result.timings, "pipeline_start": t0, "pipeline_end": time.perf_counter()})
            return result

    try:
        shutil.copytree(ROOT / "config", tmp / "config")
        (tmp / "config" / "settings.yaml").write_text(yaml.safe_dump({
            "smtp": {"host": "127.0.0.1", "port": smtp.port},
            "alerts": {"email_to": ["office@example.gov.vn"], "webhooks": [{"id": "bot", "url": hook.url}],
                       "throttle_per_hour": 1000},
            "crawl": {"http_cache": False}}), "utf-8")
        ctx = AppContext.load(tmp / "config", tmp / "data")
        ctx.__dict__["pipeline"] = TimedPipeline(ctx)
        feed = press.base_url + "/feeds/extra.xml"
        # warm-up run (loads the enrichment models once, as a running service has them loaded)
        press.add_article("/world/warm.html", article_html("Warm-up article about Saigon traffic", [
            "Ho Chi Minh City traffic was heavy on Monday as commuters returned to work in Saigon."] * 3,
            datetime.now(UTC), lang="en"))
        press.add_feed_item("extra", "/world/warm.html", "Warm-up article about Saigon traffic")
        crawl(ctx, feed=feed, allow_private=True)
        wait_for_deliveries()
        with ctx.session() as s:
            for rec in s.query(AlertRecord).all():
                wf.acknowledge(s, rec.id, "bench")
                wf.respond(s, rec.id, "bench", "no_action", "warm-up")
                wf.close(s, rec.id, "bench")
        rows = []
        for i in range(runs):
            n_mail, n_hook = len(smtp.raw), hook.behaviour.calls
            title = f"{HEADLINES[i % len(HEADLINES)]} ({i + 1})"
            path = f"/world/hcmc-{i}.html"
            press.add_article(path, article_html(title, [p.format(day="Friday", n=i) for p in BODY],
                                                 datetime.now(UTC), lang="en", author="Foreign Desk"))
            press.add_feed_item("extra", path, title)
            timings.clear()
            t_poll = time.perf_counter()
            report = crawl(ctx, feed=feed, allow_private=True)
            t_crawl_end = time.perf_counter()
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline and (len(smtp.raw) <= n_mail or hook.behaviour.calls <= n_hook):
                time.sleep(0.01)
            # arrival times as recorded by the receiving servers themselves
            t_mail = smtp.handler.times[n_mail] if len(smtp.handler.times) > n_mail else None
            t_hook = hook.behaviour.times[n_hook] if len(hook.behaviour.times) > n_hook else None
            # the office closes the alert, so the next run's article (a near copy, hence the same
            # story) opens a new alert instead of attaching to this one
            with ctx.session() as s:
                for rec in s.query(AlertRecord).filter(AlertRecord.state != "closed").all():
                    wf.acknowledge(s, rec.id, "bench")
                    wf.respond(s, rec.id, "bench", "statement", "bench")
                    wf.close(s, rec.id, "bench")
            if t_mail is None or t_hook is None or not timings:
                rows.append({"ok": False, "indexed": report.indexed})
                continue
            tm = timings[-1]
            pipe_start = tm["pipeline_start"]
            rows.append({
                "ok": True, "email": t_mail - t_poll, "webhook": t_hook - t_poll, "both": max(t_mail, t_hook) - t_poll,
                "fetch": pipe_start - t_poll,  # poll + Scrapy child start + page fetch
                "extract": tm.get("extract", 0.0), "enrich": tm.get("enrich", 0.0), "index": tm.get("index", 0.0),
                "rule": tm.get("alerts", 0.0),
                "deliver": max(t_mail, t_hook) - tm["pipeline_end"],
                "crawl_total": t_crawl_end - t_poll,
            })
        ctx.close()
    finally:
        press.stop()
        smtp.stop()
        hook.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    ok = [r for r in rows if r["ok"]]
    return {"runs": runs, "ok": len(ok), "rows": ok}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--skip-latency", action="store_true")
    args = ap.parse_args()
    r = bench_rules(args.articles)
    print(json.dumps({k: v for k, v in r.items()}, default=str))
    md = [
        "### Rule evaluation (target ≥ 5,000 articles/s for 50 rules)",
        "",
        f"{r['rules']} rules (8 shipped + 42 generated: topic, text query incl. phrases/prefix/NOT/exact, "
        f"country/language, source filters) over {r['articles']:,} articles built from the 383 real demo "
        "articles with deterministic pseudo-random enrichment labels.",
        "",
        f"Machine load average during the run: {r['load']:.1f} on {os.cpu_count()} cores (other engineers' jobs "
        "share the machine), so CPU time of this process is reported beside wall time.",
        "",
        "| what | articles | wall time | articles/s (wall) | articles/s (CPU time) |",
        "|---|---:|---:|---:|---:|",
        f"| matching (`match_batch`: tokenise once, 50 rules in memory; {r['matches']:,} rule matches on "
        f"{r['matched_articles']:,} articles) | {r['articles']:,} | {r['match_s']:.2f} s | "
        f"**{r['match_rate']:,.0f}** | **{r['match_cpu_rate']:,.0f}** |",
        f"| whole engine (`evaluate_batch`: matching + dedup per rule/story + {r['engine_alerts']:,} alerts "
        f"with talking points (embeddings), history and delivery rows in SQLite; nothing sent) | "
        f"{r['engine_articles']:,} | {r['engine_s']:.2f} s | {r['engine_rate']:,.0f} | |",
        "",
        f"CPU per article in matching: {r['per_article_us']:.0f} µs. Tokenising an article's text (~3.3 KB, "
        f"folded exactly like the index) costs {r['tokenise_us']:.0f} µs on its own; matching tokenises only "
        "the articles that reach a rule with a text query. The whole-engine rate is dominated by storing "
        "alerts: the random labels make ~28 % of these articles alert-worthy, far above real traffic.",
        "",
    ]
    if not args.skip_latency:
        lat = bench_latency(args.runs)
        rows = lat["rows"]
        print(json.dumps({"runs": lat["runs"], "ok": lat["ok"]}))
        if rows:
            def col(name: str) -> str:
                vals = [x[name] for x in rows]
                return f"{statistics.median(vals) * 1000:,.0f} / {_pct(vals, 95) * 1000:,.0f}"

            md += [
                "### Latency: press server publishes → e-mail and webhook received (target p95 ≤ 5 s after the poll)",
                "",
                f"{lat['ok']} of {lat['runs']} runs delivered (warm process: one warm-up crawl first, as in the "
                "running service). Each run: a new foreign English article about the city on a sensitive topic "
                "is added to `/feeds/extra.xml` of the local press server; `crawl(feed=…)` polls it, its Scrapy "
                "child process fetches the page, then extract → real enrichment chain → SQLite index → alert "
                "rules; the e-mail goes to aiosmtpd and the HMAC-signed webhook to a local HTTP receiver "
                "(background sender). Times from the start of the poll, median / p95 in ms:",
                "",
                "| stage | median / p95 (ms) |",
                "|---|---:|",
                f"| fetch (feed poll + Scrapy child start + page fetch) | {col('fetch')} |",
                f"| extract | {col('extract')} |",
                f"| enrich | {col('enrich')} |",
                f"| index | {col('index')} |",
                f"| rule (alert engine: match, dedup, store, talking points) | {col('rule')} |",
                f"| deliver (end of pipeline → both received) | {col('deliver')} |",
                f"| **poll start → e-mail received** | **{col('email')}** |",
                f"| **poll start → webhook received** | **{col('webhook')}** |",
                f"| **poll start → both received** | **{col('both')}** |",
                "",
            ]
        else:
            md += ["### Latency", "", f"no run delivered ({lat['runs']} tried) — see the log", ""]
    write_section("alerts", "Alerts (issue 5)", "\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
