#!/usr/bin/env bash
# Installs what is missing, then builds and serves Santhium on http://127.0.0.1:3000.
# The SQLite database and development keys are created in ./data on first start.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo leptos serve
