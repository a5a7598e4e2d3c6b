#!/usr/bin/env bash
# Debian packages the product and its tests need: Chromium (UI tests), poppler (PDF checks),
# fonts with full Vietnamese coverage (charts, PDF), PostgreSQL (operational-DB tests), Pango
# (WeasyPrint). Installs only what is missing; needs root (or sudo) for that.
set -euo pipefail
PKGS=(chromium poppler-utils fonts-dejavu-core fonts-noto-core fonts-noto-cjk postgresql libpango-1.0-0 libpangoft2-1.0-0)
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "system-deps: missing Debian packages (${missing[*]}) and not root: install them, then re-run" >&2
    exit 1
  fi
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
