"""Aggregate triggers: spike statistics on synthetic series, and spike / spread / first foreign
pickup over a real index."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from alerts.engine import evaluate_batch, run_aggregate_triggers
from alerts.triggers import detect_spike_series, poisson_sf
from duluan.db import AlertRecord
from tests.alerts.conftest import article


def test_poisson_tail():
    assert poisson_sf(0, 3.0) == 1.0
    assert abs(poisson_sf(1, 2.0) - (1 - 0.1353352832)) < 1e-9
    assert abs(poisson_sf(5, 1.0) - 0.0036598468) < 1e-9
    assert poisson_sf(50, 1.0) < 1e-40


def test_spike_on_a_synthetic_series_with_a_known_spike():
    rng = random.Random(7)
    base = [rng.choice([0, 1, 1, 2, 3]) for _ in range(24 * 7)]
    assert not detect_spike_series(base + [3]).fired  # an ordinary hour
    res = detect_spike_series(base + [14])  # the known spike
    assert res.fired and res.p_value < 1e-4 and res.z > 5


def test_flat_and_quiet_series_do_not_fire():
    assert not detect_spike_series([4] * 168 + [5]).fired
    assert not detect_spike_series([0] * 168 + [2]).fired  # a quiet topic: below the minimum count
    assert not detect_spike_series([0] * 168 + [4], min_count=5).fired
    assert detect_spike_series([0] * 168 + [5], min_count=5).fired


def _alerts(ctx, rule_id):
    with ctx.session() as s:
        return s.query(AlertRecord).filter_by(rule_id=rule_id).all()


def test_spike_over_the_index(make_ctx):
    ctx = make_ctx()
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    rng = random.Random(3)
    arts = []
    for h in range(1, 24 * 7):  # ~one flooding article every other hour for a week, traffic steady
        when = now - timedelta(hours=h, minutes=rng.randint(0, 59))
        if h % 2 == 0:
            arts.append(article(topics=("flooding",), sentiment=0, published=when, title=f"Rain report {h}"))
        arts.append(article(topics=("traffic",), sentiment=0, published=when, title=f"Traffic report {h}"))
    ctx.index.upsert(arts)
    assert run_aggregate_triggers(ctx, now=now, deliver=False).startswith("0 ")
    burst = [article(topics=("flooding",), sentiment=-1, published=now - timedelta(minutes=m),
                     title=f"Floods swamp Saigon streets {m}") for m in range(2, 40, 4)]
    burst.append(article(topics=("traffic",), sentiment=0, published=now - timedelta(minutes=5), title="Traffic now"))
    ctx.index.upsert(burst)
    run_aggregate_triggers(ctx, now=now, deliver=False)
    [spike] = _alerts(ctx, "spike")
    assert spike.data["topic"] == "flooding" and spike.agency == "ubndquan"
    assert spike.data["spike_count"] == 10
    assert spike.data["talking_points"][0]["id"] == "flood-prevention"
    # the next pass updates the open alert instead of firing again
    run_aggregate_triggers(ctx, now=now + timedelta(minutes=5), deliver=False)
    assert len(_alerts(ctx, "spike")) == 1


def test_story_spread_and_first_foreign_pickup(make_ctx):
    ctx = make_ctx()
    now = datetime.now(UTC)
    domestic = [article(story="st-metro", source=f"vn-paper-{i}", country="VN", kind="domestic", language="vi",
                        topics=("traffic",), sentiment=0, title="Metro số 1 gặp sự cố",
                        published=now - timedelta(hours=5 - i)) for i in range(2)]
    ctx.index.upsert(domestic)
    assert evaluate_batch(ctx, domestic) == []  # neutral domestic: no rule fires
    foreign = article(story="st-metro", source="foreign-wire", country="FR", kind="foreign", language="fr",
                      topics=("traffic",), sentiment=0, title="Le métro de Saigon en panne",
                      published=now - timedelta(hours=1))
    ctx.index.upsert([foreign])
    evaluate_batch(ctx, [foreign])  # the batch check finds the pickup at once
    [pickup] = _alerts(ctx, "foreign-pickup")
    assert pickup.story_id == "st-metro" and pickup.data["article"]["id"] == foreign.id
    assert pickup.data["first_domestic"] == domestic[0].id
    run_aggregate_triggers(ctx, now=now, deliver=False)
    assert len(_alerts(ctx, "foreign-pickup")) == 1  # once per story
    assert _alerts(ctx, "spread") == []  # 3 outlets, 2 countries: below the thresholds
    more = [article(story="st-metro", source=f"wire-{c}", country=c, kind="foreign", topics=("traffic",), sentiment=0,
                    title="Saigon metro outage", published=now - timedelta(minutes=30)) for c in ("JP", "SG")]
    ctx.index.upsert(more)
    run_aggregate_triggers(ctx, now=now, deliver=False)
    [spread] = _alerts(ctx, "spread")
    assert spread.severity == "high" and set(spread.data["countries"]) == {"VN", "FR", "JP", "SG"}
    assert len(spread.data["article_ids"]) == 5


def test_scheduler_jobs_run_the_alert_passes(make_ctx):
    from duluan import jobs
    from duluan.db import JobRun

    ctx = make_ctx()
    targets = {t for _, t, _, _ in jobs.job_table(ctx)}
    assert {"alerts.engine:run_aggregate_triggers", "alerts.engine:retry_deliveries"} <= targets
    jobs.set_context(ctx)
    try:
        jobs.run_job("alerts-aggregate", "alerts.engine:run_aggregate_triggers")
        jobs.run_job("alerts-retry-deliveries", "alerts.engine:retry_deliveries")
    finally:
        jobs._CTX.clear()
    with ctx.session() as s:
        runs = {r.job_id: r for r in s.query(JobRun).all()}
    assert runs["alerts-aggregate"].status == "ok" and "aggregate alert" in runs["alerts-aggregate"].message
    assert runs["alerts-retry-deliveries"].status == "ok"
