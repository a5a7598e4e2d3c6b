"""The Elasticsearch article index: the same `ArticleIndex` contract as `index.sqlite`, at scale.

Layout: an index template (`<alias>-template`, pattern `<alias>-v*`) holds settings and
mappings; the data lives in a versioned index (`<alias>-v<MAPPING_VERSION>-<timestamp>`) behind
an alias, so a mapping change is a reindex into a new index and an atomic alias swap
(`reindex()`, `duluan index reindex`) without downtime for readers.

Text: `title` and `body` are stored NFC + one tone placement (`normalize_text`) and analysed
three ways: the field itself keeps diacritics (lower-cased; `="…"` exact phrases), `.folded`
folds them (a char filter with the exact letter folding of `duluan.text.fold`, đ→d included,
then asciifolding, or icu_folding when the ICU plugin is present) so
"ngap lut" finds "ngập lụt", and `.en`/`.fr`/`.cjk` use Elasticsearch's language analysers
(they add to the relevance score, never decide a match). Both the index and the query use the
same word split as the SQLite backend (letters/digits/underscore runs; every CJK/Thai/Khmer/Lao
character on its own), so both backends accept the same syntax (`index.query_parser`) and find
the same articles. Facets use keyword fields holding the analyst-corrected labels.

Writes go through the bulk helper with retries on 429/5xx; per-document failures are collected
and raised as one `BulkError` after the rest of the batch is written. By default a write waits
for the next refresh (`refresh=wait_for`), so a search right after `upsert` sees the article as
it does on SQLite; bulk copies turn that off and refresh once at the end.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from duluan.errors import ConfigError, IndexError_, QuerySyntaxError
from duluan.models import Article, Story
from duluan.text import _CJK_RE, _COMBINING_RE, fold, normalize_text
from index.base import DIMENSIONS, Bucket, Page, Query, time_bucket_label
from index.query_parser import Node, Not, Or, Term, parse_query, positive_terms

log = logging.getLogger("duluan.index.elastic")

MAPPING_VERSION = 1
TOTAL_CAP = 10_000
MAX_WINDOW = 10_000  # Elasticsearch's default index.max_result_window: deeper pages use the cursor
RELEVANT_THRESHOLD = 0.5  # `Query.relevant_only`: the default of `Article.effective_relevant`
TITLE_BOOST = 4.0  # as the SQLite backend's bm25 weights (title 4, body 1)
_TIME_DIMS = ("day", "week", "month", "hour")
_FIELD_OF = {"language": "language", "country": "country", "source": "source_id", "kind": "kind",
             "sentiment": "sentiment", "story": "story_id", "topic": "topics"}
_WORDS = r"[^\p{L}\p{N}\p{M}_]+"  # the same split as query_parser's `[^\w]+`


class BulkError(IndexError_):
    """Some documents of a bulk write failed; the others were written."""

    def __init__(self, written: int, failures: list[tuple[str, str]]):
        self.written = written
        self.failures = failures
        shown = "; ".join(f"{i}: {r}" for i, r in failures[:5])
        more = f" (+{len(failures) - 5} more)" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} article(s) failed to index, {written} written: {shown}{more}")


@lru_cache(maxsize=1)
def fold_mappings() -> tuple[str, ...]:
    """`mapping` char-filter rules that fold every letter the way `duluan.text.fold` does
    (đ → d, й → и, ά → α, …), computed from `fold` itself so the two never drift. Queries reach
    Elasticsearch as tokens already folded in Python, so the index must fold at least as much
    as Python does; asciifolding alone leaves e.g. Cyrillic and Greek marks in place."""
    rules = []
    for cp in range(0x10000):
        c = chr(cp)
        if 0xD800 <= cp < 0xE000 or not unicodedata.category(c).startswith("L"):
            continue
        f = fold(c)
        if f != c.lower() and f.strip():
            rules.append(f"{c} => {f}")
    return tuple(rules)


def index_settings(icu: bool = False, shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    """Index settings with the analysers (icu_folding when the ICU plugin is installed)."""
    fold_filter = ["lowercase", "icu_folding"] if icu else ["lowercase", "asciifolding"]
    return {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "analysis": {
            "char_filter": {
                "py_fold": {"type": "mapping", "mappings": list(fold_mappings())},  # đ → d and the rest
                # the combining marks `fold` removes (decomposed input), and only those
                "strip_marks": {"type": "pattern_replace", "pattern": _COMBINING_RE.pattern, "replacement": ""},
                "cjk_split": {"type": "pattern_replace", "pattern": _CJK_RE.pattern, "replacement": " $1 "},
            },
            "tokenizer": {"words": {"type": "pattern", "pattern": _WORDS}},
            "analyzer": {
                "duluan_exact": {"type": "custom", "char_filter": ["cjk_split"], "tokenizer": "words",
                                 "filter": ["lowercase"]},
                "duluan_folded": {"type": "custom", "char_filter": ["py_fold", "strip_marks", "cjk_split"],
                                  "tokenizer": "words", "filter": fold_filter},
            },
        },
    }


def _text_field() -> dict[str, Any]:
    return {
        "type": "text",
        "analyzer": "duluan_exact",
        "fields": {
            "folded": {"type": "text", "analyzer": "duluan_folded"},
            "en": {"type": "text", "analyzer": "english"},
            "fr": {"type": "text", "analyzer": "french"},
            "cjk": {"type": "text", "analyzer": "cjk"},
        },
    }


def index_mappings() -> dict[str, Any]:
    """Mappings: keyword facets (analyst-corrected labels), dates, folded text; the article
    itself is kept whole, unindexed, in `doc`."""
    kw = {"type": "keyword"}
    return {
        "dynamic": False,
        "_meta": {"duluan_mapping_version": MAPPING_VERSION},
        "properties": {
            "id": kw, "url": kw, "source_id": kw, "country": kw, "kind": kw, "language": kw,
            "topics": kw, "story_id": kw,
            "sentiment": {"type": "byte"},
            "relevance": {"type": "float"}, "risk": {"type": "float"},
            "reviewed": {"type": "boolean"},
            "published_at": {"type": "date"}, "fetched_at": {"type": "date"},
            "title": _text_field(), "body": _text_field(),
            "doc": {"type": "object", "enabled": False},
        },
    }


def to_document(a: Article) -> dict[str, Any]:
    """The Elasticsearch document of an article (corrected labels in the facet fields)."""
    relevance = (1.0 if a.review.relevant else 0.0) if a.review.relevant is not None else a.relevance
    return {
        "id": a.id, "url": a.url, "source_id": a.source_id, "country": a.source_country,
        "kind": str(a.source_kind), "language": a.language, "topics": sorted(set(a.effective_topics())),
        "story_id": a.story_id, "sentiment": a.effective_sentiment(), "relevance": relevance,
        "risk": a.risk, "reviewed": a.review.reviewed,
        "published_at": a.published_at.isoformat(), "fetched_at": a.fetched_at.isoformat(),
        "title": normalize_text(a.title), "body": normalize_text(a.text),
        "doc": a.model_dump(mode="json"),
    }


def _article(hit: dict[str, Any]) -> Article:
    return Article.model_validate(hit["_source"]["doc"])


# ------------------------------------------------------------------ query translation

def _term_query(t: Term) -> dict[str, Any]:
    """One word/phrase of the user syntax over the folded fields (title weighs more)."""
    text = " ".join(t.tokens)
    fields = [f"title.folded^{TITLE_BOOST:g}", "body.folded"]
    if t.prefix and len(t.tokens) == 1:
        q: dict[str, Any] = {"bool": {"should": [
            {"prefix": {"title.folded": {"value": t.tokens[0], "boost": TITLE_BOOST}}},
            {"prefix": {"body.folded": {"value": t.tokens[0]}}},
        ], "minimum_should_match": 1}}
    elif t.prefix:
        q = {"multi_match": {"query": text, "fields": fields, "type": "phrase_prefix", "max_expansions": 200}}
    elif t.phrase or len(t.tokens) > 1:
        q = {"multi_match": {"query": text, "fields": fields, "type": "phrase"}}
    else:
        q = {"multi_match": {"query": text, "fields": fields, "type": "most_fields"}}
    if t.exact:
        exact = {"multi_match": {"query": t.exact, "fields": ["title", "body"], "type": "phrase"}}
        return {"bool": {"must": [q], "filter": [exact]}}
    return q


def text_query(node: Node) -> dict[str, Any]:
    """Translate the parsed query tree into a bool query (same rules as the FTS5 translation:
    a query or group made only of exclusions is refused)."""
    if isinstance(node, Term):
        return _term_query(node)
    if isinstance(node, Or):
        return {"bool": {"should": [text_query(i) for i in node.items], "minimum_should_match": 1}}
    if isinstance(node, Not):
        raise QuerySyntaxError("Truy vấn chỉ có từ loại trừ (a query cannot only exclude words)")
    pos = [i for i in node.items if not isinstance(i, Not)]
    neg = [i.item for i in node.items if isinstance(i, Not)]
    if not pos:
        raise QuerySyntaxError("Truy vấn chỉ có từ loại trừ (a query cannot only exclude words)")
    out: dict[str, Any] = {"must": [text_query(i) for i in pos]}
    if neg:
        out["must_not"] = [text_query(i) for i in neg]
    return {"bool": out}


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat()


def filters(q: Query) -> list[dict[str, Any]]:
    """The query's filters as bool-filter clauses (cached, unscored)."""
    out: list[dict[str, Any]] = []
    rng: dict[str, str] = {}
    if q.since is not None:
        rng["gte"] = _iso(q.since.replace(microsecond=0))
    if q.until is not None:
        rng["lt"] = _iso(q.until.replace(microsecond=0))
    if rng:
        out.append({"range": {"published_at": rng}})
    for field, values in (("language", q.languages), ("source_id", q.sources), ("country", q.countries),
                          ("kind", q.kinds), ("topics", q.topics), ("id", q.ids)):
        if values:
            out.append({"terms": {field: list(values)}})
    if q.sentiments:
        out.append({"terms": {"sentiment": [int(s) for s in q.sentiments]}})
    if q.min_relevance is not None:
        out.append({"range": {"relevance": {"gte": q.min_relevance}}})
    if q.relevant_only:
        out.append({"range": {"relevance": {"gte": RELEVANT_THRESHOLD}}})
    if q.min_risk is not None:
        out.append({"range": {"risk": {"gte": q.min_risk}}})
    if q.story_id is not None:
        out.append({"term": {"story_id": q.story_id}})
    if q.reviewed is not None:
        out.append({"term": {"reviewed": q.reviewed}})
    return out


