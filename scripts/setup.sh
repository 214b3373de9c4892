#!/usr/bin/env bash
# Installs everything the build and the tests need; skips what is already there.
# Works on a laptop with rustup (the wasm target downloads) and on machines where
# rustup cannot download (Debian's Rust with the std source, built with build-std).
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.129
log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
have_installed() { # crate version
  cargo install --list 2>/dev/null | grep -q "^$1 v$2:"
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. A Rust that can build for wasm32-unknown-unknown.
wasm_std_ready() {
  local dir
  dir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null) || return 1
  ls "$dir"/libcore-* >/dev/null 2>&1
}
if [ -n "${PAUSEPOINT_FORCE_DEBIAN_RUST:-}" ]; then
  log "wasm32 target: Debian's Rust forced by PAUSEPOINT_FORCE_DEBIAN_RUST"
  wasm_std_ready() { return 1; }
fi
if wasm_std_ready; then
  log "wasm32 target: rustup's, present"
elif command -v rustup >/dev/null && timeout 20 rustup target add wasm32-unknown-unknown >/dev/null 2>&1 && wasm_std_ready; then
  log "wasm32 target: installed with rustup"
else
  if [ ! -x /usr/bin/rust-lld ] || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
    log "wasm32 target: rustup cannot download; installing Debian's Rust with the std source"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-security rustc-web cargo-web rust-web-src >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lld-22 >/dev/null
    [ -x /usr/bin/rust-lld ] || as_root ln -sf "$(command -v ld.lld-22 || echo /usr/lib/llvm-22/bin/ld.lld)" /usr/bin/rust-lld
  fi
  # worker-build refuses to run unless the target's libdir exists.
  as_root mkdir -p /usr/lib/rustlib/wasm32-unknown-unknown/lib
  log "wasm32 target: Debian's Rust, std built from source (build-std)"
fi

# 2. worker-build and the wasm-bindgen CLI matching the pinned library.
if ! have_installed worker-build "$WORKER_BUILD_VERSION"; then
  log "installing worker-build $WORKER_BUILD_VERSION (several minutes)"
  cargo install --locked worker-build --version "$WORKER_BUILD_VERSION"
fi
if ! have_installed wasm-bindgen-cli "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (several minutes)"
  cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# 3. wrangler, wasm-opt (binaryen) and the test tooling, pinned in package-lock.json.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/wrangler ] || [ "$(cat node_modules/.pausepoint-lock 2>/dev/null)" != "$lock_hash" ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.pausepoint-lock
fi
# 4. Python tools of the tests: schemathesis (contract fuzzing), requests (examples).
PY_PKGS="schemathesis==4.32.5 requests>=2.31"
if ! command -v schemathesis >/dev/null 2>&1 || ! python3 -c "import requests" 2>/dev/null; then
  log "installing Python test tools"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore $PY_PKGS
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi
# 5. A real browser for the response page's end-to-end tests (driven by playwright-core).
if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium for the browser tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# 6. The SDKs' tests. Python: a virtualenv of their own (.venv-sdk), so the agent
#    frameworks never change the Python packages above; every version pinned in
#    sdk/python/requirements-test.txt; the SDK itself installed editable (its console
#    script `pausepoint-mcp` included). TypeScript: sdk/typescript's devDependencies
#    (tsc, and the frameworks its hooks are tested with), pinned in its package-lock.json.
sdk_stamp=$(cat sdk/python/requirements-test.txt sdk/python/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv-sdk/.pausepoint-stamp 2>/dev/null)" != "$sdk_stamp" ]; then
  log "installing the Python SDK's test environment (.venv-sdk, about a minute)"
  python3 -m venv .venv-sdk
  .venv-sdk/bin/pip install -q --disable-pip-version-check -r sdk/python/requirements-test.txt
  .venv-sdk/bin/pip install -q --disable-pip-version-check --no-build-isolation --no-deps -e sdk/python
  echo "$sdk_stamp" > .venv-sdk/.pausepoint-stamp
fi
crew_stamp=$(sha256sum sdk/python/requirements-crewai.txt | cut -d' ' -f1)
if [ "$(cat .venv-crewai/.pausepoint-stamp 2>/dev/null)" != "$crew_stamp" ]; then
  # CrewAI pins other versions of the MCP SDK and openai than .venv-sdk: its own venv.
  log "installing CrewAI's test environment (.venv-crewai, about a minute)"
  python3 -m venv .venv-crewai
  .venv-crewai/bin/pip install -q --disable-pip-version-check -r sdk/python/requirements-crewai.txt
  echo "$crew_stamp" > .venv-crewai/.pausepoint-stamp
fi
ts_stamp=$(sha256sum sdk/typescript/package-lock.json | cut -d' ' -f1)
if [ "$(cat sdk/typescript/node_modules/.pausepoint-lock 2>/dev/null)" != "$ts_stamp" ]; then
  log "installing sdk/typescript's devDependencies"
  (cd sdk/typescript && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts)
  echo "$ts_stamp" > sdk/typescript/node_modules/.pausepoint-lock
fi
log "toolchain ready"
