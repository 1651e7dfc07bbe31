#!/usr/bin/env bash
# Sets up the machine, builds Caveman in release mode and serves it at
# http://127.0.0.1:3000 with SQLite in ./data (see README for settings).
#
#   bash .dev/run.sh [--debug] [caveman arguments...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CAVEMAN_ROOT"

profile=release
if [ "${1:-}" = --debug ]; then
    profile=debug
    shift
fi

bash .dev/setup.sh
if [ "$profile" = release ]; then
    bash .dev/build.sh --release
else
    bash .dev/build.sh
fi

caveman_step "starting caveman"
export CAVEMAN_SITE_ROOT="${CAVEMAN_SITE_ROOT:-$CARGO_TARGET_DIR/site}"
exec "$CARGO_TARGET_DIR/$profile/caveman" "$@"
