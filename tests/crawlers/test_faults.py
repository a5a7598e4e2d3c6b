"""Every fault route ends as a counted failure (or dropped page) on that URL, and the crawl goes
on to index the healthy page in the same run. Real HTTP over loopback, Scrapy in its child."""

from __future__ import annotations

import pytest

from crawlers.candidates import Candidate
from crawlers.runner import CrawlReport, crawl, fetch_candidates
from duluan.errors import PolicyError
from duluan.models import article_id
from tests.press_server import SYNTHETIC_FOREIGN

FAULTS = ["/fault/slow?s=8", "/fault/500", "/fault/reset", "/fault/loop", "/fault/loop-a", "/fault/huge",
          "/fault/gzip-bomb", "/fault/redirect-private", "/fault/not-found-200"]


@pytest.mark.slow
def test_fault_routes_are_counted_and_the_crawl_goes_on(press, press_ctx) -> None:
    ctx = press_ctx
    good = [SYNTHETIC_FOREIGN["path"], "/fault/wrong-charset", "/fault/cp1258", "/fault/flaky/a", "/fault/redirect"]
    cands = [Candidate(url=press.base_url + p, source_id="press-foreign", via="url") for p in FAULTS + good]
    report = CrawlReport(candidates=len(cands))
    hits_500 = press.hits["/fault/500"]  # the press is shared by the session's tests
    fetch_candidates(ctx, cands, ["127.0.0.1"], report, backoff=0.1)
    reasons = dict(report.failures)
    b = press.base_url
    assert report.lost == 0
    assert "Timeout" in reasons[b + "/fault/slow?s=8"] or "timeout" in reasons[b + "/fault/slow?s=8"].lower()
    assert reasons[b + "/fault/500"] == "HTTP 500"
    assert b + "/fault/reset" in reasons
    assert "redirect" in reasons[b + "/fault/loop"].lower()
    assert "redirect" in reasons[b + "/fault/loop-a"].lower()
    assert b + "/fault/huge" in reasons
    assert b + "/fault/gzip-bomb" in reasons
    assert "policy" in reasons[b + "/fault/redirect-private"].lower()
    assert press.hits["/fault/500"] - hits_500 == 3  # first try + 2 retries (settings.crawl.retries)
    # the 404-as-200 page was fetched and dropped (not indexed as an empty article)
    assert report.no_article == 1
    # healthy pages in the same run were indexed, including decoded legacy encodings
    assert report.indexed == 4, report.summary()
    cp = ctx.index.get(article_id(b + "/fault/cp1258"))
    assert cp is not None and "Tân Sơn Nhất" in cp.title
    wc = ctx.index.get(article_id(b + "/fault/wrong-charset"))
    assert wc is not None and "Tân Sơn Nhất" in wc.title
    redirected = ctx.index.get(article_id(b + SYNTHETIC_FOREIGN["path"]))
    assert redirected is not None


@pytest.mark.slow
def test_feed_faults_are_reported_and_other_sources_go_on(press, press_ctx) -> None:
    report = crawl(press_ctx, feed=press.base_url + "/feeds/500.xml", allow_private=True)
    assert report.poll_errors and "500" in report.poll_errors[0][1]
    assert press.hits["/feeds/500.xml"] >= 3
    bozo = crawl(press_ctx, feed=press.base_url + "/feeds/bozo.xml", allow_private=True)
    assert any("ill-formed" in r for _, r in bozo.poll_errors)


def test_private_addresses_need_allow_private(press, press_ctx, monkeypatch) -> None:
    ctx = press_ctx
    ctx.settings.crawl.allow_private.clear()
    with pytest.raises(PolicyError):
        crawl(ctx, url=press.base_url + SYNTHETIC_FOREIGN["path"])
    before = press.hits["/feeds/foreign.xml"]
    report = crawl(ctx, feed=press.base_url + "/feeds/foreign.xml")
    assert report.poll_errors and "refused" in report.poll_errors[0][1]
    assert press.hits["/feeds/foreign.xml"] == before  # refused before any request left
    assert report.fetched == 0


@pytest.mark.slow
def test_robots_disallow_is_obeyed(press, press_ctx) -> None:
    cands = [Candidate(url=press.base_url + "/private/secret.html", source_id="press-foreign", via="url")]
    report = CrawlReport(candidates=1)
    before = press.hits["/private/secret.html"]
    fetch_candidates(press_ctx, cands, ["127.0.0.1"], report)
    assert report.failed == 1 and "robots" in report.failures[0][1].lower()
    assert press.hits["/private/secret.html"] == before == 0
