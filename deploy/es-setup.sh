#!/usr/bin/env bash
# One-shot setup for docker-compose.yml (runs in the Elasticsearch image as root):
# 1. a CA and a certificate for es01 (SAN: es01, localhost, 127.0.0.1) in the `certs` volume;
# 2. once Elasticsearch answers, the `duluan` role (its own indices only) and user for the app.
# Idempotent: existing certificates are kept; role and user are (re)written.
set -euo pipefail
: "${ELASTIC_PASSWORD:?}" "${DULUAN_ES_PASSWORD:?}"
BIN=/usr/share/elasticsearch/bin
cd /usr/share/elasticsearch/config/certs
if [ ! -f ca/ca.crt ]; then
  "$BIN/elasticsearch-certutil" ca --silent --pem -out ca.zip
  unzip -o -q ca.zip
fi
if [ ! -f es01/es01.crt ]; then
  printf 'instances:\n  - name: es01\n    dns: [es01, localhost]\n    ip: [127.0.0.1]\n' > instances.yml
  "$BIN/elasticsearch-certutil" cert --silent --pem -out certs.zip --in instances.yml \
    --ca-cert ca/ca.crt --ca-key ca/ca.key
  unzip -o -q certs.zip
fi
# Elasticsearch runs with group root (reads its key); the app only needs the CA certificate
chown -R root:root .
find . -type d -exec chmod 755 {} \;
find . -type f -exec chmod 640 {} \;
chmod 644 ca/ca.crt
echo "es-setup: certificates ready; waiting for Elasticsearch"
until curl -s --cacert ca/ca.crt https://es01:9200 | grep -q "missing authentication credentials"; do
  sleep 5
done
api() {
  curl -fsS --cacert ca/ca.crt -u "elastic:${ELASTIC_PASSWORD}" -H "Content-Type: application/json" -X PUT \
    "https://es01:9200/$1" -d "$2"
  echo
}
api _security/role/duluan '{"cluster": ["monitor", "manage_index_templates"],
  "indices": [{"names": ["duluan-articles*"], "privileges": ["all"]}]}'
# the password goes through the environment into a JSON string: refuse characters that would break it
case "$DULUAN_ES_PASSWORD" in *\"*|*\\*) echo "es-setup: DULUAN_ES_PASSWORD must not contain \" or \\" >&2; exit 1;; esac
api _security/user/duluan "{\"password\": \"${DULUAN_ES_PASSWORD}\", \"roles\": [\"duluan\"], \"full_name\": \"Du Luan app\"}"
echo "es-setup: done"
