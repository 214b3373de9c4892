# Sourced by the build: chooses how to compile for wasm32-unknown-unknown.
# rustup's prebuilt target when it is installed; otherwise Debian's Rust building
# the standard library from source (see scripts/setup.sh).
_pp_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
_pp_libdir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null || true)
if [ -n "${PAUSEPOINT_FORCE_DEBIAN_RUST:-}" ] || ! ls "$_pp_libdir"/libcore-* >/dev/null 2>&1; then
  export PATH="/usr/bin:$PATH"
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
fi
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$_pp_root/node_modules/binaryen/bin/wasm-opt"
export WRANGLER_SEND_METRICS=false
# Local mode: use the placeholder Request.cf instead of downloading it (no network).
export CLOUDFLARE_CF_FETCH_ENABLED=false
unset _pp_libdir _pp_root
