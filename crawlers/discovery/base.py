"""What a discovery connector returns, the alias → query helper, and the loop over connectors."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawlers.candidates import Candidate
from crawlers.http import Fetcher
from duluan.errors import DuluanError
from duluan.models import Kind, Source
from duluan.settings import CityConfig, CrawlSettings

log = logging.getLogger("crawlers.discovery")

# GDELT's `sourcecountry` names (FIPS-style English names) → ISO 3166-1 alpha-2, for the usual outlets
COUNTRY_NAMES = {
    "vietnam": "VN", "united states": "US", "united kingdom": "GB", "france": "FR", "germany": "DE",
    "china": "CN", "hong kong": "HK", "taiwan": "TW", "japan": "JP", "south korea": "KR", "singapore": "SG",
    "thailand": "TH", "cambodia": "KH", "laos": "LA", "malaysia": "MY", "indonesia": "ID", "philippines": "PH",
    "australia": "AU", "india": "IN", "russia": "RU", "canada": "CA", "qatar": "QA", "italy": "IT", "spain": "ES",
}
LANGUAGE_NAMES = {
    "english": "en", "french": "fr", "german": "de", "chinese": "zh", "japanese": "ja", "korean": "ko",
    "vietnamese": "vi", "russian": "ru", "spanish": "es", "thai": "th", "khmer": "km", "lao": "lo",
    "indonesian": "id", "malay": "ms", "italian": "it", "portuguese": "pt", "arabic": "ar",
}


@dataclass
class Discovered:
    """Candidates found by connectors, with a `Source` for each outlet they came from."""

    candidates: list[Candidate] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    resolved: int = 0  # Google News links mapped to the outlet URL
    unresolved: list[tuple[str, str]] = field(default_factory=list)  # (Google link, outlet) kept as is

    def drop_unresolved_duplicates(self) -> int:
        """Drop unresolved Google News items whose outlet and headline match a candidate with a
        real URL (the same story from GDELT, another language edition or a resolved link)."""
        def key(c: Candidate) -> tuple[str, str]:
            return c.source_id, re.sub(r"\W+", " ", (c.title or "").lower()).strip()

        known = {key(c) for c in self.candidates if c.extra.get("link") != "unresolved"}
        before = len(self.candidates)
        self.candidates = [c for c in self.candidates
                           if c.extra.get("link") != "unresolved" or not c.title or key(c) not in known]
        return before - len(self.candidates)


def query_terms(city: CityConfig, language: str, limit: int = 6) -> list[str]:
    """The city's names in `language` (longest first, abbreviations of ≤ 3 letters dropped because
    search services match them too loosely)."""
    names = city.aliases.get(language, []) or city.aliases.get("en", [])
    uniq = list(dict.fromkeys(n.strip() for n in names if len(n.strip()) > 3))
    return sorted(uniq, key=len, reverse=True)[:limit]


def outlet_source(url: str, name: str | None, country: str | None, language: str | None,
                  catalogue: list[Source], domain: str | None = None) -> Source:
    """The catalogue source whose homepage host matches the outlet's host (`domain` when the
    connector names it, as GDELT does, else the URL's host), else a discovery source."""
    host = ((domain or "").strip() or urlsplit(url).hostname or "").lower().removeprefix("www.")
    host = host if re.fullmatch(r"[a-z0-9.-]+", host) else (urlsplit(url).hostname or "").lower().removeprefix("www.")
    for s in catalogue:
        shost = (urlsplit(s.homepage).hostname or "").lower().removeprefix("www.")
        if shost and (host == shost or host.endswith("." + shost)):
            return s
    slug = re.sub(r"[^a-z0-9]+", "-", host).strip("-")[:50] or "unknown"
    cc = (country or "ZZ").upper()
    return Source(id=f"disc-{slug}", name=name or host, homepage=f"https://{host}/", country=cc if len(cc) == 2 else "ZZ",
                  language=(language or "en")[:2], kind=Kind.domestic if cc == "VN" else Kind.foreign, enabled=False)


def discover_all(fetcher: Fetcher, city: CityConfig, crawl: CrawlSettings, catalogue: list[Source]) -> Discovered:
    """Run every configured connector; a failing connector is recorded and the others go on."""
    from crawlers.discovery.gdelt import gdelt_discover
    from crawlers.discovery.google_news import google_news_discover

    out = Discovered()
    for name, fn in (("gdelt", gdelt_discover), ("google-news", google_news_discover)):
        try:
            fn(fetcher, city, crawl, catalogue, out)
        except DuluanError as exc:
            log.warning("discovery connector %s failed: %s", name, exc)
            out.errors.append((name, str(exc)))
    dropped = out.drop_unresolved_duplicates()
    if out.resolved or out.unresolved:
        log.info("google news links: %d resolved, %d unresolved (%d of those duplicate another item)",
                 out.resolved, len(out.unresolved), dropped)
    return out
