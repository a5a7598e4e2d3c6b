"""`duluan analyze` and `duluan reenrich` driven as a user would: real subprocesses on a
throwaway data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

DEMO = ROOT / "tests" / "fixtures" / "articles" / "demo.jsonl"


def duluan(env: dict[str, str], *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "duluan", *args], capture_output=True, text=True, env=full,
                          input=input, timeout=300, cwd=ROOT)


def test_analyze_writes_one_line_per_input(app_env: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"title": "Triều cường gây ngập nặng ở TP.HCM", "text": "Chiều qua, triều cường dâng cao khiến nhiều tuyến đường ở Quận 7, TP.HCM ngập sâu. Người dân phải dắt bộ xe máy."}, ensure_ascii=False),
        "{broken json",
        json.dumps({"text": "Flooding swamped streets in Ho Chi Minh City on Monday as a king tide hit.", "source_kind": "foreign", "url": "https://example.com/a"}),
        json.dumps({"title": "no text field"}),
        json.dumps({"text": "Chủ tịch Hồ Chí Minh đọc Tuyên ngôn độc lập năm 1945 tại quảng trường Ba Đình, Hà Nội."}, ensure_ascii=False),
    ]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = duluan(app_env, "analyze", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "analysed 3 text(s), 2 unreadable line(s)" in r.stderr
    res = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["line"] for x in res] == [1, 2, 3, 4, 5]
    assert "error" in res[1] and "error" in res[3]
    vi, en, person = res[0], res[2], res[4]
    for x in (vi, en, person):
        for key in ("language", "language_confidence", "mentions", "relevance", "topics", "summary"):
            assert key in x
    assert vi["language"] == "vi" and vi["relevant"] and "flooding" in [t["code"] for t in vi["topics"]]
    assert {"alias": "TP.HCM", "field": "title"}.items() <= vi["mentions"][0].items()
    assert en["language"] == "en" and en["relevant"] and "flooding" in [t["code"] for t in en["topics"]]
    assert person["relevance"] < 0.5 and person["mentions"] == []
    if "sentiment" in vi:  # present once the sentiment module is installed
        assert vi["sentiment"]["label"] in (-1, 0, 1)
    if "risk" in en:
        assert 0 <= en["risk"] <= 100


def test_analyze_reads_stdin(app_env: dict[str, str]) -> None:
    r = duluan(app_env, "analyze", "-", input=json.dumps({"text": "Kẹt xe ở Sài Gòn."}, ensure_ascii=False) + "\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[0])["mentions"][0]["alias"] == "Sài Gòn"


def test_analyze_missing_file_is_one_clear_line(app_env: dict[str, str]) -> None:
    r = duluan(app_env, "analyze", "/nonexistent/file.jsonl")
    assert r.returncode != 0 and "no such file" in r.stderr


def test_reenrich_keeps_corrections_and_respects_since(app_env: dict[str, str], tmp_path: Path) -> None:
    assert duluan(app_env, "init").returncode == 0
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(DEMO.read_text(encoding="utf-8").splitlines()[:30]) + "\n", encoding="utf-8")
    r = duluan(app_env, "ingest", str(src))
    assert r.returncode == 0, r.stderr

    from duluan.context import AppContext
    from duluan.models import Review

    ctx = AppContext.load()
    arts = sorted(ctx.index.iter_all(), key=lambda a: a.published_at)
    assert len(arts) == 30
    old, new = arts[0], arts[-1]
    assert new.topics and old.topics
    # make both stale, and give the newer one an analyst's correction
    review = Review(reviewed=True, reviewed_by="analyst", topics=["culture"], sentiment=1, relevant=True)
    ctx.index.upsert([old.model_copy(update={"topics": []}),
                      new.model_copy(update={"topics": [], "review": review})])
    ctx.close()

    since = new.published_at.date().isoformat()
    r = duluan(app_env, "reenrich", "--since", since, "--only", "topics")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["seen"] == 30 and 1 <= res["reenriched"] < 30

    ctx = AppContext.load()
    got_old, got_new = ctx.index.get(old.id), ctx.index.get(new.id)
    ctx.close()
    assert got_old.topics == []  # before --since: untouched
    assert got_new.topics  # re-tagged
    assert got_new.review == review  # the correction survives
    assert got_new.effective_topics() == ["culture"]

    r = duluan(app_env, "reenrich", "--only", "topics,bogus")
    assert r.returncode != 0 and "bogus" in r.stderr
