"""One open alert per dedup key across OS processes. The scheduler (`duluan run`), the web UI
("crawl now") and CLI ingests are separate processes on one operational DB, so the guarantee
must come from the database: a partial unique index on open alerts' dedup keys plus a
compare-and-swap when an alert grows. Here two spawned processes evaluate the same growing
story at the same instant (a barrier releases them together), several rounds in a row, on one
SQLite file and — when DULUAN_PG_URL is set — on a real PostgreSQL; e-mails go to a real
aiosmtpd server and webhooks to a real loopback receiver."""

from __future__ import annotations

import logging
import multiprocessing
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, func, inspect, text
from sqlalchemy.exc import IntegrityError

from duluan import db
from duluan.db import AlertHistory, AlertRecord, AuditLog, Delivery
from tests.alerts.conftest import WEBHOOK_SECRET, article
from tests.alerts.servers import SmtpServer, WebhookReceiver

PG_SKIP = "DULUAN_PG_URL not set: PostgreSQL variant skipped (scripts/test.sh starts a server when postgresql is installed)"
ROUNDS = 4
WORKERS = 2


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty operational DB: an SQLite file, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ops.db'}"
        return
    admin = os.environ.get("DULUAN_PG_URL", "")
    if not admin:
        pytest.skip(PG_SKIP)
    name = f"duluan_race_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin.rpartition('/')[0]}/{name}"
    finally:
        with engine.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


