#!/usr/bin/env bash
# The whole suite. Starts a throwaway PostgreSQL on loopback when the server is installed, so
# the operational-DB tests also run against it (DULUAN_PG_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
PGDIR=""
cleanup() {
  if [ -n "$PGDIR" ] && [ -d "$PGDIR" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || \
      "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
  fi
}
trap cleanup EXIT
if [ -z "${DULUAN_PG_URL:-}" ] && [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ]; then
  PGDIR=$(mktemp -d /tmp/duluan-pg.XXXXXX)
  PORT=$($BIN/python -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PGDIR"
    RUN=(runuser -u postgres --)
  else
    RUN=()
  fi
  if "${RUN[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U duluan >/dev/null 2>&1 && \
     "${RUN[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -o "-k $PGDIR -h 127.0.0.1 -p $PORT" -l "$PGDIR/log" -w start >/dev/null 2>&1; then
    "${RUN[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U duluan duluan_test >/dev/null 2>&1 || true
    export DULUAN_PG_URL="postgresql+psycopg://duluan@127.0.0.1:$PORT/duluan_test"
    echo "test.sh: PostgreSQL on 127.0.0.1:$PORT for the operational-DB tests"
  else
    echo "test.sh: could not start PostgreSQL; its tests will be skipped" >&2
  fi
fi
set +e
$BIN/python -m pytest "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then echo "test.sh: no tests collected" >&2; exit 1; fi
exit $rc
