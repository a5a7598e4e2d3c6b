"""Creating and growing alert records: routing to an agency, talking points, dedup (one open
alert per rule and story) and escalation when a story grows. Shared by the per-batch engine and
the aggregate triggers."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from alerts.arguments import match_arguments
from alerts.rules import SENSITIVE_TOPICS, max_severity
from duluan.db import AlertHistory, AlertRecord, audit
from duluan.models import Article

if TYPE_CHECKING:
    from duluan.context import AppContext
    from duluan.settings import CityConfig

log = logging.getLogger("duluan.alerts.records")
EXCERPT_CHARS = 400
DEFAULT_AGENCY = "stttt"  # the Department of Information and Communications leads the monitoring


def route_agency(city: CityConfig, topics: list[str], preferred: str | None = None) -> str | None:
    """The agency that answers: the rule's own target, else the first agency whose topics cover
    the article's most important topic (sensitive topics first), else the lead department."""
    if preferred and city.agency(preferred) is not None:
        return preferred
    ordered = [t for t in topics if t in SENSITIVE_TOPICS] + [t for t in topics if t not in SENSITIVE_TOPICS]
    for t in ordered:
        for a in city.agencies:
            if t in a.topics:
                return a.id
    if city.agency(DEFAULT_AGENCY) is not None:
        return DEFAULT_AGENCY
    return city.agencies[0].id if city.agencies else preferred


def excerpt(article: Article, limit: int = EXCERPT_CHARS) -> str:
    """The first sentences of the article (or its summary), cut on a word boundary."""
    text = (article.summary or article.text or "").strip().replace("\n", " ")
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def article_info(article: Article) -> dict[str, Any]:
    """What an alert keeps of its article (so a message renders without the index)."""
    return {
        "id": article.id, "title": article.title, "title_vi": article.title_vi, "url": article.url,
        "source_id": article.source_id, "source_name": article.source_name or article.source_id,
        "country": article.source_country, "kind": str(article.source_kind), "language": article.language,
        "published_at": article.published_at.isoformat(), "excerpt": excerpt(article),
        "topics": article.effective_topics(), "sentiment": article.effective_sentiment(),
        "relevance": round(article.relevance, 3), "risk": round(article.risk, 1),
    }


def talking_points_for(ctx: AppContext, article: Article | None, topics: list[str], text: str = "",
                       limit: int = 3) -> list[dict[str, Any]]:
    use_emb = ctx.settings.enrichment.embeddings
    try:
        found = match_arguments(article if article is not None else text, topics,
                                article.language if article is not None else None, limit=limit,
                                config_dir=ctx.settings.config_dir, use_embeddings=use_emb)
    except Exception as exc:  # noqa: BLE001 - a broken library file must not stop the alert
        log.error("talking points unavailable: %s", exc)
        return []
    return [{"id": p.id, "title": p.title, "summary": p.summary, "score": p.score, "matched": p.matched,
             "example": p.example, "path": p.path} for p in found]


def new_alert_id() -> str:
    return uuid.uuid4().hex[:12]


def find_open(session: Any, dedup_key: str) -> AlertRecord | None:
    return (session.query(AlertRecord).filter(AlertRecord.dedup_key == dedup_key, AlertRecord.state != "closed")
            .order_by(AlertRecord.created_at.desc()).first())


def already_alerted(session: Any, dedup_key: str, article_id: str) -> bool:
    """Whether an alert with this key (in any state) already holds the article (re-ingestion)."""
    for rec in session.query(AlertRecord).filter(AlertRecord.dedup_key == dedup_key).all():
        if article_id in (rec.data or {}).get("article_ids", []):
            return True
    return False


class Contended(Exception):
    """Another process changed the alert between our read and our write: roll back and redo."""


def claim_open(session: Any, rec: AlertRecord, now: datetime) -> datetime:
    """Take the alert for this transaction before growing it (compare-and-swap on `updated_at`):
    the row is locked until commit (PostgreSQL row lock, SQLite write lock) and the update only
    wins if nobody wrote the alert since it was read, so two processes attaching articles at
    once never lose one's article ids or escalate twice. Raises `Contended` otherwise."""
    old = rec.updated_at
    new = max(now, old + timedelta(microseconds=1))  # always a new value, even with a fixed clock
    res = session.execute(update(AlertRecord).where(AlertRecord.id == rec.id, AlertRecord.updated_at == old,
                                                    AlertRecord.state != "closed")
                          .values(updated_at=new).execution_options(synchronize_session=False))
    if res.rowcount != 1:
        raise Contended(rec.id)
    set_committed_value(rec, "updated_at", new)  # the row has it already: no second UPDATE
    return new


