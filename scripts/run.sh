#!/usr/bin/env bash
# Set up the data dir (databases, admin user, a session secret) and run the service.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DATA=${DULUAN_DATA_DIR:-$PWD/data}
mkdir -p "$DATA"
if [ -z "${DULUAN_SECRET_KEY:-}" ]; then
  [ -s "$DATA/.secret-key" ] || (umask 077; $BIN/python -c 'import secrets;print(secrets.token_urlsafe(48))' > "$DATA/.secret-key")
  export DULUAN_SECRET_KEY="$(cat "$DATA/.secret-key")"
fi
if [ -z "${DULUAN_ADMIN_PASSWORD:-}" ] && [ ! -s "$DATA/duluan.db" ]; then
  (umask 077; $BIN/python -c 'import secrets;print(secrets.token_urlsafe(12))' > "$DATA/admin-password.txt")
  export DULUAN_ADMIN_PASSWORD="$(cat "$DATA/admin-password.txt")"
  echo "First run: admin password written to $DATA/admin-password.txt (user: admin)"
fi
$BIN/duluan init
exec $BIN/duluan "${1:-run}"
