"""Fetch-log truth: a fetched page that holds no article is logged as `dropped` with its reason
(not as `ok`), counted per reason in the crawl report and the summary `duluan crawl` prints, and in
source health (`duluan sources health`). Real HTTP over loopback, Scrapy in its child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.candidates import Candidate
from crawlers.runner import CrawlReport, _filter_known, fetch_candidates, is_web_page
from tests.press_server import SYNTHETIC_FOREIGN

ROOT = Path(__file__).resolve().parents[2]
JS_ONLY = "/fundus/kr/HankookIlbo_2026_01_29.html"  # a real page whose text is rendered by JavaScript


@pytest.mark.slow
def test_pages_without_article_are_logged_as_dropped_with_reason(press, press_ctx) -> None:
    from duluan.crawl_state import CrawlState
    from duluan.db import FetchLog

    ctx = press_ctx
    paths = [SYNTHETIC_FOREIGN["path"], "/fault/not-found-200", "/Views/the-gioi.jsp", "/fault/pdf", JS_ONLY,
             "/fault/500"]
    cands = [Candidate(url=press.base_url + p, source_id="press-foreign", via="url") for p in paths]
    report = CrawlReport(candidates=len(cands))
    fetch_candidates(ctx, cands, ["127.0.0.1"], report, backoff=0.1)
    assert report.lost == 0 and report.indexed == 1 and report.failed == 1
    assert report.no_article == 4
    assert report.dropped == {"too_short": 2, "index_page": 1, "not_html": 1}
    assert "4 without article (too_short 2, index_page 1, not_html 1)" in report.summary()

    with ctx.session() as s:
        rows = {r.canonical_url: r for r in s.query(FetchLog).all()}
        by_url = {c.url: rows[c.canonical] for c in cands}
        b = press.base_url
        assert by_url[b + SYNTHETIC_FOREIGN["path"]].status == "ok"
        assert by_url[b + "/fault/500"].status == "error"
        expected = {"/fault/not-found-200": "too_short", "/Views/the-gioi.jsp": "index_page",
                    "/fault/pdf": "not_html", JS_ONLY: "too_short"}
        for path, reason in expected.items():
            row = by_url[b + path]
            assert row.status == "dropped", (path, row.status)
            assert row.detail.startswith(reason + ": ") and path.split("/")[-1] in row.detail
    # articles/day counts only pages that gave an article
    state = CrawlState(ctx.session)
    state.refresh_daily_counts()
    health = {r["source_id"]: r for r in state.health_rows()}["press-foreign"]
    assert health["articles_last_day"] == 1 and health["articles_total"] == 1
    assert health["dropped"] == {"too_short": 2, "index_page": 1, "not_html": 1} and health["dropped_total"] == 4

    # dropped pages count as recently fetched: the next crawl does not fetch them again
    again = CrawlReport()
    todo = _filter_known(ctx, cands, again)
    assert [c.url for c in todo] == [b + "/fault/500"] and again.skipped_known == 5


def test_web_page_content_types() -> None:
    assert is_web_page("text/html; charset=utf-8") and is_web_page("application/xhtml+xml") and is_web_page("")
    assert is_web_page("text/plain")
    assert not is_web_page("application/pdf") and not is_web_page("image/jpeg; q=1")


@pytest.mark.slow
def test_crawl_and_health_cli_show_drop_reasons(press, app_env) -> None:
    env = {**os.environ, **app_env, "DULUAN_CRAWL__DISCOVERY": "false", "DULUAN_CRAWL__HTTP_CACHE": "false"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "duluan.cli", *args], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=300)

    res = run("crawl", "--url", press.base_url + "/Views/kinh-doanh.jsp", "--allow-private")
    assert res.returncode == 0, res.stderr
    assert "1 without article (index_page 1)" in res.stdout
    res = run("crawl", "--url", press.base_url + "/fault/pdf", "--allow-private", "--json")
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["dropped"] == {"not_html": 1} and report["no_article"] == 1 and report["lost"] == 0
    health = [json.loads(line) for line in run("sources", "health", "--json").stdout.splitlines() if line.strip()]
    row = next(r for r in health if r["source_id"] == "adhoc-127-0-0-1")
    assert row["dropped"] == {"index_page": 1, "not_html": 1}
    env["COLUMNS"] = "240"  # a wide terminal: rich wraps the table cells otherwise
    table = run("sources", "health")
    assert table.returncode == 0 and "index_page 1" in table.stdout


def test_crawlers_reach_the_operational_db_only_through_duluan() -> None:
    """Import direction: no `crawlers` module imports `duluan.db` (or the context); the runner
    reaches the operational DB only through `duluan.crawl_state` in `state_of` (and part of
    discovery through `duluan.discovered`)."""
    import ast

    seams = {("crawlers/runner.py", "duluan.crawl_state"), ("crawlers/runner.py", "duluan.discovered")}
    offenders = []
    for f in sorted((ROOT / "crawlers").rglob("*.py")):
        rel = f.relative_to(ROOT).as_posix()
        tree = ast.parse(f.read_text(encoding="utf-8"))
        type_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                     and getattr(block.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(block)}
        for node in ast.walk(tree):
            if id(node) in type_only:  # annotations only, never imported at run time
                continue
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.startswith("duluan.") and name not in (
                        "duluan.models", "duluan.text", "duluan.errors", "duluan.settings") and (rel, name) not in seams:
                    offenders.append(f"{rel}: {name}")
    assert offenders == []
