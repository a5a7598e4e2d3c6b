"""CLI commands: `duluan analyze FILE.jsonl` (every enrichment of arbitrary texts, one JSON line
each) and `duluan reenrich [--since] [--only topics,sentiment]` (re-run enrichers over stored
articles after a model or config change; analysts' corrections are never overwritten)."""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console

err = Console(stderr=True)


def _article_from(obj: dict[str, Any], n: int) -> Any:
    """An Article from one input object: `text` (required), `title`, `url`, `source_kind`…"""
    from duluan.errors import IngestError
    from duluan.models import Article, Kind, article_id, canonicalize_url, utcnow

    if not isinstance(obj, dict):
        raise IngestError("not a JSON object")
    text = obj.get("text")
    if not isinstance(text, str):
        raise IngestError("missing `text` (a string)")
    title = obj.get("title") or ""
    url = obj.get("url") or f"analyze://line/{n}/{hashlib.sha256(text.encode('utf-8', 'replace')).hexdigest()[:16]}"
    kind = obj.get("source_kind") or "domestic"
    if kind not in ("domestic", "foreign"):
        raise IngestError(f"source_kind: expected domestic or foreign, got {kind!r}")
    extra: dict[str, Any] = {}
    if obj.get("language"):
        extra["language_hint"] = str(obj["language"])
    if obj.get("source_weight") is not None:
        extra["source_weight"] = obj["source_weight"]
    published = obj.get("published_at") or utcnow()
    return Article(
        id=article_id(url), url=url, canonical_url=canonicalize_url(url),
        source_id=str(obj.get("source") or obj.get("source_id") or "analyze"),
        source_kind=Kind(kind), source_country=str(obj.get("source_country") or ""),
        title=str(title), text=text, published_at=published, extra=extra,
    )


def _result(article: Any, threshold: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "url": article.url,
        "title": article.title,
        "language": article.language,
        "language_confidence": article.language_confidence,
        "mentions": [m.model_dump() for m in article.mentions],
        "relevance": article.relevance,
        "relevant": article.relevance >= threshold,
        "topics": [t.model_dump() for t in article.topics],
    }
    if "sentiment" in article.enrichment and article.enrichment["sentiment"] != "unavailable":
        out["sentiment"] = article.sentiment.model_dump() if article.sentiment else None
    if "risk" in article.enrichment and article.enrichment["risk"] != "unavailable":
        out["risk"] = article.risk
        out["risk_reasons"] = article.risk_reasons
    if article.story_id:
        out["story_id"] = article.story_id
    out["summary"] = article.summary
    out["enrichment"] = article.enrichment
    return out


def analyze_stream(ctx: Any, src: TextIO, dst: TextIO, batch: int = 200) -> tuple[int, int]:
    """Enrich every JSON line of `src` and write one JSON line per input line to `dst`
    (an `{"line": n, "error": …}` object for a line that cannot be read). Returns (ok, errors)."""
    from duluan.errors import DuluanError
    from enrichment.chain import build_chain

    chain = build_chain(ctx.settings, ctx.city)
    threshold = ctx.settings.enrichment.relevance_threshold
    ok = bad = 0
    pending: list[tuple[int, Any]] = []

    def flush() -> None:
        nonlocal ok
        if not pending:
            return
        enriched = chain.enrich_batch([a for _, a in pending])
        for (n, _), a in zip(pending, enriched, strict=True):
            dst.write(json.dumps({"line": n, **_result(a, threshold)}, ensure_ascii=False, default=str) + "\n")
            ok += 1
        pending.clear()

    for n, line in enumerate(src, start=1):
        if not line.strip():
            continue
        try:
            pending.append((n, _article_from(json.loads(line), n)))
        except (json.JSONDecodeError, DuluanError, ValueError) as exc:
            flush()  # keep the output in input order
            dst.write(json.dumps({"line": n, "error": str(exc)[:300]}, ensure_ascii=False) + "\n")
            bad += 1
            continue
        if len(pending) >= batch:
            flush()
    flush()
    return ok, bad


