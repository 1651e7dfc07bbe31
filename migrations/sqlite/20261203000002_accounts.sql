-- Accounts, sessions, workspaces, the local mailbox and the audit log.
--
-- Times are whole seconds since the Unix epoch (UTC) in both engines, so
-- the domain code can bind and compare them the same way everywhere.

CREATE TABLE users (
    id                 INTEGER PRIMARY KEY,
    -- Lower-cased at the edge; one account per address.
    email              TEXT    NOT NULL UNIQUE,
    display_name       TEXT    NOT NULL,
    -- PHC string (argon2id with its parameters and salt).
    password_hash      TEXT    NOT NULL,
    email_confirmed_at BIGINT,
    created_at         BIGINT  NOT NULL
);

-- Single-use tokens sent by mail. Only the SHA-256 of a token is kept.
CREATE TABLE account_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- confirm_email | reset_password | magic_link | change_email
    purpose    TEXT    NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,
    -- The address the token was sent to (the new one, for change_email).
    email      TEXT    NOT NULL,
    -- confirm_email only: the password chosen at the sign-up that sent
    -- this link, applied when the link is opened, so that a stranger who
    -- signed up first with someone's address cannot keep a password on it.
    password_hash TEXT,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT,
    created_at BIGINT  NOT NULL
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);

-- tower-sessions records. The key is the SHA-256 of the cookie's session
-- id, so reading this table does not yield usable cookies.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    data         TEXT    NOT NULL,
    expires_at   BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE workspaces (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT  NOT NULL
);

CREATE TABLE memberships (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- owner | admin | member
    role         TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE invitations (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    token_hash   TEXT    NOT NULL UNIQUE,
    invited_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    expires_at   BIGINT  NOT NULL,
    accepted_at  BIGINT,
    revoked_at   BIGINT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX invitations_workspace ON invitations (workspace_id);

-- Personal API tokens, each for one workspace. Only the SHA-256 of a
-- token is kept, with its first characters to tell tokens apart.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Mail kept by the local mailbox backend (used when SMTP is not set up).
CREATE TABLE mailbox (
    id         INTEGER PRIMARY KEY,
    recipient  TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

-- Security events. Append-only: the triggers refuse changes and deletions.
-- The ids are plain numbers, not foreign keys, so that deleting a user or
-- a workspace leaves its history as it was.
CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY,
    workspace_id BIGINT,
    actor_id     BIGINT,
    -- The address used, kept also when there is no account (failed sign-ins).
    actor_email  TEXT,
    action       TEXT    NOT NULL,
    -- JSON object with the event's particulars; never a secret.
    detail       TEXT    NOT NULL,
    ip           TEXT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX audit_events_workspace ON audit_events (workspace_id, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
