"""Copy every article from one index to another (any backend to any backend), streaming and
resumable; and rebuild one index in place for a mapping/schema change.

Resuming: articles are read in id order (`ArticleIndex.iter_all`), and after each batch is
written the last id is saved to a small state file (written atomically). Killed or interrupted,
the next run with the same source and destination starts after that id; a batch written but
not yet recorded is simply written again (upsert is idempotent by id). The state file is
removed when the copy completes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from duluan.errors import IndexError_
from index.base import ArticleIndex, Query

log = logging.getLogger("duluan.index.copy")

Progress = Callable[[int], Any]


@dataclass
class CopyResult:
    copied: int = 0
    resumed_after: str | None = None
    last_id: str | None = None
    source_total: int = 0
    target_total: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    complete: bool = False


def state_path(data_dir: Path, src_url: str, dst_url: str) -> Path:
    """Where the resume state of one source→destination copy lives."""
    digest = hashlib.sha256(f"{src_url}\n{dst_url}".encode()).hexdigest()[:12]
    return data_dir / f"index-copy-{digest}.json"


def load_state(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise IndexError_(f"{path}: unreadable copy state ({exc}); delete it or use --restart") from None


def _save_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def copy_index(src: ArticleIndex, dst: ArticleIndex, *, batch: int = 500, after: str | None = None,
               state_file: Path | None = None, restart: bool = False, progress: Progress | None = None,
               src_url: str = "", dst_url: str = "") -> CopyResult:
    """Stream every article of `src` into `dst` in batches; resumable (see the module docstring).

    `after` resumes explicitly after an id; otherwise the state file (if any) says where a
    previous run stopped. A batch with documents the destination refuses is recorded in
    `failures` and the copy goes on."""
    if batch <= 0:
        raise IndexError_("index copy: --batch must be positive")
    state = {} if restart else load_state(state_file)
    if state and (state.get("from") != src_url or state.get("to") != dst_url):
        raise IndexError_(f"{state_file}: copy state belongs to {state.get('from')} → {state.get('to')}")
    start = after if after is not None else state.get("last_id")
    result = CopyResult(resumed_after=start, copied=0 if after is not None else int(state.get("copied", 0)))
    result.source_total = src.count(Query())
    # bulk copy into Elasticsearch: no refresh per batch, one at the end
    saved_refresh = getattr(dst, "refresh", None)
    if saved_refresh is not None:
        dst.refresh = False  # type: ignore[attr-defined]
    started = state.get("started_at") or datetime.now(UTC).isoformat()
    try:
        buf = []
        for article in src.iter_all(batch=batch, after=start):
            buf.append(article)
            if len(buf) >= batch:
                _write(dst, buf, result)
                _checkpoint(state_file, src_url, dst_url, result, started)
                if progress:
                    progress(len(buf))
                buf = []
        if buf:
            _write(dst, buf, result)
            _checkpoint(state_file, src_url, dst_url, result, started)
            if progress:
                progress(len(buf))
    finally:
        if saved_refresh is not None:
            dst.refresh = saved_refresh  # type: ignore[attr-defined]
            dst.refresh_now()  # type: ignore[attr-defined]
    result.complete = True
    result.target_total = dst.count(Query())
    if state_file is not None and state_file.exists() and not result.failures:
        state_file.unlink()
    return result


def _write(dst: ArticleIndex, buf: list[Any], result: CopyResult) -> None:
    from index.elastic import BulkError

    try:
        result.copied += dst.upsert(buf)
    except BulkError as exc:
        result.copied += exc.written
        result.failures.extend(exc.failures)
    result.last_id = buf[-1].id


def _checkpoint(path: Path | None, src_url: str, dst_url: str, result: CopyResult, started: str) -> None:
    if path is None:
        return
    _save_state(path, {"from": src_url, "to": dst_url, "last_id": result.last_id, "copied": result.copied,
                       "started_at": started, "updated_at": datetime.now(UTC).isoformat(),
                       "failures": len(result.failures)})


def reindex(index: ArticleIndex, *, batch: int = 500, progress: Progress | None = None,
            keep_old: bool = False) -> dict[str, Any]:
    """Rebuild an index in place after a mapping/schema change.

    Elasticsearch: a new versioned index from the current template, filled from the stored
    articles, then an atomic alias swap. SQLite: every article is written again from its stored
    record (derived columns, topic rows and the FTS entry are rebuilt), then the FTS index is
    optimised."""
    native = getattr(index, "reindex", None)
    if native is not None:
        return dict(native(keep_old=keep_old, progress=progress))
    n = 0
    buf = []
    for article in index.iter_all(batch=batch):
        buf.append(article)
        if len(buf) >= batch:
            n += index.upsert(buf)
            if progress:
                progress(len(buf))
            buf = []
    if buf:
        n += index.upsert(buf)
        if progress:
            progress(len(buf))
    optimize = getattr(index, "optimize", None)
    if optimize is not None:
        optimize()
    return {"articles": n, "backend": getattr(index, "backend", "?")}
