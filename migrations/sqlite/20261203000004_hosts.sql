-- Hosts: where workloads run (Docker engines, Fly.io organisations,
-- RunPod accounts), with their credentials sealed by the vault.

CREATE TABLE hosts (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('docker', 'fly', 'runpod')),
    -- Non-secret connection settings as a JSON object, by kind: the
    -- socket path of a local Docker engine, the slug of a Fly.io
    -- organisation; nothing for RunPod.
    endpoint     TEXT    NOT NULL,
    -- The vault-sealed JSON map of secrets (an API token or key), bound
    -- to (hosts, credentials, id); NULL for a kind that needs none.
    credentials  BLOB,
    description  TEXT    NOT NULL,
    -- JSON array of `key=value` or `key` strings.
    labels       TEXT    NOT NULL,
    -- The last connection test: unknown until one ran.
    status       TEXT    NOT NULL CHECK (status IN ('unknown', 'reachable', 'unreachable')),
    checked_at   BIGINT,
    latency_ms   BIGINT,
    -- JSON facts from the last test that reached the host.
    facts        TEXT,
    -- Why the last test failed, in words for the operator.
    check_error  TEXT,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (workspace_id, name)
);
