"""`index copy` and `index reindex` on real SQLite indexes: complete, resumable after an
interruption or a kill, and through the CLI."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from duluan.errors import IndexError_
from duluan.models import Article
from index.base import Query
from index.copy import copy_index, load_state, reindex, state_path
from index.sqlite import SqliteIndex
from tests.conformance.conftest import dataset, demo_articles
from tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def source(tmp_path: Path) -> SqliteIndex:
    idx = SqliteIndex(tmp_path / "src.sqlite")
    idx.upsert(demo_articles())
    idx.upsert(dataset().values())
    yield idx
    idx.close()


def _dump(idx: SqliteIndex) -> dict[str, dict]:
    return {a.id: a.model_dump() for a in idx.iter_all()}


def test_copy_everything(source: SqliteIndex, tmp_path: Path) -> None:
    dst = SqliteIndex(tmp_path / "dst.sqlite")
    result = copy_index(source, dst, batch=40)
    assert result.complete and result.copied == result.source_total == result.target_total == 395
    assert _dump(dst) == _dump(source)
    # and the copy answers queries the same way
    for q in (Query(text="ngap lut"), Query(topics=("flooding",)), Query(text='"thành phố"', sort="oldest")):
        assert [a.id for a in dst.search(q).items] == [a.id for a in source.search(q).items]
    assert dst.aggregate(Query(), by=["day", "source"]) == source.aggregate(Query(), by=["day", "source"])
    dst.close()


class Interrupt(Exception):
    pass


def test_copy_resumes_after_interruption(source: SqliteIndex, tmp_path: Path) -> None:
    dst = SqliteIndex(tmp_path / "dst.sqlite")
    state = tmp_path / "copy-state.json"
    seen = []

    def stop_after_three(n: int) -> None:
        seen.append(n)
        if len(seen) == 3:
            raise Interrupt  # as Ctrl-C would, in the middle of the copy

    with pytest.raises(Interrupt):
        copy_index(source, dst, batch=50, state_file=state, progress=stop_after_three, src_url="a", dst_url="b")
    saved = load_state(state)
    assert saved["copied"] == 150 and dst.count(Query()) == 150
    ordered = [a.id for a in source.iter_all()]
    assert saved["last_id"] == ordered[149]
    result = copy_index(source, dst, batch=50, state_file=state, src_url="a", dst_url="b")
    assert result.resumed_after == ordered[149]
    assert result.copied == 395  # 150 before + 245 now
    assert not state.exists()  # done: the state is removed
    assert _dump(dst) == _dump(source)
    dst.close()


def test_copy_state_of_another_pair_is_refused(source: SqliteIndex, tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    state.write_text(json.dumps({"from": "x", "to": "y", "last_id": "0"}))
    with pytest.raises(IndexError_):
        copy_index(source, SqliteIndex(tmp_path / "d.sqlite"), state_file=state, src_url="a", dst_url="b")


def test_explicit_resume_cursor(source: SqliteIndex, tmp_path: Path) -> None:
    dst = SqliteIndex(tmp_path / "dst.sqlite")
    ordered = [a.id for a in source.iter_all()]
    result = copy_index(source, dst, after=ordered[299])
    assert result.copied == 95
    assert sorted(dst.exists(ordered)) == sorted(ordered[300:])
    dst.close()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "duluan", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


@pytest.mark.slow
def test_cli_copy_survives_kill_and_resumes(tmp_path: Path, app_env: dict[str, str]) -> None:
    base = demo_articles()
    src = SqliteIndex(tmp_path / "big.sqlite")
    many: list[Article] = []
    for copy_no in range(16):  # ~6,000 real articles: long enough to be killed mid-way
        many.extend(a.model_copy(update={"id": f"{copy_no:02d}{a.id[2:]}"}) for a in base)
    src.upsert(many)
    src.close()
    src_url, dst_url = f"sqlite:///{tmp_path / 'big.sqlite'}", f"sqlite:///{tmp_path / 'dst.sqlite'}"
    env = subprocess_env(app_env)
    state = state_path(Path(app_env["DULUAN_DATA_DIR"]), src_url, dst_url)
    proc = subprocess.Popen([sys.executable, "-m", "duluan", "index", "copy", "--from", src_url, "--to", dst_url,
                             "--batch", "100"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if state.exists() and load_state(state).get("copied", 0) >= 500:
            break
        assert proc.poll() is None, "the copy finished before it could be killed"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = load_state(state)
    assert 500 <= killed_at["copied"] < len(many)
    done = _cli("index", "copy", "--from", src_url, "--to", dst_url, "--batch", "100", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert "resuming after article" in done.stderr
    summary = json.loads(done.stdout)
    assert summary["resumed_after"] == killed_at["last_id"]
    assert summary["source_articles"] == summary["target_articles"] == len(many)
    with sqlite3.connect(tmp_path / "dst.sqlite") as c:
        assert c.execute("SELECT count(*) FROM articles").fetchone()[0] == len(many)
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_cli_copy_and_reindex(source: SqliteIndex, tmp_path: Path, app_env: dict[str, str]) -> None:
    env = subprocess_env(app_env)
    src_url = f"sqlite:///{source.path}"
    done = _cli("index", "copy", "--from", src_url, "--to", str(tmp_path / "bare-path.sqlite"), env=env)
    assert done.returncode == 0, done.stderr
    assert "copied 395 article(s); source has 395, destination 395" in done.stdout
    same = _cli("index", "copy", "--from", src_url, "--to", src_url, env=env)
    assert same.returncode == 2 and "same index" in same.stderr
    # damage a derived column, then reindex rebuilds it from the stored articles
    with sqlite3.connect(tmp_path / "bare-path.sqlite") as c:
        c.execute("UPDATE articles SET sentiment = NULL, risk = 0")
        c.execute("DELETE FROM article_topics")
    rebuilt = _cli("index", "reindex", "--store", str(tmp_path / "bare-path.sqlite"), env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "articles=395" in rebuilt.stdout
    dst = SqliteIndex(tmp_path / "bare-path.sqlite")
    for q in (Query(sentiments=(-1,)), Query(topics=("flooding",)), Query(min_risk=50)):
        assert dst.count(q) == source.count(q) > 0
    dst.close()


def test_reindex_in_process(source: SqliteIndex) -> None:
    before = source.aggregate(Query(), by=["topic"])
    steps: list[int] = []
    info = reindex(source, batch=100, progress=steps.append)
    assert info["articles"] == 395 and sum(steps) == 395
    assert source.aggregate(Query(), by=["topic"]) == before
    assert source.integrity_check() == "ok"
