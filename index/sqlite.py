"""The embedded article index: SQLite (WAL) with an FTS5 table over folded text.

Design (see shared PERFORMANCE.md): the row key follows publication time, so newest-first
search walks the FTS doclist backwards and stops at the page size; time ranges become key
ranges. Relevance (BM25) ranks only the newest `RELEVANCE_CANDIDATES` matches. Text is NFC +
one tone placement + folded before it is indexed and before it is queried, so "ngap lut"
finds "ngập lụt"; exact-diacritics phrases are checked against the stored text.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from duluan.errors import IndexError_, QuerySyntaxError
from duluan.models import Article, Story
from duluan.text import normalize_text, split_cjk
from index.base import DIMENSIONS, RELEVANCE_CANDIDATES, Bucket, Page, Query, time_bucket_label
from index.query_parser import Node, Not, Or, Term, exact_phrases, parse_query

SCHEMA_VERSION = 2
_KEY_SLOTS = 1024  # keys per second of publication time
TOTAL_CAP = 1_000  # search totals are counted up to this ("1,000+"); count() is exact
RELEVANT_THRESHOLD = 0.5  # `Query.relevant_only`

_MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE articles (
            key INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            published INTEGER NOT NULL,
            fetched INTEGER,
            source_id TEXT NOT NULL,
            country TEXT, kind TEXT, language TEXT,
            relevance REAL, risk REAL, sentiment INTEGER,
            story_id TEXT, reviewed INTEGER NOT NULL DEFAULT 0,
            doc BLOB NOT NULL)""",
        "CREATE TABLE article_topics (topic TEXT NOT NULL, key INTEGER NOT NULL, PRIMARY KEY (topic, key)) WITHOUT ROWID",
        "CREATE INDEX article_topics_key ON article_topics(key)",
        # the FTS content is computed from the stored document (no second copy of the text);
        # FTS_TEXT_VERSION in meta guards against a change of `_fts_text` (then: rebuild)
        "CREATE VIEW fts_content AS SELECT key, fts_text(doc, 'title') AS title, fts_text(doc, 'text') AS body"
        " FROM articles",
        """CREATE VIRTUAL TABLE fts USING fts5(title, body, content='fts_content', content_rowid='key',
            tokenize='unicode61 remove_diacritics 2')""",
        "CREATE INDEX articles_lang ON articles(language, key)",
        "CREATE INDEX articles_source ON articles(source_id, key)",
        "CREATE INDEX articles_country ON articles(country, key)",
        "CREATE INDEX articles_story ON articles(story_id, key)",
    ],
    2: [
        "CREATE INDEX articles_kind ON articles(kind, key)",
        "CREATE INDEX articles_risk ON articles(risk)",
    ],
}


