"""What of the Elasticsearch backend can be checked without a cluster: the URL/credential
handling, a real client failing against a closed loopback port, and the query translation
refusing exactly the inputs the SQLite backend refuses. Everything that needs a server is in
tests/conformance (run with DULUAN_ES_URL)."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from duluan.errors import ConfigError, IndexError_, QuerySyntaxError
from duluan.models import Review
from duluan.text import fold
from index.base import Query
from index.elastic import (
    ElasticIndex,
    _decode_cursor,
    _encode_cursor,
    _time_label,
    build_query,
    client_from_url,
    index_mappings,
    index_settings,
    to_document,
)
from tests.conformance.conftest import dataset
from tests.conformance.test_search import BAD_QUERIES


def _node(client: object) -> object:
    return client.transport.node_pool.get().config  # type: ignore[attr-defined]


@pytest.mark.parametrize(("url", "scheme", "host", "port"), [
    ("elasticsearch://es.internal:9200", "http", "es.internal", 9200),
    ("elasticsearchs://es.internal", "https", "es.internal", 9200),
    ("https://127.0.0.1:9243/?index=hcm", "https", "127.0.0.1", 9243),
    ("es://localhost:9201", "http", "localhost", 9201),
])
def test_store_urls(url: str, scheme: str, host: str, port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("DULUAN_ES_API_KEY", "DULUAN_ES_USERNAME", "DULUAN_ES_PASSWORD", "DULUAN_ES_CA_FILE"):
        monkeypatch.delenv(k, raising=False)
    client, opts, safe = client_from_url(url)
    node = _node(client)
    assert (node.scheme, node.host, node.port) == (scheme, host, port)
    assert safe == f"{scheme}://{host}:{port}"
    assert "authorization" not in {k.lower() for k in client._headers}  # type: ignore[attr-defined]


def test_credentials_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.delenv("DULUAN_ES_API_KEY", raising=False)
    monkeypatch.setenv("DULUAN_ES_USERNAME", "duluan")
    monkeypatch.setenv("DULUAN_ES_PASSWORD", "s3cret")
    client, _, safe = client_from_url("elasticsearchs://es:9200")
    assert client._headers["authorization"].startswith("Basic ")  # type: ignore[attr-defined]
    assert "s3cret" not in safe
    monkeypatch.setenv("DULUAN_ES_API_KEY", "a2V5OmlkCg==")
    client, _, _ = client_from_url("elasticsearchs://es:9200")
    assert client._headers["authorization"] == "ApiKey a2V5OmlkCg=="  # type: ignore[attr-defined]
    monkeypatch.setenv("DULUAN_ES_CA_FILE", "/no/such/ca.crt")
    with pytest.raises(ConfigError, match="DULUAN_ES_CA_FILE"):
        client_from_url("elasticsearchs://es:9200")


@pytest.mark.parametrize("url", ["elasticsearch://", "ftp://es:9200", "elasticsearch:/x"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        client_from_url(url)


def test_unreachable_cluster_is_one_clear_error() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: the real client gets "connection refused"
    with pytest.raises(IndexError_, match=f"127.0.0.1:{port}"):
        ElasticIndex.from_url(f"elasticsearch://127.0.0.1:{port}?timeout=2")


@pytest.mark.parametrize("text", BAD_QUERIES)
def test_same_syntax_errors_as_sqlite(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        build_query(Query(text=text))


def test_translation_shape() -> None:
    q, has_text = build_query(Query(text='ngap -lut ="hòa bình" quan*', kinds=("foreign",), relevant_only=True))
    assert has_text
    must = q["bool"]["must"][0]["bool"]
    assert len(must["must"]) == 3 and len(must["must_not"]) == 1
    exact = must["must"][1]["bool"]["filter"][0]["multi_match"]
    assert exact["query"] == "hòa bình" and exact["fields"] == ["title", "body"]
    assert {"terms": {"kind": ["foreign"]}} in q["bool"]["filter"]
    assert build_query(Query())[0] == {"match_all": {}}


def test_document_carries_corrected_labels() -> None:
    a = dataset()["reviewed"]
    doc = to_document(a)
    assert doc["sentiment"] == 1 and doc["topics"] == ["economy", "investment"] and doc["relevance"] == 1.0
    assert doc["reviewed"] is True and doc["doc"]["sentiment"]["label"] == -1
    b = a.model_copy(update={"review": Review()})
    assert to_document(b)["sentiment"] == -1 and to_document(b)["topics"] == ["trade"]


def test_analysis_settings() -> None:
    st = index_settings(icu=False)
    assert st["analysis"]["analyzer"]["duluan_folded"]["filter"] == ["lowercase", "asciifolding"]
    assert index_settings(icu=True)["analysis"]["analyzer"]["duluan_folded"]["filter"][-1] == "icu_folding"
    re.compile(st["analysis"]["char_filter"]["cjk_split"]["pattern"])
    assert st["analysis"]["analyzer"]["duluan_folded"]["char_filter"] == ["py_fold", "strip_marks", "cjk_split"]
    rules = st["analysis"]["char_filter"]["py_fold"]["mappings"]
    assert {"đ => d", "Đ => d", "й => и"} <= set(rules)
    for rule in rules:  # each rule is exactly what `fold` does to that letter
        src, _, dst = rule.partition(" => ")
        assert fold(src) == dst and len(src) == 1
    props = index_mappings()["properties"]
    assert set(props["title"]["fields"]) == {"folded", "en", "fr", "cjk"}
    assert props["doc"] == {"type": "object", "enabled": False}


def test_cursor_roundtrip_and_time_labels() -> None:
    c = _encode_cursor("newest", [1791244200000, "abc"])
    assert _decode_cursor(c, "newest") == [1791244200000, "abc"]
    with pytest.raises(QuerySyntaxError):
        _decode_cursor(c, "oldest")
    ms = int(datetime(2026, 10, 5, 17, tzinfo=UTC).timestamp() * 1000)  # local midnight of 6 Oct
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    assert [_time_label(ms, d, tz) for d in ("day", "hour", "month", "week")] == [
        "2026-10-06", "2026-10-06T00", "2026-10", "2026-W41"]


def test_relevance_adds_language_scoring_only() -> None:
    from index.elastic import _language_boost

    q = Query(text="floods -rain", sort="relevance")
    base, _ = build_query(q)
    boosted = _language_boost(base, q)
    assert boosted["bool"]["must"] == base["bool"]["must"] and boosted["bool"]["filter"] == base["bool"]["filter"]
    should = boosted["bool"]["should"][0]["multi_match"]
    assert should["query"] == "floods" and "title.en^2" in should["fields"]
