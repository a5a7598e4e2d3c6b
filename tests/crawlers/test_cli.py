"""The CLI: `duluan sources check` on the real catalogue (offline) and `duluan crawl --url`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "duluan.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=ROOT, timeout=300)


def test_real_catalogue_validates(app_env) -> None:
    from duluan.catalogue import load_sources

    sources = load_sources(ROOT / "config")
    assert sum(s.kind == "domestic" for s in sources) >= 25
    assert sum(s.kind == "foreign" for s in sources) >= 25
    assert len({s.language for s in sources if s.kind == "foreign"}) >= 4
    res = _run(["sources", "check"], app_env)
    assert res.returncode == 0, res.stderr
    assert "catalogue OK" in res.stdout


def test_sources_check_reports_bad_urls(app_env, config_dir) -> None:
    (config_dir / "sources" / "bad.yaml").write_text(
        "sources:\n  - {id: bad, name: Bad, homepage: 'ftp://x.example/', country: VN, language: vi, kind: domestic,"
        " feeds: ['http://10.0.0.1/feed'], listings: [{url: 'https://x.example/', link_pattern: '('}]}\n", encoding="utf-8")
    res = _run(["sources", "check"], app_env)
    assert res.returncode == 1
    assert "scheme must be http" in res.stderr and "non-public address" in res.stderr and "bad regular expression" in res.stderr


@pytest.mark.slow
def test_crawl_url_cli_needs_allow_private(press, app_env) -> None:
    url = press.base_url + "/foreign/hcmc-metro-line.html"
    env = {**app_env, "DULUAN_CRAWL__DISCOVERY": "false", "DULUAN_CRAWL__HTTP_CACHE": "false"}
    refused = _run(["crawl", "--url", url], env)
    assert refused.returncode == 2 and "refused" in refused.stderr
    ok = _run(["crawl", "--url", url, "--allow-private", "--json"], env)
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout.strip().splitlines()[-1])
    assert report["indexed"] == 1 and report["lost"] == 0
    health = _run(["sources", "health", "--json"], env)
    assert health.returncode == 0
