"""CLI commands: `duluan crawl` and `duluan sources list|check|health` (the crawlers issue)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

out = Console()
err = Console(stderr=True)

sources_app = typer.Typer(help="The source catalogue: list, validate, health.", no_args_is_help=True)


def _ctx():  # noqa: ANN202 - late import keeps `duluan --help` fast
    from duluan.context import AppContext

    return AppContext.load()


def crawl_cmd(
    source: Annotated[list[str], typer.Option("--source", "-s", help="Source id (repeatable); default: all enabled.")] = [],  # noqa: B006
    once: Annotated[bool, typer.Option("--once/--loop", help="One pass (default) or keep polling due sources.")] = True,
    feed: Annotated[str | None, typer.Option("--feed", help="Crawl this feed URL once (no catalogue entry).")] = None,
    sitemap: Annotated[str | None, typer.Option("--sitemap", help="Crawl this sitemap URL once.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Crawl this article URL once.")] = None,
    allow_private: Annotated[bool, typer.Option("--allow-private", help="Allow loopback/private addresses for this crawl.")] = False,
    no_discovery: Annotated[bool, typer.Option("--no-discovery", help="Skip the foreign-press search connectors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Discover, fetch (Scrapy, in a child process), extract and index articles."""
    from crawlers.runner import crawl

    ctx = _ctx()
    report = crawl(ctx, source_ids=list(source) or None, once=once, feed=feed, sitemap=sitemap, url=url,
                   allow_private=allow_private, discovery=False if no_discovery else None)
    if as_json:
        d = {k: v for k, v in report.__dict__.items() if k != "indexed_ids"}
        d["lost"] = report.lost
        print(json.dumps(d, ensure_ascii=False, default=str))
        return
    out.print(report.summary())
    for u, reason in report.failures[:50]:
        err.print(f"[yellow]failed[/] {u}: {reason}", highlight=False, soft_wrap=True)
    for u, reason in report.poll_errors[:50]:
        err.print(f"[yellow]poll[/] {u}: {reason}", highlight=False, soft_wrap=True)


@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False) -> None:
    """Show the catalogue (config/sources/*.yaml plus sources added in the UI)."""
    ctx = _ctx()
    if as_json:
        for s in ctx.sources:
            print(s.model_dump_json())
        return
    t = Table(title=f"{len(ctx.sources)} nguồn (sources)")
    for col in ("id", "name", "kind", "country", "lang", "feeds", "sitemaps", "listings", "every", "on"):
        t.add_column(col)
    for s in ctx.sources:
        t.add_row(s.id, s.name, f"{s.kind}{' (state)' if s.state else ''}", s.country, s.language, str(len(s.feeds)),
                  str(len(s.sitemaps)), str(len(s.listings)), f"{s.interval_minutes}m", "yes" if s.enabled else "no")
    out.print(t)


@sources_app.command("check")
def sources_check() -> None:
    """Validate the catalogue offline: schema, ids, URL syntax, listing patterns (nothing is fetched)."""
    from crawlers.catalogue_check import check_sources

    ctx = _ctx()
    sources = ctx.sources
    allow = {h for h in ctx.settings.crawl.allow_private if not any(c in h for c in "/:")}
    problems = check_sources(sources, allow)
    dom = sum(1 for s in sources if s.kind == "domestic")
    out.print(f"{len(sources)} source(s): {dom} domestic, {len(sources) - dom} foreign; "
              f"{sum(len(s.feeds) for s in sources)} feed(s), {sum(len(s.sitemaps) for s in sources)} sitemap(s)")
    if problems:
        for p in problems:
            err.print(f"[red]error[/] {p}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    out.print("[green]catalogue OK[/]")


@sources_app.command("health")
def sources_health(as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False) -> None:
    """Per source: last success, last error, consecutive failures, articles/day, mean latency, and
    pages dropped for holding no article, per reason."""
    from duluan.crawl_state import CrawlState

    ctx = _ctx()
    rows = CrawlState(ctx.session).health_rows()
    if as_json:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False, default=str))
        return
    t = Table(title="Tình trạng nguồn (source health)")
    for col in ("source", "last success", "failures", "articles/day", "total", "dropped (no article)",
                "latency ms", "last error"):
        t.add_column(col)
    for r in rows:
        last = r["last_success"].strftime("%Y-%m-%d %H:%M") if r["last_success"] else "-"
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(r["dropped"].items(), key=lambda kv: (-kv[1], kv[0])))
        t.add_row(r["source_id"], last, str(r["consecutive_failures"]), str(r["articles_last_day"]),
                  str(r["articles_total"]), dropped or "-", f"{r['mean_latency_ms']:.0f}", (r["last_error"] or "")[:80])
    out.print(t)


@sources_app.command("discovered")
def sources_discovered(
    min_articles: Annotated[int, typer.Option("--min-articles", help="Only outlets with at least N articles.")] = 1,
    limit: Annotated[int, typer.Option("--limit", help="At most N outlets.")] = 200,
    include_promoted: Annotated[bool, typer.Option("--all", help="Include outlets already promoted.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
) -> None:
    """Outlets outside the catalogue that discovery (GDELT, Google News) found articles from."""
    from duluan.discovered import discovered_rows

    ctx = _ctx()
    with ctx.session() as s:
        rows = discovered_rows(s, min_articles=min_articles, limit=limit, include_promoted=include_promoted)
    if as_json:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False, default=str))
        return
    t = Table(title=f"{len(rows)} nguồn phát hiện (discovered outlets)")
    for col in ("domain", "name", "country", "lang", "articles", "first seen", "last seen", "via", "promoted"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["domain"], r["name"], r["country"] or "-", r["language"] or "-", str(r["article_count"]),
                  r["first_seen"].strftime("%Y-%m-%d"), r["last_seen"].strftime("%Y-%m-%d %H:%M"),
                  ",".join(r["connectors"]), r["promoted_source_id"] or "")
    out.print(t)


@sources_app.command("promote")
def sources_promote(
    domain: Annotated[str, typer.Argument(help="Domain from `duluan sources discovered`.")],
    source_id: Annotated[str | None, typer.Option("--id", help="Source id (default: from the domain).")] = None,
    feed: Annotated[list[str], typer.Option("--feed", help="Feed URL of the outlet (repeatable).")] = [],  # noqa: B006
    disabled: Annotated[bool, typer.Option("--disabled", help="Add it without polling it yet.")] = False,
) -> None:
    """Add a discovered outlet to the catalogue (as a source added in the UI)."""
    from duluan.discovered import promote
    from duluan.errors import ConfigError

    ctx = _ctx()
    try:
        src = promote(ctx, domain, source_id=source_id, feeds=list(feed), enabled=not disabled)
    except ConfigError as exc:
        err.print(f"[red]error[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(f"promoted {domain} → source [bold]{src.id}[/] ({src.country}/{src.language}, "
              f"{len(src.feeds)} feed(s), {'enabled' if src.enabled else 'disabled'})")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root `duluan` app."""
    app.command("crawl")(crawl_cmd)
    app.add_typer(sources_app, name="sources")
