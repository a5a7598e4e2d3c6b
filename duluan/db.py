"""The operational database (SQLAlchemy 2): users, sessions, audit log, alert rules, alerts and
their history and deliveries, source health, crawl state, report archive, saved searches, job
runs. SQLite file by default; any SQLAlchemy URL (PostgreSQL: `postgresql+psycopg://…`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.schema import CreateIndex


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as UTC; always read back as an aware UTC datetime (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSON everywhere; JSONB on PostgreSQL, whose plain json type has no equality operator
# (DISTINCT, UNION and GROUP BY over a row holding a JSON column would fail there).
JSONType = JSON().with_variant(JSONB(), "postgresql")
log = logging.getLogger("duluan.db")


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="viewer")  # admin | analyst | viewer
    full_name: Mapped[str] = mapped_column(String(128), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128), default="")
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebSession(Base):
    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # hash of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(8), default="vi")


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    remote: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, index=True)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditLog(Base):
    """Every state change, by whom. Append-only."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class AlertRule(Base):
    __tablename__ = "alert_rules"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(String(16), default="config")  # config | ui
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class AlertRecord(Base):
    __tablename__ = "alerts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    story_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    article_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    severity: Mapped[str] = mapped_column(String(16), default="medium")
    state: Mapped[str] = mapped_column(String(16), default="new", index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # reasons, talking points, article ids
    agency: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(128), nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dedup_key: Mapped[str | None] = mapped_column(String(160), nullable=True, index=True)


# One open alert per dedup key, guaranteed by the database rather than by a process lock: the
# scheduler, the web UI ("crawl now") and CLI ingests are separate processes on this DB.
OPEN_ALERT_DEDUP_INDEX = Index(
    "uq_alerts_open_dedup_key", AlertRecord.dedup_key, unique=True,
    sqlite_where=text("state != 'closed'"), postgresql_where=text("state != 'closed'"))


class AlertHistory(Base):
    """Immutable history of an alert (who, when, what)."""

    __tablename__ = "alert_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Delivery(Base):
    """One alert on one channel: state, attempts, last error, next try; dead letters stay here."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(512), default="")
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class SourceHealth(Base):
    __tablename__ = "source_health"
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    articles_total: Mapped[int] = mapped_column(Integer, default=0)
    articles_last_day: Mapped[int] = mapped_column(Integer, default=0)
    mean_latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    fetches: Mapped[int] = mapped_column(Integer, default=0)
    enabled_override: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class FeedState(Base):
    """Conditional-GET validators per feed/sitemap URL."""

    __tablename__ = "feed_state"
    url: Mapped[str] = mapped_column(Text, primary_key=True)  # URLs have no length limit (PostgreSQL enforces one)
    etag: Mapped[str | None] = mapped_column(String(512), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_checked: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)


class FetchLog(Base):
    """Canonical URLs fetched, so a URL is not fetched twice within the recent window."""

    __tablename__ = "fetch_log"
    canonical_url: Mapped[str] = mapped_column(Text, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), default="")
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, index=True)
    status: Mapped[str] = mapped_column(String(32), default="ok")  # ok | dropped (no article; reason in detail) | error
    detail: Mapped[str] = mapped_column(Text, default="")


class CustomSource(Base):
    """Sources added in the UI (validated like the YAML catalogue)."""

    __tablename__ = "custom_sources"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class ReportArchive(Base):
    __tablename__ = "report_archive"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # daily | monthly | period
    title: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    format: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    created_by: Mapped[str] = mapped_column(String(64), default="scheduler")


class ReportDraft(Base):
    """The analyst's editable sections (assessment and proposals) for one period's report."""

    __tablename__ = "report_drafts"
    __table_args__ = (UniqueConstraint("kind", "period_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    period_key: Mapped[str] = mapped_column(String(64))
    assessment: Mapped[str] = mapped_column(Text, default="")
    proposals: Mapped[str] = mapped_column(Text, default="")
    number: Mapped[str] = mapped_column(String(64), default="")
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class SavedSearch(Base):
    __tablename__ = "saved_searches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class JobRun(Base):
    __tablename__ = "job_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(128), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | error
    message: Mapped[str] = mapped_column(Text, default="")


class SourceDrop(Base):
    """Fetched pages of a source that held no article, counted per reason (`no_article`,
    `too_short`, `not_html`, `not_found`, `index_page`…) for `duluan sources health`. The fetch log
    row of each such page has status `dropped` and detail `"<reason>: <message>"`."""

    __tablename__ = "source_drops"
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_url: Mapped[str] = mapped_column(Text, default="")


class SitemapChildren(Base):
    """The child sitemaps a sitemap index listed when last fetched (newest first), so an index
    answered 304 is still followed; its validators live in `FeedState` like a feed's."""

    __tablename__ = "sitemap_children"
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    children: Mapped[list[Any]] = mapped_column(JSONType, default=list)


class DiscoveredOutlet(Base):
    """An outlet outside the catalogue that the discovery connectors (GDELT, Google News) found
    articles from; `duluan sources discovered` lists them, `duluan sources promote` adds one to the
    catalogue (as a UI source). `recent_ids` keeps the last article ids so repeated runs that see
    the same article do not count it twice."""

    __tablename__ = "discovered_outlets"
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    connectors: Mapped[list[str]] = mapped_column(JSONType, default=list)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, index=True)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    last_url: Mapped[str] = mapped_column(Text, default="")
    last_title: Mapped[str] = mapped_column(Text, default="")
    recent_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    promoted_source_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


