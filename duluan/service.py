"""`duluan run`: APScheduler (SQLAlchemy job store, office timezone) + the web server (uvicorn)
in one process; clean shutdown on SIGINT/SIGTERM (uvicorn handles the signals, the scheduler
stops after it)."""

from __future__ import annotations

import logging
import signal
from typing import Any

from duluan.context import AppContext

log = logging.getLogger("duluan.service")


def build_scheduler(ctx: AppContext) -> Any:
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from duluan import jobs

    jobs.set_context(ctx)
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=ctx.engine, tablename="apscheduler_jobs")},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=ctx.settings.timezone,
    )
    for job_id, target, trigger, args in jobs.job_table(ctx):
        if not jobs.target_available(target):
            log.info("job %s skipped: %s is not available in this build", job_id, target)
            continue
        scheduler.add_job("duluan.jobs:run_job", trigger, args=[job_id, target], id=job_id, name=job_id,
                          replace_existing=True, **args)
    return scheduler


def serve(ctx: AppContext, host: str | None = None, port: int | None = None, scheduler: bool = True) -> None:
    import uvicorn

    from web.app import create_app

    ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
    _ = ctx.index  # open (and migrate) before serving
    _ = ctx.engine
    sched = build_scheduler(ctx) if scheduler and ctx.settings.scheduler.enabled else None
    app = create_app(ctx, scheduler=sched)
    config = uvicorn.Config(app, host=host or ctx.settings.web.host, port=port if port is not None else ctx.settings.web.port,
                            log_level="info", proxy_headers=False)
    server = uvicorn.Server(config)
    # uvicorn re-raises the signal that stopped it once it has shut down; with these handlers in
    # place that is a no-op, so the scheduler is stopped below and the process exits 0.
    stopped: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: stopped.append(signum))
    if sched is not None:
        sched.start()
        log.info("scheduler started with %d job(s)", len(sched.get_jobs()))
    try:
        server.run()
    finally:
        if sched is not None:
            sched.shutdown(wait=False)
        ctx.close()
        log.info("stopped cleanly")