def _ts(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def _pack(article: Article) -> bytes:
    return zlib.compress(article.model_dump_json().encode("utf-8"), 1)


def _unpack(blob: bytes) -> Article:
    return Article.model_validate_json(zlib.decompress(blob))


FTS_TEXT_VERSION = "1"


def _fts_text(text: str) -> str:
    """What the FTS tokenizer sees: NFC, đ→d (the tokenizer's remove_diacritics=2 folds every
    other Latin diacritic and lower-cases), CJK/Thai/Khmer/Lao characters as separate tokens."""
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
        text = split_cjk(text)
    return text


def _doc_fts_text(doc: bytes, field: str) -> str:
    return _fts_text(json.loads(zlib.decompress(doc)).get(field) or "")


def _fts_expr(node: Node) -> str:
    """Translate the parsed query into an FTS5 MATCH expression (every token quoted)."""
    if isinstance(node, Term):
        inner = " ".join(node.tokens).replace('"', "")
        return f'"{inner}"' + (" *" if node.prefix else "")
    if isinstance(node, Or):
        return "(" + " OR ".join(_fts_expr(i) for i in node.items) + ")"
    if isinstance(node, Not):
        raise QuerySyntaxError("Truy vấn chỉ có từ loại trừ (a query cannot only exclude words)")
    pos = [i for i in node.items if not isinstance(i, Not)]
    neg = [i.item for i in node.items if isinstance(i, Not)]
    if not pos:
        raise QuerySyntaxError("Truy vấn chỉ có từ loại trừ (a query cannot only exclude words)")
    expr = "(" + " AND ".join(_fts_expr(i) for i in pos) + ")"
    for n in neg:
        expr = f"({expr} NOT {_fts_expr(n)})"
    return expr


class _LocalTime:
    """SQL function local_time(ts, fmt): the publication time in the office's timezone."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)

    def __call__(self, ts: int, kind: str) -> str:
        return time_bucket_label(datetime.fromtimestamp(ts, self.tz), kind)


class SqliteIndex:
    """`ArticleIndex` over one SQLite file. Safe to share between threads (a connection each)."""

    backend = "sqlite"

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._migrate()

    @classmethod
    def from_url(cls, url: str) -> SqliteIndex:
        path = url.split(":", 1)[1]
        if path.startswith("///"):
            path = path[3:]
            path = "/" + path if not path.startswith("/") and url.startswith("sqlite:////") else path
        elif path.startswith("//"):
            path = path[2:]
        return cls(path or "index.sqlite")

    # -------------------------------------------------------------- connections

    @property
    def conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            try:
                c = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
            except sqlite3.Error as exc:
                raise IndexError_(f"cannot open index {self.path}: {exc}") from None
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA synchronous=NORMAL")
            c.execute("PRAGMA foreign_keys=ON")
            # a modest page cache per connection and no mmap: the OS page cache does the rest, and
            # the service stays small (every web worker thread has its own connection)
            c.execute("PRAGMA cache_size=-16384")
            c.execute("PRAGMA mmap_size=0")
            c.create_function("exact_contains", 2, _exact_contains, deterministic=True)
            c.create_function("fts_text", 2, _doc_fts_text, deterministic=True)
            self._local.conn = c
            self._all.append(c)
        return c

    def close(self) -> None:
        for c in self._all:
            try:
                c.execute("PRAGMA optimize")  # keeps the planner's statistics current (cheap)
                c.close()
            except sqlite3.Error:
                pass
        self._all.clear()
        self._local = threading.local()

    def _migrate(self) -> None:
        c = self.conn
        with self._write_lock:
            c.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise IndexError_(
                    f"{self.path}: index schema version {current} is newer than this program ({SCHEMA_VERSION})"
                )
            row = c.execute("SELECT value FROM meta WHERE key='fts_text_version'").fetchone()
            if current and (row[0] if row else "1") != FTS_TEXT_VERSION:
                c.execute("INSERT INTO fts(fts) VALUES('rebuild')")
            c.execute("INSERT INTO meta(key, value) VALUES('fts_text_version', ?) "
                      "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (FTS_TEXT_VERSION,))
            for version in range(current + 1, SCHEMA_VERSION + 1):
                c.execute("BEGIN IMMEDIATE")
                try:
                    for stmt in _MIGRATIONS[version]:
                        c.execute(stmt)
                    c.execute(
                        "INSERT INTO meta(key, value) VALUES('schema_version', ?) "
                        "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                        (str(version),),
                    )
                    c.execute("COMMIT")
                except BaseException:
                    c.execute("ROLLBACK")
                    raise

    @property
    def schema_version(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    # -------------------------------------------------------------- writing

    def upsert(self, articles: Iterable[Article]) -> int:
        """Insert or replace by id in one transaction per call; a crash leaves the batch all or nothing."""
        batch = list({a.id: a for a in articles}.values())  # one id once (the last version wins)
        if not batch:
            return 0
        c = self.conn
        with self._write_lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                self._upsert_batch(c, batch)
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return len(batch)

    def _upsert_batch(self, c: sqlite3.Connection, batch: list[Article]) -> None:
        """Look up existing rows in bulk, delete replaced ones, then insert with executemany."""
        ids = [a.id for a in batch]
        old: dict[str, tuple[int, int]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT id, key, published FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            old.update({r[0]: (r[1], r[2]) for r in c.execute(q, chunk)})
        for key, _ in old.values():
            self._delete_key(c, key)
        rows: list[tuple[Any, ...]] = []
        topic_rows: list[tuple[str, int]] = []
        fts_rows: list[tuple[int, str, str]] = []
        wanted: list[tuple[Article, int, int]] = []
        for a in batch:
            published = _ts(a.published_at)
            prev = old.get(a.id)
            if prev is not None and prev[1] == published:
                key = prev[0]
            else:
                key = max(published, 0) * _KEY_SLOTS + (zlib.crc32(a.id.encode()) % _KEY_SLOTS)
            wanted.append((a, key, published))
        # keys are unique: step past keys taken in the table or earlier in this batch
        keys = [k for _, k, _ in wanted]
        taken: set[int] = set()
        for i in range(0, len(keys), 500):
            kchunk = keys[i : i + 500]
            q = f"SELECT key FROM articles WHERE key IN ({','.join('?' * len(kchunk))})"
            taken.update(r[0] for r in c.execute(q, kchunk))
        for a, key, published in wanted:
            while key in taken:
                key += 1
                if c.execute("SELECT 1 FROM articles WHERE key=?", (key,)).fetchone():
                    taken.add(key)
            taken.add(key)
            sentiment = a.effective_sentiment()
            relevance = (1.0 if a.review.relevant else 0.0) if a.review.relevant is not None else a.relevance
            rows.append((
                key, a.id, published, _ts(a.fetched_at), a.source_id, a.source_country, str(a.source_kind),
                a.language, relevance, a.risk, sentiment, a.story_id, int(a.review.reviewed), _pack(a),
            ))
            topic_rows.extend((t, key) for t in sorted(set(a.effective_topics())))
            fts_rows.append((key, _fts_text(a.title), _fts_text(a.text)))
        c.executemany(
            "INSERT INTO articles(key, id, published, fetched, source_id, country, kind, language, relevance,"
            " risk, sentiment, story_id, reviewed, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        if topic_rows:
            c.executemany("INSERT INTO article_topics(topic, key) VALUES (?, ?)", topic_rows)
        c.executemany("INSERT INTO fts(rowid, title, body) VALUES (?,?,?)", fts_rows)

    def _delete_key(self, c: sqlite3.Connection, key: int) -> None:
        # the FTS 'delete' command needs exactly the values that were indexed: recompute them
        # from the stored document (FTS_TEXT_VERSION guarantees the same function)
        c.execute(
            "INSERT INTO fts(fts, rowid, title, body) SELECT 'delete', key, fts_text(doc, 'title'),"
            " fts_text(doc, 'text') FROM articles WHERE key=?",
            (key,),
        )
        c.execute("DELETE FROM article_topics WHERE key=?", (key,))
        c.execute("DELETE FROM articles WHERE key=?", (key,))

    def delete(self, ids: Sequence[str]) -> int:
        c = self.conn
        n = 0
        with self._write_lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                for i in ids:
                    row = c.execute("SELECT key FROM articles WHERE id=?", (i,)).fetchone()
                    if row:
                        self._delete_key(c, row[0])
                        n += 1
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return n

    def retention(self, before: datetime) -> int:
        limit_key = max(_ts(before), 0) * _KEY_SLOTS
        total = 0
        while True:
            keys = [r[0] for r in self.conn.execute("SELECT key FROM articles WHERE key < ? LIMIT 1000", (limit_key,))]
            if not keys:
                return total
            c = self.conn
            with self._write_lock:
                c.execute("BEGIN IMMEDIATE")
                try:
                    for k in keys:
                        self._delete_key(c, k)
                    c.execute("COMMIT")
                except BaseException:
                    c.execute("ROLLBACK")
                    raise
            total += len(keys)

    # -------------------------------------------------------------- reading

    def get(self, article_id: str) -> Article | None:
        row = self.conn.execute("SELECT doc FROM articles WHERE id=?", (article_id,)).fetchone()
        return _unpack(row[0]) if row else None

    def get_many(self, ids: Sequence[str]) -> list[Article]:
        out: dict[str, Article] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT id, doc FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            for aid, doc in self.conn.execute(q, chunk):
                out[aid] = _unpack(doc)
        return [out[i] for i in ids if i in out]

    def exists(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            found.update(r[0] for r in self.conn.execute(q, chunk))
        return found

    def _where(self, q: Query, alias: str = "a", key: str = "a.key") -> tuple[list[str], list[Any]]:
        """SQL conditions on the articles table for the query's filters. Time ranges are key
        ranges on `key` (the FTS rowid for text queries, so FTS5 itself bounds the doclist)."""
        conds: list[str] = []
        args: list[Any] = []
        if q.since is not None:
            conds.append(f"{key} >= ?")
            args.append(max(_ts(q.since), 0) * _KEY_SLOTS)
        if q.until is not None:
            conds.append(f"{key} < ?")
            args.append(max(_ts(q.until), 0) * _KEY_SLOTS)
        for col, values in (
            ("language", q.languages), ("source_id", q.sources), ("country", q.countries), ("kind", q.kinds),
        ):
            if values:
                conds.append(f"{alias}.{col} IN ({','.join('?' * len(values))})")
                args.extend(values)
        if q.sentiments:
            conds.append(f"{alias}.sentiment IN ({','.join('?' * len(q.sentiments))})")
            args.extend(int(s) for s in q.sentiments)
        if q.topics:
            # a correlated EXISTS (one index probe per candidate row) rather than IN (subquery),
            # which would materialise every key of a common topic on each query
            conds.append(
                f"EXISTS (SELECT 1 FROM article_topics tf WHERE tf.key = {alias}.key"
                f" AND tf.topic IN ({','.join('?' * len(q.topics))}))"
            )
            args.extend(q.topics)
        if q.min_relevance is not None:
            conds.append(f"{alias}.relevance >= ?")
            args.append(q.min_relevance)
        if q.relevant_only:  # about the city: the default threshold of Article.effective_relevant
            conds.append(f"{alias}.relevance >= ?")
            args.append(RELEVANT_THRESHOLD)
        if q.min_risk is not None:
            conds.append(f"{alias}.risk >= ?")
            args.append(q.min_risk)
        if q.story_id is not None:
            conds.append(f"{alias}.story_id = ?")
            args.append(q.story_id)
        if q.reviewed is not None:
            conds.append(f"{alias}.reviewed = ?")
            args.append(int(q.reviewed))
        if q.ids:
            conds.append(f"{alias}.id IN ({','.join('?' * len(q.ids))})")
            args.extend(q.ids)
        return conds, args

    def _text(self, q: Query) -> tuple[str | None, list[str]]:
        node = parse_query(q.text, exact_all=q.exact)
        if node is None:
            return None, []
        return _fts_expr(node), exact_phrases(node)

    def _match_sql(self, q: Query) -> tuple[str, list[Any], bool]:
        """FROM/WHERE for the query; the bool says whether full text is involved."""
        expr, exacts = self._text(q)
        conds, args = self._where(q, key="a.key" if expr is None else "fts.rowid")
        if expr is None:
            where = (" WHERE " + " AND ".join(conds)) if conds else ""
            return f"FROM articles a{where}", args, False
        fconds = ["fts MATCH ?"]
        fargs: list[Any] = [expr]
        for e in exacts:
            fconds.append("exact_contains(a.doc, ?)")
            fargs.append(e)
        all_conds = fconds + conds
        # CROSS JOIN keeps the FTS doclist as the outer loop (newest-first walk, early stop)
        return "FROM fts CROSS JOIN articles a ON a.key = fts.rowid WHERE " + " AND ".join(all_conds), fargs + args, True

    def _run(self, sql: str, args: Sequence[Any]) -> list[Any]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            msg = str(exc)
            if "fts5" in msg or "syntax error" in msg or "unterminated" in msg:
                raise QuerySyntaxError(f"Truy vấn không hợp lệ (invalid query): {msg}") from None
            raise IndexError_(f"index query failed: {msg}") from None

    def search(self, query: Query) -> Page:
        frm, args, has_text = self._match_sql(query)
        # order by the FTS rowid for text queries: FTS5 then walks its doclist in that order and
        # stops at the page size (ordering by a.key would sort every match)
        k = "fts.rowid" if has_text else "a.key"
        limit = max(0, min(query.limit, 1000))
        extra = ""
        extra_args: list[Any] = []
        if query.cursor and query.sort in ("newest", "oldest"):
            try:
                cursor_key = int(query.cursor.removeprefix("k:"))
            except ValueError:
                raise QuerySyntaxError(f"invalid page cursor {query.cursor!r}") from None
            extra = f" AND {k} < ?" if query.sort == "newest" else f" AND {k} > ?"
            extra_args = [cursor_key]
            if " WHERE " not in frm:
                extra = " WHERE" + extra[4:]
        offset = 0 if query.cursor else max(0, query.offset)
        score_col = "-bm25(fts, 4.0, 1.0)" if has_text else "0.0"
        if query.sort in ("newest", "oldest"):
            # no BM25 here: its per-term document counts cost a walk of every doclist
            order = f"{k} DESC" if query.sort == "newest" else f"{k} ASC"
            sql = f"SELECT a.key, a.doc, 0.0 {frm}{extra} ORDER BY {order} LIMIT ? OFFSET ?"
            rows = self._run(sql, [*args, *extra_args, limit, offset])
        elif has_text:
            # rank the newest N matches only: BM25 over every match is unbounded at scale
            score_order = "score DESC" if query.sort == "relevance" else "a.risk DESC, a.key DESC"
            sql = (
                f"SELECT * FROM (SELECT a.key, a.doc, {score_col} AS score, a.risk {frm} "
                f"ORDER BY fts.rowid DESC LIMIT {RELEVANCE_CANDIDATES}) a ORDER BY {score_order} LIMIT ? OFFSET ?"
            )
            rows = [(r[0], r[1], r[2]) for r in self._run(sql, [*args, limit, offset])]
        else:
            order = "a.risk DESC, a.key DESC" if query.sort == "risk" else "a.key DESC"
            sql = f"SELECT a.key, a.doc, 0.0 {frm} ORDER BY {order} LIMIT ? OFFSET ?"
            rows = self._run(sql, [*args, limit, offset])
        items = [_unpack(r[1]) for r in rows]
        total_rows = self._run(f"SELECT count(*) FROM (SELECT 1 {frm} LIMIT {TOTAL_CAP + 1})", args)
        total = int(total_rows[0][0])
        exact = total <= TOTAL_CAP
        next_cursor = None
        if rows and len(rows) == limit and query.sort in ("newest", "oldest"):
            next_cursor = f"k:{rows[-1][0]}"
        return Page(items=items, total=min(total, TOTAL_CAP) if not exact else total,
                    scores=[float(r[2]) for r in rows], total_exact=exact, next_cursor=next_cursor)

    def count(self, query: Query) -> int:
        frm, args, _ = self._match_sql(query)
        return int(self._run(f"SELECT count(*) {frm}", args)[0][0])

    def aggregate(self, query: Query, by: Sequence[str] | str, tz: str = "Asia/Ho_Chi_Minh",
                  size: int | None = None) -> list[Bucket]:
        dims = [by] if isinstance(by, str) else list(by)
        for d in dims:
            if d not in DIMENSIONS:
                raise IndexError_(f"aggregate: unknown dimension {d!r} (expected one of {', '.join(DIMENSIONS)})")
        self.conn.create_function("local_time", 2, _LocalTime(tz), deterministic=True)
        frm, args, _ = self._match_sql(query)
        cols = []
        joins = ""
        for d in dims:
            if d in ("day", "hour", "week", "month"):
                cols.append(f"local_time(a.published, '{d}')")
            elif d == "topic":
                # articles drive the loop (bounded by the key range), topics are probed per row
                joins = " CROSS JOIN article_topics t ON t.key = a.key"
                cols.append("t.topic")
            else:
                col = {"language": "a.language", "country": "a.country", "source": "a.source_id",
                       "kind": "a.kind", "sentiment": "a.sentiment", "story": "a.story_id"}[d]
                cols.append(col)
        # inject the topic join right after the articles table
        if joins:
            if frm.startswith("FROM articles a"):
                frm = "FROM articles a" + joins + frm[len("FROM articles a"):]
            else:
                frm = frm.replace("CROSS JOIN articles a ON a.key = fts.rowid",
                                  "CROSS JOIN articles a ON a.key = fts.rowid" + joins)
        time_dims = all(d in ("day", "hour", "week", "month") for d in dims)
        order = "1" if time_dims else "count(*) DESC, 1"
        if "story" in dims:
            frm += (" AND" if " WHERE " in frm else " WHERE") + " a.story_id IS NOT NULL"
        sql = f"SELECT {', '.join(cols)}, count(*) {frm} GROUP BY {', '.join(str(i + 1) for i in range(len(cols)))} ORDER BY {order}"
        if size:
            sql += f" LIMIT {int(size)}"
        rows = self._run(sql, args)
        return [Bucket(tuple("" if v is None else str(v) for v in r[:-1]), int(r[-1])) for r in rows]

    def stories(self, query: Query, limit: int = 20, min_articles: int = 2) -> list[Story]:
        frm, args, _ = self._match_sql(query)
        frm += (" AND" if " WHERE " in frm else " WHERE") + " a.story_id IS NOT NULL"
        sql = (
            f"SELECT a.story_id, count(*), min(a.key), max(a.key), group_concat(DISTINCT a.source_id),"
            f" group_concat(DISTINCT a.country), group_concat(DISTINCT a.language), sum(a.kind='foreign')"
            f" {frm} GROUP BY a.story_id HAVING count(*) >= ? ORDER BY count(*) DESC, max(a.key) DESC LIMIT ?"
        )
        out = []
        for sid, n, kmin, kmax, outlets, countries, langs, foreign in self._run(sql, [*args, min_articles, limit]):
            first = self.conn.execute("SELECT doc FROM articles WHERE key=?", (kmin,)).fetchone()
            art = _unpack(first[0])
            last = self.conn.execute("SELECT published FROM articles WHERE key=?", (kmax,)).fetchone()
            out.append(Story(
                id=sid, title=art.title, first_seen=art.published_at,
                last_seen=datetime.fromtimestamp(last[0], UTC), articles=n,
                outlets=sorted((outlets or "").split(",")) if outlets else [],
                countries=sorted(c for c in (countries or "").split(",") if c),
                languages=sorted(x for x in (langs or "").split(",") if x), foreign=int(foreign or 0),
            ))
        return out

    def iter_all(self, batch: int = 1000, after: str | None = None) -> Iterator[Article]:
        last = after or ""
        while True:
            rows = self.conn.execute(
                "SELECT id, doc FROM articles WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                return
            for _, doc in rows:
                yield _unpack(doc)
            last = rows[-1][0]

    def stats(self) -> dict[str, int | str]:
        c = self.conn
        n = c.execute("SELECT count(*) FROM articles").fetchone()[0]
        stories = c.execute("SELECT count(DISTINCT story_id) FROM articles WHERE story_id IS NOT NULL").fetchone()[0]
        sources = c.execute("SELECT count(DISTINCT source_id) FROM articles").fetchone()[0]
        rng = c.execute("SELECT min(published), max(published) FROM articles").fetchone()
        out: dict[str, int | str] = {
            "backend": "sqlite", "path": self.path, "schema_version": self.schema_version,
            "articles": int(n), "stories": int(stories), "sources": int(sources),
        }
        if rng[0] is not None:
            out["oldest"] = datetime.fromtimestamp(rng[0], UTC).isoformat()
            out["newest"] = datetime.fromtimestamp(rng[1], UTC).isoformat()
        return out

    def integrity_check(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])

    def optimize(self) -> None:
        """Merge FTS segments and refresh the planner's statistics (after bulk loads)."""
        with self._write_lock:
            self.conn.execute("INSERT INTO fts(fts) VALUES('optimize')")
            self.conn.execute("ANALYZE")


def _exact_contains(doc: bytes, phrase: str) -> bool:
    data = json.loads(zlib.decompress(doc))
    hay = normalize_text((data.get("title") or "") + "\n" + (data.get("text") or "")).lower()
    return phrase in hay
