"""`index copy` into and out of every backend, and `index reindex` on every backend: nothing is
lost or changed, and the rebuilt index answers as before."""

from __future__ import annotations

from pathlib import Path

from index.base import ArticleIndex, Query
from index.copy import copy_index, reindex
from index.sqlite import SqliteIndex
from tests.conformance.conftest import dataset, demo_articles

QUERIES = [Query(text="ngap lut"), Query(text='"thành phố"'), Query(topics=("flooding",), sort="risk"),
           Query(kinds=("foreign",), sort="oldest")]


def _dump(idx: ArticleIndex) -> dict[str, dict]:
    return {a.id: a.model_dump() for a in idx.iter_all(batch=97)}


def test_copy_into_and_out_of_the_backend(empty_index: ArticleIndex, tmp_path: Path) -> None:
    src = SqliteIndex(tmp_path / "src.sqlite")
    src.upsert(demo_articles(150))
    src.upsert(dataset().values())
    result = copy_index(src, empty_index, batch=40)
    assert result.copied == result.source_total == result.target_total == 162
    assert _dump(empty_index) == _dump(src)
    for q in QUERIES:
        assert [a.id for a in empty_index.search(q).items] == [a.id for a in src.search(q).items]
    back = SqliteIndex(tmp_path / "back.sqlite")
    again = copy_index(empty_index, back, batch=50)
    assert again.copied == 162 and _dump(back) == _dump(src)
    src.close()
    back.close()


def test_reindex_keeps_everything(index: ArticleIndex) -> None:
    before = _dump(index)
    answers = [[a.id for a in index.search(q).items] for q in QUERIES]
    aggs = index.aggregate(Query(), by=["day", "topic"])
    seen: list[int] = []
    info = reindex(index, batch=5, progress=seen.append)
    assert info["articles"] == len(before) == sum(seen)
    assert _dump(index) == before
    assert [[a.id for a in index.search(q).items] for q in QUERIES] == answers
    assert index.aggregate(Query(), by=["day", "topic"]) == aggs
    index.upsert([dataset()["old"].model_copy(update={"title": "Sau khi tái lập chỉ mục"})])
    assert index.count(Query(text="tai lap chi muc")) == 1  # writes go to the new index
