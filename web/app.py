"""The web application (FastAPI): server-rendered pages (Jinja2, vendored static assets only),
the JSON API under `/api/v1`, `/healthz` and a status page.

`create_app(ctx, scheduler=None)` wires the routers of `web/routes/`; every response carries a
strict Content-Security-Policy (no inline script, no third-party origin) and the usual security
headers. The session secret is checked here, so a misconfigured instance refuses to start."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from duluan.context import AppContext
from duluan.errors import DuluanError
from web.render import TopicNames, build_envs, render
from web.security import CsrfFailed, CurrentUser, Forbidden, LoginRequired, require_user, resolve_secret

log = logging.getLogger("duluan.web")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(ctx: AppContext, scheduler: Any = None) -> FastAPI:
    """The app for one AppContext; `scheduler` (optional) is shown on the status page."""
    app = FastAPI(title="Dư Luận", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.state.scheduler = scheduler
    app.state.secret = resolve_secret(ctx.settings)
    app.state.topics = TopicNames(ctx.settings.config_dir)
    app.state.envs = build_envs(ctx.settings.timezone, app.state.topics)
    app.state.crawls = {}  # source id -> background thread of a UI-triggered crawl

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        # server time of the request (browser dev tools show it; the benchmark reads it)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if ctx.settings.web.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "authentication required"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(nxt)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "forbidden for your role"}, status_code=403)
        return render(request, "error.html", status_code=403, code=403, kind="forbidden")

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "missing or invalid CSRF token"}, status_code=403)
        return render(request, "error.html", status_code=403, code=403, kind="csrf")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
        return render(request, "error.html", status_code=exc.status_code, code=exc.status_code,
                      kind="notfound" if exc.status_code == 404 else "other", detail=str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        msg = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        if _wants_json(request):
            return JSONResponse({"error": msg}, status_code=422)
        return render(request, "error.html", status_code=422, code=422, kind="other", detail=msg)

    @app.exception_handler(DuluanError)
    async def _domain(request: Request, exc: DuluanError) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return render(request, "error.html", status_code=400, code=400, kind="other", detail=str(exc))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        try:
            from index.base import Query

            n = ctx.index.count(Query())  # cheap: stats() scans for distinct stories/sources
            return JSONResponse({"status": "ok", "articles": n})
        except Exception as exc:  # noqa: BLE001 - health reports failure instead of raising
            return JSONResponse({"status": "error", "error": str(exc)}, status_code=503)

    @app.get("/status", response_class=HTMLResponse, include_in_schema=False)
    def status(request: Request, user: CurrentUser = Depends(require_user())) -> Response:
        from duluan.db import JobRun

        st = ctx.index.stats()
        with ctx.session() as s:
            runs = s.query(JobRun).order_by(JobRun.started_at.desc()).limit(20).all()
        jobs = scheduler.get_jobs() if scheduler is not None else []
        return render(request, "status.html", stats=st, runs=runs, sources=len(ctx.sources), jobs=jobs)

    from web.routes import admin, alerts, api, articles, auth, dashboard, reports, rules, search, sources

    for module in (auth, dashboard, search, articles, alerts, sources, rules, reports, admin, api):
        app.include_router(module.router)
    app.include_router(api.docs_router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    return app
