"""The alert engine. `evaluate_batch` runs on every batch the pipeline indexes (not on a slow
timer): rules are compiled once, each article is tokenised once, and matches become alerts —
one open alert per (rule, story); later articles of the story attach to it and can escalate it.
That guarantee holds across processes (scheduler, web "crawl now", CLI ingest on one operational
DB): a partial unique index on open alerts' dedup keys refuses a second open alert — the loser
rolls back its insert and attaches to the winner's alert — and growing an alert is a
compare-and-swap on its `updated_at` (`records.claim_open`), so concurrent attaches are redone,
never lost, and an escalation is notified once.
`run_aggregate_triggers` (volume spikes, story spread, first foreign pickup) and
`retry_deliveries` run on the scheduler (`duluan.jobs`)."""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from alerts.delivery import DISPATCHER, create_deliveries, deliver_due
from alerts.records import (
    Contended,
    already_alerted,
    attach_article,
    claim_open,
    create_alert,
    escalate,
    find_open,
    route_agency,
    talking_points_for,
)
from alerts.rules import (
    CHANNELS,
    SEVERITIES,
    ArticleFeatures,
    CompiledRule,
    compile_rules,
    load_rules,
    max_severity,
    raise_severity,
)
from duluan.db import AlertRecord, AlertRule
from duluan.errors import ConfigError, DuluanError
from duluan.models import Article

if TYPE_CHECKING:
    from duluan.context import AppContext

log = logging.getLogger("duluan.alerts.engine")

_RULES: dict[int, tuple[Any, tuple[Any, ...], RuleSet]] = {}
_RULES_LOCK = threading.Lock()
# one engine pass at a time per process (fewer retries); across processes the database's unique
# index and the compare-and-swap in `claim_open` are what keep one open alert per key
_EVAL_LOCK = threading.Lock()
# an article whose insert or attach lost a race is redone against the winner's alert
MAX_TRIES = 5


def _signature(ctx: AppContext) -> tuple[Any, ...]:
    path = ctx.settings.config_dir / "alerts.yaml"
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        mtime = 0
    # the UI may edit a definition without touching updated_at: compare the rows themselves
    with ctx.session() as s:
        rows = tuple(sorted((r.id, r.name, bool(r.enabled), json.dumps(r.definition, sort_keys=True, default=str))
                            for r in s.query(AlertRule).all()))
    return (mtime, rows)


def compiled_rules(ctx: AppContext) -> RuleSet:
    """The enabled rules, compiled and arranged; reloaded when alerts.yaml or a UI rule changes."""
    sig = _signature(ctx)
    with _RULES_LOCK:
        hit = _RULES.get(id(ctx))
        if hit is not None and hit[0] is ctx and hit[1] == sig:
            return hit[2]
        compiled = RuleSet(compile_rules(load_rules(ctx)))
        _RULES[id(ctx)] = (ctx, sig, compiled)
        return compiled


class RuleSet:
    """Rules arranged so an article is only tested against rules that can match it: rules
    with a topic filter are looked up by the article's topics, the others always run."""

    def __init__(self, rules: list[CompiledRule]):
        self.rules = rules
        self.order = {id(cr): i for i, cr in enumerate(rules)}
        self.always = [cr for cr in rules if not cr.topics]
        self.by_topic: dict[str, list[CompiledRule]] = {}
        for cr in rules:
            for t in cr.topics:
                self.by_topic.setdefault(t, []).append(cr)

    def candidates(self, topics: frozenset[str]) -> list[CompiledRule]:
        extra = {id(cr): cr for t in topics for cr in self.by_topic.get(t, ())}
        if not extra:
            return self.always
        return sorted([*self.always, *extra.values()], key=lambda cr: self.order[id(cr)])


def match_batch(rules: list[CompiledRule] | RuleSet, articles: list[Article],
                relevance_threshold: float = 0.5) -> list[tuple[CompiledRule, Article, list[str]]]:
    """Every (rule, article, reasons) that matches; pure and in memory (benchmarked)."""
    rs = rules if isinstance(rules, RuleSet) else RuleSet(rules)
    out = []
    for a in articles:
        f = ArticleFeatures.of(a, relevance_threshold)
        for cr in rs.candidates(f.topics):
            reasons = cr.match(f)
            if reasons is not None:
                out.append((cr, a, reasons))
    return out


