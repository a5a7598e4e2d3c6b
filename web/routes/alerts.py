"""The alert inbox (by severity and state), the alert page (why it fired, its story's articles,
talking points, history) and the workflow actions through `alerts.workflow`. When the alerts
module is not installed the inbox still lists alerts and says the actions are unavailable."""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import case

from duluan.db import AlertHistory, AlertRecord
from duluan.errors import DuluanError, WorkflowError
from duluan.timeutil import parse_user_datetime
from index.base import Query
from web.render import ALERT_STATES, SEVERITIES, render
from web.security import CurrentUser, require_user, require_write

router = APIRouter(include_in_schema=False)
ACTIONS = ("acknowledge", "assign", "respond", "close", "note")
RESPONSES = ("statement", "press_conference", "correction_requested", "no_action")


def workflow() -> Any | None:
    """`alerts.workflow` if this build has it."""
    try:
        return importlib.import_module("alerts.workflow")
    except ImportError:
        return None


def severity_order() -> Any:
    return case({s: i for i, s in enumerate(SEVERITIES)}, value=AlertRecord.severity, else_=len(SEVERITIES))


def list_alerts(ctx: Any, state: str | None, severity: str | None, limit: int = 200) -> list[AlertRecord]:
    with ctx.session() as s:
        q = s.query(AlertRecord)
        if state == "open":
            q = q.filter(AlertRecord.state != "closed")
        elif state in ALERT_STATES:
            q = q.filter(AlertRecord.state == state)
        if severity in SEVERITIES:
            q = q.filter(AlertRecord.severity == severity)
        return q.order_by(severity_order(), AlertRecord.created_at.desc()).limit(limit).all()  # type: ignore[no-any-return]


@router.get("/alerts")
def inbox(request: Request, user: CurrentUser = Depends(require_user())) -> Response:
    ctx = request.app.state.ctx
    state = request.query_params.get("state", "open")
    severity = request.query_params.get("severity")
    rows = list_alerts(ctx, state, severity)
    with ctx.session() as s:
        counts: dict[tuple[str, str], int] = {}
        for sev, st in s.query(AlertRecord.severity, AlertRecord.state).all():
            counts[(sev, st)] = counts.get((sev, st), 0) + 1
    return render(request, "alerts.html", alerts=rows, state=state, severity=severity, counts=counts)


def alert_detail(ctx: Any, alert_id: str) -> tuple[AlertRecord, list[AlertHistory]]:
    with ctx.session() as s:
        alert = s.get(AlertRecord, alert_id[:64])
        if alert is None:
            raise HTTPException(404, "alert not found")
        history = s.query(AlertHistory).filter_by(alert_id=alert.id).order_by(AlertHistory.at, AlertHistory.id).all()
        return alert, history


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: str, user: CurrentUser = Depends(require_user())) -> Response:
    ctx = request.app.state.ctx
    alert, history = alert_detail(ctx, alert_id)
    data = alert.data or {}
    ids = list(data.get("article_ids") or ([alert.article_id] if alert.article_id else []))
    articles = ctx.index.get_many(ids[:50]) if ids else []
    if alert.story_id:
        seen = {a.id for a in articles}
        more = ctx.index.search(Query(story_id=alert.story_id, limit=30)).items
        articles += [a for a in more if a.id not in seen]
    wf = workflow()
    allowed = list(wf.allowed_actions(alert.state)) if wf is not None else []
    return render(request, "alert.html", alert=alert, data=data, history=history, articles=articles,
                  allowed=allowed, workflow_available=wf is not None, agencies=ctx.city.agencies,
                  responses=RESPONSES, error=request.query_params.get("err"))


@router.post("/alerts/{alert_id}/action")
async def alert_action(request: Request, alert_id: str,
                       user: CurrentUser = Depends(require_write("analyst"))) -> Response:
    form = await request.form()
    perform(request.app.state.ctx, alert_id, user.username, {k: str(v) for k, v in form.items()})
    return RedirectResponse(f"/alerts/{alert_id}?ok=done", status_code=303)


def perform(ctx: Any, alert_id: str, actor: str, form: dict[str, str]) -> None:
    """Run one workflow action (shared with the JSON API); WorkflowError on illegal transitions."""
    wf = workflow()
    if wf is None:
        raise HTTPException(503, "alert workflow not available in this build")
    action = form.get("action", "")
    note = (form.get("note") or "").strip()[:4000] or None
    with ctx.session() as s:
        if s.get(AlertRecord, alert_id) is None:
            raise HTTPException(404, "alert not found")
        try:
            if action == "acknowledge":
                wf.acknowledge(s, alert_id, actor, note=note)
            elif action == "assign":
                agency = form.get("agency") or ""
                if not agency:
                    raise WorkflowError("assign: choose an agency")
                deadline = None
                if form.get("deadline"):
                    deadline = parse_user_datetime(form["deadline"], ctx.settings.timezone, end=True)
                wf.assign(s, alert_id, actor, agency, assignee=(form.get("assignee") or None), deadline=deadline,
                          note=note)
            elif action == "respond":
                response = form.get("response", "")
                if response not in RESPONSES:
                    raise WorkflowError(f"respond: unknown response {response!r}")
                wf.respond(s, alert_id, actor, response, note=note)
            elif action == "close":
                wf.close(s, alert_id, actor, note=note)
            elif action == "note":
                if not note:
                    raise WorkflowError("note: empty")
                wf.add_note(s, alert_id, actor, note)
            else:
                raise WorkflowError(f"unknown action {action!r}")
            s.commit()  # the workflow writes the history and the audit entry
        except DuluanError as exc:
            s.rollback()
            raise HTTPException(409, str(exc)) from None
