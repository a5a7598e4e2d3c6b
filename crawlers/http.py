"""A small, polite HTTP client for discovery documents (feeds, sitemaps, listing pages, search
APIs): SSRF guard on every hop, the product's User-Agent, a timeout, retries with backoff on 5xx
and timeouts, a body cap that also bounds decompressed size (gzip bombs), and conditional GET.

Article pages are fetched by the Scrapy child process instead (see `crawlers.spiders`); this
client serves the few small documents the parent reads to decide what to fetch.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx

from crawlers.safety import check_url
from duluan.errors import FetchError, PolicyError
from duluan.settings import CrawlSettings

log = logging.getLogger("crawlers.http")

MAX_REDIRECTS = 5


@dataclass
class FetchResult:
    """One fetched document (status 304 means "unchanged": body empty)."""

    url: str
    final_url: str
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    redirects: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def user_agent(settings: CrawlSettings) -> str:
    """The User-Agent naming the product and the office's contact."""
    return settings.user_agent.replace("{contact}", settings.contact)


class Fetcher:
    """Fetch small documents politely. One instance per crawl (it keeps a connection pool)."""

    def __init__(self, settings: CrawlSettings, allow_private: list[str] | None = None,
                 backoff: float = 0.5, max_bytes: int | None = None):
        self.settings = settings
        self.allow_private = list(settings.allow_private if allow_private is None else allow_private)
        self.backoff = backoff
        self.max_bytes = max_bytes or settings.max_page_bytes
        self.client = httpx.Client(
            headers={"User-Agent": user_agent(settings), "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.download_timeout),
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET `url` (conditionally when validators are given). Raises `FetchError` on network
        errors, HTTP errors after retries, oversize bodies and redirect loops; `PolicyError` when the
        SSRF guard refuses a hop."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            try:
                return self._get_once(url, headers)
            except _Retryable as exc:
                if attempt >= self.settings.retries:
                    raise FetchError(f"{url}: {exc} (after {attempt + 1} attempt(s))") from None
                delay = min(self.backoff * (2 ** attempt), 30.0)
                log.info("retrying %s in %.1fs: %s", url, delay, exc)
                time.sleep(delay)
                attempt += 1

    def _get_once(self, url: str, headers: dict[str, str]) -> FetchResult:
        t0 = time.perf_counter()
        current = url
        redirects: list[str] = []
        seen = {url}
        for _ in range(MAX_REDIRECTS + 1):
            check_url(current, self.allow_private)
            try:
                with self.client.stream("GET", current, headers=headers) as resp:
                    if resp.status_code == 304:
                        return FetchResult(url, current, 304, b"", dict(resp.headers), redirects,
                                           (time.perf_counter() - t0) * 1000)
                    if resp.is_redirect:
                        location = resp.headers.get("location", "")
                        nxt = urljoin(current, location)
                        if not location or nxt in seen:
                            raise FetchError(f"{url}: redirect loop at {current}")
                        seen.add(nxt)
                        redirects.append(current)
                        current = nxt
                        continue
                    if resp.status_code >= 500:
                        raise _Retryable(f"HTTP {resp.status_code}")
                    if resp.status_code >= 400:
                        raise FetchError(f"{url}: HTTP {resp.status_code}")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > self.max_bytes:
                        raise FetchError(f"{url}: body of {declared} bytes exceeds the {self.max_bytes}-byte cap")
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in resp.iter_bytes():  # decompressed bytes: bounds gzip bombs too
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise FetchError(f"{url}: body exceeds the {self.max_bytes}-byte cap")
                        chunks.append(chunk)
                    return FetchResult(url, current, resp.status_code, b"".join(chunks), dict(resp.headers),
                                       redirects, (time.perf_counter() - t0) * 1000)
            except httpx.TimeoutException as exc:
                raise _Retryable(f"timeout ({type(exc).__name__})") from None
            except httpx.DecodingError as exc:
                raise FetchError(f"{url}: cannot decode body: {exc}") from None
            except (httpx.TransportError, httpx.StreamError) as exc:
                raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


class _Retryable(Exception):
    """A failure worth retrying (5xx, timeout, connection reset)."""


__all__ = ["Fetcher", "FetchResult", "FetchError", "PolicyError", "user_agent"]