def _open_for_story(session: Any, story_id: str, rule_ids: set[str]) -> AlertRecord | None:
    """An open alert on the story that one of these rules already joined (as a secondary rule)."""
    for rec in (session.query(AlertRecord).filter(AlertRecord.story_id == story_id, AlertRecord.state != "closed")
                .order_by(AlertRecord.created_at).all()):
        if rule_ids & set((rec.data or {}).get("rules", [])):
            return rec
    return None


def _title(article: Article) -> str:
    return article.title_vi or article.title or article.url


def _apply(s: Any, ctx: AppContext, a: Article, matches: list[tuple[CompiledRule, list[str]]],
           by_rule: dict[str, Any], now: datetime | None) -> tuple[AlertRecord | None, bool]:
    """Create, attach to or escalate the alert for one article's matches; returns the alert and
    whether its channels must be told (new or escalated)."""
    matches.sort(key=lambda m: -SEVERITIES.index(m[0].rule.severity))
    keys = [f"{cr.rule.id}:{a.story_id}" if a.story_id else f"{cr.rule.id}:a:{a.id}" for cr, _ in matches]
    if any(already_alerted(s, k, a.id) for k in keys):
        return None, False
    when = now or datetime.now(UTC)
    lead, reasons = matches[0]
    r = lead.rule
    channels = [c for c in CHANNELS if any(c in cr.rule.channels for cr, _ in matches)]
    reasons = reasons + [f"Cũng khớp quy tắc «{cr.rule.name}»" for cr, _ in matches[1:]]
    rec = next((x for x in (find_open(s, k) for k in keys) if x is not None), None)
    if rec is None and a.story_id:
        rec = _open_for_story(s, a.story_id, {cr.rule.id for cr, _ in matches})
    if rec is None:
        topics = a.effective_topics()
        agency = route_agency(ctx.city, topics, r.agency)
        rec = create_alert(
            s, ctx, rule_id=r.id, dedup_key=keys[0], kind="article", severity=r.severity,
            title=_title(a), reasons=reasons, agency=agency, article=a, story_id=a.story_id,
            channels=channels, talking_points=talking_points_for(ctx, a, topics), now=when)
        rec.data = {**rec.data, "rules": [cr.rule.id for cr, _ in matches]}
        s.flush()
        create_deliveries(s, ctx, rec, channels, now=when)
        log.info("alert %s: rule %s fired on %s (source %s)", rec.id, r.id, a.url, a.source_id)
        return rec, True
    if a.id in (rec.data or {}).get("article_ids", []):
        return None, False  # re-ingested: already part of this alert
    claimed = claim_open(s, rec, when)  # raises Contended if another process grew it meanwhile
    attach_article(s, rec, a, now=when)
    own = by_rule.get(rec.rule_id, r)
    data = rec.data or {}
    steps = int(len(data.get("outlets", [])) >= own.escalate_outlets) + \
        int(len(data.get("countries", [])) >= own.escalate_countries)
    target = max_severity(raise_severity(data.get("base_severity", own.severity), steps), r.severity)
    reason = (f"câu chuyện đã có {len(data.get('outlets', []))} cơ quan báo chí, "
              f"{len(data.get('countries', []))} quốc gia" if steps else f"bài mới khớp quy tắc «{r.name}»")
    fresh = escalate(s, rec, target, reason, now=when)
    rec.updated_at = max(rec.updated_at, claimed)
    if fresh:
        s.flush()
        create_deliveries(s, ctx, rec, [c for c in channels if c != "inbox"], now=when)
    return rec, fresh


def _apply_with_retries(s: Any, ctx: AppContext, a: Article, matches: list[tuple[CompiledRule, list[str]]],
                        by_rule: dict[str, Any], now: datetime | None) -> tuple[AlertRecord | None, bool, bool]:
    """`_apply` in its own transaction, redone when another process won a race on the same
    alert (the unique index refused our insert, or the alert changed under our attach); returns
    the alert, whether to notify, and whether a rollback happened."""
    rolled_back = False
    for attempt in range(1, MAX_TRIES + 1):
        try:
            rec, fresh = _apply(s, ctx, a, matches, by_rule, now)
            s.commit()
            return rec, fresh, rolled_back
        except (IntegrityError, Contended) as exc:
            s.rollback()
            rolled_back = True
            what = "open alert created" if isinstance(exc, IntegrityError) else "alert updated"
            log.info("alert for %s (source %s): %s by another process, redoing (try %d)", a.url, a.source_id,
                     what, attempt)
        except (SQLAlchemyError, DuluanError) as exc:
            # one article's failure must not cost the batch its other alerts
            s.rollback()
            log.error("alert evaluation failed for %s (source %s): %s", a.url, a.source_id, exc)
            return None, False, True
    log.error("alert evaluation for %s (source %s) lost %d races in a row; not evaluated", a.url, a.source_id,
              MAX_TRIES)
    return None, False, True


