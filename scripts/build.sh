#!/usr/bin/env bash
# Builds the release Worker into build/. Skips the build when nothing changed since
# the last one, so `wrangler dev` and the tests start fast.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain-env.sh
stamp=build/.stamp
if [ -f "$stamp" ] && [ -f build/worker/shim.mjs ] && [ -z "$(find src Cargo.toml Cargo.lock -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
"$HOME/.cargo/bin/worker-build" --release
# worker-build keeps the wasm `name` section (function names, ~170 KB): strip it.
"$WASM_OPT_BIN" build/index_bg.wasm --strip-debug --strip-producers -o build/index_bg.wasm
touch "$stamp"
