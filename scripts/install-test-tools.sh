#!/usr/bin/env bash
# Installs the external tools the test suite drives, into .tools/ (git-ignored).
# Idempotent: a second run only checks what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tools
echo "install-test-tools: nothing to install yet"
