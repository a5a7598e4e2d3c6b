"""The article spider: fetches a fixed list of candidate URLs (discovery already happened in the
parent) and reports one outcome per candidate — a page or an error — so nothing is lost silently."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

Emit = Callable[[dict[str, Any]], None]


def header_charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


class ArticleSpider(scrapy.Spider):
    name = "duluan-articles"

    def __init__(self, candidates: list[dict[str, Any]], emit: Emit, **kwargs: Any):
        super().__init__(**kwargs)
        self.candidates = candidates
        self.emit = emit
        self.done: set[int] = set()
        self.started: dict[int, float] = {}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for i, cand in enumerate(self.candidates):
            self.started[i] = time.perf_counter()
            yield scrapy.Request(cand["url"], callback=self.parse_page, errback=self.on_error,
                                 meta={"cand": i}, dont_filter=True)

    def _finish(self, i: int, record: dict[str, Any]) -> None:
        if i in self.done:
            return
        self.done.add(i)
        record["i"] = i
        record["url"] = self.candidates[i]["url"]
        record["elapsed_ms"] = round((time.perf_counter() - self.started.get(i, time.perf_counter())) * 1000, 1)
        self.emit(record)

    def parse_page(self, response: Response) -> None:
        i = int(response.meta["cand"])
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        self._finish(i, {
            "kind": "page",
            "final_url": response.url,
            "status": response.status,
            "body": base64.b64encode(response.body).decode("ascii"),
            "encoding": header_charset(ctype),
            "content_type": ctype,
            "redirects": list(response.meta.get("redirect_urls", [])),
        })

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        if request is None or "cand" not in request.meta:
            return
        i = int(request.meta["cand"])
        exc = failure.value
        status = getattr(getattr(exc, "response", None), "status", None)
        reason = f"HTTP {status}" if status else f"{type(exc).__name__}: {exc}"
        self._finish(i, {"kind": "error", "reason": reason[:500],
                         "redirects": list(request.meta.get("redirect_urls", []))})

    def closed(self, reason: str) -> None:
        for i in range(len(self.candidates)):
            if i not in self.done:
                self._finish(i, {"kind": "error", "reason": f"not fetched (crawl ended: {reason})"})
