"""Plain typed records that flow between the stages (see shared ARCHITECTURE.md).

No I/O or computation happens when an attribute is read; each stage returns new records
(`model_copy(update=...)`) and records the method + version of what it computed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _aware_utc(v: datetime | None) -> datetime | None:
    if v is None:
        return None
    if v.tzinfo is None:
        return v.replace(tzinfo=UTC)
    return v.astimezone(UTC)


UTCDateTime = Annotated[datetime, AfterValidator(_aware_utc)]


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


_TRACKING_PREFIXES = ("utm_", "fbclid", "gclid", "mc_", "ref", "cmpid", "ito", "ns_", "at_", "igshid", "_ga")


def canonicalize_url(url: str) -> str:
    """Canonical form of an article URL: lower-case host, no tracking params, AMP/mobile variants
    folded, no fragment, no trailing slash. Two URLs of one article give one canonical URL."""
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "http").lower()
    if scheme == "http" or scheme == "https":
        scheme = "https"
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m.", "amp.", "mobile."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path or "/"
    for amp in ("/amp/", "/amp"):
        if path.endswith(amp):
            path = path[: -len(amp)] or "/"
    if path.endswith(".amp"):
        path = path[:-4]
    if path.startswith("/amp/"):
        path = path[4:]
    if len(path) > 1:
        path = path.rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in ("amp", "outputtype")
    ]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def article_id(url: str) -> str:
    """Stable id of an article: the first 16 bytes of SHA-256 of its canonical URL, in hex."""
    return hashlib.sha256(canonicalize_url(url).encode("utf-8")).hexdigest()[:32]


class Kind(StrEnum):
    domestic = "domestic"
    foreign = "foreign"


class ListingPage(BaseModel):
    """A section page of an outlet without a feed, and the pattern its article links follow."""

    model_config = ConfigDict(extra="forbid")
    url: str
    link_pattern: str = Field(description="regular expression an article URL must match")


class Source(BaseModel):
    """An outlet in the catalogue."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    homepage: str
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    listings: list[ListingPage] = Field(default_factory=list)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1")
    kind: Kind
    state: bool = Field(default=False, description="official / state outlet")
    interval_minutes: int = Field(default=30, gt=0)
    enabled: bool = True
    weight: float = Field(default=1.0, ge=0, description="outlet weight used by the risk score")


class RawArticle(BaseModel):
    """What a crawler hands on to the pipeline."""

    url: str
    final_url: str | None = None
    source_id: str
    fetched_at: UTCDateTime = Field(default_factory=utcnow)
    status: int = 200
    html: bytes | None = None
    encoding: str | None = None
    redirects: list[str] = Field(default_factory=list)
    feed_title: str | None = None
    feed_summary: str | None = None
    feed_published: UTCDateTime | None = None
    feed_language: str | None = None


class Mention(BaseModel):
    """One match of a city alias in an article."""

    alias: str
    field: Literal["title", "lead", "body"]
    start: int
    end: int
    weak: bool = False


class TopicScore(BaseModel):
    code: str
    score: float


class Sentiment(BaseModel):
    label: Literal[-1, 0, 1]
    score: float = 0.0
    method: str = ""


class Review(BaseModel):
    """An analyst's corrections; they win over automatic labels everywhere."""

    reviewed: bool = False
    reviewed_by: str | None = None
    reviewed_at: UTCDateTime | None = None
    topics: list[str] | None = None
    sentiment: Literal[-1, 0, 1] | None = None
    relevant: bool | None = None
    note: str | None = None


class Article(BaseModel):
    """The indexed record."""

    id: str
    url: str
    canonical_url: str
    source_id: str
    source_name: str = ""
    source_country: str = ""
    source_kind: Kind = Kind.domestic
    source_state: bool = False
    section: str | None = None
    title: str = ""
    title_vi: str | None = Field(default=None, description="Vietnamese gloss of a foreign title")
    text: str = ""
    summary: str = ""
    authors: list[str] = Field(default_factory=list)
    published_at: UTCDateTime
    fetched_at: UTCDateTime = Field(default_factory=utcnow)
    language: str = "und"
    language_confidence: float = 0.0
    mentions: list[Mention] = Field(default_factory=list)
    relevance: float = 0.0
    topics: list[TopicScore] = Field(default_factory=list)
    sentiment: Sentiment | None = None
    story_id: str | None = None
    fingerprint: str | None = None
    risk: float = 0.0
    risk_reasons: list[str] = Field(default_factory=list)
    review: Review = Field(default_factory=Review)
    enrichment: dict[str, str] = Field(default_factory=dict, description="enricher -> method@version")
    extra: dict[str, Any] = Field(default_factory=dict)

    def effective_topics(self) -> list[str]:
        """Topic codes after the analyst's correction, if any."""
        if self.review.topics is not None:
            return list(self.review.topics)
        return [t.code for t in self.topics]

    def effective_sentiment(self) -> int | None:
        """Sentiment label after the analyst's correction, if any."""
        if self.review.sentiment is not None:
            return self.review.sentiment
        return self.sentiment.label if self.sentiment else None

    def effective_relevant(self, threshold: float = 0.5) -> bool:
        """Whether the article is about the city, after the analyst's correction."""
        if self.review.relevant is not None:
            return self.review.relevant
        return self.relevance >= threshold


class Story(BaseModel):
    """A cluster of near-duplicate or same-event articles across outlets."""

    id: str
    title: str = ""
    first_seen: UTCDateTime
    last_seen: UTCDateTime
    articles: int = 0
    outlets: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    foreign: int = 0


AlertState = Literal["new", "acknowledged", "assigned", "responded", "closed"]


class AlertEvent(BaseModel):
    at: UTCDateTime = Field(default_factory=utcnow)
    actor: str
    action: str
    detail: dict[str, Any] = Field(default_factory=dict)


class Alert(BaseModel):
    """A rapid-response alert and its workflow state."""

    id: str
    rule_id: str
    article_id: str | None = None
    story_id: str | None = None
    created_at: UTCDateTime = Field(default_factory=utcnow)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    title: str = ""
    reasons: list[str] = Field(default_factory=list)
    talking_points: list[str] = Field(default_factory=list)
    state: AlertState = "new"
    agency: str | None = None
    assignee: str | None = None
    deadline: UTCDateTime | None = None
    article_ids: list[str] = Field(default_factory=list)
    history: list[AlertEvent] = Field(default_factory=list)
