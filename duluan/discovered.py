"""Outlets found by foreign-press discovery that are not in the catalogue, kept in the
operational DB (`DiscoveredOutlet`) so an analyst can see who writes about the city — domain,
name, country/language where the connector knew them, first/last seen, article count, connector —
and promote one into the catalogue (`duluan sources discovered`, `duluan sources promote`).

The crawlers do not touch the DB: the runner hands each discovery result to `record_outlets`."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from duluan.db import CustomSource, DiscoveredOutlet, audit
from duluan.errors import ConfigError
from duluan.models import Kind, Source, article_id

log = logging.getLogger("duluan.discovered")

RECENT_IDS = 500  # article ids remembered per outlet to count each article once


def outlet_domain(source: Source) -> str:
    """`www.`-less host of a discovery source's homepage."""
    return (urlsplit(source.homepage).hostname or "").lower().removeprefix("www.")


def is_discovered(source: Source) -> bool:
    """Sources made up by the connectors for outlets outside the catalogue."""
    return source.id.startswith("disc-")


def record_outlets(ctx: Any, candidates: Iterable[Any], sources: dict[str, Source],
                   now: datetime | None = None) -> int:
    """Upsert the outlets behind this discovery run's candidates (catalogue outlets are skipped).
    Returns the number of outlets touched; a DB failure is logged, never raised (discovery goes on)."""
    now = now or datetime.now(UTC)
    groups: dict[str, list[Any]] = {}
    for c in candidates:
        src = sources.get(c.source_id)
        if src is None or not is_discovered(src):
            continue
        domain = outlet_domain(src)
        if domain:
            groups.setdefault(domain, []).append((c, src))
    if not groups:
        return 0
    try:
        with ctx.session() as s:
            for domain, items in groups.items():
                row = s.get(DiscoveredOutlet, domain)
                src = items[0][1]
                if row is None:
                    row = DiscoveredOutlet(domain=domain, name=src.name, first_seen=now, article_count=0,
                                           connectors=[], recent_ids=[])
                    s.add(row)
                if src.country and src.country != "ZZ":
                    row.country = src.country
                row.language = row.language or src.language
                if src.name and (not row.name or row.name == domain):
                    row.name = src.name
                seen = list(row.recent_ids or [])
                connectors = list(row.connectors or [])
                for c, _src in items:
                    aid = article_id(c.url)
                    if aid not in seen:
                        seen.append(aid)
                        row.article_count = (row.article_count or 0) + 1
                    conn = (c.extra or {}).get("connector")
                    if conn and conn not in connectors:
                        connectors.append(conn)
                    row.last_url, row.last_title = c.url, (c.title or "")[:500]
                row.recent_ids = seen[-RECENT_IDS:]
                row.connectors = connectors
                row.last_seen = now
            s.commit()
    except SQLAlchemyError as exc:
        log.warning("could not record %d discovered outlet(s): %s", len(groups), exc)
        return 0
    return len(groups)


def discovered_rows(session: Any, min_articles: int = 1, limit: int = 200,
                    include_promoted: bool = False) -> list[dict[str, Any]]:
    """The discovered outlets, most articles first."""
    q = session.query(DiscoveredOutlet).filter(DiscoveredOutlet.article_count >= min_articles)
    if not include_promoted:
        q = q.filter(DiscoveredOutlet.promoted_source_id.is_(None))
    rows = q.order_by(DiscoveredOutlet.article_count.desc(), DiscoveredOutlet.last_seen.desc()).limit(limit).all()
    return [{"domain": r.domain, "name": r.name, "country": r.country, "language": r.language,
             "connectors": list(r.connectors or []), "first_seen": r.first_seen, "last_seen": r.last_seen,
             "article_count": r.article_count, "last_url": r.last_url, "last_title": r.last_title,
             "promoted_source_id": r.promoted_source_id} for r in rows]


def promote(ctx: Any, domain: str, source_id: str | None = None, feeds: list[str] | None = None,
            enabled: bool = True, actor: str = "cli") -> Source:
    """Add a discovered outlet to the catalogue as a UI source (`custom_sources`), so the crawler
    polls its feeds and its articles are no longer "discovered". Raises `ConfigError` for an
    unknown domain, an id already in use or an invalid definition."""
    domain = domain.lower().removeprefix("www.")
    with ctx.session() as s:
        row = s.get(DiscoveredOutlet, domain)
        if row is None:
            raise ConfigError(f"{domain}: not a discovered outlet (see `duluan sources discovered`)")
        sid = source_id or re.sub(r"[^a-z0-9]+", "-", domain.rsplit(".", 1)[0]).strip("-")[:60]
        if any(src.id == sid for src in ctx.sources) or s.get(CustomSource, sid) is not None:
            raise ConfigError(f"source id {sid!r} already exists; choose another with --id")
        country = row.country or "ZZ"
        try:
            src = Source(id=sid, name=row.name or domain, homepage=f"https://{domain}/", feeds=list(feeds or []),
                         country=country, language=(row.language or "en")[:2],
                         kind=Kind.domestic if country == "VN" else Kind.foreign, enabled=enabled)
        except ValueError as exc:
            raise ConfigError(f"{domain}: cannot make a source: {exc}") from None
        s.add(CustomSource(id=sid, definition=src.model_dump(mode="json"), created_by=actor))
        row.promoted_source_id = sid
        audit(s, actor, "source.promote", sid, domain=domain)
        s.commit()
    ctx.reload_sources()
    return src
