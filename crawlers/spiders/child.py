"""Child-process entry point: `python -m crawlers.spiders.child JOB.json`.

Twisted's reactor cannot be restarted, so every crawl runs Scrapy in its own process. The job
file holds the crawl settings and candidate list; outcomes go to the original stdout as JSON
lines (one per candidate), while anything else printed goes to stderr with the logs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawlers.http import user_agent
from crawlers.spiders.article import ArticleSpider
from duluan.settings import CrawlSettings


def scrapy_settings(crawl: CrawlSettings, allow_private: list[str], cache_dir: str | None,
                    backoff: float = 0.5) -> dict[str, Any]:
    """Scrapy settings from the office's crawl settings (politeness, limits, cache, guard)."""
    return {
        "USER_AGENT": user_agent(crawl),
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_domain_concurrency,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": 0.5,
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.per_domain_concurrency),
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": crawl.retries > 0,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "REDIRECT_MAX_TIMES": 5,
        "HTTPCACHE_ENABLED": bool(crawl.http_cache and cache_dir),
        "HTTPCACHE_DIR": cache_dir or "httpcache",
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
        "HTTPCACHE_IGNORE_HTTP_CODES": [500, 502, 503, 504, 408, 429],
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "DEBUG" if os.environ.get("DULUAN_DEBUG") == "1" else "WARNING",
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.spiders.middlewares.SSRFGuardMiddleware": 50,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawlers.spiders.middlewares.RobotsPolicyMiddleware": 100,
            "crawlers.spiders.middlewares.BackoffMiddleware": 560,
        },
        "DULUAN_ALLOW_PRIVATE": allow_private,
        "DULUAN_RETRY_BACKOFF": backoff,
        "COOKIES_ENABLED": False,
    }


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    crawl = CrawlSettings.model_validate(job["crawl"])
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # stray prints must not corrupt the result stream
    sys.stdout = sys.stderr

    def emit(record: dict[str, Any]) -> None:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")

    process = CrawlerProcess(scrapy_settings(crawl, job["allow_private"], job.get("cache_dir"),
                                             job.get("backoff", 0.5)))
    process.crawl(ArticleSpider, candidates=job["candidates"], emit=emit)
    process.start()
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
