"""Reports: the archive with downloads (files are served only from `<data_dir>/reports/`),
"generate now" for a period through `reports.service.generate_report`, and the editable
assessment/proposals of the monthly summary (`ReportDraft`, period key "monthly:YYYY-MM")."""

from __future__ import annotations

import importlib
import mimetypes
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from duluan.db import ReportArchive, ReportDraft, audit
from duluan.errors import DuluanError
from duluan.timeutil import parse_user_datetime
from web.render import render
from web.security import CurrentUser, require_user, require_write

router = APIRouter(include_in_schema=False)
KINDS = ("daily", "monthly", "period")
FORMATS = ("html", "docx", "pdf")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def service() -> Any | None:
    try:
        return importlib.import_module("reports.service")
    except ImportError:
        return None


def reports_dir(ctx: Any) -> Path:
    return (ctx.settings.data_dir / "reports").resolve()


def archive_file(ctx: Any, report_id: int) -> tuple[ReportArchive, Path]:
    """The archived file, only if it lies inside `<data_dir>/reports/` (no path tricks)."""
    with ctx.session() as s:
        row = s.get(ReportArchive, report_id)
    if row is None:
        raise HTTPException(404, "report not found")
    base = reports_dir(ctx)
    raw = Path(row.path)
    path = (raw if raw.is_absolute() else base / raw).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise HTTPException(404, "report file not available")
    return row, path


def download_response(ctx: Any, report_id: int) -> Response:
    row, path = archive_file(ctx, report_id)
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, filename=path.name,
                        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"})


def list_reports(ctx: Any, limit: int = 100) -> list[ReportArchive]:
    with ctx.session() as s:
        return s.query(ReportArchive).order_by(ReportArchive.created_at.desc()).limit(limit).all()  # type: ignore[no-any-return]


def current_month(tz: str) -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(tz)).strftime("%Y-%m")


@router.get("/reports")
def reports_page(request: Request, user: CurrentUser = Depends(require_user())) -> Response:
    ctx = request.app.state.ctx
    month = request.query_params.get("month") or current_month(ctx.settings.timezone)
    if not MONTH.match(month):
        month = current_month(ctx.settings.timezone)
    with ctx.session() as s:
        draft = s.query(ReportDraft).filter_by(kind="monthly", period_key=f"monthly:{month}").one_or_none()
    return render(request, "reports.html", reports=list_reports(ctx), available=service() is not None,
                  draft=draft, month=month, kinds=KINDS, formats=FORMATS, error=request.query_params.get("err"))


@router.get("/reports/{report_id}/download")
def download(request: Request, report_id: int, user: CurrentUser = Depends(require_user())) -> Response:
    return download_response(request.app.state.ctx, report_id)


def period_bounds(kind: str, start: str, end: str, tz: str) -> tuple[datetime, datetime]:
    """UTC [start, end) of the period the user asked for (a month for monthly, a day for daily)."""
    begin = parse_user_datetime(start, tz)
    if kind == "daily":
        return begin, begin + timedelta(days=1)
    if kind == "monthly":
        local = begin.astimezone(ZoneInfo(tz))
        first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return first.astimezone(UTC), nxt.astimezone(UTC)
    finish = parse_user_datetime(end, tz, end=True) if end else begin + timedelta(days=1)
    if finish <= begin:
        raise DuluanError("the end of the period must be after its start")
    return begin, finish


@router.post("/reports/generate")
async def generate(request: Request, user: CurrentUser = Depends(require_write("analyst"))) -> Response:
    ctx = request.app.state.ctx
    svc = service()
    if svc is None:
        raise HTTPException(503, "report generation not available in this build")
    form = await request.form()
    kind = str(form.get("kind") or "daily")
    fmt = str(form.get("format") or "html")
    if kind not in KINDS or fmt not in FORMATS:
        raise HTTPException(400, "kind/format")
    start, end = period_bounds(kind, str(form.get("start") or ""), str(form.get("end") or ""), ctx.settings.timezone)
    row = svc.generate_report(ctx, kind, start, end, fmt, user.username)
    with ctx.session() as s:
        audit(s, user.username, "report.generate", str(getattr(row, "id", "")), kind=kind, format=fmt,
              start=start.isoformat(), end=end.isoformat())
        s.commit()
    return RedirectResponse("/reports?ok=generated", status_code=303)


@router.post("/reports/draft")
async def save_draft(request: Request, user: CurrentUser = Depends(require_write("analyst"))) -> Response:
    ctx = request.app.state.ctx
    form = await request.form()
    month = str(form.get("month") or "")
    if not MONTH.match(month):
        raise HTTPException(400, "month: expected YYYY-MM")
    key = f"monthly:{month}"
    with ctx.session() as s:
        draft = s.query(ReportDraft).filter_by(kind="monthly", period_key=key).one_or_none()
        if draft is None:
            draft = ReportDraft(kind="monthly", period_key=key)
            s.add(draft)
        draft.assessment = str(form.get("assessment") or "")[:20000]
        draft.proposals = str(form.get("proposals") or "")[:20000]
        draft.number = str(form.get("number") or "")[:64]
        draft.updated_by = user.username
        draft.updated_at = datetime.now(UTC)
        audit(s, user.username, "report.draft", key)
        s.commit()
    return RedirectResponse(f"/reports?month={month}&ok=saved", status_code=303)
