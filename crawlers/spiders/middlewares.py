"""Thin Scrapy downloader middlewares that call the pure code: the SSRF guard on every request
(including each redirect hop and robots.txt), exponential backoff before retries, and the
robots.txt middleware (Scrapy's, with its concurrent-waiter bug fixed and the RFC 9309 policy for a
robots.txt that cannot be read)."""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawlers.safety import check_url
from duluan.errors import PolicyError


class SSRFGuardMiddleware:
    """Refuse requests to private/loopback/reserved addresses unless allowed (`DULUAN_ALLOW_PRIVATE`)."""

    def __init__(self, allow_private: list[str]):
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SSRFGuardMiddleware:
        return cls(list(crawler.settings.getlist("DULUAN_ALLOW_PRIVATE")))

    def process_request(self, request: Request) -> None:
        try:
            check_url(request.url, self.allow_private)
        except PolicyError as exc:
            raise IgnoreRequest(f"policy: {exc}") from None


class BackoffMiddleware:
    """Wait `base * 2**(n-1)` seconds (capped) before the n-th retry of a request, so a struggling
    server gets room instead of an immediate re-request."""

    def __init__(self, base: float, cap: float):
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffMiddleware:
        return cls(crawler.settings.getfloat("DULUAN_RETRY_BACKOFF", 0.5),
                   crawler.settings.getfloat("DULUAN_RETRY_BACKOFF_MAX", 30.0))

    async def process_request(self, request: Request) -> Any:
        n = int(request.meta.get("retry_times", 0))
        if n > 0 and self.base > 0:
            await asyncio.sleep(min(self.base * (2 ** (n - 1)), self.cap))
        return None


class _Unreachable:
    """Stand-in parser for a host whose robots.txt could not be read (5xx, timeout, reset):
    everything is disallowed for the rest of this crawl, as RFC 9309 §2.3.1.4 asks."""

    def __init__(self, why: str):
        self.why = why

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with two fixes.

    1. Concurrency bug (Scrapy 2.13+): every request that arrives while robots.txt is still being
       downloaded awaits the SAME Deferred through `maybe_deferred_to_future`, and Twisted's
       `Deferred.asFuture` consumes the result — only the first waiter gets the parser, every other
       one gets `None` ("no robots.txt": allow all). A disallowed page in a busy crawl was fetched.
       Here each waiter gets its own Deferred chained to the shared one.
    2. Failure policy (RFC 9309 §2.3.1): 2xx → parse; 4xx → no rules (allow all); 5xx or no answer
       (timeout, reset, refused — after the usual retries) → disallow everything on that host for
       this crawl (each crawl is a fresh child process, so the next crawl asks again). Scrapy's own
       default would allow everything when robots.txt is down.
    """

    async def robot_parser(self, request: Request) -> Any:
        parser = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(parser, Deferred):
            mine: Deferred[Any] = Deferred()

            def relay(result: Any) -> Any:
                mine.callback(result)
                return result  # keep the shared Deferred's result for the next waiter

            parser.addCallback(relay)
            return await maybe_deferred_to_future(mine)
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._resolve(netloc, _Unreachable(f"HTTP {response.status}"))
            return
        if response.status >= 400:
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._resolve(netloc, None)
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):  # refused by our own policy / too many redirects: unavailable
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._resolve(netloc, _Unreachable(f"{type(exc).__name__}: {exc}"[:200]))

    def _resolve(self, netloc: str, parser: Any) -> None:
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(pending, Deferred):
            pending.callback(parser)

    def process_request_2(self, rp: Any, request: Request) -> None:
        if isinstance(rp, _Unreachable):
            self._stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest(f"Forbidden by robots.txt policy: robots.txt unreachable ({rp.why}), "
                                "host disallowed for this crawl (RFC 9309)")
        super().process_request_2(rp, request)
