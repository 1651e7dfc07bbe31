#!/usr/bin/env bash
# Baseline figures for a release build, printed as a Markdown table:
#   - WebAssembly bundle size, raw and gzipped (after wasm-opt)
#   - server resident memory, idle after start-up and after the load
#   - SSR latency of the home page, p50/p99 over 1,000 sequential requests
#     from `hey`, beside /healthz (a trivial JSON handler) measured the same
#     way in the same run, so the ratio holds on a noisy machine.
#
#   bash .dev/bench.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CAVEMAN_ROOT"
source .dev/postgres.sh  # for caveman_free_port

bash .dev/setup.sh
if ! command -v hey >/dev/null 2>&1; then
    caveman_step "installing hey (HTTP load generator)"
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq hey; else sudo apt-get install -y -qq hey; fi
fi
wasm_opt="${CARGO_HOME:-$HOME/.cargo}/bin/wasm-opt"
if [ ! -x "$wasm_opt" ]; then
    caveman_step "installing wasm-opt 0.116.1 (binaryen 116) from crates.io"
    cargo install wasm-opt --version =0.116.1 --locked
fi

# Force a fresh wasm-bindgen + wasm-opt pass so the size is of this build.
rm -f "$CARGO_TARGET_DIR/site/pkg/caveman_bg.wasm"
bash .dev/build.sh --release

wasm="$CARGO_TARGET_DIR/site/pkg/caveman_bg.wasm"
js="$CARGO_TARGET_DIR/site/pkg/caveman.js"
wasm_raw=$(stat -c %s "$wasm")
wasm_gz=$(gzip -9 -c "$wasm" | wc -c)
js_raw=$(stat -c %s "$js")
js_gz=$(gzip -9 -c "$js" | wc -c)

caveman_step "starting the release server"
data="$(mktemp -d)"
port="$(caveman_free_port)"
CAVEMAN_BIND="127.0.0.1:$port" CAVEMAN_DATA_DIR="$data" \
    CAVEMAN_SITE_ROOT="$CARGO_TARGET_DIR/site" CAVEMAN_LOG=warn \
    "$CARGO_TARGET_DIR/release/caveman" serve >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 200); do
    if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
    sleep 0.05
done
sleep 1
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
rss_idle=$(rss_kib)

# p50 and p99 in milliseconds from hey's latency distribution.
latency() {
    local path="$1" out
    hey -n 100 -c 1 "http://127.0.0.1:$port$path" >/dev/null  # warm-up
    out="$(hey -n 1000 -c 1 "http://127.0.0.1:$port$path")"
    if ! grep -q '\[200\]	1000 responses' <<<"$out"; then
        echo "not every request to $path answered 200:" >&2
        echo "$out" >&2
        exit 1
    fi
    awk '/ 50% in / { p50 = $3 * 1000 } / 99% in / { p99 = $3 * 1000 } END { printf "%.3f %.3f", p50, p99 }' <<<"$out"
}
caveman_step "measuring latency (1,000 sequential requests each)"
read -r health_p50 health_p99 <<<"$(latency /healthz)"
read -r home_p50 home_p99 <<<"$(latency /)"
rss_loaded=$(rss_kib)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }

caveman_step "results ($(date -u +%Y-%m-%d), $(nproc) cores)"
cat <<TABLE
| figure | value |
|---|---|
| WebAssembly, release + wasm-opt | $(kib "$wasm_raw") raw, $(kib "$wasm_gz") gzipped |
| JavaScript loader | $(kib "$js_raw") raw, $(kib "$js_gz") gzipped |
| server RSS, idle after start-up | $((rss_idle / 1024)) MiB |
| server RSS, after 2,200 requests | $((rss_loaded / 1024)) MiB |
| GET /healthz (baseline) p50 / p99 | ${health_p50} ms / ${health_p99} ms |
| GET / (SSR home page) p50 / p99 | ${home_p50} ms / ${home_p99} ms |
| SSR ÷ baseline, p50 / p99 | $(ratio "$home_p50" "$health_p50")× / $(ratio "$home_p99" "$health_p99")× |
TABLE
