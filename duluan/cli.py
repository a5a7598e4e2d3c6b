"""The `duluan` command line. Errors are one clear line and a non-zero exit code; `--debug`
shows the traceback."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

try:  # typer ≥ 0.20 vendors click
    from typer._click import exceptions as _click_exc  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    from click import exceptions as _click_exc  # type: ignore[no-redef]

from duluan.context import AppContext
from duluan.errors import DuluanError

app = typer.Typer(
    name="duluan",
    help="Dư Luận — theo dõi dư luận báo chí trong và ngoài nước về Thành phố (press-opinion monitoring).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Check the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")

err = Console(stderr=True)
out = Console()
_STATE = {"debug": False}


def ctx_from_env() -> AppContext:
    return AppContext.load()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    _STATE["debug"] = debug or os.environ.get("DULUAN_DEBUG") == "1"
    logging.basicConfig(
        level=logging.DEBUG if _STATE["debug"] else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def init(
    admin_user: Annotated[str, typer.Option("--admin-user", help="Name of the admin account.")] = "admin",
) -> None:
    """Create the data directory, the databases and the admin user.

    The password comes from DULUAN_ADMIN_PASSWORD or a prompt. Running it again keeps the data
    and leaves an existing admin as it is."""
    from duluan.auth import hash_password
    from duluan.db import User, audit

    ctx = ctx_from_env()
    ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
    _ = ctx.index  # creates the index file and schema
    with ctx.session() as s:
        user = s.query(User).filter_by(username=admin_user).one_or_none()
        if user is None:
            password = os.environ.get("DULUAN_ADMIN_PASSWORD")
            if not password:
                if not sys.stdin.isatty():
                    raise DuluanError("no admin password: set DULUAN_ADMIN_PASSWORD or run interactively")
                password = typer.prompt(f"Password for {admin_user}", hide_input=True, confirmation_prompt=True)
            if len(password) < 8:
                raise DuluanError("the admin password must have at least 8 characters")
            s.add(User(username=admin_user, password_hash=hash_password(password), role="admin",
                       full_name="Administrator"))
            audit(s, "cli", "user.create", admin_user, role="admin")
            s.commit()
            out.print(f"created admin user [bold]{admin_user}[/]")
        else:
            out.print(f"admin user [bold]{admin_user}[/] already exists")
    out.print(f"data directory: {ctx.settings.data_dir.resolve()}")
    out.print(f"article index: {ctx.settings.store_url}")


@config_app.command("check")
def config_check() -> None:
    """Validate settings, city files, sources, topics, alert rules and argument files."""
    from duluan.checks import check_all

    problems, summary = check_all(Path(os.environ.get("DULUAN_CONFIG_DIR", "config")))
    for line in summary:
        out.print(line)
    if problems:
        for p in problems:
            err.print(f"[red]error[/] {p}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    out.print("[green]configuration OK[/]")


@app.command()
def ingest(
    target: Annotated[Path, typer.Argument(help="A JSONL file or a directory of them.")],
    batch: Annotated[int, typer.Option(help="Articles per transaction.")] = 500,
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any line was skipped.")] = False,
    no_alerts: Annotated[bool, typer.Option("--no-alerts", help="Do not evaluate alert rules (backfills).")] = False,
) -> None:
    """Load articles from JSONL (one object per line: url, title, text, published_at, source, …)
    through the same pipeline as crawled ones. Bad lines are reported as file:line and skipped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from duluan.ingest import LineError, iter_jsonl, jsonl_files, source_lookup
    from duluan.pipeline import Pipeline

    ctx = ctx_from_env()
    files = jsonl_files(target)
    sources = source_lookup(ctx.sources)
    pipeline = Pipeline(ctx, alerts=not no_alerts)
    total_lines = 0
    for f in files:
        with f.open("rb") as fh:
            total_lines += sum(1 for line in fh if line.strip())
    loaded = skipped = 0
    pending = []
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, disable=not err.is_terminal) as progress:
        task = progress.add_task("ingest", total=total_lines)
        for f in files:
            for item in iter_jsonl(f, sources):
                if isinstance(item, LineError):
                    skipped += 1
                    err.print(f"[yellow]skipped[/] {item}", highlight=False, soft_wrap=True)
                    progress.advance(task)
                    continue
                pending.append(item)
                if len(pending) >= batch:
                    loaded += pipeline.process(pending).indexed
                    progress.advance(task, len(pending))
                    pending = []
        if pending:
            loaded += pipeline.process(pending).indexed
            progress.advance(task, len(pending))
    out.print(f"ingested {loaded} article(s) from {len(files)} file(s); {skipped} line(s) skipped")
    if strict and skipped:
        raise typer.Exit(1)


