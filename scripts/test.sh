#!/usr/bin/env bash
# The whole test suite: formatting and lints, unit tests, integration tests on SQLite with a local directory and
# on PostgreSQL with an S3 bucket (SeaweedFS), then the
# release build, run as a process behind nginx and driven by Playwright in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
scripts/postgres.sh
scripts/seaweedfs.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "==> formatting and lints (server and browser code)"
cargo fmt --all -- --check
cargo clippy --features ssr --all-targets -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

echo "==> unit and integration tests (SQLite and PostgreSQL)"
cargo test --features ssr --lib --test integration

echo "==> release build, and the fake Pro Santé Connect the end-to-end tests sign in with"
cargo leptos build --release --precompress --split
cargo build --features ssr --example fake_psc

echo "==> the release server behind nginx and facing slow clients"
cargo test --features ssr --test server

echo "==> end-to-end tests in Chromium"
cd end2end
npx playwright test
