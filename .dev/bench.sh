#!/usr/bin/env bash
# Baseline figures for a release build, printed as a Markdown table:
#   - WebAssembly bundle size, raw and gzipped (after wasm-opt)
#   - server resident memory, idle after start-up and after the load
#   - SSR latency of the home page, p50/p99 over 1,000 sequential requests
#     from `wrk` (one connection, stopped after 1,000 replies), beside
#     /healthz (a trivial JSON handler) measured the same way in the same
#     run, so that the ratio holds on a noisy machine.
#
#   bash .dev/bench.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CAVEMAN_ROOT"

bash .dev/setup.sh
if ! command -v wrk >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
    caveman_step "installing wrk (HTTP load generator) and curl"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y -qq wrk curl
    else
        sudo apt-get install -y -qq wrk curl
    fi
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
ready=no
for _ in $(seq 1 200); do
    if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
        ready=yes
        break
    fi
    sleep 0.05
done
if [ "$ready" != yes ]; then
    echo "the server did not become ready:" >&2
    cat "$data/server.log" >&2
    exit 1
fi
sleep 1
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
rss_idle=$(rss_kib)

# wrk runs for a fixed time; this script stops its requests after exactly
# 1,000 replies (wrk still waits out -d) and prints p50 and p99 in
# milliseconds, the request count and the error count.
cat >"$data/count.lua" <<'LUA'
local replies = 0
function response(status, headers, body)
    replies = replies + 1
    if replies >= 1000 then wrk.thread:stop() end
end
function done(summary, latency, requests)
    local errors = summary.errors.connect + summary.errors.read + summary.errors.write
        + summary.errors.status + summary.errors.timeout
    io.write(string.format("%.3f %.3f %d %d\n", latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, summary.requests, errors))
end
LUA
latency() {
    local path="$1" p50 p99 count errors
    wrk -t1 -c1 -d2s -s "$data/count.lua" "http://127.0.0.1:$port$path" >/dev/null  # warm-up
    read -r p50 p99 count errors < <(wrk -t1 -c1 -d15s -s "$data/count.lua" \
        "http://127.0.0.1:$port$path" | tail -n 1)
    if [ "$errors" != 0 ] || [ "$count" -lt 1000 ]; then
        echo "$path: $count requests, $errors errors (non-2xx or socket)" >&2
        exit 1
    fi
    echo "$p50 $p99"
}
caveman_step "measuring latency (1,000 sequential requests each)"
# Captured first: inside `read <<<"$(...)"` a failure would go unnoticed.
health="$(latency /healthz)"
home="$(latency /)"
read -r health_p50 health_p99 <<<"$health"
read -r home_p50 home_p99 <<<"$home"
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
| server RSS, after the latency runs | $((rss_loaded / 1024)) MiB |
| GET /healthz (baseline) p50 / p99 | ${health_p50} ms / ${health_p99} ms |
| GET / (SSR home page) p50 / p99 | ${home_p50} ms / ${home_p99} ms |
| SSR ÷ baseline, p50 / p99 | $(ratio "$home_p50" "$health_p50")× / $(ratio "$home_p99" "$health_p99")× |
TABLE
