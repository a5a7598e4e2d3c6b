"""SQLite-specific behaviour: schema migrations, and the FTS5 translation never leaking an
SQLite error for any user input (a bad query is a `QuerySyntaxError`, nothing else)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duluan.errors import IndexError_, QuerySyntaxError
from index import open_index
from index.base import Query
from index.sqlite import _MIGRATIONS, SCHEMA_VERSION, SqliteIndex
from tests.conformance.conftest import dataset


def _version(path: Path) -> int:
    with sqlite3.connect(path) as c:
        return int(c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])


def test_fresh_index_has_the_current_schema(tmp_path: Path) -> None:
    idx = SqliteIndex(tmp_path / "i.sqlite")
    assert idx.schema_version == SCHEMA_VERSION
    idx.close()
    assert _version(tmp_path / "i.sqlite") == SCHEMA_VERSION


def test_old_schema_is_migrated_keeping_the_data(tmp_path: Path) -> None:
    assert _MIGRATIONS[2], "version 2 adds the indexes this test drops"
    path = tmp_path / "v1.sqlite"
    # an index with data, rewound to what version 1 looked like (no version-2 indexes)
    v1 = SqliteIndex(path)
    v1.upsert(dataset().values())
    v1.close()
    with sqlite3.connect(path) as c:
        c.execute("DROP INDEX articles_kind")
        c.execute("DROP INDEX articles_risk")
        c.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    idx = SqliteIndex(path)
    assert idx.schema_version == SCHEMA_VERSION == 2
    with sqlite3.connect(path) as c:
        names = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"articles_kind", "articles_risk"} <= names
    assert idx.count(Query()) == 12 and idx.count(Query(text="ngap lut")) == 3
    idx.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    SqliteIndex(path).close()
    with sqlite3.connect(path) as c:
        c.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(IndexError_, match="newer than this program"):
        SqliteIndex(path)


def test_open_index_urls(tmp_path: Path) -> None:
    idx = open_index(f"sqlite:///{tmp_path / 'a' / 'b.sqlite'}")
    assert (tmp_path / "a" / "b.sqlite").exists()
    idx.close()
    from duluan.errors import ConfigError

    with pytest.raises(ConfigError):
        open_index("mysql://x")


FTS_TRAPS = ['NEAR(a b)', 'a:b', 'title:ngap', '^ngap', '*', '**', 'a*b', '"', '""', '=""', '-', '--x', '(', ')', '()',
             'ngap +lut', "'", "a'b", 'a"b"c', '{title}: x', 'AND', 'OR', 'NOT', '!@#$%', '\x00', 'ngap -', '=',
             '= x', 'x =', '-(a)', '(a OR)', 'a OR OR b', '((a)', 'ngập "lụt', '"a" "b', '=ngập', '-=ngập',
             '-="ngập lụt"']


@pytest.fixture(scope="module")
def idx(tmp_path_factory: pytest.TempPathFactory) -> SqliteIndex:
    i = SqliteIndex(tmp_path_factory.mktemp("fts") / "i.sqlite")
    i.upsert(dataset().values())
    return i


@pytest.mark.parametrize("text", FTS_TRAPS)
def test_fts_special_characters_never_leak(idx: SqliteIndex, text: str) -> None:
    try:
        page = idx.search(Query(text=text))
    except QuerySyntaxError as exc:
        assert str(exc)  # a message fit to show the user
    else:
        assert page.total >= 0 and len(page.items) == min(page.total, 20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list('ngapluệ ()"-=*:^ORANDT胡志')), max_size=24))
def test_fuzzed_queries_are_results_or_syntax_errors(idx: SqliteIndex, text: str) -> None:
    try:
        idx.search(Query(text=text))
        idx.count(Query(text=text))
    except QuerySyntaxError:
        pass
