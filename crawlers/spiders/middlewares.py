"""Thin Scrapy downloader middlewares that call the pure code: the SSRF guard on every request
(including each redirect hop and robots.txt) and exponential backoff before retries."""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

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
