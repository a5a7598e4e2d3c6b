"""Scheduled delivery: the digest job, run the way the scheduler runs it (`duluan.jobs.run_job`),
archives the digest and e-mails it to a real SMTP server (aiosmtpd) on loopback; the monthly job
sends the DOCX and PDF as attachments; the summary reports the alerts and how they were handled."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from duluan.db import AlertRecord, JobRun, ReportArchive
from duluan.models import Article, Kind, Sentiment, TopicScore, article_id
from reports.periods import month_period
from reports.service import generate_report
from tests.reports.helpers import docx_text


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.event = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
        self.event.set()
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Inbox]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("DULUAN_SMTP__HOST", "127.0.0.1")
    monkeypatch.setenv("DULUAN_SMTP__PORT", str(port))
    monkeypatch.setenv("DULUAN_SMTP__SENDER", "du-luan@sotttt.example.gov.vn")
    monkeypatch.setenv("DULUAN_REPORTS__DIGEST_EMAIL_TO", "[van-phong@sotttt.example.gov.vn, lanh-dao@sotttt.example.gov.vn]")
    monkeypatch.setenv("DULUAN_REPORTS__MONTHLY_EMAIL_TO", "[bcd-ttdn@example.gov.vn]")
    try:
        yield inbox
    finally:
        controller.stop()


def _yesterday_article(hours_ago: int, title: str, kind: str, sentiment: int) -> Article:
    url = f"https://example-press.test/{abs(hash(title))}"
    return Article(
        id=article_id(url), url=url, canonical_url=url, source_id="tuoitre" if kind == "domestic" else "reuters",
        source_name="Tuổi Trẻ" if kind == "domestic" else "Reuters", source_country="VN" if kind == "domestic" else "GB",
        source_kind=Kind(kind), title=title, text="Thành phố Hồ Chí Minh. Câu thứ hai.",
        published_at=datetime.now(UTC) - timedelta(hours=hours_ago), language="vi" if kind == "domestic" else "en",
        relevance=0.95, topics=[TopicScore(code="flooding", score=0.9)],
        sentiment=Sentiment(label=sentiment, score=0.6, method="test"), risk=50,
    )


def test_daily_digest_job_emails_the_digest(smtp: _Inbox, app_env: dict[str, str]) -> None:
    from duluan import jobs
    from duluan.context import AppContext
    from reports.periods import today_local

    ctx = AppContext.load()
    try:
        tz = ctx.settings.timezone
        # articles of yesterday (local): between 25 and 47 hours ago there is always some of yesterday
        now = datetime.now(UTC)
        yesterday = today_local(tz, now) - timedelta(days=1)
        arts = [_yesterday_article(h, f"Ngập lụt ở Thủ Đức lần {h}", "domestic", -1) for h in range(20, 50, 3)]
        arts.append(_yesterday_article(30, "Ho Chi Minh City floods draw foreign attention", "foreign", -1))
        ctx.index.upsert(arts)
        from zoneinfo import ZoneInfo

        expected = sum(1 for a in arts if a.published_at.astimezone(ZoneInfo(tz)).date() == yesterday)
        assert expected > 0
        jobs.set_context(ctx)
        target = next(t for j, t, _k, _a in jobs.job_table(ctx) if j == "daily-digest")
        assert jobs.target_available(target)
        jobs.run_job("daily-digest", target)
        with ctx.session() as s:
            run = s.execute(select(JobRun).where(JobRun.job_id == "daily-digest")).scalar_one()
            assert run.status == "ok", run.message
            archived = s.execute(select(ReportArchive)).scalars().all()
        assert len(archived) == 1 and archived[0].kind == "daily" and archived[0].format == "html"
        assert smtp.event.wait(10)
        rcpts, raw = smtp.messages[0]
        assert sorted(rcpts) == ["lanh-dao@sotttt.example.gov.vn", "van-phong@sotttt.example.gov.vn"]
        assert b"=?utf-8?" in raw.lower()  # the Vietnamese subject travels RFC 2047-encoded
        msg = message_from_bytes(raw, policy=policy.default)
        assert msg["Subject"] == f"[Dư Luận] Bản tin theo dõi dư luận báo chí ngày {yesterday:%d/%m/%Y}"
        html = msg.get_body(("html",)).get_content()
        assert f"BẢN TIN THEO DÕI DƯ LUẬN BÁO CHÍ NGÀY {yesterday:%d/%m/%Y}" in html
        assert f">{expected}<" in html  # the headline count
        assert "<style" not in html
        assert Path(archived[0].path).read_text(encoding="utf-8").count("BẢN TIN") >= 1
    finally:
        jobs._CTX.clear()
        ctx.close()


@pytest.mark.slow
def test_monthly_job_attaches_docx_and_pdf_and_reports_alert_handling(
        smtp: _Inbox, app_env: dict[str, str], articles: list[Article]) -> None:
    from alerts import workflow
    from duluan.context import AppContext
    from reports.jobs import monthly_summary_job

    ctx = AppContext.load()
    try:
        ctx.index.upsert(articles)
        p = month_period(2026, 10, ctx.settings.timezone)
        created = p.start + timedelta(days=3, hours=2)
        with ctx.session() as s:
            s.add(AlertRecord(id="a1", rule_id="foreign-negative", title="Báo nước ngoài đưa tin sai về ngập lụt",
                              created_at=created, updated_at=created, severity="high", state="new",
                              data={"reasons": ["foreign negative"]}))
            s.add(AlertRecord(id="a2", rule_id="sensitive", title="Luận điệu xuyên tạc về tôn giáo",
                              created_at=created, updated_at=created, severity="critical", state="new"))
            s.commit()
            workflow.acknowledge(s, "a1", "analyst")
            workflow.assign(s, "a1", "analyst", agency="songoaivu")
            workflow.respond(s, "a1", "songoaivu", "statement", note="Đã cung cấp thông tin chính xác cho phóng viên")
            # fix the times so the response times are known: 45 minutes to acknowledge, 3 h to respond
            rec = s.get(AlertRecord, "a1")
            rec.acknowledged_at = created + timedelta(minutes=45)
            rec.responded_at = created + timedelta(hours=3)
            s.commit()
        # run on the 1st of November: the job reports October
        msg_text = monthly_summary_job(ctx, now=datetime(2026, 11, 1, 1, 0, tzinfo=UTC))
        assert "2026-10" in msg_text
        assert smtp.event.wait(10)
        rcpts, raw = smtp.messages[0]
        assert rcpts == ["bcd-ttdn@example.gov.vn"]
        msg = message_from_bytes(raw, policy=policy.default)
        names = sorted(part.get_filename() for part in msg.iter_attachments())
        assert names == ["bao-cao-thang-2026-10.docx", "bao-cao-thang-2026-10.pdf"]
        docx_part = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".docx"))
        text = docx_text(docx_part.get_content())
        assert "Báo nước ngoài đưa tin sai về ngập lụt" in text and "Luận điệu xuyên tạc về tôn giáo" in text
        assert "phát hiện và cảnh báo 2 trường hợp" in text
        assert "Thời gian tiếp nhận trung vị 45 phút" in text
        assert "thời gian phản hồi trung vị 3 giờ" in text
        assert "Ra thông cáo / phát ngôn" in text and "Đã cung cấp thông tin chính xác cho phóng viên" in text
        # per agency, with the agency's name from the city file
        assert "Sở Ngoại vụ | 1 | 45 phút | 3 giờ" in text
        with ctx.session() as s:
            formats = sorted(r.format for r in s.execute(select(ReportArchive)).scalars())
        assert formats == ["docx", "pdf"]
    finally:
        ctx.close()


def test_no_smtp_host_is_a_clear_error(ctx: Any) -> None:
    from duluan.errors import DuluanError
    from reports.jobs import email_report

    ctx.settings.reports.digest_email_to.append("x@example.gov.vn")
    p = month_period(2026, 10, ctx.settings.timezone)
    row = generate_report(ctx, "daily", p.start, p.start + timedelta(days=1), "html", created_by="test")
    with pytest.raises(DuluanError, match="smtp.host is not set"):
        email_report(ctx, "daily", row)


def test_cli_email_flag_sends_the_report(smtp: _Inbox, app_env: dict[str, str], articles: list[Article]) -> None:
    """`duluan report monthly --month 2026-10 --format pdf --email` attaches the PDF."""
    from duluan.cli import main
    from duluan.context import AppContext

    ctx = AppContext.load()
    ctx.index.upsert(articles)
    ctx.close()
    assert main(["report", "monthly", "--month", "2026-10", "--format", "pdf", "--email"]) in (0, None)
    assert smtp.event.wait(10)
    rcpts, raw = smtp.messages[0]
    assert rcpts == ["bcd-ttdn@example.gov.vn"]
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "[Dư Luận] Báo cáo tổng hợp dư luận báo chí tháng 10/2026"
    att = next(msg.iter_attachments())
    assert att.get_filename() == "bao-cao-thang-2026-10.pdf" and att.get_content()[:5] == b"%PDF-"
