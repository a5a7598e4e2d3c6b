"""`duluan run`: scheduler + web server in one process; /healthz answers; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_run_serves_healthz_and_stops_on_sigterm(app_env: dict[str, str]) -> None:
    env = {**os.environ, **app_env}
    assert subprocess.run([sys.executable, "-m", "duluan", "init"], env=env, capture_output=True,
                          timeout=120, cwd=ROOT).returncode == 0
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "duluan", "run", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    body = json.loads(resp.read())
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        assert body is not None, proc.stdout.read() if proc.poll() is not None else "no answer"
        assert body["status"] == "ok" and body["articles"] == 0
        # the scheduler's jobs are in the persistent job store
        import sqlite3

        con = sqlite3.connect(Path(app_env["DULUAN_DATA_DIR"]) / "duluan.db")
        jobs = {r[0] for r in con.execute("SELECT id FROM apscheduler_jobs")}
        con.close()
        assert jobs, "no scheduler jobs registered"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, out
