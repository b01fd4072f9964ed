#!/usr/bin/env bash
# Makes sure the machine has what the test suite runs besides Node: Java 17+ and Maven (the local
# Kafka broker), kcat (an independent Kafka client) and Chromium (the browser tests).
# Missing ones are installed with apt-get when we may (root, or passwordless sudo, on Debian or
# Ubuntu); otherwise this stops at once with one line saying what to install.
# QC_NO_INSTALL=1 never installs (it only checks).
set -euo pipefail

declare -A package=([java]=openjdk-17-jre-headless [mvn]=maven [kcat]=kcat [chromium]=chromium)
missing=()
for tool in java mvn kcat chromium; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

packages=()
for tool in "${missing[@]}"; do packages+=("${package[$tool]}"); done
fail() { echo "[tools] missing ${missing[*]}: install them (Debian/Ubuntu: sudo apt-get install -y ${packages[*]}) and run again" >&2; exit 1; }

[ "${QC_NO_INSTALL:-0}" = 1 ] && fail
command -v apt-get >/dev/null 2>&1 || fail
if [ "$(id -u)" = 0 ]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else fail; fi

echo "[tools] installing ${packages[*]} with apt-get (missing: ${missing[*]})" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq >/dev/null || fail
"${as_root[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null || fail
for tool in "${missing[@]}"; do command -v "$tool" >/dev/null 2>&1 || fail; done
echo "[tools] installed ${missing[*]}" >&2
