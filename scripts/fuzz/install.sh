#!/usr/bin/env bash
# Installs the schema-driven fuzzer (schemathesis, pinned) into .fuzz/venv, once; prints its path.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=4.32.5
BIN=.fuzz/venv/bin/schemathesis
if [[ -x $BIN ]] && "$BIN" --version 2>/dev/null | grep -q "$VERSION"; then
  echo "$PWD/$BIN"
  exit 0
fi
python3 -m venv .fuzz/venv >&2
.fuzz/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
echo "$PWD/$BIN"
