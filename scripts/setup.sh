#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: a virtualenv in .venv holding this package (editable)
# and its test extras; with --test, also the `minisign` binary the tests verify signatures with
# and GitHub's published REST description (npm `@octokit/openapi`, pinned) that the GitHub test
# server validates its answers against; with --bench, also `wrk`, the independent load
# generator `inv bench` cross-checks with.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

# The wheels of the builtin executables' runtime dependencies, per target, from the committed
# lock (release/distribution/wheels.py): builds then run offline. Only downloads what is missing.
.venv/bin/python -m release.distribution.wheels >/dev/null

if [ "${1:-}" = "--test" ] && ! command -v minisign >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get install -y -qq minisign >/dev/null 2>&1 \
        || { $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq minisign >/dev/null; }
fi

# GitHub's OpenAPI description, read unmodified by tests/fakes/openapi.py from
# .node/node_modules/@octokit/openapi/generated/api.github.com.json.
OCTOKIT_OPENAPI_VERSION=23.0.2
if [ "${1:-}" = "--test" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        sudo=""
        if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
        $sudo apt-get install -y -qq npm >/dev/null 2>&1 \
            || { $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq npm >/dev/null; }
    fi
    installed=".node/node_modules/@octokit/openapi/package.json"
    if ! grep -q "\"version\": \"$OCTOKIT_OPENAPI_VERSION\"" "$installed" 2>/dev/null; then
        npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix .node \
            "@octokit/openapi@$OCTOKIT_OPENAPI_VERSION" >/dev/null
    fi
fi

if [ "${1:-}" = "--bench" ] && ! command -v wrk >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get install -y -qq wrk >/dev/null 2>&1 \
        || { $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq wrk >/dev/null; }
fi
