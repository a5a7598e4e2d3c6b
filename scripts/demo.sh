#!/usr/bin/env bash
# Demo: a fresh data dir with the demo articles, the local "press" server (real saved pages, feeds,
# sitemaps on 127.0.0.1:${PRESS_PORT:-8765}), one crawl of it, then the service — so a newcomer with no
# internet sees crawled articles arrive in the UI.
set -euo pipefail
cd "$(dirname "$0")/.."
export DULUAN_DATA_DIR=${DULUAN_DATA_DIR:-$PWD/data/demo}
export DULUAN_ADMIN_PASSWORD=${DULUAN_ADMIN_PASSWORD:-demo-admin-2026}
PRESS_PORT=${PRESS_PORT:-8765}
mkdir -p "$DULUAN_DATA_DIR"
# the demo's config: the repository's, plus a catalogue file for the local press
DEMO_CONFIG="$DULUAN_DATA_DIR/config"
rm -rf "$DEMO_CONFIG" && cp -r "${DULUAN_CONFIG_DIR:-$PWD/config}" "$DEMO_CONFIG"
export DULUAN_CONFIG_DIR="$DEMO_CONFIG"
export DULUAN_CRAWL__ALLOW_PRIVATE="[127.0.0.1]"
export DULUAN_CRAWL__DISCOVERY=false
.venv/bin/python -m tests.press_server --port "$PRESS_PORT" --write-sources "$DEMO_CONFIG/sources/local-press.yaml" &
PRESS_PID=$!
trap 'kill $PRESS_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  [ -s "$DEMO_CONFIG/sources/local-press.yaml" ] && .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PRESS_PORT/robots.txt', timeout=1)" 2>/dev/null && break
  sleep 0.2
done
.venv/bin/duluan init
.venv/bin/duluan ingest tests/fixtures/articles/demo.jsonl
.venv/bin/duluan ingest tests/fixtures/articles/demo_foreign.jsonl
PRESS_SOURCES=$(.venv/bin/python -c "import yaml,sys; print(' '.join('--source '+s['id'] for s in yaml.safe_load(open('$DEMO_CONFIG/sources/local-press.yaml'))['sources']))")
# shellcheck disable=SC2086
.venv/bin/duluan crawl --once $PRESS_SOURCES || echo "demo crawl reported errors (see above); continuing"
echo "Demo: log in as admin / $DULUAN_ADMIN_PASSWORD at http://127.0.0.1:8000 (local press at http://127.0.0.1:$PRESS_PORT)"
bash scripts/run.sh