def build_query(q: Query) -> tuple[dict[str, Any], bool]:
    """The Elasticsearch query for a `Query`; the bool says whether full text is involved."""
    node = parse_query(q.text, exact_all=q.exact)
    flt = filters(q)
    if node is None:
        return ({"bool": {"filter": flt}} if flt else {"match_all": {}}), False
    return {"bool": {"must": [text_query(node)], "filter": flt}}, True


def _language_boost(es_query: dict[str, Any], q: Query) -> dict[str, Any]:
    """For relevance ranking only: the positive words also scored on the language analysers
    (English/French stems, CJK bigrams), so "flood" ranks "floods" well. Matching is unchanged:
    the clause is an optional `should` beside the `must` built from the folded fields."""
    words = " ".join(" ".join(t.tokens) for t in positive_terms(parse_query(q.text, exact_all=q.exact)))
    if not words:
        return es_query
    boost = {"multi_match": {"query": words, "type": "most_fields", "fields": [
        "title.en^2", "body.en", "title.fr^2", "body.fr", "title.cjk^2", "body.cjk"]}}
    return {"bool": {**es_query["bool"], "should": [boost]}}


def _sort(order: str, has_text: bool) -> list[dict[str, Any]]:
    newest = [{"published_at": {"order": "desc"}}, {"id": {"order": "desc"}}]
    if order == "oldest":
        return [{"published_at": {"order": "asc"}}, {"id": {"order": "asc"}}]
    if order == "risk":
        return [{"risk": {"order": "desc"}}, *newest]
    if order == "relevance" and has_text:
        return [{"_score": {"order": "desc"}}, *newest]
    return newest


