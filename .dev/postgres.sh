# A private PostgreSQL cluster for the tests, sourced by test.sh.
#
# It lives in a folder under /tmp keyed by the checkout's path, listens on
# 127.0.0.1 only, trusts local connections, and trades durability for speed
# (fsync off): it holds nothing but throw-away test databases. Its files
# are kept between runs so a warm run skips initdb; the server is stopped
# when the test command exits. Set CAVEMAN_TEST_POSTGRES_URL to use
# an existing server instead.

caveman_postgres_start() {
    if [ -n "${CAVEMAN_TEST_POSTGRES_URL:-}" ]; then
        echo "using the PostgreSQL server at CAVEMAN_TEST_POSTGRES_URL"
        return
    fi
    local bindir
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    local key
    key="$(printf '%s' "$CAVEMAN_ROOT" | md5sum | cut -c1-10)"
    CAVEMAN_PG_DIR="${TMPDIR:-/tmp}/caveman-test-pg-$key"

    # PostgreSQL refuses to run as root: run it as the postgres user then.
    CAVEMAN_PG_AS=()
    if [ "$(id -u)" -eq 0 ]; then
        CAVEMAN_PG_AS=(runuser -u postgres --)
    fi

    if [ ! -f "$CAVEMAN_PG_DIR/PG_VERSION" ]; then
        rm -rf "$CAVEMAN_PG_DIR"
        mkdir -p "$CAVEMAN_PG_DIR"
        chmod 700 "$CAVEMAN_PG_DIR"
        if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$CAVEMAN_PG_DIR"; fi
        "${CAVEMAN_PG_AS[@]}" "$bindir/initdb" -D "$CAVEMAN_PG_DIR" -U caveman \
            --auth=trust -E UTF8 --no-instructions >/dev/null
    fi

    CAVEMAN_PG_BINDIR="$bindir"
    # A cluster still running here was left by an interrupted run of this
    # checkout. (Two test runs of one checkout at once are not supported:
    # the second would stop the first's server here.)
    if "${CAVEMAN_PG_AS[@]}" "$bindir/pg_ctl" -D "$CAVEMAN_PG_DIR" status >/dev/null 2>&1; then
        caveman_postgres_stop
    fi

    local port attempt
    for attempt in 1 2 3 4 5; do
        port="$(caveman_free_port)"
        if "${CAVEMAN_PG_AS[@]}" "$bindir/pg_ctl" -D "$CAVEMAN_PG_DIR" -w -t 60 \
            -l "$CAVEMAN_PG_DIR/server.log" \
            -o "-p $port -k $CAVEMAN_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            start >/dev/null; then
            break
        fi
        # The port may have been taken since it was picked: try another.
        if [ "$attempt" = 5 ]; then
            cat "$CAVEMAN_PG_DIR/server.log" >&2
            return 1
        fi
    done
    trap caveman_postgres_stop EXIT
    echo "started PostgreSQL $("$bindir/postgres" --version | awk '{ print $3 }') on port $port"
    export CAVEMAN_TEST_POSTGRES_URL="postgres://caveman@127.0.0.1:$port/postgres"
}

caveman_postgres_stop() {
    "${CAVEMAN_PG_AS[@]}" "$CAVEMAN_PG_BINDIR/pg_ctl" -D "$CAVEMAN_PG_DIR" -m fast stop >/dev/null 2>&1 || true
}
