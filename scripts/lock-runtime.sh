#!/usr/bin/env bash
# Re-create the committed universal lock of the builtin executables' runtime dependencies
# (release/distribution/data/runtime-lock.json): wheels only (--no-build), every CPython the
# executables run on, for Linux, macOS and Windows. Run after changing a runtime dependency in
# pyproject.toml, then commit the lock; `./scripts/setup.sh` then downloads its wheels.
# (`pex3 lock create --help`: --style universal, --no-build, --target-system)
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pex3 lock create --style universal --no-build \
    --interpreter-constraint 'CPython>=3.11,<3.14' \
    --target-system linux --target-system mac --target-system windows \
    --indent 2 -o release/distribution/data/runtime-lock.json \
    'pynacl>=1.5' 'cbor2>=5.6' 'bech32>=1.2' 'pyblst>=0.3.15'