class _Races(logging.Handler):
    """Counts the engine's "lost a race, redoing" records in a worker."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "by another process" in record.getMessage():
            self.count += 1


def _worker(env: dict[str, str], rounds: list[list[str]], barrier: Any, out: Any) -> None:
    """A separate OS process: its own AppContext, engine and delivery threads. Everything slow
    (rules, talking-point model, DB connection) is warmed up before the barrier."""
    os.environ.update(env)
    from alerts.engine import compiled_rules, evaluate_batch, wait_for_deliveries
    from alerts.records import talking_points_for
    from duluan.context import AppContext
    from duluan.models import Article

    races = _Races()
    logging.getLogger("duluan.alerts.engine").addHandler(races)
    logging.getLogger("duluan.alerts.engine").setLevel(logging.INFO)
    ctx = AppContext.load()
    batches = [[Article.model_validate_json(a) for a in batch] for batch in rounds]
    compiled_rules(ctx)
    talking_points_for(ctx, batches[0][0], ["sea_islands"])
    touched = []
    for batch in batches:
        barrier.wait(timeout=120)
        touched.append(sorted(r.id for r in evaluate_batch(ctx, batch)))
    wait_for_deliveries(timeout=60)
    ctx.close()
    out.put({"pid": os.getpid(), "touched": touched, "races": races.count})


def _pickup_worker(env: dict[str, str], rounds: list[str], barrier: Any, out: Any) -> None:
    """A separate OS process running the first-foreign-pickup check (what `duluan run`'s job and
    every pipeline batch with a foreign article do) on one story per round."""
    os.environ.update(env)
    from alerts.engine import wait_for_deliveries
    from alerts.records import talking_points_for
    from alerts.triggers import check_foreign_pickup, load_triggers
    from duluan.context import AppContext

    ctx = AppContext.load()
    cfg = load_triggers(ctx).foreign_pickup
    ctx.index.search  # noqa: B018 - open the index before the barrier
    talking_points_for(ctx, None, ["sea_islands"], text="warm up")
    with ctx.session() as s:
        s.query(AlertRecord.id).first()
    created = []
    for sid in rounds:
        barrier.wait(timeout=120)
        recs = check_foreign_pickup(ctx, [sid], cfg)
        created.append(sorted(r.id for r in recs))
        if recs:
            from alerts.delivery import DISPATCHER

            DISPATCHER.submit(ctx, [r.id for r in recs])
    wait_for_deliveries(timeout=60)
    ctx.close()
    out.put({"pid": os.getpid(), "created": created})


def _write_settings(config_dir: Path, database_url: str, smtp: SmtpServer, hook: WebhookReceiver) -> None:
    settings = {
        "database_url": database_url,
        "smtp": {"host": "127.0.0.1", "port": smtp.port, "sender": "du-luan@stttt.example.gov.vn"},
        "alerts": {"email_to": ["office@stttt.example.gov.vn"], "webhooks": [{"id": "office-bot", "url": hook.url}]},
    }
    (config_dir / "settings.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")


def _run_workers(target: Any, env: dict[str, str], rounds: list[Any]) -> list[dict[str, Any]]:
    mp = multiprocessing.get_context("spawn")
    barrier, out = mp.Barrier(WORKERS), mp.Queue()
    procs = [mp.Process(target=target, args=(env, rounds, barrier, out)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert len({r["pid"] for r in results}) == WORKERS
    return results


def _story(n: int) -> list[Any]:
    """A story told by three outlets in two countries: the third outlet escalates it."""
    sid = f"story-race-{n}-{uuid.uuid4().hex[:6]}"
    return [article(story=sid, source="paper-a", country="US", title=f"Island dispute questioned, round {n}"),
            article(story=sid, source="paper-b", country="US", title=f"Island claims criticised, round {n}"),
            article(story=sid, source="paper-c", country="GB", title=f"Spratly row deepens, round {n}")]


@pytest.mark.slow
def test_two_processes_open_one_alert_per_story(database_url: str, app_env: dict[str, str], config_dir: Path,
                                                tmp_path: Path) -> None:
    smtp, hook = SmtpServer().start(), WebhookReceiver().start()
    try:
        _write_settings(config_dir, database_url, smtp, hook)
        stories = [_story(n) for n in range(ROUNDS)]
        rounds = [[a.model_dump_json() for a in story] for story in stories]
        env = {**app_env, "DULUAN_WEBHOOK_SECRET": WEBHOOK_SECRET}
        engine = db.make_engine(database_url)
        db.init_db(engine)  # as `duluan init` would; the workers' own init is then a no-op
        results = _run_workers(_worker, env, rounds)

        factory = db.session_factory(engine)
        with factory() as s:
            alerts = s.query(AlertRecord).order_by(AlertRecord.created_at).all()
            # exactly one open alert per story, holding each of its articles once
            assert len(alerts) == ROUNDS
            for rec, story in zip(sorted(alerts, key=lambda r: r.story_id), sorted(stories, key=lambda st: st[0].story_id),
                                  strict=True):
                assert rec.story_id == story[0].story_id and rec.state == "new"
                assert sorted(rec.data["article_ids"]) == sorted(a.id for a in story)
                assert sorted(rec.data["outlets"]) == ["paper-a", "paper-b", "paper-c"]
                assert rec.severity == "critical"  # escalated once when the third outlet joined
                assert len(rec.data["escalations"]) == 1
                actions = Counter(h.action for h in s.query(AlertHistory).filter_by(alert_id=rec.id))
                assert actions == {"create": 1, "attach": 2, "escalate": 1}
                # one set of deliveries: inbox once; e-mail and webhook once when created, once escalated
                chans = Counter(d.channel for d in s.query(Delivery).filter_by(alert_id=rec.id))
                assert chans == {"inbox": 1, "email": 2, "webhook": 2}
            states = Counter(d.state for d in s.query(Delivery))
            assert states == {"sent": 5 * ROUNDS}
            assert s.query(func.count(AuditLog.id)).filter(AuditLog.action == "alert.create").scalar() == ROUNDS
        engine.dispose()

        # what reached the real servers: one e-mail and one webhook call per delivery, no more
        assert len(smtp.raw) == 2 * ROUNDS
        by_alert = Counter(str(m["X-DuLuan-Alert"]) for m in smtp.parsed())
        assert by_alert == {r.id: 2 for r in alerts}
        assert hook.behaviour.calls == 2 * ROUNDS
        assert Counter(r.headers["X-DuLuan-Alert"] for r in hook.behaviour.received) == {r.id: 2 for r in alerts}
        # each story's alert came from one process; the other's work attached to it or was skipped
        created_by = Counter(aid for r in results for batch in r["touched"] for aid in batch)
        assert set(created_by) == {r.id for r in alerts}
        print("races lost and redone per worker:", [r["races"] for r in results])
    finally:
        smtp.stop()
        hook.stop()


@pytest.mark.slow
def test_two_processes_raise_one_foreign_pickup_alert(database_url: str, app_env: dict[str, str],
                                                      config_dir: Path) -> None:
    """The scheduled triggers create alerts too: two processes checking the same story's first
    foreign pickup at once store one alert and send it once."""
    from duluan.context import AppContext

    smtp, hook = SmtpServer().start(), WebhookReceiver().start()
    try:
        _write_settings(config_dir, database_url, smtp, hook)
        now = datetime.now(UTC)
        sids = [f"story-pickup-{n}-{uuid.uuid4().hex[:6]}" for n in range(ROUNDS)]
        ctx = AppContext.load()
        ctx.index.upsert([a for sid in sids for a in (
            article(story=sid, source="tuoitre", country="VN", kind="domestic", language="vi",
                    title="TP.HCM khởi công dự án chống ngập", published=now - timedelta(hours=3)),
            article(story=sid, source="foreign-daily", country="US", title="Saigon starts flood project",
                    published=now - timedelta(hours=1)))])
        ctx.close()
        ctx.engine.dispose()
        results = _run_workers(_pickup_worker, {**app_env, "DULUAN_WEBHOOK_SECRET": WEBHOOK_SECRET}, sids)

        engine = db.make_engine(database_url)
        with db.session_factory(engine)() as s:
            alerts = s.query(AlertRecord).all()
            assert sorted(r.dedup_key or "" for r in alerts) == sorted(f"pickup:{sid}" for sid in sids)
            assert {r.rule_id for r in alerts} == {"foreign-pickup"}
            for rec in alerts:
                assert Counter(d.channel for d in s.query(Delivery).filter_by(alert_id=rec.id)) == {
                    "inbox": 1, "email": 1, "webhook": 1}
            assert Counter(d.state for d in s.query(Delivery)) == {"sent": 3 * ROUNDS}
        engine.dispose()
        # each round: exactly one of the two processes created the story's alert
        for n in range(ROUNDS):
            assert sum(len(r["created"][n]) for r in results) == 1
        assert Counter(str(m["X-DuLuan-Alert"]) for m in smtp.parsed()) == {r.id: 1 for r in alerts}
        assert Counter(r.headers["X-DuLuan-Alert"] for r in hook.behaviour.received) == {r.id: 1 for r in alerts}
    finally:
        smtp.stop()
        hook.stop()


def test_database_refuses_a_second_open_alert(database_url: str) -> None:
    """The guarantee itself: a second open alert with the key is refused; once closed, allowed."""
    engine = db.make_engine(database_url)
    db.init_db(engine)
    factory = db.session_factory(engine)

    def add(s: Any, aid: str, state: str = "new") -> None:
        s.add(AlertRecord(id=aid, rule_id="r", dedup_key="r:story-1", state=state, data={}))
        s.commit()

    with factory() as s:
        add(s, "a1")
        with pytest.raises(IntegrityError):
            add(s, "a2")
        s.rollback()
        add(s, "a3", state="closed")  # closed alerts do not count
        s.get(AlertRecord, "a1").state = "closed"
        s.commit()
        add(s, "a4")  # the story may fire again after its alert was closed
        assert sorted((r.id, r.state) for r in s.query(AlertRecord)) == [
            ("a1", "closed"), ("a3", "closed"), ("a4", "new")]
    engine.dispose()


def test_existing_database_with_duplicates_is_merged_then_indexed(database_url: str, caplog: Any) -> None:
    """A database from before the index, already holding duplicate open alerts: start-up closes
    the later duplicates (history + audit), folds their articles into the oldest, builds the
    index, and is idempotent."""
    engine = db.make_engine(database_url)
    db.init_db(engine)
    with engine.begin() as c:
        c.execute(text(f"DROP INDEX {db.OPEN_ALERT_DEDUP_INDEX.name}"))
    assert db.OPEN_ALERT_DEDUP_INDEX.name not in {ix["name"] for ix in inspect(engine).get_indexes("alerts")}
    factory = db.session_factory(engine)
    t0 = datetime(2026, 11, 2, 3, tzinfo=UTC)
    with factory() as s:
        for i, (aid, arts) in enumerate([("old", ["x1"]), ("dup1", ["x2"]), ("dup2", ["x1", "x3"])]):
            s.add(AlertRecord(id=aid, rule_id="r", dedup_key="r:s", state="new", created_at=t0 + timedelta(minutes=i),
                              data={"article_ids": arts, "outlets": [f"o{i}"], "countries": ["US"]}))
        s.add(AlertRecord(id="other", rule_id="r", dedup_key="r:t", state="acknowledged", created_at=t0, data={}))
        s.commit()
    with caplog.at_level(logging.WARNING, logger="duluan.db"):
        db.init_db(engine)
    assert any("closed 2 duplicate" in r.getMessage() for r in caplog.records)
    assert db.OPEN_ALERT_DEDUP_INDEX.name in {ix["name"] for ix in inspect(engine).get_indexes("alerts")}
    db.init_db(engine)  # idempotent
    with factory() as s:
        states = {r.id: r.state for r in s.query(AlertRecord)}
        assert states == {"old": "new", "dup1": "closed", "dup2": "closed", "other": "acknowledged"}
        keep = s.get(AlertRecord, "old")
        assert keep.data["article_ids"] == ["x1", "x2", "x3"] and keep.data["outlets"] == ["o0", "o1", "o2"]
        for dup in ("dup1", "dup2"):
            [h] = s.query(AlertHistory).filter_by(alert_id=dup).all()
            assert h.action == "close" and h.detail["merged_into"] == "old"
        assert s.query(func.count(AuditLog.id)).filter(AuditLog.action == "alert.merge_duplicate").scalar() == 2
    engine.dispose()
