-- Sources: where the images that services deploy come from. Only
-- container registries exist so far; git repositories will add their own
-- kind.

CREATE TABLE sources (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('registry')),
    -- Who runs the registry: docker_hub, ghcr, gitlab or generic.
    provider     TEXT    NOT NULL,
    -- The registry's address, like https://ghcr.io.
    url          TEXT    NOT NULL,
    -- The account signed in as; NULL for anonymous access.
    username     TEXT,
    -- The vault-sealed JSON map holding the password or token, bound to
    -- (sources, credentials, id); NULL for anonymous access.
    credentials  BLOB,
    description  TEXT    NOT NULL,
    -- The last test: unknown until one ran.
    status       TEXT    NOT NULL CHECK (status IN ('unknown', 'reachable', 'unreachable')),
    checked_at   BIGINT,
    latency_ms   BIGINT,
    -- Why the last test failed, in words for the operator.
    check_error  TEXT,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (workspace_id, name)
);
