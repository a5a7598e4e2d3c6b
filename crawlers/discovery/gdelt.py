"""GDELT DOC 2.0 API connector (`mode=ArtList&format=json`): recent articles worldwide that name
the city, with outlet domain, language and source country."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from urllib.parse import urlencode

from crawlers.candidates import Candidate
from crawlers.discovery.base import COUNTRY_NAMES, LANGUAGE_NAMES, Discovered, outlet_source, query_terms
from crawlers.http import Fetcher
from duluan.errors import FetchError
from duluan.models import Source
from duluan.settings import CityConfig, CrawlSettings

log = logging.getLogger("crawlers.discovery.gdelt")


def gdelt_query(city: CityConfig) -> str:
    """`("Ho Chi Minh City" OR "Saigon" …) -sourcecountry:vietnam`: foreign coverage only."""
    terms = query_terms(city, "en")
    inner = " OR ".join(f'"{t}"' for t in terms)
    return f"({inner}) -sourcecountry:vietnam" if len(terms) > 1 else f"{inner} -sourcecountry:vietnam"


def gdelt_url(base: str, city: CityConfig, max_records: int = 75, timespan: str = "1d") -> str:
    return base + "?" + urlencode({"query": gdelt_query(city), "mode": "ArtList", "format": "json",
                                   "maxrecords": max_records, "timespan": timespan, "sort": "DateDesc"})


def parse_gdelt(body: bytes, catalogue: list[Source], out: Discovered) -> None:
    """Add the ArtList answer's articles to `out` (bad records are skipped)."""
    try:
        data = json.loads(body.decode("utf-8", "replace") or "{}")
    except ValueError as exc:
        raise FetchError(f"GDELT answer is not JSON: {exc}") from None
    for art in data.get("articles", []) if isinstance(data, dict) else []:
        url = (art.get("url") or "").strip()
        if not url.startswith(("http://", "https://")):
            continue
        country = COUNTRY_NAMES.get(str(art.get("sourcecountry", "")).lower())
        language = LANGUAGE_NAMES.get(str(art.get("language", "")).lower())
        src = outlet_source(url, art.get("domain"), country, language, catalogue, domain=art.get("domain"))
        out.sources.setdefault(src.id, src)
        seen = None
        try:
            seen = datetime.strptime(art.get("seendate", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            pass
        out.candidates.append(Candidate(url=url, source_id=src.id, via="discovery", title=art.get("title"),
                                        published=seen, language=language, extra={"connector": "gdelt"}))


def gdelt_discover(fetcher: Fetcher, city: CityConfig, crawl: CrawlSettings, catalogue: list[Source],
                   out: Discovered) -> None:
    if not crawl.gdelt_url:
        return
    res = fetcher.get(gdelt_url(crawl.gdelt_url, city))
    parse_gdelt(res.body, catalogue, out)
