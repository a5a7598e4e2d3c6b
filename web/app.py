"""The web application (FastAPI). This first version serves `/healthz` and a status page; the
web UI issue adds authentication, pages and the JSON API."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from duluan.context import AppContext


def create_app(ctx: AppContext, scheduler: Any = None) -> FastAPI:
    app = FastAPI(title="Dư Luận", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.state.scheduler = scheduler

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            n = ctx.index.stats()["articles"]
            return JSONResponse({"status": "ok", "articles": n})
        except Exception as exc:  # noqa: BLE001 - health reports failure instead of raising
            return JSONResponse({"status": "error", "error": str(exc)}, status_code=503)

    @app.get("/status", response_class=HTMLResponse)
    def status() -> str:
        from html import escape

        from duluan.db import JobRun

        st = ctx.index.stats()
        with ctx.session() as s:
            runs = s.query(JobRun).order_by(JobRun.started_at.desc()).limit(20).all()
        rows = "".join(
            f"<tr><td>{escape(r.job_id)}</td><td>{r.started_at:%d/%m/%Y %H:%M}</td><td>{escape(r.status)}</td>"
            f"<td>{escape(r.message[:200])}</td></tr>" for r in runs
        )
        return (
            "<!doctype html><html lang=vi><meta charset=utf-8><title>Dư Luận — trạng thái</title>"
            f"<h1>Dư Luận</h1><p>Bài báo: {st['articles']} · Nguồn: {len(ctx.sources)}</p>"
            f"<h2>Lần chạy gần nhất</h2><table>{rows}</table></html>"
        )

    return app