def _encode_cursor(sort: str, values: list[Any]) -> str:
    raw = json.dumps([sort, values], separators=(",", ":")).encode()
    return "es:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> list[Any]:
    try:
        body = cursor.removeprefix("es:")
        kind, values = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError) as exc:
        raise QuerySyntaxError(f"invalid page cursor {cursor!r}") from exc
    if kind != sort or not isinstance(values, list):
        raise QuerySyntaxError(f"page cursor {cursor!r} belongs to another sort order")
    return values


def _time_label(ms: int, kind: str, tz: ZoneInfo) -> str:
    """Bucket key (epoch ms of the local bucket start) as the SQLite backend spells it."""
    return time_bucket_label(datetime.fromtimestamp(ms / 1000, tz), kind)


# ------------------------------------------------------------------ the backend

def client_from_url(url: str) -> tuple[Any, dict[str, str], str]:
    """An Elasticsearch client for a store URL, its query options and a printable URL.

    `elasticsearch://` / `es://` / `http://` speak plain HTTP, `elasticsearchs://` / `https://`
    TLS. Query options: `index` (alias name, default duluan-articles), `refresh`
    (wait_for|true|false), `shards`, `replicas`, `timeout` (seconds), `verify_certs=false`.
    Credentials come from the environment: DULUAN_ES_API_KEY, or DULUAN_ES_USERNAME +
    DULUAN_ES_PASSWORD (user:password in the URL is accepted for test clusters); the CA file
    from DULUAN_ES_CA_FILE. No request is made here."""
    from elasticsearch import Elasticsearch

    parts = urlsplit(url)
    scheme = {"elasticsearch": "http", "es": "http", "http": "http",
              "elasticsearchs": "https", "ess": "https", "https": "https"}.get(parts.scheme)
    if scheme is None or not parts.hostname:
        raise ConfigError(f"store: cannot read Elasticsearch URL {url!r} (expected elasticsearch://host:9200)")
    opts = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    node = f"{scheme}://{host}:{parts.port or 9200}{parts.path.rstrip('/')}"
    kw: dict[str, Any] = {
        "request_timeout": float(opts.get("timeout", 30)), "max_retries": 3, "retry_on_timeout": True,
        "retry_on_status": (429, 502, 503, 504),
    }
    api_key = os.environ.get("DULUAN_ES_API_KEY")
    user = os.environ.get("DULUAN_ES_USERNAME") or (unquote(parts.username) if parts.username else None)
    password = os.environ.get("DULUAN_ES_PASSWORD") or (unquote(parts.password) if parts.password else None)
    if api_key:
        kw["api_key"] = api_key
    elif user:
        kw["basic_auth"] = (user, password or "")
    ca = os.environ.get("DULUAN_ES_CA_FILE")
    if ca:
        if not os.path.isfile(ca):
            raise ConfigError(f"DULUAN_ES_CA_FILE: no such file {ca!r}")
        kw["ca_certs"] = ca
    if opts.get("verify_certs", "").lower() in ("false", "0", "no"):
        kw["verify_certs"] = False
        kw["ssl_show_warn"] = False
    safe = f"{scheme}://{host}:{parts.port or 9200}"
    return Elasticsearch(node, **kw), opts, safe


