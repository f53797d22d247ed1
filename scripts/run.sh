#!/usr/bin/env bash
# Installs what is missing, then builds and serves Santhium on http://127.0.0.1:3000.
# The SQLite database and development keys are created in ./data on first start.
# `scripts/run.sh` serves the release build (a small WASM module, as patients get it);
# `scripts/run.sh --dev` rebuilds on every change, a faster first build for development.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
export PATH="$HOME/.cargo/bin:$PATH"
if [ "${1:-}" = "--dev" ]; then
  exec cargo leptos watch --split
fi
exec cargo leptos serve --release --precompress --split
