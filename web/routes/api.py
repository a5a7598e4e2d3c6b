"""The JSON API under `/api/v1` (search, article, alerts, reports) for integrations: token auth
(`Authorization: Bearer <token>`, tokens from `duluan users token`) or the browser session (then
mutating calls need the `X-CSRF-Token` header). OpenAPI schema and docs under `/api/` for admins."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from duluan.db import AlertHistory, AlertRecord, ReportArchive
from duluan.models import Article
from web.render import render
from web.routes.alerts import alert_detail, list_alerts, perform
from web.routes.reports import download_response, list_reports
from web.searchparams import FACET_DIMS, params_dict, parse
from web.security import CurrentUser, require_user, require_write

router = APIRouter(prefix="/api/v1", tags=["v1"])
docs_router = APIRouter(include_in_schema=False)


class ArticleSummary(BaseModel):
    id: str
    url: str
    title: str
    published_at: datetime
    source: str
    source_name: str
    country: str
    kind: str
    language: str
    topics: list[str]
    sentiment: int | None
    relevance: float
    risk: float
    reviewed: bool
    story_id: str | None


class SearchResult(BaseModel):
    total: int
    total_exact: bool
    page: int
    items: list[ArticleSummary]
    facets: dict[str, list[tuple[str, int]]] | None = None


class AlertOut(BaseModel):
    id: str
    rule_id: str
    title: str
    severity: str
    state: str
    created_at: datetime
    updated_at: datetime | None
    agency: str | None
    assignee: str | None
    deadline: datetime | None
    story_id: str | None
    article_id: str | None
    data: dict[str, Any]
    history: list[dict[str, Any]] | None = None


class ReportOut(BaseModel):
    id: int
    kind: str
    title: str
    period_start: datetime
    period_end: datetime
    format: str
    size: int
    created_at: datetime
    created_by: str
    download: str


class ActionIn(BaseModel):
    action: str
    note: str | None = None
    agency: str | None = None
    assignee: str | None = None
    deadline: str | None = None
    response: str | None = None


def summary(a: Article) -> ArticleSummary:
    return ArticleSummary(
        id=a.id, url=a.url, title=a.title, published_at=a.published_at, source=a.source_id,
        source_name=a.source_name, country=a.source_country, kind=str(a.source_kind), language=a.language,
        topics=a.effective_topics(), sentiment=a.effective_sentiment(), relevance=a.relevance, risk=a.risk,
        reviewed=a.review.reviewed, story_id=a.story_id,
    )


def alert_out(r: AlertRecord, history: list[AlertHistory] | None = None) -> AlertOut:
    return AlertOut(
        id=r.id, rule_id=r.rule_id, title=r.title, severity=r.severity, state=r.state, created_at=r.created_at,
        updated_at=r.updated_at, agency=r.agency, assignee=r.assignee, deadline=r.deadline, story_id=r.story_id,
        article_id=r.article_id, data=r.data or {},
        history=None if history is None else [
            {"at": h.at.isoformat(), "actor": h.actor, "action": h.action, "detail": h.detail} for h in history
        ],
    )


def report_out(r: ReportArchive) -> ReportOut:
    return ReportOut(id=r.id, kind=r.kind, title=r.title, period_start=r.period_start, period_end=r.period_end,
                     format=r.format, size=r.size, created_at=r.created_at, created_by=r.created_by,
                     download=f"/api/v1/reports/{r.id}/download")


@router.get("/me")
def me(user: CurrentUser = Depends(require_user())) -> dict[str, str]:
    """Who the token or session belongs to."""
    return {"username": user.username, "role": user.role}


@router.get("/search", response_model=SearchResult)
def api_search(request: Request, page: int = 1, size: int = 20, facets: bool = False,
               user: CurrentUser = Depends(require_user())) -> SearchResult:
    """Same parameters as the search page: q, since, until, language, country, kind, source, topic,
    sentiment (repeatable), min_risk, reviewed (1/0), sort (newest|relevance|risk|oldest), exact."""
    ctx = request.app.state.ctx
    form = parse(params_dict(request.query_params), ctx.settings.timezone, page=page,
                 page_size=max(1, min(size, 100)))
    result = ctx.index.search(form.query)
    out = SearchResult(total=result.total, total_exact=result.total_exact, page=form.page,
                       items=[summary(a) for a in result.items])
    if facets:
        out.facets = {dim: [(b.key[0], b.count) for b in
                            ctx.index.aggregate(replace(form.without(dim)), by=[dim], tz=ctx.settings.timezone, size=20)]
                      for dim in FACET_DIMS}
    return out


@router.get("/articles/{article_id}")
def api_article(request: Request, article_id: str, user: CurrentUser = Depends(require_user())) -> JSONResponse:
    """The whole stored article with its enrichment and review."""
    art = request.app.state.ctx.index.get(article_id[:64])
    if art is None:
        raise HTTPException(404, "article not found")
    return JSONResponse(art.model_dump(mode="json"))


@router.get("/alerts", response_model=list[AlertOut])
def api_alerts(request: Request, state: str = "open", severity: str | None = None,
               user: CurrentUser = Depends(require_user())) -> list[AlertOut]:
    """Alerts by state (`open` = not closed, or one state) and severity, most severe first."""
    return [alert_out(r) for r in list_alerts(request.app.state.ctx, state, severity)]


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def api_alert(request: Request, alert_id: str, user: CurrentUser = Depends(require_user())) -> AlertOut:
    alert, history = alert_detail(request.app.state.ctx, alert_id)
    return alert_out(alert, history)


@router.post("/alerts/{alert_id}/actions", response_model=AlertOut)
def api_alert_action(request: Request, alert_id: str, body: ActionIn = Body(...),
                     user: CurrentUser = Depends(require_write("analyst"))) -> AlertOut:
    """acknowledge | assign (agency, assignee, deadline) | respond (response) | close | note."""
    perform(request.app.state.ctx, alert_id, user.username,
            {k: str(v) for k, v in body.model_dump().items() if v is not None})
    alert, history = alert_detail(request.app.state.ctx, alert_id)
    return alert_out(alert, history)


@router.get("/reports", response_model=list[ReportOut])
def api_reports(request: Request, user: CurrentUser = Depends(require_user())) -> list[ReportOut]:
    return [report_out(r) for r in list_reports(request.app.state.ctx)]


@router.get("/reports/{report_id}/download")
def api_report_download(request: Request, report_id: int, user: CurrentUser = Depends(require_user())) -> Response:
    return download_response(request.app.state.ctx, report_id)


def openapi_schema(app: Any) -> dict[str, Any]:
    if getattr(app.state, "openapi", None) is None:
        schema = get_openapi(title="Dư Luận API", version="1", routes=app.routes,
                             description="Token auth: `Authorization: Bearer <token>` (create one with "
                                         "`duluan users token USER`).")
        schema.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        schema["security"] = [{"bearer": []}]
        app.state.openapi = schema
    return app.state.openapi  # type: ignore[no-any-return]


@docs_router.get("/api/openapi.json")
def api_openapi(request: Request, user: CurrentUser = Depends(require_user("admin"))) -> JSONResponse:
    return JSONResponse(openapi_schema(request.app))


@docs_router.get("/api/docs")
def api_docs(request: Request, user: CurrentUser = Depends(require_user("admin"))) -> Response:
    """The API reference rendered on the server from the OpenAPI schema (no CDN-hosted Swagger UI)."""
    schema = openapi_schema(request.app)
    ops = []
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            params = [(p["name"], p.get("in", ""), p.get("required", False)) for p in op.get("parameters", [])]
            ops.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                        "description": op.get("description", ""), "params": params,
                        "body": "requestBody" in op})
    return render(request, "api_docs.html", ops=ops)
