#!/usr/bin/env bash
# The test command: sets the machine up, then runs every quality gate and
# test suite. CI runs exactly this (through .ci/run).
#
#   bash .dev/test.sh
#
# Order: formatting, clippy for the server (ssr) and browser (hydrate)
# builds, the debug front end, then unit, integration and browser tests
# against SQLite and a private PostgreSQL started here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CAVEMAN_ROOT"

bash .dev/setup.sh
source .dev/postgres.sh

caveman_step "rustfmt --check"
find app frontend server end2end -name '*.rs' -print0 | xargs -0 rustfmt --check

caveman_step "clippy: server build (ssr)"
cargo clippy -p app -p server -p end2end --all-targets --features app/ssr -- -D warnings

caveman_step "clippy: browser build (hydrate, wasm32)"
cargo clippy -p app -p frontend --target wasm32-unknown-unknown \
    "${CAVEMAN_WASM_STD_ARGS[@]}" -- -D warnings

bash .dev/build.sh site

caveman_step "starting a private PostgreSQL for the tests"
caveman_postgres_start

caveman_step "tests: unit, integration (SQLite and PostgreSQL) and browser"
log="$CARGO_TARGET_DIR/test-output.log"
set +e
cargo test -p app -p server -p end2end --features app/ssr 2>&1 | tee "$log"
status="${PIPESTATUS[0]}"
set -e

# One closing line over all test binaries (cargo prints one per binary,
# and the last is often an empty doc-test run).
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "summary: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
