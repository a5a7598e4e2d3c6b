#!/usr/bin/env bash
# Run every benchmark; each writes its section of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in bench/bench_*.py bench/eval_*.py; do
  [ -f "$b" ] || continue
  echo "== $b"
  .venv/bin/python "$b" "$@"
done
