#!/usr/bin/env bash
# Demo: a fresh data dir with the demo articles, then the service. (The crawlers issue adds the
# local press server and a crawl of it.)
set -euo pipefail
cd "$(dirname "$0")/.."
export DULUAN_DATA_DIR=${DULUAN_DATA_DIR:-$PWD/data/demo}
export DULUAN_ADMIN_PASSWORD=${DULUAN_ADMIN_PASSWORD:-demo-admin-2026}
mkdir -p "$DULUAN_DATA_DIR"
.venv/bin/duluan init
.venv/bin/duluan ingest tests/fixtures/articles/demo.jsonl
echo "Demo: log in as admin / $DULUAN_ADMIN_PASSWORD at http://127.0.0.1:8000"
exec bash scripts/run.sh
