"""CLI commands: `duluan index copy` (move the archive between backends) and `duluan index
reindex` (rebuild after a mapping/schema change)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

index_app = typer.Typer(help="Article index maintenance: copy between backends, reindex.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _progress(total: int, label: str) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err, transient=False, disable=not err.is_terminal)


def _resolve(url: str) -> str:
    """Accept a bare path as an SQLite index."""
    if "://" in url or url.startswith("sqlite:"):
        return url
    return f"sqlite:///{Path(url).resolve()}"


@index_app.command("copy")
def copy_cmd(
    src: Annotated[str, typer.Option("--from", help="Source index URL: sqlite:///path or elasticsearch://host:9200.")],
    dst: Annotated[str, typer.Option("--to", help="Destination index URL.")],
    batch: Annotated[int, typer.Option(help="Articles per batch (and per resume checkpoint).")] = 500,
    after: Annotated[str | None, typer.Option("--after", help="Resume after this article id (overrides the saved state).")] = None,
    restart: Annotated[bool, typer.Option("--restart", help="Ignore a saved resume state and copy everything.")] = False,
    state: Annotated[Path | None, typer.Option("--state", help="Resume state file (default: in the data dir).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Copy every article from one index to another, streaming with a progress bar.

    Interrupted (Ctrl-C, kill, crash), the same command resumes where it stopped; the
    destination keeps what it had (articles are replaced by id). Examples:
    duluan index copy --from sqlite:///data/index.sqlite --to elasticsearch://localhost:9200
    duluan index copy --from elasticsearchs://es:9200 --to sqlite:///backup/index.sqlite"""
    from duluan.errors import DuluanError
    from duluan.settings import load_settings
    from index import open_index
    from index.base import Query
    from index.copy import copy_index, load_state, state_path

    settings = load_settings()
    src_url, dst_url = _resolve(src), _resolve(dst)
    if src_url == dst_url:
        raise DuluanError("index copy: --from and --to name the same index")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    state_file = state or state_path(settings.data_dir, src_url, dst_url)
    previous = {} if restart else load_state(state_file)
    source = open_index(src_url, tz=settings.timezone)
    target = open_index(dst_url, tz=settings.timezone)
    try:
        total = source.count(Query())
        done_before = int(previous.get("copied", 0)) if after is None else 0
        if previous and after is None:
            err.print(f"resuming after article {previous.get('last_id')} ({done_before} already copied)")
        with _progress(total, "copying") as bar:
            task = bar.add_task("copy", total=total, completed=min(done_before, total))
            result = copy_index(source, target, batch=batch, after=after, state_file=state_file, restart=restart,
                                progress=lambda n: bar.advance(task, n), src_url=src_url, dst_url=dst_url)
    finally:
        source.close()
        target.close()
    summary = {"from": src_url, "to": dst_url, "copied": result.copied, "resumed_after": result.resumed_after,
               "source_articles": result.source_total, "target_articles": result.target_total,
               "failed": len(result.failures)}
    if as_json:
        out.print_json(json.dumps(summary))
    else:
        out.print(f"copied {result.copied} article(s); source has {result.source_total}, destination "
                  f"{result.target_total}" + (f"; {len(result.failures)} failed" if result.failures else ""))
    for aid, reason in result.failures[:20]:
        err.print(f"[red]failed[/] {aid}: {reason}", highlight=False, soft_wrap=True)
    if result.failures:
        err.print("the other articles were copied; fix the cause and run the command again with --restart"
                  " to retry the failed ones (articles already there are simply replaced)")
        raise typer.Exit(1)


@index_app.command("reindex")
def reindex_cmd(
    store: Annotated[str | None, typer.Option("--store", help="Index URL (default: the configured store).")] = None,
    batch: Annotated[int, typer.Option(help="Articles per batch.")] = 500,
    keep_old: Annotated[bool, typer.Option("--keep-old", help="Elasticsearch: keep the previous index after the alias swap.")] = False,
) -> None:
    """Rebuild the index for a mapping/schema change: Elasticsearch gets a new versioned index
    and an atomic alias swap; SQLite rewrites every article from its stored record."""
    from duluan.settings import load_settings
    from index import open_index
    from index.base import Query
    from index.copy import reindex

    settings = load_settings()
    url = _resolve(store) if store else settings.store_url
    idx = open_index(url, tz=settings.timezone)
    try:
        total = idx.count(Query())
        with _progress(total, "reindexing") as bar:
            task = bar.add_task("reindex", total=total)
            info = reindex(idx, batch=batch, progress=lambda n: bar.advance(task, n), keep_old=keep_old)
    finally:
        idx.close()
    out.print(" ".join(f"{k}={v}" for k, v in info.items()))


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root `duluan` app."""
    app.add_typer(index_app, name="index")
