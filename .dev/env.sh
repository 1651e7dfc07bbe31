# Shell environment shared by every Caveman build, test and benchmark.
#
# Source it (`source .dev/env.sh`) to run cargo by hand with exactly the
# settings the scripts use; a different toolchain or RUSTC_BOOTSTRAP value
# would rebuild the whole target directory.
#
# Two ways to get a WebAssembly standard library:
# - rustup with the wasm32-unknown-unknown target installed (an online
#   machine): used as it is.
# - otherwise Debian's Rust (rustc-web, rust-web-src): std for wasm32 is
#   built from source with -Zbuild-std, and lld-19 links it. .dev/setup.sh
#   installs these packages.

CAVEMAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CAVEMAN_ROOT

if command -v rustup >/dev/null 2>&1 \
    && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    CAVEMAN_TOOLCHAIN=rustup
    CAVEMAN_WASM_STD_ARGS=()
else
    CAVEMAN_TOOLCHAIN=debian
    export PATH="/usr/bin:$PATH"
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19
    CAVEMAN_WASM_STD_ARGS=(-Zbuild-std=std,panic_abort)
fi
export CAVEMAN_TOOLCHAIN

# Needed for -Zbuild-std on a stable compiler; kept constant in both modes
# because changing it invalidates every compiled crate.
export RUSTC_BOOTSTRAP=1

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CAVEMAN_ROOT/target}"
export CARGO_TERM_PROGRESS_WHEN=never

# Tools installed with `cargo install` land here.
export PATH="$PATH:${CARGO_HOME:-$HOME/.cargo}/bin"

# A TCP port on 127.0.0.1 that nothing answers on, from the dynamic range.
caveman_free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((49152 + RANDOM % 16000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "no free port found" >&2
    return 1
}

caveman_step() {
    printf '\n\033[1m==> %s\033[0m\n' "$*"
}
