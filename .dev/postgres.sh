# A private PostgreSQL cluster for the tests, sourced by test.sh.
#
# It lives in a folder under /tmp keyed by the checkout's path, listens on
# 127.0.0.1 only, trusts local connections, and trades durability for speed
# (fsync off): it holds nothing but throw-away test databases. The cluster
# is kept between runs so a warm run skips initdb; it is stopped when the
# test command that started it exits. Set CAVEMAN_TEST_POSTGRES_URL to use
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

    local port
    if "${CAVEMAN_PG_AS[@]}" "$bindir/pg_ctl" -D "$CAVEMAN_PG_DIR" status >/dev/null 2>&1; then
        port="$(cat "$CAVEMAN_PG_DIR/caveman.port")"
        echo "reusing the running test cluster on port $port"
    else
        port="$(caveman_free_port)"
        "${CAVEMAN_PG_AS[@]}" "$bindir/pg_ctl" -D "$CAVEMAN_PG_DIR" -w -t 60 \
            -l "$CAVEMAN_PG_DIR/server.log" \
            -o "-p $port -k $CAVEMAN_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            start >/dev/null
        echo "$port" >"$CAVEMAN_PG_DIR/caveman.port"
        CAVEMAN_PG_BINDIR="$bindir"
        trap caveman_postgres_stop EXIT
        echo "started PostgreSQL $("$bindir/postgres" --version | awk '{ print $3 }') on port $port"
    fi
    export CAVEMAN_TEST_POSTGRES_URL="postgres://caveman@127.0.0.1:$port/postgres"
}

caveman_postgres_stop() {
    "${CAVEMAN_PG_AS[@]}" "$CAVEMAN_PG_BINDIR/pg_ctl" -D "$CAVEMAN_PG_DIR" -m fast stop >/dev/null 2>&1 || true
}

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