def make_engine(url: str) -> Engine:
    """An engine for the operational DB; SQLite gets WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _rec: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url, pool_pre_ping=True)


def init_db(engine: Engine) -> None:
    """Create missing tables (idempotent), then the indexes that `create_all` does not add to
    tables that already exist."""
    Base.metadata.create_all(engine)
    ensure_open_alert_index(engine)


def _merge_open_duplicates(engine: Engine) -> int:
    """Close all but the oldest open alert of each dedup key (the survivor takes their article
    ids, outlets, countries and languages), each with a history row and an audit entry, so the
    unique index can be built; returns how many were closed. Nothing is deleted."""
    factory = session_factory(engine)
    closed = 0
    with factory() as s:
        keys = [k for (k,) in s.query(AlertRecord.dedup_key).filter(
            AlertRecord.dedup_key.is_not(None), AlertRecord.state != "closed")
            .group_by(AlertRecord.dedup_key).having(func.count(AlertRecord.id) > 1).all()]
        now = _now()
        for key in keys:
            keep, *dups = (s.query(AlertRecord).filter(AlertRecord.dedup_key == key, AlertRecord.state != "closed")
                           .order_by(AlertRecord.created_at, AlertRecord.id).all())
            data = dict(keep.data or {})
            for dup in dups:
                for field in ("article_ids", "outlets", "countries", "languages"):
                    merged = list(data.get(field) or [])
                    merged += [v for v in (dup.data or {}).get(field) or [] if v not in merged]
                    data[field] = merged
                dup.state, dup.closed_at, dup.updated_at = "closed", now, now
                detail = {"reason": "duplicate open alert of the same dedup key", "merged_into": keep.id,
                          "dedup_key": key}
                s.add(AlertHistory(alert_id=dup.id, at=now, actor="system", action="close", detail=detail))
                audit(s, "system", "alert.merge_duplicate", dup.id, **detail)
                closed += 1
            keep.data, keep.updated_at = data, now
            s.add(AlertHistory(alert_id=keep.id, at=now, actor="system", action="merge",
                               detail={"merged": [d.id for d in dups], "dedup_key": key}))
        s.commit()
    return closed


def ensure_open_alert_index(engine: Engine) -> None:
    """Build the partial unique index on open alerts' dedup keys on a database made before it
    existed, merging any duplicates first. Never stops the service from starting: a failure is
    logged and the engine still guards against duplicates in-process."""
    if OPEN_ALERT_DEDUP_INDEX.name in {ix["name"] for ix in inspect(engine).get_indexes("alerts")}:
        return
    err: SQLAlchemyError | None = None
    for _ in range(3):  # another process may open a duplicate between the merge and the build
        try:
            closed = _merge_open_duplicates(engine)
            if closed:
                log.warning("operational DB: closed %d duplicate open alert(s) before building %s", closed,
                            OPEN_ALERT_DEDUP_INDEX.name)
            with engine.begin() as conn:
                conn.execute(CreateIndex(OPEN_ALERT_DEDUP_INDEX, if_not_exists=True))
            return
        except SQLAlchemyError as exc:
            err = exc
    log.error("operational DB: unique index %s not built: %s", OPEN_ALERT_DEDUP_INDEX.name, err)


def session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)


def audit(session: Any, actor: str, action: str, target: str = "", **detail: Any) -> None:
    """Append one audit entry (committed with the caller's transaction)."""
    session.add(AuditLog(actor=actor, action=action, target=target, detail=detail))
