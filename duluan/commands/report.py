"""CLI commands: `duluan report daily|monthly|period|list` (the reports issue)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="html | docx | pdf")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of <data>/reports/.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (office timezone).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD.")]
EmailOpt = Annotated[bool, typer.Option("--email", help="Also e-mail it to the configured recipients.")]


def _generate(kind: str, first: date, last: date, fmt: str, out: Path | None, email: bool) -> None:
    from rich.console import Console

    from duluan.cli import ctx_from_env
    from duluan.errors import DuluanError
    from reports.periods import custom_period
    from reports.service import FORMATS, generate_report

    if fmt not in FORMATS:
        raise DuluanError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    ctx = ctx_from_env()
    tz = ctx.settings.timezone
    span = custom_period(first, last, tz)
    row = generate_report(ctx, kind, span.start, span.end, fmt, created_by="cli", out=out)
    Console().print(f"{row.title}: {row.path} ({row.size:,} bytes)", highlight=False, soft_wrap=True)
    if email:
        from reports.jobs import email_report

        sent = email_report(ctx, kind, row)
        Console().print(f"e-mailed to {', '.join(sent)}", highlight=False)


def _day(value: str) -> date:
    from reports.periods import parse_day

    return parse_day(value)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root `duluan` app."""
    report_app = typer.Typer(help="Bản tin và báo cáo: daily digest, monthly and periodic summaries.",
                             no_args_is_help=True)
    app.add_typer(report_app, name="report")

    @report_app.command("daily")
    def daily(
        day: Annotated[str | None, typer.Option("--date", help="The day, YYYY-MM-DD (default: yesterday).")] = None,
        from_: FromOpt = None, to: ToOpt = None, fmt: FormatOpt = "html", out: OutOpt = None, email: EmailOpt = False,
    ) -> None:
        """The daily digest ("Bản tin theo dõi dư luận báo chí ngày dd/mm/yyyy")."""
        from duluan.cli import ctx_from_env
        from reports.periods import today_local

        value = day or from_
        d = _day(value) if value else today_local(ctx_from_env().settings.timezone) - timedelta(days=1)
        _generate("daily", d, d, fmt, out, email)

    @report_app.command("monthly")
    def monthly(
        month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: last month).")] = None,
        from_: FromOpt = None, to: ToOpt = None, fmt: FormatOpt = "docx", out: OutOpt = None, email: EmailOpt = False,
    ) -> None:
        """The monthly summary for the Steering Committee, in the administrative form."""
        from duluan.cli import ctx_from_env
        from reports.periods import month_period, parse_month, today_local

        tz = ctx_from_env().settings.timezone
        if month:
            p = parse_month(month, tz)
        elif from_:
            d = _day(from_)
            p = month_period(d.year, d.month, tz)
        else:
            first = today_local(tz).replace(day=1) - timedelta(days=1)
            p = month_period(first.year, first.month, tz)
        _generate("monthly", p.first, p.last, fmt, out, email)

    @report_app.command("period")
    def period(
        from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
        to: Annotated[str, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD.")],
        fmt: FormatOpt = "docx", out: OutOpt = None, email: EmailOpt = False,
    ) -> None:
        """A summary over any range (a quarter, 6 months, a year, or ad hoc), compared with the
        previous range of the same length."""
        _generate("period", _day(from_), _day(to), fmt, out, email)

    @report_app.command("list")
    def list_(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
        """The report archive (what the web UI offers for download)."""
        from rich.console import Console
        from sqlalchemy import select

        from duluan.cli import ctx_from_env
        from duluan.db import ReportArchive
        from duluan.timeutil import fmt_local

        ctx = ctx_from_env()
        console = Console()
        with ctx.session() as s:
            rows = s.execute(select(ReportArchive).order_by(ReportArchive.created_at.desc()).limit(limit)).scalars()
            for r in rows:
                console.print(f"{r.id}\t{fmt_local(r.created_at, ctx.settings.timezone)}\t{r.kind}\t{r.format}\t"
                              f"{r.title}\t{r.path}", highlight=False, soft_wrap=True)