def evaluate_batch(ctx: AppContext, articles: list[Article], now: datetime | None = None,
                   deliver: bool = True) -> list[AlertRecord]:
    """Match the batch against every rule and store alerts; returns the alerts created or
    escalated. Deliveries are queued and sent in the background (the inbox has them at once)."""
    if not articles:
        return []
    try:
        rules = compiled_rules(ctx)
    except ConfigError as exc:
        # a broken rules file must not stop crawling and indexing; `duluan config check` says why
        log.error("alert rules not loaded, %d article(s) not evaluated: %s", len(articles), exc)
        return []
    hits = match_batch(rules, articles, ctx.settings.enrichment.relevance_threshold) if rules.rules else []
    touched: dict[str, AlertRecord] = {}
    notify: list[str] = []
    by_rule = {cr.rule.id: cr.rule for cr in rules.rules}
    # one alert per article (or story) even when several rules match: the most severe rule
    # leads, the others are listed among the reasons, and the channels are their union
    grouped: dict[str, tuple[Article, list[tuple[CompiledRule, list[str]]]]] = {}
    for cr, a, reasons in hits:
        grouped.setdefault(a.id, (a, []))[1].append((cr, reasons))
    with _EVAL_LOCK, ctx.session() as s:
        rolled_back = False
        for a, matches in grouped.values():
            rec, fresh, failed = _apply_with_retries(s, ctx, a, matches, by_rule, now)
            rolled_back = rolled_back or failed
            if rec is not None:
                touched[rec.id] = rec
                if fresh:
                    notify.append(rec.id)
        s.commit()
        if rolled_back:  # a rollback expired the alerts stored earlier in the batch: reload them
            for rec in touched.values():
                s.refresh(rec)
    pickups = _pickups(ctx, articles, now)
    for rec in pickups:
        touched[rec.id] = rec
        notify.append(rec.id)
    if deliver and notify:
        DISPATCHER.submit(ctx, list(dict.fromkeys(notify)))
    return list(touched.values())


def _pickups(ctx: AppContext, articles: list[Article], now: datetime | None) -> list[AlertRecord]:
    """First foreign pickup, checked right away for the batch's foreign articles in a story."""
    from alerts.triggers import check_foreign_pickup, load_triggers

    story_ids = sorted({a.story_id for a in articles if a.story_id and str(a.source_kind) == "foreign"})
    if not story_ids:
        return []
    trig = load_triggers(ctx).foreign_pickup
    if not trig.enabled:
        return []
    try:
        return check_foreign_pickup(ctx, story_ids, trig, now=now)
    except Exception:  # noqa: BLE001 - the scheduled pass retries; never break the pipeline
        log.exception("foreign-pickup check failed for stories %s", ", ".join(story_ids))
        return []


def run_aggregate_triggers(ctx: AppContext, now: datetime | None = None, deliver: bool = True) -> str:
    """Scheduled pass: volume spikes per topic, story spread, first foreign pickup."""
    from alerts.triggers import run_all

    created = run_all(ctx, now=now)
    if deliver and created:
        DISPATCHER.submit(ctx, [r.id for r in created])
    return f"{len(created)} aggregate alert(s) created or escalated"


def retry_deliveries(ctx: AppContext, now: datetime | None = None) -> str:
    """Scheduled pass: attempt every due delivery (failed ones after their backoff)."""
    counts = deliver_due(ctx, now=now)
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing due"


def wait_for_deliveries(timeout: float | None = 30.0) -> None:
    """Block until the background deliveries queued so far are done (CLI, tests, benchmarks)."""
    DISPATCHER.wait(timeout)
