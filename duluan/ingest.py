"""JSONL import: one object per line with at least url, title, text, published_at (ISO 8601) and
source (catalogue id or outlet name); optional language, country, kind, authors, section,
title_vi. Malformed lines are reported as file:line and skipped; the rest loads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from duluan.catalogue import adhoc_source
from duluan.errors import IngestError
from duluan.models import Article, Kind, Source, article_id, canonicalize_url, utcnow

REQUIRED = ("url", "title", "text", "published_at", "source")


@dataclass
class LineError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _parse_dt(value: Any, field: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise IngestError(f"{field}: expected an ISO 8601 date-time string, got {value!r}")
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise IngestError(f"{field}: not an ISO 8601 date-time: {value!r}") from None


def article_from_record(rec: Any, sources: dict[str, Source]) -> Article:
    """Validate one JSONL object and build the Article (raises IngestError with the reason)."""
    if not isinstance(rec, dict):
        raise IngestError(f"expected a JSON object, got {type(rec).__name__}")
    missing = [k for k in REQUIRED if k not in rec or rec[k] in (None, "")]
    if missing:
        raise IngestError(f"missing required field(s): {', '.join(missing)}")
    for k in ("url", "title", "text", "source"):
        if not isinstance(rec[k], str):
            raise IngestError(f"{k}: expected a string, got {type(rec[k]).__name__}")
    url = rec["url"].strip()
    if not url.startswith(("http://", "https://")):
        raise IngestError(f"url: expected an http(s) URL, got {url[:80]!r}")
    published = _parse_dt(rec["published_at"], "published_at")
    src_key = rec["source"].strip()
    source = sources.get(src_key) or sources.get(src_key.lower())
    if source is None:
        kind = rec.get("kind") or "domestic"
        if kind not in ("domestic", "foreign"):
            raise IngestError(f"kind: expected 'domestic' or 'foreign', got {kind!r}")
        source = adhoc_source(src_key, country=rec.get("country") or ("VN" if kind == "domestic" else "ZZ"),
                              kind=kind, language=rec.get("language") or "vi")
    authors = rec.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise IngestError("authors: expected a list of strings")
    kind_value = rec.get("kind") or str(source.kind)
    if kind_value not in ("domestic", "foreign"):
        raise IngestError(f"kind: expected 'domestic' or 'foreign', got {kind_value!r}")
    lang = rec.get("language")
    return Article(
        id=article_id(url), url=url, canonical_url=canonicalize_url(url),
        source_id=source.id, source_name=source.name,
        source_country=(rec.get("country") or source.country).upper(),
        source_kind=Kind(kind_value), source_state=source.state,
        title=rec["title"], text=rec["text"], title_vi=rec.get("title_vi"), section=rec.get("section"),
        authors=authors, published_at=published,
        fetched_at=_parse_dt(rec["fetched_at"], "fetched_at") if rec.get("fetched_at") else utcnow(),
        language=lang if isinstance(lang, str) and lang else "und",
        language_confidence=1.0 if lang else 0.0,
        extra={"language_hint": lang} if lang else {},
    )


def iter_jsonl(path: Path, sources: dict[str, Source]) -> Iterator[Article | LineError]:
    """Articles and line errors of one JSONL file, in order."""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"))
                yield article_from_record(rec, sources)
            except UnicodeDecodeError as exc:
                yield LineError(str(path), lineno, f"not UTF-8 ({exc.reason} at byte {exc.start})")
            except json.JSONDecodeError as exc:
                yield LineError(str(path), lineno, f"invalid JSON: {exc.msg} (column {exc.colno})")
            except IngestError as exc:
                yield LineError(str(path), lineno, str(exc))
            except ValueError as exc:  # pydantic validation
                yield LineError(str(path), lineno, str(exc).splitlines()[0])


def jsonl_files(target: Path) -> list[Path]:
    if target.is_dir():
        return sorted(p for p in target.rglob("*") if p.suffix in (".jsonl", ".ndjson") and p.is_file())
    if not target.exists():
        raise IngestError(f"{target}: no such file or directory")
    return [target]


def source_lookup(sources: list[Source]) -> dict[str, Source]:
    """Sources by id and by (lower-cased) name."""
    out: dict[str, Source] = {}
    for s in sources:
        out[s.id] = s
        out[s.name] = s
        out[s.name.lower()] = s
    return out
