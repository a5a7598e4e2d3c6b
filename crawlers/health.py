"""Why a fetched page was dropped (held no article), as a short reason code for the fetch log,
the crawl summary and source health. The health records themselves (last success, failures,
latency, articles/day, drops per reason) live in the operational DB, written through
`duluan.crawl_state.CrawlState` (crawlers do not import the DB models)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# From the `ExtractError` message of `crawlers.extract` (first match wins; anything unrecognised is
# plain `no_article`). Pages dropped before extraction (PDF, images…) get `not_html` directly.
DROP_REASONS: list[tuple[str, re.Pattern[str]]] = [
    ("empty", re.compile(r": empty page")),
    ("not_html", re.compile(r"not an HTML page")),
    ("http_status", re.compile(r": HTTP \d{3}")),
    ("extract_failed", re.compile(r"extraction failed")),
    ("too_short", re.compile(r"no article text")),
    ("not_found", re.compile(r"not found' page")),
    ("index_page", re.compile(r"index/listing page")),
    ("no_title", re.compile(r": no title")),
    ("no_date", re.compile(r"no publication date")),
]


def drop_reason(message: str) -> str:
    """The short reason code of a dropped page (`too_short`, `not_html`, `index_page`…)."""
    for code, pattern in DROP_REASONS:
        if pattern.search(message):
            return code
    return "no_article"


@dataclass
class FetchOutcome:
    """One fetched candidate's outcome for the fetch log (see `duluan.crawl_state.CrawlState`)."""

    canonical_url: str
    source_id: str
    url: str
    status: str  # ok | dropped | error
    detail: str = ""  # "<reason>: <message>" when dropped, the error otherwise
