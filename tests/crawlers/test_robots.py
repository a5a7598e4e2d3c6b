"""robots.txt is obeyed in every mix of requests, and a robots.txt that cannot be read follows the
documented policy (RFC 9309: 4xx → allow, 5xx/unreachable → disallow the host for this crawl).

Regression: Scrapy's RobotsTxtMiddleware let every request that waited for robots.txt, except the
first waiter, through unchecked (Twisted's `Deferred.asFuture` consumes the shared result), so
`/private/secret.html` was fetched when it ran in the same crawl as the fault routes. Real HTTP
over loopback, Scrapy in its child process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawlers.candidates import Candidate
from crawlers.runner import CrawlReport, fetch_candidates
from tests.crawlers.test_faults import FAULTS
from tests.press_server import SYNTHETIC_FOREIGN, PressServer


def _run(ctx: object, server: PressServer, paths: list[str]) -> CrawlReport:
    cands = [Candidate(url=server.base_url + p, source_id="press-foreign", via="url") for p in paths]
    report = CrawlReport(candidates=len(cands))
    fetch_candidates(ctx, cands, ["127.0.0.1"], report, backoff=0.1)  # type: ignore[arg-type]
    return report


@pytest.mark.slow
def test_robots_disallow_is_obeyed_in_a_mixed_run(press, press_ctx) -> None:
    paths = FAULTS + [SYNTHETIC_FOREIGN["path"], "/fault/wrong-charset", "/private/secret.html"]
    before = press.hits["/private/secret.html"]
    report = _run(press_ctx, press, paths)
    reasons = dict(report.failures)
    assert press.hits["/private/secret.html"] == before
    assert "robots" in reasons[press.base_url + "/private/secret.html"].lower()
    assert report.lost == 0
    assert report.indexed == 2, report.summary()  # the allowed healthy pages of the same run


@pytest.fixture
def own_press(request: pytest.FixtureRequest) -> Iterator[PressServer]:
    """A second press (its own host:port, so its own robots.txt) in the robots mode of the test."""
    with PressServer(robots=request.param) as server:
        yield server


@pytest.mark.parametrize("own_press", ["ok"], indirect=True)
def test_many_waiters_on_one_robots_txt_are_all_checked(own_press, press_ctx) -> None:
    """All requests arrive while robots.txt is still pending: every one must see the rules."""
    private = [f"/private/p{i}.html" for i in range(10)]
    report = _run(press_ctx, own_press, [*private, SYNTHETIC_FOREIGN["path"]])
    assert own_press.hits["/robots.txt"] == 1
    assert sum(own_press.hits[p] for p in private) == 0
    assert report.failed == 10 and all("robots" in r.lower() for _, r in report.failures)
    assert report.indexed == 1


@pytest.mark.slow
@pytest.mark.parametrize("own_press", ["503", "reset", "slow"], indirect=True)
def test_unreachable_robots_txt_disallows_the_host(own_press, press_ctx) -> None:
    """5xx, reset or timeout (after the retries): nothing on that host is fetched in this crawl."""
    paths = [SYNTHETIC_FOREIGN["path"], "/fault/wrong-charset"]
    report = _run(press_ctx, own_press, paths)
    assert own_press.hits["/robots.txt"] == 3  # first try + 2 retries (settings.crawl.retries)
    assert sum(own_press.hits[p] for p in paths) == 0
    assert report.failed == 2 and report.lost == 0
    assert all("robots.txt unreachable" in r for _, r in report.failures), report.failures


@pytest.mark.parametrize("own_press", ["404"], indirect=True)
def test_missing_robots_txt_allows_everything(own_press, press_ctx) -> None:
    report = _run(press_ctx, own_press, [SYNTHETIC_FOREIGN["path"], "/private/secret.html"])
    assert own_press.hits["/robots.txt"] == 1
    assert own_press.hits["/private/secret.html"] == 1
    assert report.failed == 0 and report.indexed == 2, report.summary()
