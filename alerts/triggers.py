"""Aggregate triggers, read through the `ArticleIndex` contract:

- volume spike per topic: the count in the last window against the topic's own hourly baseline
  (Poisson upper tail, with a minimum count so quiet topics don't fire on 2 articles);
- story spread: a story reaching N outlets or M countries within T hours;
- first foreign pickup of a story that started in the domestic press.

Each keeps one open alert per (trigger, topic or story) and escalates it as it grows."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from alerts.delivery import create_deliveries
from alerts.records import create_alert_once, escalate, find_open, route_agency, talking_points_for
from alerts.rules import (
    ALL_TOPICS,
    PickupTrigger,
    SpikeTrigger,
    SpreadTrigger,
    Triggers,
    load_alerts_file,
    raise_severity,
)
from duluan.db import AlertHistory, AlertRecord
from duluan.models import Article
from index.base import Query

if TYPE_CHECKING:
    from duluan.context import AppContext

log = logging.getLogger("duluan.alerts.triggers")


_TRIGGERS: dict[str, tuple[int, Triggers]] = {}


def load_triggers(ctx: AppContext) -> Triggers:
    """The `triggers:` section of alerts.yaml, re-read only when the file changes."""
    path = ctx.settings.config_dir / "alerts.yaml"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    hit = _TRIGGERS.get(str(path))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    trig = load_alerts_file(ctx.settings.config_dir).triggers
    _TRIGGERS[str(path)] = (stamp, trig)
    return trig


# ------------------------------------------------------------------ spike statistics


def poisson_sf(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam), summed in log space (stable for small tails)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    # P(X >= k) = 1 - sum_{i<k} pmf(i); for tails far out, sum the upper terms directly
    if k > lam:
        total = 0.0
        log_pmf = -lam + k * math.log(lam) - math.lgamma(k + 1)
        i = k
        while True:
            term = math.exp(log_pmf)
            total += term
            if term < total * 1e-15 or i > k + 10_000:
                break
            i += 1
            log_pmf += math.log(lam) - math.log(i)
        return min(1.0, total)
    cdf = sum(math.exp(-lam + i * math.log(lam) - math.lgamma(i + 1)) for i in range(k))
    return max(0.0, 1.0 - cdf)


@dataclass
class SpikeResult:
    fired: bool
    count: int
    expected: float
    p_value: float
    z: float


def detect_spike(baseline_total: int, baseline_hours: float, count: int, window_hours: float = 1.0,
                 min_count: int = 5, p_value: float = 0.001) -> SpikeResult:
    """Is `count` articles in the window a spike against `baseline_total` over `baseline_hours`?
    The rate gets one pseudo-article of smoothing, so a topic never seen before is not λ = 0."""
    rate = (baseline_total + 1) / max(baseline_hours, 1.0)
    expected = rate * window_hours
    p = poisson_sf(count, expected)
    z = (count - expected) / math.sqrt(expected)
    return SpikeResult(fired=count >= min_count and p < p_value, count=count, expected=round(expected, 3),
                       p_value=p, z=round(z, 2))


def detect_spike_series(hourly: list[int], min_count: int = 5, p_value: float = 0.001) -> SpikeResult:
    """The last value of an hourly series against the hours before it."""
    if not hourly:
        return SpikeResult(False, 0, 0.0, 1.0, 0.0)
    *base, current = hourly
    return detect_spike(sum(base), len(base), current, 1.0, min_count, p_value)


# ------------------------------------------------------------------ helpers


def _story_articles(ctx: AppContext, story_id: str, limit: int = 200) -> list[Article]:
    return ctx.index.search(Query(story_id=story_id, sort="oldest", limit=limit)).items


def _queue(session: Any, ctx: AppContext, rec: AlertRecord, channels: Sequence[str], escalation: bool,
           now: datetime) -> None:
    session.flush()
    create_deliveries(session, ctx, rec, [c for c in channels if not (escalation and c == "inbox")], now=now)


def _update_metrics(session: Any, rec: AlertRecord, metrics: dict[str, Any], now: datetime) -> None:
    data = dict(rec.data or {})
    data["metrics"] = metrics
    rec.data = data
    rec.updated_at = now
    session.add(AlertHistory(alert_id=rec.id, at=now, actor="system", action="update", detail={"metrics": metrics}))


# ------------------------------------------------------------------ spikes


def run_spikes(ctx: AppContext, cfg: SpikeTrigger, now: datetime | None = None) -> list[AlertRecord]:
    now = now or datetime.now(UTC)
    threshold = ctx.settings.enrichment.relevance_threshold
    window_start = now - timedelta(hours=cfg.window_hours)
    base_start = window_start - timedelta(days=cfg.baseline_days)
    topics = tuple(cfg.topics)
    current = {b.key[0]: b.count for b in ctx.index.aggregate(
        Query(since=window_start, until=now, topics=topics, min_relevance=threshold), by=["topic"],
        tz=ctx.settings.timezone)}
    if not current:
        return []
    baseline = {b.key[0]: b.count for b in ctx.index.aggregate(
        Query(since=base_start, until=window_start, topics=tuple(current), min_relevance=threshold), by=["topic"],
        tz=ctx.settings.timezone)}
    out: list[AlertRecord] = []
    with ctx.session() as s:
        for topic, count in sorted(current.items()):
            if topics and topic not in topics:
                continue
            res = detect_spike(baseline.get(topic, 0), cfg.baseline_days * 24, count, cfg.window_hours,
                               cfg.min_count, cfg.p_value)
            if not res.fired:
                continue
            metrics = {"Số tin trong cửa sổ": count, "Trung bình kỳ vọng": res.expected,
                       "Cửa sổ (giờ)": cfg.window_hours, "p (Poisson)": f"{res.p_value:.2e}", "z": res.z}
            key = f"spike:{topic}"
            rec = find_open(s, key)
            if rec is not None:
                prev = int((rec.data or {}).get("spike_count", 0))
                _update_metrics(s, rec, metrics, now)
                if count >= 2 * max(prev, 1) and escalate(s, rec, raise_severity(rec.severity),
                                                          f"số tin tăng từ {prev} lên {count}", now):
                    rec.data = {**rec.data, "spike_count": count}
                    _queue(s, ctx, rec, cfg.channels, True, now)
                    out.append(rec)
                continue
            sample = ctx.index.search(Query(since=window_start, until=now, topics=(topic,), limit=1)).items
            art = sample[0] if sample else None
            title = (f"Số tin về chủ đề «{topic}» tăng đột biến: {count} tin trong {cfg.window_hours} giờ "
                     f"(bình thường khoảng {res.expected:.1f})")
            reasons = [f"Tăng đột biến theo chủ đề {topic}: {count} tin, kỳ vọng {res.expected:.1f}, "
                       f"p = {res.p_value:.1e}"]
            rec = create_alert_once(s, ctx, out, rule_id="spike", dedup_key=key, kind="spike", severity=cfg.severity,
                               title=title, reasons=reasons, agency=route_agency(ctx.city, [topic]), article=art,
                               story_id=None, channels=list(cfg.channels),
                               talking_points=talking_points_for(ctx, art, [topic]), metrics=metrics, now=now)
            if rec is None:
                continue  # another process opened it (the unique index refused ours)
            rec.data = {**rec.data, "spike_count": count, "topic": topic}
            _queue(s, ctx, rec, cfg.channels, False, now)
            out.append(rec)
        s.commit()
    return out


# ------------------------------------------------------------------ spread


def run_spread(ctx: AppContext, cfg: SpreadTrigger, now: datetime | None = None) -> list[AlertRecord]:
    now = now or datetime.now(UTC)
    stories = ctx.index.stories(Query(since=now - timedelta(hours=cfg.hours), until=now), limit=200, min_articles=2)
    out: list[AlertRecord] = []
    with ctx.session() as s:
        for st in stories:
            n_out, n_ctry = len(st.outlets), len(st.countries)
            if n_out < cfg.min_outlets and n_ctry < cfg.min_countries:
                continue
            key = f"spread:{st.id}"
            metrics = {"Số bài": st.articles, "Số cơ quan báo chí": n_out, "Số quốc gia": n_ctry,
                       "Báo nước ngoài": st.foreign, "Trong (giờ)": cfg.hours}
            rec = find_open(s, key)
            if rec is not None:
                prev = (rec.data or {}).get("metrics", {}).get("Số cơ quan báo chí", 0)
                _update_metrics(s, rec, metrics, now)
                rec.data = {**rec.data, "outlets": st.outlets, "countries": st.countries, "languages": st.languages}
                if n_out >= 2 * max(int(prev), 1) and escalate(s, rec, raise_severity(rec.severity),
                                                               f"đã lan tới {n_out} cơ quan báo chí", now):
                    _queue(s, ctx, rec, cfg.channels, True, now)
                    out.append(rec)
                continue
            arts = _story_articles(ctx, st.id)
            first = arts[0] if arts else None
            topics = sorted({t for a in arts for t in a.effective_topics()})
            rec = create_alert_once(
                s, ctx, out, rule_id="spread", dedup_key=key, kind="spread", severity=cfg.severity,
                title=f"Câu chuyện lan rộng: «{st.title}» — {n_out} cơ quan báo chí, {n_ctry} quốc gia",
                reasons=[f"Trong {cfg.hours} giờ: {n_out} cơ quan báo chí (ngưỡng {cfg.min_outlets}), "
                         f"{n_ctry} quốc gia (ngưỡng {cfg.min_countries})"],
                agency=route_agency(ctx.city, topics), article=first, story_id=st.id, channels=list(cfg.channels),
                talking_points=talking_points_for(ctx, first, topics), metrics=metrics, now=now)
            if rec is None:
                continue
            rec.data = {**rec.data, "article_ids": [a.id for a in arts], "outlets": st.outlets,
                        "countries": st.countries, "languages": st.languages}
            _queue(s, ctx, rec, cfg.channels, False, now)
            out.append(rec)
        s.commit()
    return out


# ------------------------------------------------------------------ first foreign pickup


def check_foreign_pickup(ctx: AppContext, story_ids: list[str], cfg: PickupTrigger,
                         now: datetime | None = None) -> list[AlertRecord]:
    """Alert once per story when a story that began in the domestic press gets its first
    foreign article."""
    now = now or datetime.now(UTC)
    out: list[AlertRecord] = []
    with ctx.session() as s:
        for sid in story_ids:
            key = f"pickup:{sid}"
            if s.query(AlertRecord.id).filter(AlertRecord.dedup_key == key).first() is not None:
                continue
            arts = _story_articles(ctx, sid)
            if not arts or str(arts[0].source_kind) != "domestic":
                continue
            foreign = [a for a in arts if str(a.source_kind) == "foreign"]
            if not foreign:
                continue
            f = foreign[0]
            topics = sorted({t for a in arts for t in a.effective_topics()})
            rec = create_alert_once(
                s, ctx, out, rule_id="foreign-pickup", dedup_key=key, kind="foreign_pickup", severity=cfg.severity,
                title=f"Báo nước ngoài lần đầu đưa tin: «{arts[0].title}» ({f.source_name or f.source_id}, "
                      f"{f.source_country})",
                reasons=[f"Câu chuyện bắt đầu trên báo trong nước ({arts[0].source_name or arts[0].source_id}), "
                         f"nay được {f.source_name or f.source_id} ({f.source_country}, {f.language}) đưa tin"],
                agency=route_agency(ctx.city, topics), article=f, story_id=sid, channels=list(cfg.channels),
                talking_points=talking_points_for(ctx, f, topics), now=now)
            if rec is None:
                continue
            rec.data = {**rec.data, "article_ids": [a.id for a in arts],
                        "outlets": sorted({a.source_id for a in arts}),
                        "countries": sorted({a.source_country for a in arts if a.source_country}),
                        "first_domestic": arts[0].id}
            _queue(s, ctx, rec, cfg.channels, False, now)
            out.append(rec)
        s.commit()
    return out


def run_pickups(ctx: AppContext, cfg: PickupTrigger, now: datetime | None = None) -> list[AlertRecord]:
    now = now or datetime.now(UTC)
    stories = ctx.index.stories(Query(since=now - timedelta(hours=cfg.hours), until=now), limit=500, min_articles=2)
    ids = [st.id for st in stories if 0 < st.foreign < st.articles]
    return check_foreign_pickup(ctx, ids, cfg, now=now) if ids else []


def run_all(ctx: AppContext, now: datetime | None = None) -> list[AlertRecord]:
    """Every enabled aggregate trigger; one failing trigger does not stop the others."""
    trig = load_triggers(ctx)
    out: list[AlertRecord] = []
    passes: list[tuple[str, bool, Callable[[], list[AlertRecord]]]] = [
        ("spike", trig.spike.enabled, lambda: run_spikes(ctx, trig.spike, now)),
        ("spread", trig.spread.enabled, lambda: run_spread(ctx, trig.spread, now)),
        ("foreign_pickup", trig.foreign_pickup.enabled, lambda: run_pickups(ctx, trig.foreign_pickup, now)),
    ]
    for name, enabled, run in passes:
        if not enabled:
            continue
        try:
            out.extend(run())
        except Exception:  # noqa: BLE001 - recorded in the log and the job run; others go on
            log.exception("aggregate trigger %s failed", name)
    return out


__all__ = ["ALL_TOPICS", "detect_spike", "detect_spike_series", "poisson_sf", "run_all"]