def settle_updated_at(rec: AlertRecord, claimed: datetime) -> None:
    """Keep the claimed stamp when attach/escalate wrote an older clock value."""
    if rec.updated_at < claimed:
        rec.updated_at = claimed


def create_alert_once(session: Any, ctx: AppContext, keep: list[AlertRecord], **kw: Any) -> AlertRecord | None:
    """`create_alert` for the scheduled triggers, guarded by the database's unique index on open
    alerts' dedup keys: the work so far is committed first, and if another process opened an
    alert with this key meanwhile the insert is rolled back and None returned (that process
    notifies). `keep` are this pass's records, reloaded after such a rollback."""
    session.commit()
    try:
        rec = create_alert(session, ctx, **kw)
    except IntegrityError:
        session.rollback()
        for r in keep:
            session.refresh(r)
        log.info("alert %s already opened by another process", kw.get("dedup_key"))
        return None
    return rec


def create_alert(session: Any, ctx: AppContext, *, rule_id: str, dedup_key: str, kind: str, severity: str,
                 title: str, reasons: list[str], agency: str | None, article: Article | None,
                 story_id: str | None, channels: list[str], talking_points: list[dict[str, Any]],
                 metrics: dict[str, Any] | None = None, now: datetime | None = None) -> AlertRecord:
    """Store a new alert with its history entry (the caller queues deliveries and commits)."""
    now = now or datetime.now(UTC)
    ag = ctx.city.agency(agency) if agency else None
    data: dict[str, Any] = {
        "kind": kind, "reasons": reasons, "base_severity": severity, "channels": channels,
        "article": article_info(article) if article is not None else None,
        "article_ids": [article.id] if article is not None else [],
        "outlets": [article.source_id] if article is not None else [],
        "countries": [article.source_country] if article is not None and article.source_country else [],
        "languages": [article.language] if article is not None else [],
        "talking_points": talking_points, "agency_name": ag.name if ag else None,
        "escalations": [], "metrics": metrics or {},
    }
    rec = AlertRecord(id=new_alert_id(), rule_id=rule_id, story_id=story_id,
                      article_id=article.id if article is not None else None, created_at=now, updated_at=now,
                      severity=severity, state="new", title=title[:500], data=data, agency=agency,
                      dedup_key=dedup_key)
    session.add(rec)
    session.flush()  # the history row refers to it (no ORM relationship orders the inserts)
    session.add(AlertHistory(alert_id=rec.id, at=now, actor="system", action="create",
                             detail={"rule": rule_id, "severity": severity, "agency": agency, "reasons": reasons}))
    audit(session, "system", "alert.create", rec.id, rule=rule_id, severity=severity, agency=agency)
    return rec


def attach_article(session: Any, rec: AlertRecord, article: Article, now: datetime | None = None) -> None:
    """A later article of the same story joins the open alert instead of firing again."""
    now = now or datetime.now(UTC)
    data = dict(rec.data or {})
    data["article_ids"] = [*data.get("article_ids", []), article.id]
    for key, value in (("outlets", article.source_id), ("countries", article.source_country),
                       ("languages", article.language)):
        if value and value not in data.get(key, []):
            data[key] = [*data.get(key, []), value]
    rec.data = data
    rec.updated_at = now
    session.add(AlertHistory(alert_id=rec.id, at=now, actor="system", action="attach",
                             detail={"article_id": article.id, "source": article.source_id,
                                     "country": article.source_country, "title": article.title[:200]}))


def escalate(session: Any, rec: AlertRecord, to: str, reason: str, now: datetime | None = None) -> bool:
    """Raise the alert's severity (never lower it); returns whether it changed."""
    now = now or datetime.now(UTC)
    new = max_severity(rec.severity, to)
    if new == rec.severity:
        return False
    data = dict(rec.data or {})
    data["escalations"] = [*data.get("escalations", []),
                           {"at": now.isoformat(), "from": rec.severity, "to": new, "reason": reason}]
    rec.data = data
    session.add(AlertHistory(alert_id=rec.id, at=now, actor="system", action="escalate",
                             detail={"from": rec.severity, "to": new, "reason": reason}))
    audit(session, "system", "alert.escalate", rec.id, to=new, reason=reason)
    rec.severity = new
    rec.updated_at = now
    return True
