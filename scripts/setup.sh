#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: a virtualenv in .venv holding this package (editable)
# and its test extras; with --test, also the `minisign` binary the tests verify signatures with;
# with --bench, also `wrk`, the independent load generator `inv bench` cross-checks with.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

if [ "${1:-}" = "--test" ] && ! command -v minisign >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get install -y -qq minisign >/dev/null 2>&1 \
        || { $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq minisign >/dev/null; }
fi

if [ "${1:-}" = "--bench" ] && ! command -v wrk >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get install -y -qq wrk >/dev/null 2>&1 \
        || { $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq wrk >/dev/null; }
fi
