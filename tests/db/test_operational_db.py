"""The operational database on SQLite and on a real PostgreSQL: schema creation, round trips
of every kind of column, constraints, cascades, time-zone handling and the app wiring."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from duluan import db
from tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[2]
HCM = timezone(timedelta(hours=7))


@pytest.fixture
def session(db_url: str) -> Any:
    engine = db.make_engine(db_url)
    db.init_db(engine)
    factory = db.session_factory(engine)
    yield factory
    engine.dispose()


def test_schema_is_created_idempotently(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.init_db(engine)
    db.init_db(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(db.Base.metadata.tables) <= tables
    engine.dispose()


def test_users_tokens_sessions_and_cascade(session: Any) -> None:
    with session() as s:
        u = db.User(username="lan", password_hash="x" * 97, role="analyst", full_name="Nguyễn Thị Lan",
                    email="lan@example.vn")
        s.add(u)
        s.flush()
        s.add(db.ApiToken(user_id=u.id, name="báo cáo", token_hash="h" * 64))
        s.add(db.WebSession(id="s" * 64, user_id=u.id, csrf_token="c" * 43,
                            expires_at=datetime(2026, 11, 22, 12, tzinfo=HCM)))
        s.add(db.SavedSearch(user_id=u.id, name="Ngập lụt", params={"text": '"ngập lụt"', "topics": ["flooding"]}))
        s.commit()
        uid = u.id
    with session() as s:
        u = s.get(db.User, uid)
        assert u.full_name == "Nguyễn Thị Lan" and u.active is True and u.failed_logins == 0
        ws = s.scalars(select(db.WebSession)).one()
        assert ws.expires_at == datetime(2026, 11, 22, 5, tzinfo=UTC)  # stored and read back as UTC
        assert ws.expires_at.tzinfo is not None
        saved = s.scalars(select(db.SavedSearch)).one()
        assert saved.params == {"text": '"ngập lụt"', "topics": ["flooding"]}
        s.delete(u)
        s.commit()
    with session() as s:  # the database cascades (SQLite with foreign_keys=ON, PostgreSQL always)
        assert s.scalar(select(func.count()).select_from(db.ApiToken)) == 0
        assert s.scalar(select(func.count()).select_from(db.WebSession)) == 0
        assert s.scalar(select(func.count()).select_from(db.SavedSearch)) == 0


def test_unique_constraints(session: Any) -> None:
    with session() as s:
        s.add(db.User(username="an", password_hash="x"))
        s.commit()
        s.add(db.User(username="an", password_hash="y"))
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        s.add(db.ReportDraft(kind="monthly", period_key="2026-10", assessment="Tình hình ổn định"))
        s.commit()
        s.add(db.ReportDraft(kind="monthly", period_key="2026-10"))
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        assert s.scalar(select(func.count()).select_from(db.ReportDraft)) == 1


def test_foreign_keys_are_enforced(session: Any) -> None:
    with session() as s:
        s.add(db.AlertHistory(alert_id="no-such-alert", actor="x", action="ack"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_alerts_history_deliveries(session: Any) -> None:
    created = datetime(2026, 10, 6, 1, 30, tzinfo=UTC)
    with session() as s:
        rec = db.AlertRecord(id="al-1", rule_id="sensitive-foreign", story_id="s-flood", severity="high",
                             title="Báo nước ngoài đưa tin ngập lụt", created_at=created,
                             data={"reasons": ["chủ đề nhạy cảm"], "article_ids": ["a", "b"], "score": 87.5},
                             deadline=created + timedelta(hours=4), dedup_key="sensitive-foreign:s-flood")
        s.add(rec)
        s.flush()
        s.add(db.AlertHistory(alert_id="al-1", actor="system", action="create", detail={"state": "new"}))
        s.add(db.AlertHistory(alert_id="al-1", actor="lan", action="acknowledge", detail={}))
        s.add(db.Delivery(alert_id="al-1", channel="email", target="office@example.vn", state="failed",
                          attempts=3, last_error="SMTP 451", next_try_at=created + timedelta(minutes=5)))
        s.commit()
    with session() as s:
        rec = s.get(db.AlertRecord, "al-1")
        assert rec.data["reasons"] == ["chủ đề nhạy cảm"] and rec.data["score"] == 87.5
        assert rec.deadline - rec.created_at == timedelta(hours=4)
        hist = s.scalars(select(db.AlertHistory).where(db.AlertHistory.alert_id == "al-1")
                         .order_by(db.AlertHistory.id)).all()
        assert [h.action for h in hist] == ["create", "acknowledge"]
        # time filters with aware datetimes in another zone compare as instants
        due = s.scalars(select(db.Delivery).where(
            db.Delivery.next_try_at <= datetime(2026, 10, 6, 8, 35, tzinfo=HCM))).all()
        assert len(due) == 1 and due[0].next_try_at == created + timedelta(minutes=5)
        # a JSON column in a DISTINCT query (PostgreSQL's plain json type has no equality operator)
        rows = s.scalars(select(db.AlertRecord).join(db.AlertHistory).distinct()).all()
        assert [r.id for r in rows] == ["al-1"]
        s.delete(rec)
        s.commit()
        assert s.scalar(select(func.count()).select_from(db.AlertHistory)) == 0
        assert s.scalar(select(func.count()).select_from(db.Delivery)) == 0


def test_crawl_state_and_long_values(session: Any) -> None:
    import hashlib

    # 2,000+ characters that do not compress (over the old 1,024 limit, under PostgreSQL's index-row limit)
    noise = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(31))
    url = "https://baomoi.example/tin?id=" + noise + ".html"
    with session() as s:
        s.add(db.FetchLog(canonical_url=url, source_id="baomoi", status="ok"))
        s.add(db.FeedState(url=url + ".rss", etag=None))
        s.add(db.FeedState(url="https://tuoitre.example/rss/tp-hcm.rss", etag='W/"5f2-abc"',
                           last_modified="Sat, 21 Nov 2026 23:10:00 GMT", last_status=304,
                           last_checked=datetime(2026, 11, 22, tzinfo=UTC)))
        s.add(db.SourceHealth(source_id="tuoitre", consecutive_failures=2, mean_latency_ms=431.5,
                              last_error="HTTP 503 " + "x" * 5000, enabled_override=None))
        s.add(db.JobRun(job_id="crawl:tuoitre", status="ok", message="12 bài mới",
                        finished_at=datetime(2026, 11, 22, 0, 1, tzinfo=UTC)))
        s.add(db.ReportArchive(kind="daily", title="Điểm báo ngày 22/11/2026",
                               period_start=datetime(2026, 11, 21, 17, tzinfo=UTC),
                               period_end=datetime(2026, 11, 22, 17, tzinfo=UTC), format="pdf",
                               path="/data/reports/2026-11-22.pdf", size=123456))
        s.add(db.CustomSource(id="baocantho", definition={"id": "baocantho", "feeds": ["https://x.example/rss"]}))
        s.add(db.LoginAttempt(username="lan", remote="127.0.0.1", ok=False))
        s.commit()
    with session() as s:
        assert s.get(db.FetchLog, url).source_id == "baomoi"
        assert s.get(db.FeedState, "https://tuoitre.example/rss/tp-hcm.rss").last_status == 304
        health = s.get(db.SourceHealth, "tuoitre")
        assert health.mean_latency_ms == 431.5 and health.enabled_override is None
        assert len(health.last_error) == 5009
        assert s.scalars(select(db.JobRun)).one().message == "12 bài mới"
        rep = s.scalars(select(db.ReportArchive)).one()
        assert rep.period_end - rep.period_start == timedelta(days=1)
        recent = s.scalar(select(func.count()).select_from(db.LoginAttempt).where(
            db.LoginAttempt.at >= datetime.now(UTC) - timedelta(minutes=5)))
        assert recent == 1


def test_audit_log(session: Any) -> None:
    with session() as s:
        db.audit(s, "lan", "alert.assign", "al-9", agency="Sở Xây dựng", hours=4)
        s.commit()
        entry = s.scalars(select(db.AuditLog)).one()
        assert entry.detail == {"agency": "Sở Xây dựng", "hours": 4}
        assert entry.at.tzinfo is not None


@pytest.mark.pg
@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://"])
def test_postgres_url_without_driver_is_accepted(scheme: str) -> None:
    from sqlalchemy import text

    from tests.db.conftest import _pg_admin_url

    plain = _pg_admin_url().replace("postgresql+psycopg://", scheme)
    engine = db.make_engine(plain)
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as c:
        assert c.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_app_context_and_cli_init_use_the_configured_database(db_url: str, app_env: dict[str, str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DULUAN_DATABASE_URL", db_url)
    env = subprocess_env({**app_env, "DULUAN_DATABASE_URL": db_url})
    for _ in range(2):  # a second init keeps the existing admin
        run = subprocess.run([sys.executable, "-m", "duluan", "init"], capture_output=True, text=True, env=env,
                             cwd=ROOT, timeout=120)
        assert run.returncode == 0, run.stderr
    assert "already exists" in run.stdout
    from duluan.context import AppContext

    ctx = AppContext.load()
    try:
        assert str(ctx.engine.url.render_as_string(hide_password=True)).split("://")[0] == db_url.split("://")[0]
        with ctx.session() as s:
            admin = s.scalars(select(db.User).where(db.User.username == "admin")).one()
            assert admin.role == "admin"
            assert s.scalar(select(func.count()).select_from(db.AuditLog)) == 1
    finally:
        ctx.engine.dispose()
        ctx.close()


def test_scheduler_job_store_persists_jobs(db_url: str, app_env: dict[str, str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduler keeps its jobs in the operational database (APScheduler's SQLAlchemy store)."""
    from sqlalchemy import text

    from duluan.context import AppContext
    from duluan.service import build_scheduler

    monkeypatch.setenv("DULUAN_DATABASE_URL", db_url)
    ctx = AppContext.load()
    try:
        sched = build_scheduler(ctx)
        sched.start(paused=True)
        ids = sorted(j.id for j in sched.get_jobs())
        sched.shutdown(wait=False)
        assert ids, "the job table schedules at least one job"
        with ctx.engine.connect() as c:
            stored = sorted(r[0] for r in c.execute(text("SELECT id FROM apscheduler_jobs")))
        assert stored == ids
        again = build_scheduler(ctx)  # a restart replaces the stored jobs, it does not duplicate them
        again.start(paused=True)
        assert sorted(j.id for j in again.get_jobs()) == ids
        again.shutdown(wait=False)
    finally:
        ctx.engine.dispose()
        ctx.close()
