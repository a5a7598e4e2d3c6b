"""The `duluan` CLI driven as a user would: real subprocesses on a throwaway data dir."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests" / "fixtures" / "articles" / "demo.jsonl"


def duluan(env: dict[str, str], *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    # the CLI tests are about the CLI: the multilingual embeddings (the slowest enricher, tested in
    # tests/enrichment) are switched off through the ordinary settings override
    full = {"DULUAN_ENRICHMENT__EMBEDDINGS": "false", **os.environ, **env, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "duluan", *args], capture_output=True, text=True, env=full,
                          input=input, timeout=300, cwd=ROOT)


@pytest.fixture
def loaded(app_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    r = duluan(app_env, "init")
    assert r.returncode == 0, r.stderr
    # the demo file plus one malformed line and one line missing a field
    src = tmp_path / "in.jsonl"
    lines = DEMO.read_text(encoding="utf-8").splitlines()[:120]
    lines.insert(5, '{"url": "https://x.vn/broken", "title": "thiếu ngoặc"')
    lines.insert(9, json.dumps({"url": "https://x.vn/a", "title": "t", "text": "x", "source": "s"}))
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = duluan(app_env, "ingest", str(src))
    assert r.returncode == 0, r.stderr
    assert f"{src}:6: invalid JSON" in r.stderr
    assert f"{src}:10: missing required field(s): published_at" in r.stderr
    assert "ingested 120 article(s)" in r.stdout
    return app_env


def test_init_creates_admin_and_is_rerunnable(app_env: dict[str, str]) -> None:
    r = duluan(app_env, "init", "--admin-user", "quantri")
    assert r.returncode == 0, r.stderr
    assert "created admin user quantri" in r.stdout
    r = duluan(app_env, "init", "--admin-user", "quantri")
    assert r.returncode == 0 and "already exists" in r.stdout
    assert (Path(app_env["DULUAN_DATA_DIR"]) / "index.sqlite").exists()


def test_init_without_password_fails_clearly(app_env: dict[str, str]) -> None:
    env = {k: v for k, v in app_env.items() if k != "DULUAN_ADMIN_PASSWORD"}
    full = {k: v for k, v in os.environ.items() if k != "DULUAN_ADMIN_PASSWORD"}
    full.update(env)
    r = subprocess.run([sys.executable, "-m", "duluan", "init"], capture_output=True, text=True, env=full,
                       stdin=subprocess.DEVNULL, cwd=ROOT, timeout=120)
    assert r.returncode != 0
    assert "DULUAN_ADMIN_PASSWORD" in r.stderr and "Traceback" not in r.stderr


def test_search_without_diacritics_finds_vietnamese(loaded: dict[str, str]) -> None:
    r = duluan(loaded, "search", "ngap lut", "--json", "--limit", "50")
    assert r.returncode == 0, r.stderr
    hits = [json.loads(line) for line in r.stdout.splitlines()]
    assert hits, "no hits for 'ngap lut'"
    for h in hits:
        assert {"id", "url", "title", "published_at", "source", "language", "score"} <= set(h)
    # every hit really contains the words (with diacritics) — and every such article is found
    from duluan.text import fold

    texts = {}
    for line in DEMO.read_text(encoding="utf-8").splitlines()[:120]:
        rec = json.loads(line)
        texts[rec["url"]] = fold(rec["title"] + " " + rec["text"])
    expected = {u for u, t in texts.items() if "ngap" in t.split() and "lut" in t.split()}
    import re

    expected = {u for u, t in texts.items() if {"ngap", "lut"} <= set(re.findall(r"\w+", t))}
    assert {h["url"] for h in hits} == expected
    same = duluan(loaded, "search", "ngập lụt", "--json", "--limit", "50")
    assert {json.loads(x)["id"] for x in same.stdout.splitlines()} == {h["id"] for h in hits}


def test_filters_show_and_stats(loaded: dict[str, str]) -> None:
    r = duluan(loaded, "search", "--kind", "foreign", "--json", "--limit", "200")
    foreign = [json.loads(x) for x in r.stdout.splitlines()]
    assert foreign and all(h["kind"] == "foreign" for h in foreign)
    r = duluan(loaded, "search", "--since", "2026-10-10", "--until", "2026-10-12", "--json", "--limit", "200")
    for h in (json.loads(x) for x in r.stdout.splitlines()):
        assert "2026-10-09T17:00" <= h["published_at"] < "2026-10-12T17:00"
    first = foreign[0]
    r = duluan(loaded, "show", first["url"], "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["id"] == first["id"] and doc["text"]
    r = duluan(loaded, "stats", "--json")
    assert json.loads(r.stdout)["articles"] == 120


def test_reingest_updates_never_duplicates(loaded: dict[str, str], tmp_path: Path) -> None:
    rec = json.loads(DEMO.read_text(encoding="utf-8").splitlines()[0])
    rec["title"] = "Tiêu đề đã sửa"
    rec["url"] = rec["url"] + "?utm_source=zalo"
    f = tmp_path / "again.jsonl"
    f.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    assert duluan(loaded, "ingest", str(f)).returncode == 0
    assert json.loads(duluan(loaded, "stats", "--json").stdout)["articles"] == 120
    hits = [json.loads(x) for x in duluan(loaded, "search", '"tieu de da sua"', "--json").stdout.splitlines()]
    assert len(hits) == 1


@pytest.mark.parametrize("bad", ['"ngập lụt', "(kẹt xe", "kẹt xe)", "OR ngập", "ngập AND", "NOT ngập", "-- -ngập"])
def test_bad_queries_give_one_clear_line(app_env: dict[str, str], bad: str) -> None:
    assert duluan(app_env, "init").returncode == 0
    r = duluan(app_env, "search", *bad.split(" ", 1)) if bad.startswith("--") else duluan(app_env, "search", bad)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().startswith("error:") and "Truy vấn" in r.stderr


def test_unknown_article_and_missing_file(app_env: dict[str, str]) -> None:
    duluan(app_env, "init")
    r = duluan(app_env, "show", "deadbeef")
    assert r.returncode == 2 and "no article" in r.stderr and "Traceback" not in r.stderr
    r = duluan(app_env, "ingest", "/nonexistent.jsonl")
    assert r.returncode == 2 and "no such file" in r.stderr


def test_config_check(app_env: dict[str, str]) -> None:
    r = duluan(app_env, "config", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "configuration OK" in r.stdout
    city = Path(app_env["DULUAN_CONFIG_DIR"]) / "cities" / "hcmc.yaml"
    city.write_text(city.read_text(encoding="utf-8").replace("name_en: Ho Chi Minh City", "name_en: [1, 2]"),
                    encoding="utf-8")
    r = duluan(app_env, "config", "check")
    assert r.returncode == 1
    assert "hcmc.yaml" in r.stderr and "name_en" in r.stderr


def test_help_on_every_command(app_env: dict[str, str]) -> None:
    import typer.main

    from duluan.cli import app

    group = typer.main.get_command(app)

    def walk(cmd: object, path: list[str]) -> list[list[str]]:
        out = [path]
        for name, sub in getattr(cmd, "commands", {}).items():
            out.extend(walk(sub, [*path, name]))
        return out

    paths = walk(group, [])
    assert len(paths) > 8
    # in-process (one subprocess per command would cost a minute of interpreter start-ups)
    import contextlib
    import io

    from duluan.cli import main

    for p in paths:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = main([*p, "--help"])
        assert rc == 0, p
        assert "Usage" in buf.getvalue(), (p, buf.getvalue()[:200])
    r = duluan(app_env, "search", "--help")  # and once through the real entry point
    assert r.returncode == 0 and "Usage" in r.stdout


def test_debug_shows_traceback(app_env: dict[str, str]) -> None:
    duluan(app_env, "init")
    r = duluan(app_env, "--debug", "search", '"x')
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_two_instances_side_by_side(tmp_path: Path, config_dir: Path) -> None:
    envs = []
    for name in ("a", "b"):
        envs.append({"DULUAN_DATA_DIR": str(tmp_path / name), "DULUAN_CONFIG_DIR": str(config_dir),
                     "DULUAN_ADMIN_PASSWORD": "password-123"})
    lines = DEMO.read_text(encoding="utf-8").splitlines()
    (tmp_path / "a.jsonl").write_text("\n".join(lines[:10]) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(lines[10:13]) + "\n", encoding="utf-8")
    for env, f in zip(envs, ("a.jsonl", "b.jsonl"), strict=True):
        assert duluan(env, "init").returncode == 0
        assert duluan(env, "ingest", str(tmp_path / f)).returncode == 0
    assert json.loads(duluan(envs[0], "stats", "--json").stdout)["articles"] == 10
    assert json.loads(duluan(envs[1], "stats", "--json").stdout)["articles"] == 3
    shutil.rmtree(tmp_path / "a")
