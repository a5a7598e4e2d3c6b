"""The dashboard: today and the last 7 days about the city — domestic/foreign, sentiment split,
top topics, articles per day, open alerts by severity, rising stories, source-health warnings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func

from duluan.db import AlertRecord, SourceHealth
from index.base import Query
from web import charts
from web.render import render
from web.security import CurrentUser, require_user

router = APIRouter(include_in_schema=False)
POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dashboard")
FAILING_AFTER = 3  # consecutive failures before a source is shown as a warning
STALE_HOURS = 48  # no success for this long is a warning too


def day_starts(tz: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start of today and of the 7-day window (today included), in UTC, for the office's zone."""
    zone = ZoneInfo(tz)
    local_now = (now or datetime.now(UTC)).astimezone(zone)
    today = datetime.combine(local_now.date(), time(0), zone)
    return today.astimezone(UTC), (today - timedelta(days=6)).astimezone(UTC)


def period_summary(ctx: Any, since: datetime) -> dict[str, Any]:
    """Counts about the city since `since` (relevance above the threshold; corrections win)."""
    q = Query(since=since, min_relevance=ctx.settings.enrichment.relevance_threshold, limit=0)
    kinds = {b.key[0]: b.count for b in ctx.index.aggregate(q, by=["kind"], tz=ctx.settings.timezone)}
    sentiments = {b.key[0]: b.count for b in ctx.index.aggregate(q, by=["sentiment"], tz=ctx.settings.timezone)}
    return {"domestic": kinds.get("domestic", 0), "foreign": kinds.get("foreign", 0),
            "total": sum(kinds.values()), "neg": sentiments.get("-1", 0), "neu": sentiments.get("0", 0),
            "pos": sentiments.get("1", 0), "unlabelled": sentiments.get("", 0)}


def dashboard_data(ctx: Any, now: datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard shows (also used by the benchmark)."""
    tz = ctx.settings.timezone
    today, week = day_starts(tz, now)
    threshold = ctx.settings.enrichment.relevance_threshold
    week_q = Query(since=week, min_relevance=threshold, limit=0)
    # independent index queries run concurrently (each thread has its own index connection)
    jobs = {
        "per_day": POOL.submit(ctx.index.aggregate, week_q, ["day"], tz),
        "topics": POOL.submit(ctx.index.aggregate, week_q, ["topic"], tz, 8),
        "stories": POOL.submit(ctx.index.stories, week_q, 8),
        "today": POOL.submit(period_summary, ctx, today),
        "week": POOL.submit(period_summary, ctx, week),
    }
    counts = {b.key[0]: b.count for b in jobs["per_day"].result()}
    days = [(week + timedelta(days=i)).astimezone(ZoneInfo(tz)) for i in range(7)]
    series = [(d.strftime("%d/%m"), counts.get(d.strftime("%Y-%m-%d"), 0)) for d in days]
    topics = jobs["topics"].result()
    stories = jobs["stories"].result()
    with ctx.session() as s:
        alert_rows = (s.query(AlertRecord.severity, func.count()).filter(AlertRecord.state != "closed")
                      .group_by(AlertRecord.severity).all())
        latest_alerts = (s.query(AlertRecord).filter(AlertRecord.state != "closed")
                         .order_by(AlertRecord.created_at.desc()).limit(5).all())
        stale = datetime.now(UTC) - timedelta(hours=STALE_HOURS)
        health = (s.query(SourceHealth).filter(
            (SourceHealth.consecutive_failures >= FAILING_AFTER)
            | ((SourceHealth.last_success.is_not(None)) & (SourceHealth.last_success < stale))
        ).order_by(SourceHealth.consecutive_failures.desc()).limit(10).all())
    return {
        "today": jobs["today"].result(), "week": jobs["week"].result(), "series": series,
        "topics": [(b.key[0], b.count) for b in topics], "stories": stories,
        "alerts": dict(alert_rows), "latest_alerts": latest_alerts, "health": health,
    }


@router.get("/")
def dashboard(request: Request, user: CurrentUser = Depends(require_user())) -> Response:
    ctx = request.app.state.ctx
    data = dashboard_data(ctx)
    week = data["week"]
    envs = request.app.state.envs
    locale = user.locale if user.locale in envs else "vi"
    topic_name = envs[locale].filters["topic"]
    return render(
        request, "dashboard.html", d=data,
        chart_days=charts.columns(data["series"]),
        chart_topics=charts.bars([(topic_name(k), v) for k, v in data["topics"]]),
        chart_sent=charts.split([("-1", week["neg"], "c-neg"), ("0", week["neu"], "c-neu"),
                                 ("+1", week["pos"], "c-pos")]),
    )
