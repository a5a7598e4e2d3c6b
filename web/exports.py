"""Exports of a result set to CSV and XLSX, safe against formula injection: a text cell that
starts with = + - @ tab or CR is prefixed with an apostrophe, so a spreadsheet shows it as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from duluan.models import Article
from duluan.timeutil import fmt_local
from index.base import Query

EXPORT_CAP = 10_000
COLUMNS = ("published", "source", "country", "kind", "language", "title", "url", "topics", "sentiment",
           "relevance", "risk", "reviewed", "id")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula becomes plain text; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def iter_results(index: Any, query: Query, cap: int = EXPORT_CAP) -> Iterator[Article]:
    """Every article of the query (up to `cap`), paged by cursor (or offset for ranked sorts)."""
    q = replace(query, limit=500, offset=0, cursor=None)
    seen = 0
    while seen < cap:
        page = index.search(q)
        for a in page.items:
            yield a
            seen += 1
            if seen >= cap:
                return
        if len(page.items) < q.limit:
            return
        q = replace(q, cursor=page.next_cursor) if page.next_cursor else replace(q, offset=q.offset + q.limit)


def row(a: Article, tz: str) -> list[Any]:
    return [neutralise(v) for v in (
        fmt_local(a.published_at, tz), a.source_name or a.source_id, a.source_country, str(a.source_kind),
        a.language, a.title, a.url, ", ".join(a.effective_topics()),
        a.effective_sentiment() if a.effective_sentiment() is not None else "", round(a.relevance, 3),
        round(a.risk, 1), "1" if a.review.reviewed else "0", a.id,
    )]


def to_csv(articles: Iterator[Article], tz: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    for a in articles:
        w.writerow(row(a, tz))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Vietnamese correctly


def to_xlsx(articles: Iterator[Article], tz: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("ket-qua")
    ws.append(list(COLUMNS))
    for a in articles:
        ws.append(row(a, tz))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