def _query_from_options(text: str | None, since: str | None, until: str | None, language: list[str],
                        source: list[str], country: list[str], kind: list[str], topic: list[str],
                        sentiment: list[int], min_risk: float | None, min_relevance: float | None,
                        sort: str, limit: int, offset: int, exact: bool, tz: str) -> object:
    from duluan.timeutil import parse_user_datetime
    from index.base import Query

    return Query(
        text=text, exact=exact,
        since=parse_user_datetime(since, tz) if since else None,
        until=parse_user_datetime(until, tz, end=True) if until else None,
        languages=tuple(language), sources=tuple(source), countries=tuple(c.upper() for c in country),
        kinds=tuple(kind), topics=tuple(topic), sentiments=tuple(sentiment), min_risk=min_risk,
        min_relevance=min_relevance, sort=sort, limit=limit, offset=offset,  # type: ignore[arg-type]
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", OR, NOT/-word, prefix*, ="exact"')] = "",
    since: Annotated[str | None, typer.Option(help="From date (YYYY-MM-DD or ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="To date, inclusive (YYYY-MM-DD or ISO 8601).")] = None,
    language: Annotated[list[str], typer.Option("--language", "-l", help="Language code (repeatable).")] = [],  # noqa: B006
    source: Annotated[list[str], typer.Option("--source", "-s", help="Source id (repeatable).")] = [],  # noqa: B006
    country: Annotated[list[str], typer.Option("--country", "-c", help="Country code (repeatable).")] = [],  # noqa: B006
    kind: Annotated[list[str], typer.Option("--kind", help="domestic or foreign.")] = [],  # noqa: B006
    topic: Annotated[list[str], typer.Option("--topic", "-t", help="Topic code (repeatable).")] = [],  # noqa: B006
    sentiment: Annotated[list[int], typer.Option("--sentiment", help="-1, 0 or 1 (repeatable).")] = [],  # noqa: B006
    min_risk: Annotated[float | None, typer.Option(help="Minimum risk score.")] = None,
    min_relevance: Annotated[float | None, typer.Option(help="Minimum relevance to the city.")] = None,
    sort: Annotated[str, typer.Option(help="newest, oldest, relevance or risk.")] = "newest",
    limit: Annotated[int, typer.Option(help="How many results.")] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many results.")] = 0,
    exact: Annotated[bool, typer.Option(help="Diacritics must match exactly.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
) -> None:
    """Full-text search (with or without diacritics) with filters; newest first by default."""
    if sort not in ("newest", "oldest", "relevance", "risk"):
        raise DuluanError(f"--sort: expected newest, oldest, relevance or risk, got {sort!r}")
    ctx = ctx_from_env()
    q = _query_from_options(query or None, since, until, language, source, country, kind, topic, sentiment,
                            min_risk, min_relevance, sort, limit, offset, exact, ctx.settings.timezone)
    page = ctx.index.search(q)
    if as_json:
        for a, score in zip(page.items, page.scores or [0.0] * len(page.items), strict=False):
            print(json.dumps({
                "id": a.id, "url": a.url, "title": a.title, "published_at": a.published_at.isoformat(),
                "source": a.source_id, "source_name": a.source_name, "country": a.source_country,
                "kind": str(a.source_kind), "language": a.language, "score": round(score, 4),
                "topics": a.effective_topics(), "sentiment": a.effective_sentiment(),
                "relevance": a.relevance, "risk": a.risk,
            }, ensure_ascii=False))
        return
    from rich.table import Table

    from duluan.timeutil import fmt_local

    t = Table(title=f"{page.total}{'' if page.total_exact else '+'} kết quả (results)")
    for col in ("Ngày", "Nguồn", "Ngôn ngữ", "Tiêu đề", "id"):
        t.add_column(col)
    for a in page.items:
        t.add_row(fmt_local(a.published_at, ctx.settings.timezone), a.source_name or a.source_id, a.language,
                  a.title[:90], a.id[:12])
    out.print(t)


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="Article id or URL.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """The whole stored article with its enrichment."""
    from duluan.models import article_id

    ctx = ctx_from_env()
    aid = article_id(ref) if ref.startswith(("http://", "https://")) else ref
    art = ctx.index.get(aid)
    if art is None:
        raise DuluanError(f"no article with id or URL {ref!r}")
    if as_json:
        print(art.model_dump_json(indent=2))
        return
    out.print(f"[bold]{art.title}[/]")
    out.print(f"{art.source_name} ({art.source_country}, {art.source_kind}) · {art.language} · "
              f"{art.published_at.isoformat()}")
    out.print(art.url)
    out.print(f"topics: {', '.join(art.effective_topics()) or '-'} · sentiment: {art.effective_sentiment()} · "
              f"relevance: {art.relevance:.2f} · risk: {art.risk:.0f}")
    if art.summary:
        out.print(f"\n[italic]{art.summary}[/]")
    out.print("\n" + art.text)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """Counts: articles, stories, sources, date range."""
    ctx = ctx_from_env()
    st = dict(ctx.index.stats())
    if as_json:
        print(json.dumps(st, ensure_ascii=False))
        return
    for k, v in st.items():
        out.print(f"{k}: {v}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings: 8000).")] = None,
) -> None:
    """Run the web server only (no scheduler)."""
    from duluan.service import serve as _serve

    _serve(ctx_from_env(), host=host, port=port, scheduler=False)


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings: 8000).")] = None,
) -> None:
    """Run the service: scheduler (crawls, alerts, digests, reports) and web server in one process."""
    from duluan.service import serve as _serve

    _serve(ctx_from_env(), host=host, port=port, scheduler=True)


def _register_subcommands() -> None:
    import importlib

    for name in ("crawl", "enrich", "alerts", "report", "index", "users"):
        module = importlib.import_module(f"duluan.commands.{name}")
        module.register(app)


_register_subcommands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app; turn errors into one clear line and an exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or os.environ.get("DULUAN_DEBUG") == "1"
    try:
        rv = app(args=argv, standalone_mode=False)
        if isinstance(rv, int) and not isinstance(rv, bool):
            return rv  # typer.Exit(code) is returned, not raised, outside standalone mode
    except typer.Abort:
        err.print("aborted")
        return 130
    except _click_exc.ClickException as exc:
        exc.show()
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except DuluanError as exc:
        if debug:
            raise
        msg = str(exc)
        err.print(f"[red]error:[/] {msg}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, not a traceback
        if debug:
            raise
        err.print(f"[red]error:[/] {type(exc).__name__}: {exc} (run with --debug for details)",
                  highlight=False, soft_wrap=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
