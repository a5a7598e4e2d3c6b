"""Generate a report, write it under `<data_dir>/reports/` and archive it (`ReportArchive`).

`generate_report` is what the CLI, the scheduler jobs and the web UI ("generate now") call. The
analyst's assessment, proposals and document number come from `ReportDraft` (kind, period key)
when present."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from duluan.db import ReportArchive, ReportDraft
from duluan.errors import DuluanError
from reports import charts
from reports.alerts_data import alerts_for_period, count_alerts
from reports.compose_digest import compose_digest
from reports.compose_summary import compose_summary
from reports.content import source_names
from reports.digest import build_digest
from reports.document import AdminFrame, Document, place_date
from reports.periods import Period, day_period, month_period, period_from_range
from reports.summary import PLACEHOLDER_ASSESSMENT, PLACEHOLDER_PROPOSALS, Draft, build_summary
from reports.topics import TopicNames

log = logging.getLogger("reports.service")

KINDS = ("daily", "monthly", "period")
FORMATS = ("html", "docx", "pdf")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def period_for(kind: str, start: datetime, end: datetime, tz: str) -> Period:
    """The report period: the local day of `start` (daily), its month (monthly), or the range."""
    if kind not in KINDS:
        raise DuluanError(f"unknown report kind {kind!r} (expected one of {', '.join(KINDS)})")
    zone = ZoneInfo(tz)
    first = (start if start.tzinfo else start.replace(tzinfo=zone)).astimezone(zone).date()
    if kind == "daily":
        return day_period(first, tz)
    if kind == "monthly":
        return month_period(first.year, first.month, tz)
    return period_from_range(start, end, tz)


def load_draft(session: Any, kind: str, period: Period) -> Draft:
    """The analyst's sections for (kind, period key), or the placeholders. The key is the period's
    key (`2026-10`) or the same prefixed with the kind (`monthly:2026-10`, as the web UI saves it);
    the most recently updated wins."""
    row = session.execute(
        select(ReportDraft).where(ReportDraft.kind == kind,
                                  ReportDraft.period_key.in_([period.key, f"{kind}:{period.key}"]))
        .order_by(ReportDraft.updated_at.desc())
    ).scalars().first()
    if row is None:
        return Draft(PLACEHOLDER_ASSESSMENT, PLACEHOLDER_PROPOSALS, "", False)
    return Draft(row.assessment.strip() or PLACEHOLDER_ASSESSMENT, row.proposals.strip() or PLACEHOLDER_PROPOSALS,
                 row.number.strip(), bool(row.assessment.strip() or row.proposals.strip()))


def admin_frame(ctx: Any, now: datetime, number: str = "", motto: bool = True, numbered: bool = True) -> AdminFrame:
    """Issuing body, number, place and date, recipients and signer from `settings.reports`.
    `numbered=False` (the daily bulletin) prints a number only when the draft gives one."""
    rs = ctx.settings.reports
    local = now.astimezone(ZoneInfo(ctx.settings.timezone))
    if number:
        num = number if number.lower().startswith("số") else f"Số: {number}"
        if "/" not in number:
            num = f"Số: {number}/{rs.number_suffix}"
    elif numbered:
        num = "Số: " + "\u00a0" * 8 + f"/{rs.number_suffix}"
    else:
        num = ""
    return AdminFrame(issuing_body=list(rs.issuing_body), number=num,
                      place_date=place_date(rs.place, local.day, local.month, local.year), motto=motto,
                      recipients=list(rs.recipients), signer_title=rs.signer_title, signer_name=rs.signer_name)


def summary_charts(data: Any) -> dict[str, bytes]:
    """The five charts of a summary, keyed as the composed document refers to them."""
    fig = data.figures
    outlets = sorted([(o.name, o.kind, o.count) for o in data.outlets_domestic + data.outlets_foreign],
                     key=lambda r: -r[2])
    return {
        "volume": charts.volume_chart(fig),
        "sentiment": charts.sentiment_chart(fig),
        "topics": charts.topics_chart(fig, data.topics),
        "languages": charts.languages_countries_chart(fig),
        "outlets": charts.outlets_chart(outlets),
    }


def build_document(ctx: Any, kind: str, period: Period, now: datetime | None = None) -> Document:
    """Gather the figures through the ArticleIndex contract and compose the report."""
    now = now or datetime.now(UTC)
    settings = ctx.settings
    threshold = settings.enrichment.relevance_threshold
    topics = TopicNames.load(settings.config_dir)
    try:
        agencies = {a.id: a.name for a in ctx.city.agencies}
    except DuluanError as exc:  # a missing city file must not stop the report
        log.warning("city config unavailable for agency names: %s", exc)
        agencies = {}
    try:
        sources = list(ctx.sources)
    except DuluanError as exc:  # a broken catalogue must not stop the report: articles carry outlet names
        log.warning("source catalogue unavailable for outlet names: %s", exc)
        sources = []
    with ctx.session() as s:
        alerts = alerts_for_period(s, period.start, period.end, period.tz, agencies)
        prev = period.previous()
        alerts.previous_count = count_alerts(s, prev.start, prev.end)
        draft = load_draft(s, kind, period)
    if kind == "daily":
        data = build_digest(ctx.index, period, threshold, alerts, topics, source_names(sources), now)
        return compose_digest(data, admin_frame(ctx, now, draft.number, motto=False, numbered=False))
    summary = build_summary(ctx.index, period, kind, threshold, alerts, topics, sources, draft, now)
    summary.charts = summary_charts(summary)
    return compose_summary(summary, admin_frame(ctx, now, draft.number))


def render(doc: Document, fmt: str) -> bytes:
    """The document in one of `FORMATS`."""
    if fmt == "html":
        from reports.render_html import render_html

        return render_html(doc).encode("utf-8")
    if fmt == "docx":
        from reports.render_docx import render_docx

        return render_docx(doc)
    if fmt == "pdf":
        from reports.render_pdf import render_pdf

        return render_pdf(doc)
    raise DuluanError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")


def file_name(kind: str, period: Period, fmt: str) -> str:
    stem = {"daily": "ban-tin", "monthly": "bao-cao-thang"}.get(kind, "bao-cao")
    key = re.sub(r"[^0-9A-Za-z-]+", "_", period.key)
    return f"{stem}-{key}.{fmt}"


def _unique(path: Path) -> Path:
    if not path.exists():
        return path
    for i in range(2, 10_000):
        candidate = path.with_name(f"{path.stem}-{i}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise DuluanError(f"too many versions of {path}")


def report_title(kind: str, period: Period) -> str:
    if kind == "daily":
        return f"Bản tin theo dõi dư luận báo chí {period.label_vi}"
    return f"Báo cáo tổng hợp dư luận báo chí {period.label_vi}"


def generate_report(ctx: Any, kind: str, start: datetime, end: datetime, fmt: str,
                    created_by: str = "scheduler", out: Path | None = None,
                    document: Document | None = None) -> ReportArchive:
    """Build, render, write (under `<data_dir>/reports/<kind>/`, or to `out`) and archive one report.

    `document` lets a caller that already composed the report (the digest job, which also
    e-mails it) render it in another format without gathering the figures again."""
    if fmt not in FORMATS:
        raise DuluanError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")
    period = period_for(kind, start, end, ctx.settings.timezone)
    doc = document or build_document(ctx, kind, period)
    data = render(doc, fmt)
    if out is None:
        folder = ctx.settings.data_dir / "reports" / kind
        folder.mkdir(parents=True, exist_ok=True)
        path = _unique(folder / file_name(kind, period, fmt))
    else:
        path = out
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    with ctx.session() as s:
        row = ReportArchive(kind=kind, title=report_title(kind, period), period_start=period.start,
                            period_end=period.end, format=fmt, path=str(path.resolve()), size=len(data),
                            created_by=created_by)
        s.add(row)
        s.commit()
        s.refresh(row)
        s.expunge(row)
    log.info("report %s %s (%s) written to %s (%d bytes)", kind, period.key, fmt, path, len(data))
    return row