def reenrich_index(ctx: Any, since: datetime | None = None, only: list[str] | None = None,
                   batch: int = 500, progress: Any = None) -> dict[str, int]:
    """Re-run the enrichers (or `only` some) over stored articles, batch by batch, and write
    them back through the index. The analyst's `review` is carried over untouched."""
    from enrichment.chain import build_chain

    chain = build_chain(ctx.settings, ctx.city)
    index = ctx.index
    seen = written = 0
    after: str | None = None
    while True:
        page = list(itertools.islice(index.iter_all(batch=batch, after=after), batch))
        if not page:
            break
        after = page[-1].id
        seen += len(page)
        todo = [a for a in page if since is None or a.published_at >= since]
        if not todo:
            continue
        reviews = {a.id: a.review for a in todo}
        enriched = chain.enrich_batch(todo, index=index, only=only)
        enriched = [a.model_copy(update={"review": reviews[a.id]}) for a in enriched]
        written += index.upsert(enriched)
        if progress is not None:
            progress(seen, written)
    return {"seen": seen, "reenriched": written}


def _parse_since(value: str | None) -> datetime | None:
    from duluan.errors import DuluanError

    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as exc:
        raise DuluanError(f"--since: expected a date like 2026-11-01 or 2026-11-01T08:00, got {value!r}") from exc
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root `duluan` app."""

    @app.command("analyze")
    def analyze_cmd(
        file: Annotated[str, typer.Argument(help="JSONL file of objects with `text` (and optional `title`, `url`, `source_kind`); - for stdin.")],
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the JSON lines here instead of stdout.")] = None,
    ) -> None:
        """Enrich texts and print one JSON line per input: language + confidence, mentions of
        the city, relevance, topics, sentiment, risk, summary.

        Example: duluan analyze samples.jsonl -o analysed.jsonl"""
        from duluan.cli import ctx_from_env
        from duluan.errors import DuluanError

        ctx = ctx_from_env()
        if file == "-":
            src: TextIO = sys.stdin
        else:
            p = Path(file)
            if not p.exists():
                raise DuluanError(f"analyze: {p}: no such file")
            src = p.open(encoding="utf-8", errors="replace")
        dst = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            ok, bad = analyze_stream(ctx, src, dst)
        finally:
            if src is not sys.stdin:
                src.close()
            if output:
                dst.close()
        err.print(f"analysed {ok} text(s), {bad} unreadable line(s)")

    @app.command("reenrich")
    def reenrich_cmd(
        since: Annotated[str | None, typer.Option("--since", help="Only articles published from this date (ISO, e.g. 2026-11-01).")] = None,
        only: Annotated[str | None, typer.Option("--only", help="Comma-separated enrichers to re-run, e.g. topics,sentiment (default: all configured).")] = None,
        batch: Annotated[int, typer.Option("--batch", help="Articles per batch.")] = 500,
    ) -> None:
        """Re-run enrichers over stored articles after a model or configuration change.
        Analysts' corrections (the review) are never overwritten.

        Example: duluan reenrich --since 2026-11-01 --only topics,sentiment"""
        from duluan.cli import ctx_from_env
        from duluan.errors import DuluanError
        from enrichment.chain import KNOWN

        names = [n.strip() for n in only.split(",") if n.strip()] if only else None
        if names is not None:
            bad = [n for n in names if n not in KNOWN]
            if bad or not names:
                raise DuluanError(f"--only: unknown enricher(s) {', '.join(bad) or '(none given)'}; known: {', '.join(KNOWN)}")
        ctx = ctx_from_env()
        try:
            res = reenrich_index(ctx, _parse_since(since), names, batch=batch,
                                 progress=lambda seen, done: err.print(f"read {seen}, re-enriched {done}", highlight=False))
        finally:
            ctx.close()
        typer.echo(json.dumps(res))
