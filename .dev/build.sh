#!/usr/bin/env bash
# Builds the `caveman` server and the WebAssembly front end into target/.
#
#   bash .dev/build.sh [--release] [server|site|all]
#
# The site (target/site) holds pkg/caveman.js, pkg/caveman_bg.wasm,
# pkg/caveman.css and the files of public/. The server serves it from
# CAVEMAN_SITE_ROOT (default target/site, relative to the project root).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CAVEMAN_ROOT"

profile=debug
what=all
for arg in "$@"; do
    case "$arg" in
        --release) profile=release ;;
        server | site | all) what="$arg" ;;
        *) echo "usage: $0 [--release] [server|site|all]" >&2; exit 2 ;;
    esac
done

build_server() {
    caveman_step "building the server ($profile)"
    if [ "$profile" = release ]; then
        cargo build -p server --release
    else
        cargo build -p server
    fi
}

build_site() {
    local cargo_profile=dev wasm_dir=debug
    if [ "$profile" = release ]; then
        cargo_profile=wasm-release
        wasm_dir=wasm-release
    fi
    caveman_step "building the front end ($profile, $CAVEMAN_TOOLCHAIN toolchain)"
    cargo build -p frontend --lib --target wasm32-unknown-unknown \
        --profile "$cargo_profile" "${CAVEMAN_WASM_STD_ARGS[@]}"

    local site="$CARGO_TARGET_DIR/site"
    local wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/$wasm_dir/frontend.wasm"
    mkdir -p "$site/pkg"
    # The stamp records which module the site was generated from, so that
    # switching between debug and release always regenerates it.
    local stamp="$site/pkg/.source" source
    source="$profile $(stat -c '%s %Y' "$wasm")"
    if [ ! -f "$site/pkg/caveman.js" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$source" ]; then
        wasm-bindgen --target web --no-typescript --out-name caveman \
            --out-dir "$site/pkg" "$wasm"
        if [ "$profile" = release ]; then
            optimise_wasm "$site/pkg/caveman_bg.wasm"
        fi
        echo "$source" >"$stamp"
    fi
    cp style/main.css "$site/pkg/caveman.css"
    cp -R public/. "$site/"
    echo "site: $site ($(du -h "$site/pkg/caveman_bg.wasm" | cut -f1) of WebAssembly)"
}

# wasm-opt shrinks the release module about fourfold. Only the crates.io
# build (binaryen 116 or newer) is used: Debian's binaryen 108 corrupts
# wasm-bindgen 0.2.130 output, so /usr/bin/wasm-opt is never picked up.
optimise_wasm() {
    local wasm_opt="${CARGO_HOME:-$HOME/.cargo}/bin/wasm-opt"
    if [ -x "$wasm_opt" ]; then
        "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
            --enable-sign-ext --enable-mutable-globals \
            -o "$1.opt" "$1"
        mv "$1.opt" "$1"
    else
        echo "note: wasm-opt not installed; the release front end is left unoptimised (bash .dev/bench.sh installs it)"
    fi
}

case "$what" in
    server) build_server ;;
    site) build_site ;;
    all) build_server; build_site ;;
esac
