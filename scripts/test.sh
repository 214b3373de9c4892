#!/usr/bin/env bash
# The test command: installs what is missing, runs the native unit tests of the pure
# core, builds the release Worker, then the end-to-end tests against `wrangler dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Lint with the host toolchain (rustup's, which ships rustfmt and clippy), before the
# wasm settings below may put Debian's Rust first on PATH.
echo "== lint: cargo fmt --check, cargo clippy -D warnings"
PATH="$HOME/.cargo/bin:$PATH" cargo fmt --check
PATH="$HOME/.cargo/bin:$PATH" cargo clippy --all-targets --quiet -- -D warnings
source scripts/toolchain-env.sh
echo "== unit and property tests (native cargo test)"
cargo test --quiet   # the pure core, plus property-based fuzzing of its parsers (tests/)
echo "== building the Worker"
bash scripts/build.sh
echo "== end-to-end tests (wrangler dev, workerd, local D1/Durable Objects/alarms)"
node --test --test-concurrency=1 --test-reporter=spec tests/e2e/ "$@"
