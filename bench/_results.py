"""Write one benchmark's section of bench/RESULTS.md (between markers), with machine, date and
commit, so benchmarks can run in any order and each keeps its own figures."""

from __future__ import annotations

import fcntl
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "# Benchmark results\n\nEach section is written by its benchmark (`make bench` runs them all).\n"


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average {:.1f}/{:.1f}/{:.1f} (1/5/15 min) at the end of the run".format(*os.getloadavg())
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}){mem}, "
            f"Python {platform.python_version()}{load}")


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=RESULTS.parent, check=False)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def write_section(name: str, title: str, body: str) -> None:
    """Replace (or append) the section `name` of RESULTS.md."""
    stamp = f"_Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; commit {commit()}._\n\n"
    section = f"<!-- BEGIN {name} -->\n## {title}\n\n{stamp}{body.rstrip()}\n<!-- END {name} -->\n"
    lock = RESULTS.with_suffix(".lock")
    with open(lock, "w") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
        begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
        if begin in text and end in text:
            pre, rest = text.split(begin, 1)
            _, post = rest.split(end, 1)
            text = pre + section.rstrip("\n") + post
        else:
            text = text.rstrip("\n") + "\n\n" + section
        RESULTS.write_text(text, encoding="utf-8")
