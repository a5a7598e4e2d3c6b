"""Killing `duluan ingest` mid-write (SIGKILL) and running it again loses and duplicates nothing."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests" / "fixtures" / "articles" / "demo.jsonl"
N = 50_000


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("SELECT count(*) FROM articles").fetchone()[0])
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_sigkill_during_ingest_then_rerun(app_env: dict[str, str], tmp_path: Path) -> None:
    rng = random.Random(7)
    sentences = []
    for line in DEMO.read_text(encoding="utf-8").splitlines()[:200]:
        rec = json.loads(line)
        sentences.extend(s.strip() for s in rec["text"].split(".") if len(s.strip()) > 20)
    src = tmp_path / "big.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for i in range(N):
            fh.write(json.dumps({
                "url": f"https://bao.example.vn/tin/{i}.html", "title": rng.choice(sentences)[:120],
                "text": ". ".join(rng.sample(sentences, 3)), "published_at": f"2026-10-{1 + i % 28:02d}T0{i % 10}:00:00+07:00",
                "source": "bao-example", "language": "vi",
            }, ensure_ascii=False) + "\n")
    env = {**os.environ, **app_env, "DULUAN_ENRICHMENT__ENRICHERS": "[normalize]"}
    cmd = [sys.executable, "-m", "duluan", "ingest", str(src), "--no-alerts", "--batch", "500"]
    assert subprocess.run([sys.executable, "-m", "duluan", "init"], env=env, capture_output=True, timeout=120,
                          cwd=ROOT).returncode == 0
    db = Path(app_env["DULUAN_DATA_DIR"]) / "index.sqlite"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    deadline = time.monotonic() + 300
    while _count(db) < 5_000 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed: make the file bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    partial = _count(db)
    assert 0 < partial < N
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == N
        assert con.execute("SELECT count(DISTINCT id) FROM articles").fetchone()[0] == N
    finally:
        con.close()
    # the full-text index agrees with the table (FTS5's own integrity check)
    from index.sqlite import SqliteIndex

    ix = SqliteIndex(db)
    try:
        ix.conn.execute("INSERT INTO fts(fts, rank) VALUES('integrity-check', 1)")
        assert ix.integrity_check() == "ok"
    finally:
        ix.close()
