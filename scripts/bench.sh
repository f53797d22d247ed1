#!/usr/bin/env bash
# Builds the release server and the benchmark tool, makes sure PostgreSQL and SeaweedFS
# answer (the bucket scenarios use them), then prints the JSON report and Lighthouse's
# mobile figures for the patient's and the login page.
# Arguments go to santhium-bench (for example --seconds 10).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
scripts/postgres.sh
scripts/seaweedfs.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo leptos build --release --precompress --split >&2
# Its own target directory: its features differ from the server build's, and sharing one
# would rebuild most crates each time either is built.
CARGO_TARGET_DIR=target/bench cargo build --release --features bench --bin santhium-bench >&2
target/bench/release/santhium-bench "$@"
# On standard error, after the report; fails when a page's accessibility score is below
# 100. Not with `--only transfers`.
if [ "${1:-}" != "--only" ]; then
  cd end2end && node lighthouse.mjs >&2
fi
