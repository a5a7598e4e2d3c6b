"""Scheduler jobs (see `duluan.jobs.job_table`): the daily digest (07:00 by default, covering the
previous local day) and the monthly summary (the 1st, covering the previous month). Each report
is archived (file + `ReportArchive` row) and e-mailed to the configured recipients."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from duluan.db import ReportArchive
from reports.delivery import Attachment, Mail, send_mail
from reports.periods import day_period, month_period, today_local
from reports.render_html import render_html
from reports.service import build_document, generate_report

log = logging.getLogger("reports.jobs")


def _subject(row: ReportArchive) -> str:
    return f"[Dư Luận] {row.title}"


def email_report(ctx: Any, kind: str, row: ReportArchive, html: str | None = None,
                 text: str | None = None) -> list[str]:
    """E-mail an archived report: the digest as the HTML body; a summary as attachment(s)."""
    rs = ctx.settings.reports
    to = list(rs.digest_email_to if kind == "daily" else rs.monthly_email_to)
    if not to:
        log.info("no recipients configured for %s reports; not e-mailing %s", kind, row.path)
        return []
    path = Path(row.path)
    data = path.read_bytes()
    if row.format == "html" and html is None:
        html = data.decode("utf-8")
    attachments = []
    if row.format != "html":
        sub = {"pdf": ("application", "pdf"),
               "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")}[row.format]
        attachments.append(Attachment(path.name, data, *sub))
    body = html or (f"<p>Kính gửi Quý cơ quan,</p><p>Xin gửi kèm <b>{row.title}</b>.</p>"
                    "<p>Trân trọng.</p>")
    text = text or f"{row.title}\n\nXem nội dung trong phần HTML hoặc tệp đính kèm."
    return send_mail(ctx.settings, Mail(_subject(row), to, body, text, attachments))


def _draft_edited(ctx: Any, period: Any) -> bool:
    from reports.service import load_draft

    with ctx.session() as s:
        return load_draft(s, "monthly", period).edited


def daily_digest_job(ctx: Any, now: datetime | None = None) -> str:
    """Digest of the previous local day: archived as HTML and e-mailed (inline, e-mail-safe HTML)."""
    now = now or datetime.now(UTC)
    tz = ctx.settings.timezone
    period = day_period(today_local(tz, now) - timedelta(days=1), tz)
    doc = build_document(ctx, "daily", period, now)
    row = generate_report(ctx, "daily", period.start, period.end, "html", created_by="scheduler", document=doc)
    sent = email_report(ctx, "daily", row, html=render_html(doc), text=doc.text())
    return f"digest {period.key}: {row.path}; e-mailed to {len(sent)} recipient(s)"


def monthly_summary_job(ctx: Any, now: datetime | None = None) -> str:
    """Summary of the previous month as DOCX and PDF, archived and e-mailed with both attached."""
    now = now or datetime.now(UTC)
    tz = ctx.settings.timezone
    last_month_day = today_local(tz, now).replace(day=1) - timedelta(days=1)
    period = month_period(last_month_day.year, last_month_day.month, tz)
    doc = build_document(ctx, "monthly", period, now)
    rows = [generate_report(ctx, "monthly", period.start, period.end, fmt, created_by="scheduler", document=doc)
            for fmt in ("docx", "pdf")]
    to = list(ctx.settings.reports.monthly_email_to)
    sent: list[str] = []
    if to:
        attachments = []
        for row in rows:
            sub = "pdf" if row.format == "pdf" else "vnd.openxmlformats-officedocument.wordprocessingml.document"
            attachments.append(Attachment(Path(row.path).name, Path(row.path).read_bytes(), "application", sub))
        draft_note = "" if _draft_edited(ctx, period) else (
            "<p><i>Bản lập tự động: phần nhận định, đánh giá và kiến nghị, đề xuất chưa được cán bộ phân tích "
            "bổ sung.</i></p>")
        body = (f"<p>Kính gửi Quý cơ quan,</p><p>Sở Thông tin và Truyền thông xin gửi <b>{rows[0].title}</b> "
                f"(bản Word và PDF đính kèm).</p>{draft_note}<p>Trân trọng.</p>")
        sent = send_mail(ctx.settings, Mail(_subject(rows[0]), to, body, f"{rows[0].title} (đính kèm).", attachments))
    return f"monthly {period.key}: {', '.join(r.path for r in rows)}; e-mailed to {len(sent)} recipient(s)"
