"""Imports go one way (shared ARCHITECTURE.md): models ← crawlers, enrichment, index ← alerts,
reports ← web / scheduler / CLI. Nothing imports `web`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# package -> top-level packages it must not import (module-level or inside functions)
FORBIDDEN = {
    "crawlers": {"index", "enrichment", "alerts", "reports", "web"},
    "enrichment": {"crawlers", "index", "alerts", "reports", "web"},
    "index": {"crawlers", "enrichment", "alerts", "reports", "web"},
    "alerts": {"crawlers", "web", "reports"},
    "reports": {"crawlers", "web"},
    "duluan": {"web"},
}
# the shell modules that wire everything (they may import web)
WIRING = {"duluan/service.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_import_direction() -> None:
    problems = []
    for pkg, forbidden in FORBIDDEN.items():
        for path in (ROOT / pkg).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel in WIRING:
                continue
            bad = _imports(path) & forbidden
            if bad:
                problems.append(f"{rel} imports {sorted(bad)}")
    assert not problems, "\n".join(problems)
