"""Scheduler jobs. Each is a module-level function (so the persistent job store can refer to it
by name) that builds its own context from the environment, records its run in `job_runs`, and
delegates to the area that owns the work."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from duluan.context import AppContext
from duluan.db import JobRun

log = logging.getLogger("duluan.jobs")

_CTX: dict[str, AppContext] = {}


def set_context(ctx: AppContext) -> None:
    """The service hands its context to the jobs (one process)."""
    _CTX["ctx"] = ctx


def _ctx() -> AppContext:
    if "ctx" not in _CTX:
        _CTX["ctx"] = AppContext.load()
    return _CTX["ctx"]


def _run(job_id: str, target: str) -> None:
    ctx = _ctx()
    module, func = target.split(":")
    with ctx.session() as s:
        run = JobRun(job_id=job_id)
        s.add(run)
        s.commit()
        try:
            fn: Callable[[AppContext], Any] = getattr(importlib.import_module(module), func)
            result = fn(ctx)
            run.status = "ok"
            run.message = str(result or "")[:2000]
        except Exception as exc:  # noqa: BLE001 - a job failure is recorded, never kills the scheduler
            log.exception("job %s failed", job_id)
            run.status = "error"
            run.message = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = datetime.now(UTC)
        s.commit()


# job id -> (target "module:function", trigger kind, trigger args builder)
def job_table(ctx: AppContext) -> list[tuple[str, str, str, dict[str, Any]]]:
    sch = ctx.settings.scheduler
    dh, dm = (int(x) for x in sch.digest_time.split(":"))
    mh, mm = (int(x) for x in sch.monthly_time.split(":"))
    jobs: list[tuple[str, str, str, dict[str, Any]]] = [
        ("crawl-due-sources", "crawlers.runner:crawl_due_sources", "interval", {"minutes": 5}),
        ("discovery", "crawlers.runner:run_discovery", "interval", {"minutes": 30}),
        ("alerts-aggregate", "alerts.engine:run_aggregate_triggers", "interval",
         {"minutes": sch.aggregate_alerts_minutes}),
        ("alerts-retry-deliveries", "alerts.engine:retry_deliveries", "interval", {"minutes": 2}),
        ("daily-digest", "reports.jobs:daily_digest_job", "cron", {"hour": dh, "minute": dm}),
        ("monthly-summary", "reports.jobs:monthly_summary_job", "cron",
         {"day": sch.monthly_day, "hour": mh, "minute": mm}),
        ("source-health", "crawlers.runner:update_health", "interval", {"minutes": 60}),
    ]
    if sch.retention_days:
        jobs.append(("retention", "duluan.jobs:retention_job", "cron", {"hour": 3, "minute": 30}))
    return jobs


def retention_job(ctx: AppContext) -> str:
    from datetime import timedelta

    before = datetime.now(UTC) - timedelta(days=ctx.settings.scheduler.retention_days)
    n = ctx.index.retention(before)
    return f"deleted {n} article(s) published before {before.date()}"


def run_job(job_id: str, target: str) -> None:
    """What the scheduler calls (a plain module-level function with string arguments)."""
    _run(job_id, target)


def target_available(target: str) -> bool:
    module, func = target.split(":")
    try:
        return hasattr(importlib.import_module(module), func)
    except ImportError:
        return False
