"""A candidate article URL found by discovery (feed entry, sitemap URL, listing link, search hit),
with what the discovery document said about it (title, summary, date) for later fallbacks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from duluan.models import canonicalize_url


@dataclass
class Candidate:
    url: str
    source_id: str
    via: str = "feed"  # feed | sitemap | listing | discovery | url
    title: str | None = None
    summary: str | None = None
    published: datetime | None = None
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def canonical(self) -> str:
        return canonicalize_url(self.url)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["published"] = self.published.isoformat() if self.published else None
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Candidate:
        d = dict(d)
        if d.get("published"):
            d["published"] = datetime.fromisoformat(d["published"])
        return cls(**d)


def dedup_candidates(cands: list[Candidate]) -> list[Candidate]:
    """One candidate per canonical URL; the first one (with the richest feed data) wins, but a
    later one fills in a missing title/date."""
    out: dict[str, Candidate] = {}
    for c in cands:
        key = c.canonical
        if key not in out:
            out[key] = c
            continue
        first = out[key]
        first.title = first.title or c.title
        first.summary = first.summary or c.summary
        first.published = first.published or c.published
    return list(out.values())