class ElasticIndex:
    """`ArticleIndex` over an Elasticsearch alias (8.x/9.x server; official Python client)."""

    backend = "elasticsearch"

    def __init__(self, client: Any, alias: str = "duluan-articles", *, refresh: str | bool = "wait_for",
                 shards: int = 1, replicas: int = 0, chunk_size: int = 500, max_retries: int = 5,
                 url: str = ""):
        self.es = client
        self.alias = alias
        self.refresh = refresh
        self.shards = shards
        self.replicas = replicas
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.url = url or alias
        self._ensure()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> ElasticIndex:
        """Open `elasticsearch://host:9200` (plain HTTP) or `elasticsearchs://host:9200` (TLS);
        see `client_from_url` for options and credentials."""
        client, opts, safe = client_from_url(url)
        refresh_opt = opts.get("refresh", "wait_for").lower()
        refresh: str | bool = {"true": True, "false": False}.get(refresh_opt, refresh_opt)
        return cls(client, alias=opts.get("index", "duluan-articles"), refresh=refresh,
                   shards=int(opts.get("shards", 1)), replicas=int(opts.get("replicas", 0)), url=safe, **kwargs)

    # -------------------------------------------------------------- plumbing

    def _call(self, what: str, fn: Any, **kwargs: Any) -> Any:
        """One API call; client and transport errors become `IndexError_` naming the cluster."""
        from elasticsearch import ApiError, TransportError

        try:
            return fn(**kwargs)
        except ApiError as exc:
            reason = _reason(exc.body) or str(exc)
            if exc.meta.status == 400 and what == "search":
                raise QuerySyntaxError(f"Truy vấn không hợp lệ (invalid query): {reason}") from None
            raise IndexError_(f"Elasticsearch {self.url}: {what} failed ({exc.meta.status}): {reason}") from None
        except TransportError as exc:
            raise IndexError_(f"Elasticsearch {self.url}: {what} failed: {exc}") from None

    def _has_icu(self) -> bool:
        try:
            plugins = self._call("cat plugins", self.es.cat.plugins, format="json")
        except IndexError_:
            return False  # not allowed to list plugins: asciifolding it is
        return any(p.get("component") == "analysis-icu" for p in plugins or [])

    def _template_body(self) -> dict[str, Any]:
        return {
            "index_patterns": [f"{self.alias}-v*"],
            "priority": 200,
            "template": {"settings": index_settings(self._has_icu(), self.shards, self.replicas),
                         "mappings": index_mappings()},
            "meta": {"duluan_mapping_version": MAPPING_VERSION},
        }

    def _ensure(self) -> None:
        """Create the template, a versioned index and the alias on first use."""
        exists = self._call("alias check", self.es.indices.exists_alias, name=self.alias)
        if exists:
            self.index_name = self.current_index()
            version = self.mapping_version()
            if version < MAPPING_VERSION:
                log.warning("Elasticsearch %s: index %s has mapping version %s, this program %s: run"
                            " `duluan index reindex`", self.url, self.index_name, version, MAPPING_VERSION)
            return
        if self._call("index check", self.es.indices.exists, index=self.alias):
            raise IndexError_(f"Elasticsearch {self.url}: {self.alias!r} is a concrete index, not an alias;"
                              " pick another name with ?index=")
        self._call("put template", self.es.indices.put_index_template, name=f"{self.alias}-template",
                   **self._template_body())
        self.index_name = self._new_index_name()
        self._call("create index", self.es.indices.create, index=self.index_name,
                   aliases={self.alias: {"is_write_index": True}})

    def _new_index_name(self) -> str:
        return f"{self.alias}-v{MAPPING_VERSION}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"

    def current_index(self) -> str:
        """The concrete index the alias points to."""
        got = self._call("get alias", self.es.indices.get_alias, name=self.alias)
        names = sorted(dict(got).keys())
        if len(names) != 1:
            raise IndexError_(f"Elasticsearch {self.url}: alias {self.alias} points to {names}; expected one index")
        return names[0]

    def mapping_version(self) -> int:
        got = self._call("get mapping", self.es.indices.get_mapping, index=self.alias)
        meta = next(iter(dict(got).values()))["mappings"].get("_meta", {})
        return int(meta.get("duluan_mapping_version", 0))

    def refresh_now(self) -> None:
        """Make every write visible to search (after a bulk copy with refresh off)."""
        self._call("refresh", self.es.indices.refresh, index=self.alias)

    def close(self) -> None:
        self.es.close()

    def drop(self) -> None:
        """Delete every index behind the alias and the template (tests, `index copy --replace`)."""
        got = self._call("get alias", self.es.options(ignore_status=404).indices.get_alias, name=self.alias)
        for name in dict(got).keys():
            if name not in ("error", "status"):
                self._call("delete index", self.es.options(ignore_status=404).indices.delete, index=name)
        self._call("delete template", self.es.options(ignore_status=404).indices.delete_index_template,
                   name=f"{self.alias}-template")

    # -------------------------------------------------------------- writing

    def _bulk(self, actions: Iterable[dict[str, Any]], index: str | None = None) -> tuple[int, list[tuple[str, str]]]:
        """Stream actions through the bulk helper: 429/5xx are retried with backoff, every other
        per-document error is collected with the document id."""
        from elasticsearch import helpers

        ok = 0
        failures: list[tuple[str, str]] = []
        kwargs: dict[str, Any] = {}
        if self.refresh is not False:
            kwargs["refresh"] = self.refresh
        try:
            for success, item in helpers.streaming_bulk(
                self.es, actions, chunk_size=self.chunk_size, max_retries=self.max_retries,
                initial_backoff=1, max_backoff=30, retry_on_status=(429, 502, 503, 504),
                raise_on_error=False, raise_on_exception=False, index=index or self.alias, **kwargs,
            ):
                op, info = next(iter(item.items()))
                if success:
                    ok += 1
                elif op == "delete" and info.get("status") == 404:
                    continue
                else:
                    failures.append((str(info.get("_id")), _reason(info.get("error")) or str(info.get("status"))))
        except Exception as exc:  # the transport gave up after its retries: name the cluster
            from elasticsearch import ApiError, TransportError

            if isinstance(exc, ApiError | TransportError):
                raise IndexError_(f"Elasticsearch {self.url}: bulk write failed: {exc}") from None
            raise
        for aid, reason in failures:
            log.error("Elasticsearch %s: article %s not written: %s", self.url, aid, reason)
        return ok, failures

    def upsert(self, articles: Iterable[Article], index: str | None = None) -> int:
        """Index (insert or replace) by id; raises `BulkError` after the batch if any document failed."""
        actions = ({"_op_type": "index", "_id": a.id, "_source": to_document(a)} for a in articles)
        ok, failures = self._bulk(actions, index=index)
        if failures:
            raise BulkError(ok, failures)
        return ok

    def delete(self, ids: Sequence[str]) -> int:
        actions = ({"_op_type": "delete", "_id": i} for i in dict.fromkeys(ids))
        ok, failures = self._bulk(actions)
        if failures:
            raise BulkError(ok, failures)
        return ok

    def retention(self, before: datetime) -> int:
        res = self._call("delete_by_query", self.es.delete_by_query, index=self.alias,
                         query={"range": {"published_at": {"lt": _iso(before.replace(microsecond=0))}}},
                         conflicts="proceed", refresh=True, wait_for_completion=True, slices="auto")
        return int(res.get("deleted", 0))

    # -------------------------------------------------------------- reading

    def get(self, article_id: str) -> Article | None:
        res = self._call("get", self.es.options(ignore_status=404).get, index=self.alias, id=article_id)
        return Article.model_validate(res["_source"]["doc"]) if res.get("found") else None

    def get_many(self, ids: Sequence[str]) -> list[Article]:
        out: dict[str, Article] = {}
        ids = list(ids)
        for i in range(0, len(ids), 1000):
            chunk = list(dict.fromkeys(ids[i:i + 1000]))
            res = self._call("mget", self.es.mget, index=self.alias, ids=chunk, source=["doc"])
            for d in res["docs"]:
                if d.get("found"):
                    out[d["_id"]] = Article.model_validate(d["_source"]["doc"])
        return [out[i] for i in ids if i in out]

    def exists(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        ids = list(ids)
        for i in range(0, len(ids), 1000):
            chunk = list(dict.fromkeys(ids[i:i + 1000]))
            res = self._call("mget", self.es.mget, index=self.alias, ids=chunk, source=False)
            found.update(d["_id"] for d in res["docs"] if d.get("found"))
        return found

    def search(self, query: Query) -> Page:
        es_query, has_text = build_query(query)
        if has_text and query.sort == "relevance":
            es_query = _language_boost(es_query, query)
        limit = max(0, min(query.limit, 1000))
        sort = _sort(query.sort, has_text)
        sort_key = query.sort if (query.sort != "relevance" or has_text) else "newest"
        kw: dict[str, Any] = {"index": self.alias, "query": es_query, "sort": sort, "size": limit,
                              "track_total_hits": TOTAL_CAP, "track_scores": True, "source": ["doc"]}
        if query.cursor:
            kw["search_after"] = _decode_cursor(query.cursor, sort_key)
        else:
            offset = max(0, query.offset)
            if offset + limit > MAX_WINDOW:
                raise IndexError_(f"page too deep (offset {offset} + {limit} > {MAX_WINDOW}): use the page cursor")
            kw["from_"] = offset
        res = self._call("search", self.es.search, **kw)
        hits = res["hits"]["hits"]
        total = res["hits"]["total"]
        exact = total.get("relation", "eq") == "eq"
        next_cursor = _encode_cursor(sort_key, hits[-1]["sort"]) if hits and len(hits) == limit else None
        return Page(items=[_article(h) for h in hits], total=int(total["value"]),
                    scores=[float(h.get("_score") or 0.0) for h in hits], total_exact=exact,
                    next_cursor=next_cursor)

    def count(self, query: Query) -> int:
        es_query, _ = build_query(query)
        return int(self._call("search", self.es.count, index=self.alias, query=es_query)["count"])

    def aggregate(self, query: Query, by: Sequence[str] | str, tz: str = "Asia/Ho_Chi_Minh",
                  size: int | None = None) -> list[Bucket]:
        """Composite aggregation over every dimension (paged with after_key), ordered like SQLite:
        by key for time dimensions, by count (desc) then key otherwise."""
        dims = [by] if isinstance(by, str) else list(by)
        for d in dims:
            if d not in DIMENSIONS:
                raise IndexError_(f"aggregate: unknown dimension {d!r} (expected one of {', '.join(DIMENSIONS)})")
        zone = ZoneInfo(tz)
        es_query, _ = build_query(query)
        if "story" in dims:
            es_query = {"bool": {"must": [es_query], "filter": [{"exists": {"field": "story_id"}}]}}
        sources = []
        for n, d in enumerate(dims):
            src: dict[str, Any]
            if d in _TIME_DIMS:
                src = {"date_histogram": {"field": "published_at", "calendar_interval": d, "time_zone": tz}}
            else:
                src = {"terms": {"field": _FIELD_OF[d], "missing_bucket": d not in ("topic", "story")}}
            sources.append({f"d{n}": src})
        rows: list[tuple[tuple[str, ...], int]] = []
        after: dict[str, Any] | None = None
        while True:
            comp: dict[str, Any] = {"sources": sources, "size": 1000}
            if after:
                comp["after"] = after
            res = self._call("search", self.es.search, index=self.alias, query=es_query, size=0,
                             aggs={"g": {"composite": comp}})
            agg = res["aggregations"]["g"]
            for b in agg["buckets"]:
                key = []
                for n, d in enumerate(dims):
                    v = b["key"][f"d{n}"]
                    key.append(_time_label(int(v), d, zone) if d in _TIME_DIMS and v is not None
                               else ("" if v is None else str(v)))
                rows.append((tuple(key), int(b["doc_count"])))
            after = agg.get("after_key")
            if not after or not agg["buckets"]:
                break
        if all(d in _TIME_DIMS for d in dims):
            rows.sort(key=lambda r: r[0])
        else:
            rows.sort(key=lambda r: (-r[1], r[0][0]))
        if size:
            rows = rows[: int(size)]
        return [Bucket(k, c) for k, c in rows]

    def stories(self, query: Query, limit: int = 20, min_articles: int = 2) -> list[Story]:
        es_query, _ = build_query(query)
        es_query = {"bool": {"must": [es_query], "filter": [{"exists": {"field": "story_id"}}]}}
        aggs = {"s": {
            "terms": {"field": "story_id", "size": limit, "shard_size": max(limit * 10, 100),
                      "min_doc_count": min_articles, "order": [{"_count": "desc"}, {"last": "desc"}]},
            "aggs": {
                "last": {"max": {"field": "published_at"}},
                "first": {"top_hits": {"size": 1, "sort": [{"published_at": "asc"}, {"id": "asc"}],
                                       "_source": ["doc.title", "doc.published_at"]}},
                "outlets": {"terms": {"field": "source_id", "size": 500}},
                "countries": {"terms": {"field": "country", "size": 300}},
                "languages": {"terms": {"field": "language", "size": 100}},
                "foreign": {"filter": {"term": {"kind": "foreign"}}},
            },
        }}
        res = self._call("search", self.es.search, index=self.alias, query=es_query, size=0, aggs=aggs)
        out = []
        for b in res["aggregations"]["s"]["buckets"]:
            first = b["first"]["hits"]["hits"][0]["_source"]["doc"]
            out.append(Story(
                id=b["key"], title=first.get("title", ""), first_seen=first["published_at"],
                last_seen=datetime.fromtimestamp(int(b["last"]["value"]) // 1000, UTC),
                articles=int(b["doc_count"]),
                outlets=sorted(x["key"] for x in b["outlets"]["buckets"]),
                countries=sorted(x["key"] for x in b["countries"]["buckets"] if x["key"]),
                languages=sorted(x["key"] for x in b["languages"]["buckets"] if x["key"]),
                foreign=int(b["foreign"]["doc_count"]),
            ))
        return out

    def iter_all(self, batch: int = 1000, after: str | None = None) -> Iterator[Article]:
        """Every article in id order (search_after on the keyword id); `after` resumes."""
        last = after
        while True:
            kw: dict[str, Any] = {"index": self.alias, "query": {"match_all": {}}, "sort": [{"id": "asc"}],
                                  "size": batch, "source": ["doc"], "track_total_hits": False}
            if last:
                kw["search_after"] = [last]
            hits = self._call("search", self.es.search, **kw)["hits"]["hits"]
            if not hits:
                return
            for h in hits:
                yield _article(h)
            last = hits[-1]["sort"][0]

    def stats(self) -> dict[str, int | str]:
        res = self._call("search", self.es.search, index=self.alias, size=0, track_total_hits=True, aggs={
            "stories": {"cardinality": {"field": "story_id"}},
            "sources": {"cardinality": {"field": "source_id"}},
            "oldest": {"min": {"field": "published_at"}}, "newest": {"max": {"field": "published_at"}},
        })
        aggs = res["aggregations"]
        out: dict[str, int | str] = {
            "backend": "elasticsearch", "url": self.url, "alias": self.alias, "index": self.current_index(),
            "mapping_version": self.mapping_version(), "articles": int(res["hits"]["total"]["value"]),
            "stories": int(aggs["stories"]["value"]), "sources": int(aggs["sources"]["value"]),
        }
        if aggs["oldest"]["value"] is not None:
            out["oldest"] = datetime.fromtimestamp(aggs["oldest"]["value"] / 1000, UTC).isoformat()
            out["newest"] = datetime.fromtimestamp(aggs["newest"]["value"] / 1000, UTC).isoformat()
        return out

    # -------------------------------------------------------------- mapping changes

    def reindex(self, keep_old: bool = False, progress: Any = None) -> dict[str, Any]:
        """Rebuild every document into a new versioned index with the current template, then
        swap the alias atomically. Documents are rebuilt from the stored articles in Python, so
        changes to the derived fields apply too. Writes that land on the old index during the
        copy are caught up after the swap (new ids only)."""
        old = self.current_index()
        self._call("put template", self.es.indices.put_index_template, name=f"{self.alias}-template",
                   **self._template_body())
        new = self._new_index_name()
        self._call("create index", self.es.indices.create, index=new)
        saved_refresh, self.refresh = self.refresh, False
        copied = 0
        try:
            buf: list[Article] = []
            for a in self.iter_all(batch=self.chunk_size):
                buf.append(a)
                if len(buf) >= self.chunk_size:
                    copied += self.upsert(buf, index=new)
                    if progress:
                        progress(len(buf))
                    buf = []
            if buf:
                copied += self.upsert(buf, index=new)
                if progress:
                    progress(len(buf))
            self._call("refresh", self.es.indices.refresh, index=new)
            self._call("swap alias", self.es.indices.update_aliases, actions=[
                {"remove": {"index": old, "alias": self.alias}},
                {"add": {"index": new, "alias": self.alias, "is_write_index": True}},
            ])
            self.index_name = new
            # catch up articles written to the old index while we copied
            late: list[Article] = []
            for a in _iter_index(self, old):
                late.append(a)
            missing = set(a.id for a in late) - self.exists([a.id for a in late]) if late else set()
            if missing:
                copied += self.upsert([a for a in late if a.id in missing])
        finally:
            self.refresh = saved_refresh
        self.refresh_now()
        if not keep_old:
            self._call("delete index", self.es.indices.delete, index=old)
        return {"old_index": old, "new_index": new, "articles": copied, "mapping_version": MAPPING_VERSION}


def _iter_index(idx: ElasticIndex, name: str, batch: int = 1000) -> Iterator[Article]:
    """Every article of one concrete index (not the alias), in id order."""
    last: str | None = None
    while True:
        kw: dict[str, Any] = {"index": name, "query": {"match_all": {}}, "sort": [{"id": "asc"}], "size": batch,
                              "source": ["doc"], "track_total_hits": False}
        if last:
            kw["search_after"] = [last]
        hits = idx._call("search", idx.es.search, **kw)["hits"]["hits"]
        if not hits:
            return
        yield from (_article(h) for h in hits)
        last = hits[-1]["sort"][0]


def _reason(body: Any) -> str:
    """The human part of an Elasticsearch error body."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            cause = err.get("caused_by") or {}
            reason = str(err.get("reason") or err.get("type") or "")
            if isinstance(cause, dict) and cause.get("reason"):
                reason += f" ({cause['reason']})"
            return reason
        return str(err)
    return str(body) if body else ""

