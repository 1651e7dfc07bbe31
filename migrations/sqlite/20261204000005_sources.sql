-- Sources: where the images and code that services deploy come from:
-- container registries and git repositories, with their credentials sealed
-- by the vault.

CREATE TABLE sources (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('registry', 'git')),
    -- Who runs it: docker_hub, ghcr, github, gitlab or generic.
    provider     TEXT    NOT NULL,
    -- The registry's address (https://ghcr.io), or the repository's
    -- (https://host/path.git, ssh://user@host:port/path).
    url          TEXT    NOT NULL,
    -- The account signed in as (for SSH, the user); NULL for anonymous
    -- access.
    username     TEXT,
    -- The vault-sealed JSON map holding the password, token or SSH private
    -- key, bound to (sources, credentials, id); NULL for anonymous access.
    credentials  BLOB,
    description  TEXT    NOT NULL,
    -- The last test: unknown until one ran.
    status       TEXT    NOT NULL CHECK (status IN ('unknown', 'reachable', 'unreachable')),
    checked_at   BIGINT,
    latency_ms   BIGINT,
    -- Why the last test failed, in words for the operator.
    check_error  TEXT,
    -- A git repository's default branch, head commit and branch count from
    -- the last test that reached it, as JSON.
    facts        TEXT,
    -- The pinned SSH host key of a repository reached over SSH, in
    -- OpenSSH's one-line form (public, so not sealed).
    host_key     TEXT,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (workspace_id, name)
);
